// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
@testable import DialtoneMedia  // WAVInfo and RepairResult have no public initialisers
import DialtoneSpans
import Foundation
import Testing

/// sox and soxi (Debian's sox package), the outside judge of our WAV files.
enum Sox {
    /// Runs a tool and returns its exit status, stdout and stderr.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// `soxi -<flag> path`, trimmed: what sox reads from the header.
    static func info(_ flag: String, _ path: String) throws -> String {
        try run("/usr/bin/soxi", [flag, path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs sox, failing the test when it fails.
    static func make(_ arguments: String...) throws {
        let r = try run("/usr/bin/sox", arguments)
        try #require(r.status == 0, "sox \(arguments.joined(separator: " ")): \(r.err)")
    }

    /// A fresh directory under the temporary directory.
    static func scratch(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Headers Dialtone writes are read back by sox; files sox writes (and
/// broken ones) are read, or rejected with a message that says what to do.
@Suite struct WAVFileTests {
    static let soxEncoding: [WAVFormat: String] = [.pcm16: "Signed Integer PCM", .mulaw: "u-law", .alaw: "A-law"]

    /// Our header plus one second of data: sox agrees on rate, channels,
    /// encoding and length, and decodes exactly the bytes we wrote.
    @Test(arguments: WAVFormat.allCases, [1, 2])
    func headerIsReadBySox(format: WAVFormat, channels: Int) throws {
        let dir = try Sox.scratch("wav")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let frames = 8000
        let bytesPerSample = format == .pcm16 ? 2 : 1
        let data = (0..<(frames * channels * bytesPerSample)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 >> 8) }
        let header = WAVFile.header(format: format, channels: channels, dataBytes: data.count)
        #expect(header.count == (format == .pcm16 ? 44 : 58))
        let path = "\(dir)/h.wav"
        try #require(FileManager.default.createFile(atPath: path, contents: Data(header + data)))

        #expect(try Sox.info("-r", path) == "8000")
        #expect(try Sox.info("-c", path) == "\(channels)")
        #expect(try Sox.info("-e", path) == Self.soxEncoding[format])
        #expect(try Sox.info("-s", path) == "\(frames)")
        #expect(try Sox.info("-b", path) == "\(bytesPerSample * 8)")
        try Sox.make(path, "-t", "raw", "\(dir)/h.raw")
        // (sox re-encodes through linear: µ-law's negative zero 0x7F comes back as 0xFF)
        let decoded = format == .mulaw ? data.map { $0 == 0x7F ? 0xFF : $0 } : data
        #expect(FileManager.default.contents(atPath: "\(dir)/h.raw") == Data(decoded), "sox decodes the data chunk as written")

        let info = try WAVFile.inspect(path: path)
        #expect(info == WAVInfo(format: format, sampleRate: 8000, channels: channels, dataOffset: header.count, dataBytes: data.count))
        #expect(info.frames == frames && info.seconds == 1)
        let (read, bytes) = try WAVFile.read(path: path)
        #expect(read == info && bytes == data)
    }

    /// The exact G.711 layout: fmt of 18 bytes (cbSize 0), then a fact chunk
    /// holding the sample frames, then data.
    @Test func g711HeaderLayout() {
        let h = WAVFile.header(format: .alaw, channels: 2, dataBytes: 3200)
        func u32(_ i: Int) -> Int { Int(h[i]) | Int(h[i + 1]) << 8 | Int(h[i + 2]) << 16 | Int(h[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(h[i]) | Int(h[i + 1]) << 8 }
        #expect(String(decoding: h[0..<4], as: UTF8.self) == "RIFF" && u32(4) == 58 - 8 + 3200)
        #expect(String(decoding: h[12..<16], as: UTF8.self) == "fmt " && u32(16) == 18)
        #expect(u16(20) == 6 && u16(22) == 2 && u32(24) == 8000 && u32(28) == 16000 && u16(32) == 2 && u16(34) == 8 && u16(36) == 0)
        #expect(String(decoding: h[38..<42], as: UTF8.self) == "fact" && u32(42) == 4 && u32(46) == 1600)
        #expect(String(decoding: h[50..<54], as: UTF8.self) == "data" && u32(54) == 3200)
    }

    /// Files that are not 8 kHz mono prompts are refused with a message
    /// naming the file, what is wrong and how to convert it.
    @Test func promptsInTheWrongShapeAreRejected() throws {
        let dir = try Sox.scratch("wav-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Sox.make("-n", "-r", "44100", "-c", "1", "-b", "16", "\(dir)/cd.wav", "synth", "0.1", "sine", "440")
        try Sox.make("-n", "-r", "8000", "-c", "2", "-b", "16", "\(dir)/stereo.wav", "synth", "0.1", "sine", "440")
        try Sox.make("-n", "-r", "8000", "-c", "1", "-b", "8", "-e", "unsigned", "\(dir)/u8.wav", "synth", "0.1", "sine", "440")
        try Sox.make("-n", "-r", "8000", "-c", "1", "-b", "32", "-e", "floating-point", "\(dir)/float.wav", "synth", "0.1", "sine", "440")

        func reason(_ file: String) -> String? {
            do {
                _ = try PromptLibrary.validated("\(dir)/\(file)")
                return nil
            } catch {
                #expect(error.path == "\(dir)/\(file)")
                #expect(error.description.hasPrefix("\(dir)/\(file): "))
                return error.reason
            }
        }
        let cd = try #require(reason("cd.wav"))
        #expect(cd.contains("44100 Hz") && cd.contains("8000 Hz mono") && cd.contains("sox"), "\(cd)")
        let stereo = try #require(reason("stereo.wav"))
        #expect(stereo.contains("2 channels") && stereo.contains("mono"), "\(stereo)")
        let u8 = try #require(reason("u8.wav"))
        #expect(u8.contains("8-bit PCM") && u8.contains("16-bit"), "\(u8)")
        let float = try #require(reason("float.wav"))
        #expect(float.contains("encoding 3") && float.contains("32 bits"), "\(float)")

        try Data("ID3\u{3}\0\0\0\0\0\0 this is an mp3 really".utf8).write(to: URL(fileURLWithPath: "\(dir)/mp3.wav"))
        let mp3 = try #require(reason("mp3.wav"))
        #expect(mp3.contains("not a WAV file"), "\(mp3)")

        // Cut a good file inside its fmt chunk, and between fmt and data.
        try Sox.make("-n", "-r", "8000", "-c", "1", "-b", "16", "\(dir)/good.wav", "synth", "0.1", "sine", "440")
        let good = try #require(FileManager.default.contents(atPath: "\(dir)/good.wav"))
        _ = try PromptLibrary.validated("\(dir)/good.wav")  // the cuts below are what breaks it
        try good.prefix(30).write(to: URL(fileURLWithPath: "\(dir)/cut30.wav"))
        let cut30 = try #require(reason("cut30.wav"))
        #expect(cut30.contains("truncated"), "\(cut30)")
        try good.prefix(40).write(to: URL(fileURLWithPath: "\(dir)/cut40.wav"))
        let cut40 = try #require(reason("cut40.wav"))
        #expect(cut40.contains("data chunk"), "\(cut40)")
        try Data().write(to: URL(fileURLWithPath: "\(dir)/empty.wav"))
        #expect(reason("empty.wav") != nil)
        #expect(reason("missing.wav")?.contains("no such file") == true)
    }

    /// A LIST chunk of odd size (padded) between fmt and data, as editors
    /// write: skipped, and the data read exactly.
    @Test func skipsAListChunkBeforeData() throws {
        let dir = try Sox.scratch("wav-list")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let audio = (0..<1600).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var h = WAVFile.header(format: .mulaw, channels: 1, dataBytes: audio.count)
        let list: [UInt8] = Array("LIST".utf8) + [13, 0, 0, 0] + Array("INFOISFT\u{1}\0\0\0X".utf8) + [0]  // 13 bytes + pad
        h.insert(contentsOf: list, at: 50)  // before "data"
        let riff = h.count - 8 + audio.count
        h[4] = UInt8(riff & 0xFF); h[5] = UInt8(riff >> 8 & 0xFF); h[6] = UInt8(riff >> 16 & 0xFF); h[7] = 0
        let path = "\(dir)/list.wav"
        try Data(h + audio).write(to: URL(fileURLWithPath: path))
        #expect(try Sox.info("-s", path) == "1600")  // sox agrees the file is well formed
        let (info, data) = try WAVFile.read(path: path)
        #expect(info.format == .mulaw && info.dataOffset == 58 + list.count && info.frames == 1600)
        #expect(data == audio)
    }

    /// WAVE_FORMAT_EXTENSIBLE (sox writes it for more than two channels) is
    /// read by its sub-format; a non-PCM sub-format is refused.
    @Test func readsExtensibleFormat() throws {
        let dir = try Sox.scratch("wav-ext")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Sox.make("-n", "-r", "8000", "-c", "3", "-b", "16", "\(dir)/three.wav", "synth", "0.1", "sine", "440")
        let raw = try #require(FileManager.default.contents(atPath: "\(dir)/three.wav"))
        try #require(raw[20] == 0xFE && raw[21] == 0xFF, "sox wrote an extensible header")
        let info = try WAVFile.inspect(path: "\(dir)/three.wav")
        #expect(info.format == .pcm16 && info.channels == 3 && info.frames == 800)
        #expect(throws: WAVError.self) { try PromptLibrary.validated("\(dir)/three.wav") }

        try Sox.make("-n", "-r", "8000", "-c", "3", "-b", "32", "-e", "floating-point", "\(dir)/float3.wav", "synth", "0.1", "sine", "440")
        #expect(throws: WAVError.self) { try WAVFile.inspect(path: "\(dir)/float3.wav") }
    }

    /// µ-law/A-law data and PCM16 data convert with SpanDSP's codec.
    @Test func convertsBetweenEncodings() {
        let ulaw = (0...255).map { UInt8($0) }
        let info = WAVInfo(format: .mulaw, sampleRate: 8000, channels: 1, dataOffset: 58, dataBytes: 256)
        let linear = WAVFile.samples(of: ulaw, info: info)
        #expect(linear == ulaw.map { CSpanDSP_ulaw_to_linear($0) })
        #expect(WAVFile.g711(of: ulaw, info: info, law: .mulaw) == ulaw)
        #expect(WAVFile.g711(of: ulaw, info: info, law: .alaw) == ulaw.map { G711.ulawToAlaw[Int($0)] })
        // PCM16 little-endian; a stereo file gives its first channel.
        let pcm: [UInt8] = [0x01, 0x80, 0xFF, 0x7F, 0x00, 0x00, 0x34, 0x12]
        let stereo = WAVInfo(format: .pcm16, sampleRate: 8000, channels: 2, dataOffset: 44, dataBytes: 8)
        #expect(WAVFile.samples(of: pcm, info: stereo) == [-32767, 32767, 0, 0x1234])
        #expect(WAVFile.g711(of: pcm, info: stereo, law: .alaw) == [CSpanDSP_linear_to_alaw(-32767), CSpanDSP_linear_to_alaw(0)])
    }

    /// A crashed writer's header claims less (or more) than the file holds:
    /// repair makes it agree with the file, cutting half a sample frame.
    @Test func repairFixesSizesFromTheFileLength() throws {
        let dir = try Sox.scratch("wav-repair")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/r.wav"
        let audio = [UInt8](repeating: 0x11, count: 8001)  // 2000 stereo PCM16 frames + 1 stray byte
        try Data(WAVFile.header(format: .pcm16, channels: 2, dataBytes: 1000) + audio).write(to: URL(fileURLWithPath: path))
        let r = try #require(try WAVFile.repair(path: path))
        #expect(r == WAVFile.RepairResult(path: path, oldDataBytes: 1000, newDataBytes: 8000))
        #expect(try Sox.info("-s", path) == "2000")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 44 + 8000)
        #expect(try WAVFile.repair(path: path) == nil)

        // µ-law: the fact chunk is brought up to date too.
        let g = "\(dir)/g.wav"
        try Data(WAVFile.header(format: .mulaw, channels: 1, dataBytes: 0) + [UInt8](repeating: 0xFF, count: 4000)).write(to: URL(fileURLWithPath: g))
        #expect(try WAVFile.repair(path: g)?.newDataBytes == 4000)
        let fixed = try #require(FileManager.default.contents(atPath: g))
        #expect(Array(fixed[0..<58]) == WAVFile.header(format: .mulaw, channels: 1, dataBytes: 4000))
    }

    /// A data size larger than the file (a writer that died before the data
    /// was on disk) should be reported as such, not read as a shorter file.
    @Test func dataLongerThanTheFileIsReported() throws {
        let dir = try Sox.scratch("wav-short")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/short.wav"
        try Data(WAVFile.header(format: .pcm16, channels: 1, dataBytes: 16000) + [UInt8](repeating: 0, count: 1000))
            .write(to: URL(fileURLWithPath: path))
        do {
            let (info, _) = try WAVFile.read(path: path)
            Issue.record("read as \(info.dataBytes) bytes without a word about the missing \(16000 - info.dataBytes)")
        } catch {
            #expect(error.reason.contains("16000") && error.reason.contains("truncated"), "\(error)")
        }
    }
}
