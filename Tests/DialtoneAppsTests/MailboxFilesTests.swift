// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneApps
import DialtoneConfig
import DialtoneMedia
import DialtoneSwitch
import Foundation
import Testing

/// Voice mail's files (trim, finalise, names), PIN hashes and the e-mail, without a daemon.
@Suite struct MailboxFilesTests {
    func temp() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-mbf-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A PCM16 WAV: `sound` seconds of a 500 Hz tone, then `quiet` seconds of near silence.
    func wav(_ path: String, sound: Double, quiet: Double) throws {
        var samples: [Int16] = (0..<Int(sound * 8000)).map { Int16(8000 * sin(2 * Double.pi * 500 * Double($0) / 8000)) }
        samples += (0..<Int(quiet * 8000)).map { Int16($0 % 7) - 3 }
        var data = Data(WAVFile.header(format: .pcm16, channels: 1, dataBytes: samples.count * 2))
        samples.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test func trailingSilenceIsTrimmedAndShortRecordingsAreRemoved() throws {
        let dir = temp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = MailboxFiles(directory: dir)
        try files.prepare("1")
        let path = files.tempPath("1", call: "c-1/x", caller: "+4155550100")
        #expect(path.hasSuffix("/1/tmp-c_1_x-_4155550100.wav"), "no '/' or '-' from a call id or number: \(path)")
        try wav(path, sound: 3, quiet: 4)
        let seconds = files.trim(path, minimum: 2)
        #expect(abs(seconds - 3.3) < 0.05, "3 s of sound and 0.3 s kept after it: \(seconds)")
        #expect(try WAVFile.inspect(path: path).seconds == seconds)
        let received = Date(timeIntervalSince1970: 1_800_000_000)
        let final = try #require(files.finalise(path, box: "1", received: received, call: "c7", caller: "4155550100"))
        #expect((final as NSString).lastPathComponent == "msg-20270115-080000-c7-4155550100.wav")
        let parsed = try #require(MailboxFiles.parse("msg-20270115-080000-c7-4155550100.wav"))
        #expect(parsed.call == "c7" && parsed.caller == "4155550100" && parsed.received == received)
        #expect(MailboxFiles.parse("tmp-c7-x.wav")?.caller == "")

        let short = files.tempPath("1", call: "c8", caller: "")
        try wav(short, sound: 1, quiet: 5)
        #expect(files.trim(short, minimum: 2) < 2)
        #expect(!FileManager.default.fileExists(atPath: short), "a message shorter than the minimum is removed")
        let silent = files.tempPath("1", call: "c9", caller: "")
        try wav(silent, sound: 0, quiet: 5)
        #expect(files.trim(silent, minimum: 0) == 0 && !FileManager.default.fileExists(atPath: silent))
    }

    @Test func pinsAreHashedWithASaltAndVerified() throws {
        let a = try #require(PINHash.make("4321"))
        let b = try #require(PINHash.make("4321"))
        #expect(a.hasPrefix("$6$") && a != b, "SHA-512 crypt with a fresh salt each time")
        #expect(PINHash.verify("4321", against: a) && PINHash.verify("4321", against: b))
        #expect(!PINHash.verify("4322", against: a) && !PINHash.verify("", against: a) && !PINHash.verify("4321", against: "garbage"))
    }

    @Test func theMailHeadersCarryNothingACallerOrOwnerCouldInject() throws {
        let dir = temp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try wav("\(dir)/m.wav", sound: 0.1, quiet: 0)
        let m = VoicemailMessage(application: "vm", mailbox: "1", path: "\(dir)/m.wav", caller: "123\r\nBcc: x@evil", callID: "c1",
                                 received: Date(), seconds: 0.1)
        var owner = MailboxConfig(number: "1")
        owner.owner = "Eve\"\nBcc: y@evil"
        let text = String(decoding: VoicemailMail.compose(message: m, owner: owner, to: "a@b.example", from: "vm@x.example", new: 1),
                          as: UTF8.self)
        let headers = text.components(separatedBy: "\r\n\r\n")[0]
        let lines = headers.components(separatedBy: "\r\n")
        #expect(!lines.contains { $0.hasPrefix("Bcc") } && !headers.contains("\n\n") && lines.count == 6, "\(headers)")
        #expect(headers.contains("Subject: New voice message from 123 in mailbox 1\r\n"))
        #expect(headers.contains("To: \"EveBcc: y@evil\" <a@b.example>\r\n"))
    }
}
