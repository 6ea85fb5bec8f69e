// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Testing

/// The recording writer on its own: formats, a full disk, the push path.
@Suite(.serialized) struct RecordingWriterTests {
    let logger = Logger(label: "rec")

    func tmp() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-writer-\(UUID().uuidString)").path
    }

    /// One tick: a 1004 Hz tone (party 1) and 2000 Hz (party 2), A-law.
    func tick(_ n: Int) -> [UInt8] {
        (0..<320).map { k in
            let t = Double(n * 160 + k % 160) / 8000
            let f = k < 160 ? 1004.0 : 2000.0
            return G711.encode(Int16(8000 * sin(2 * .pi * f * t)), .alaw)
        }
    }

    func goertzel(_ x: ArraySlice<Int16>, _ f: Double) -> Double {
        let w = 2 * cos(2 * .pi * f / 8000)
        var s1 = 0.0, s2 = 0.0
        for v in x { let s = Double(v) + w * s1 - s2; s2 = s1; s1 = s }
        return (s1 * s1 + s2 * s2 - w * s1 * s2) / Double(x.count * x.count)
    }

    @Test(arguments: [(WAVFormat.pcm16, RecordingLayout.stereo), (.pcm16, .mono), (.mulaw, .stereo), (.alaw, .mono)])
    func writesEveryFormat(format: WAVFormat, layout: RecordingLayout) async throws {
        let dir = tmp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: logger, slots: 2, ringFrames: 400)  // all pushed at once here
        writer.start()
        let slot = try writer.open(path: "\(dir)/a/b.wav", format: format, layout: layout, laws: (.alaw, .alaw))
        for n in 0..<150 { tick(n).withUnsafeBytes { writer.push(slot: slot, tick: $0) } }
        let result = try #require(writer.close(slot: slot))
        writer.stop()
        #expect(result.complete && result.frames == 150 && result.seconds == 3)
        let (info, data) = try WAVFile.read(path: "\(dir)/a/b.wav")
        #expect(info.format == format && info.channels == (layout == .stereo ? 2 : 1) && info.frames == 150 * 160)
        let samples = WAVFile.samples(of: data, info: info)
        if layout == .stereo {
            let left = stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
            let right = stride(from: 1, to: samples.count, by: 2).map { samples[$0] }
            #expect(goertzel(left[...], 1004) > 100 * goertzel(left[...], 2000))
            #expect(goertzel(right[...], 2000) > 100 * goertzel(right[...], 1004))
        } else {
            let a = goertzel(samples[...], 1004), b = goertzel(samples[...], 2000)
            #expect(a > 0 && b > 0 && a / b < 2 && b / a < 2, "both parties in the mix: \(a) \(b)")
        }
    }

    /// A full disk mid-recording (a 64 KiB tmpfs): the recording is marked
    /// incomplete with the reason, its file stays valid, and another
    /// recording on a healthy disk goes on. Needs root for the mount.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func fullDiskMarksTheRecordingIncomplete() async throws {
        let dir = tmp()
        try FileManager.default.createDirectory(atPath: "\(dir)/small", withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", "\(dir)/small"]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0)
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = ["\(dir)/small"]
            try? umount.run()
            umount.waitUntilExit()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let writer = RecordingWriter(logger: logger, slots: 2, ringFrames: 400)
        writer.start()
        let doomed = try writer.open(path: "\(dir)/small/full.wav", format: .pcm16, layout: .stereo, laws: (.alaw, .alaw))
        let healthy = try writer.open(path: "\(dir)/ok.wav", format: .pcm16, layout: .stereo, laws: (.alaw, .alaw))
        for n in 0..<250 {  // 5 s of stereo PCM16 = 160 KB: the tmpfs fills after ~2 s
            tick(n).withUnsafeBytes { writer.push(slot: doomed, tick: $0); writer.push(slot: healthy, tick: $0) }
            if n % 50 == 0 { try await Task.sleep(for: .milliseconds(30)) }
        }
        let bad = try #require(writer.close(slot: doomed))
        let good = try #require(writer.close(slot: healthy))
        writer.stop()
        #expect(!bad.complete && bad.problem?.contains("ENOSPC") == true, "\(bad)")
        #expect(bad.dataBytes > 0 && bad.dataBytes < 64 * 1024)
        let info = try WAVFile.inspect(path: "\(dir)/small/full.wav")
        #expect(info.dataBytes == bad.dataBytes)  // the header matches what is on disk
        #expect(good.complete && good.frames == 250, "\(good)")
    }

    /// A full file system (a real 64 KiB tmpfs, filled): the header cannot be
    /// written, the open fails with a clear error, and no empty file is left.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aRecordingThatCannotStartLeavesNoFile() throws {
        let dir = tmp()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0)
        defer { umount2(dir, 2) }
        let fd = open("\(dir)/filler", O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0, count: 4096)
        while write(fd, block, block.count) > 0 {}
        close(fd)
        let writer = RecordingWriter(logger: logger, slots: 1)
        #expect(throws: RecordingError.self) {
            _ = try writer.open(path: "\(dir)/call.wav", format: .pcm16, layout: .stereo, laws: (.alaw, .alaw))
        }
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/call.wav"))
    }

    @Test func anUncreatableFileIsAClearError() {
        let writer = RecordingWriter(logger: logger, slots: 1)
        #expect(throws: RecordingError.self) {
            _ = try writer.open(path: "/proc/dialtone/x.wav", format: .pcm16, layout: .mono, laws: (.alaw, .alaw))
        }
    }

    /// The media thread's push allocates nothing.
    @Test func pushAllocatesNothing() throws {
        let dir = tmp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: logger, slots: 1, ringFrames: 1000)
        let slot = try writer.open(path: "\(dir)/x.wav", format: .pcm16, layout: .mono, laws: (.alaw, .alaw))
        let t = UnsafeMutableRawBufferPointer.allocate(byteCount: 320, alignment: 16)
        defer { t.deallocate() }
        t.initializeMemory(as: UInt8.self, repeating: 0xD5)
        CAllocationCounter_start()
        for _ in 0..<500 { writer.push(slot: slot, tick: UnsafeRawBufferPointer(t)) }
        #expect(CAllocationCounter_stop() == 0)
        _ = writer.close(slot: slot)
    }
}
