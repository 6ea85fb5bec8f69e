// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
import CSpanDSP
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Synchronization
import Testing

/// Call recording as the daemon uses it (``RecordingWriter``), judged by sox
/// and by the samples read back: layouts, law conversion, crash safety, a
/// failing disk, overruns, and a push path that never allocates.
@Suite(.serialized) struct RecorderTests {
    let logger = Logger(label: "recorder-test")

    /// One tick: `first` and `second` as 160 bytes each of G.711 in their laws.
    static func tick(_ n: Int, first: (f: Double, law: G711Law), second: (f: Double, law: G711Law), amplitude: Double = 8000) -> [UInt8] {
        (0..<(2 * frameBytes)).map { k in
            let leg = k < frameBytes ? first : second
            let t = Double(n * frameBytes + k % frameBytes) / 8000
            return G711.encode(Int16(amplitude * sin(2 * .pi * leg.f * t)), leg.law)
        }
    }

    /// Power of `x` at `f` Hz, normalised by length (Goertzel).
    static func goertzel(_ x: [Int16], _ f: Double) -> Double {
        let w = 2 * cos(2 * .pi * f / 8000)
        var s1 = 0.0, s2 = 0.0
        for v in x { let s = Double(v) + w * s1 - s2; s2 = s1; s1 = s }
        return (s1 * s1 + s2 * s2 - w * s1 * s2) / Double(x.count * x.count)
    }

    /// sox's zero-crossing estimate of one channel's frequency ("Rough   frequency:").
    static func roughFrequency(_ path: String, channel: Int) throws -> Int {
        let r = try Sox.run("/usr/bin/sox", [path, "-n", "remix", "\(channel)", "stat"])
        let line = try #require(r.err.split(separator: "\n").first { $0.hasPrefix("Rough   frequency:") }, "\(r.err)")
        return try #require(Int(line.split(separator: " ").last ?? ""), "\(line)")
    }

    static func pushAll(_ writer: RecordingWriter, _ slot: Int, _ ticks: [[UInt8]]) {
        for t in ticks { t.withUnsafeBytes { writer.push(slot: slot, tick: $0) } }
    }

    /// Three seconds of a µ-law call, 1004 Hz on the first leg and 2000 Hz
    /// on the second, recorded stereo PCM16: sox sees 2 channels at 8 kHz,
    /// 3.00 s, each tone on its own channel; samples are SpanDSP's decoding.
    @Test func stereoFromMulawInPCM16() async throws {
        let dir = try Sox.scratch("rec-stereo")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: logger, slots: 2, ringFrames: 250)
        writer.start()
        defer { writer.stop() }
        let path = "\(dir)/calls/stereo.wav"
        let slot = try writer.open(path: path, format: .pcm16, layout: .stereo, laws: (.mulaw, .mulaw))
        #expect(writer.activeCount == 1)
        let ticks = (0..<150).map { Self.tick($0, first: (1004, .mulaw), second: (2000, .mulaw)) }
        Self.pushAll(writer, slot, ticks)
        let result = try #require(writer.close(slot: slot))
        #expect(writer.activeCount == 0)
        #expect(result.path == path && result.frames == 150 && result.dataBytes == 150 * 160 * 4 && result.complete && result.problem == nil)

        #expect(try Sox.info("-c", path) == "2")
        #expect(try Sox.info("-r", path) == "8000")
        #expect(try Sox.info("-D", path) == "3.000000")
        #expect(try Sox.info("-e", path) == "Signed Integer PCM")
        // sox's zero-crossing estimate is biased (it says 978 and 1800 Hz for
        // its own 1004 and 2000 Hz sines), so the judge is a sox-made reference.
        try Sox.make("-n", "-r", "8000", "-c", "2", "-b", "16", "\(dir)/reference.wav", "synth", "3", "sine", "1004", "sine", "2000")
        let reference = (try Self.roughFrequency("\(dir)/reference.wav", channel: 1), try Self.roughFrequency("\(dir)/reference.wav", channel: 2))
        try #require(reference.1 - reference.0 > 500)
        let left = try Self.roughFrequency(path, channel: 1), right = try Self.roughFrequency(path, channel: 2)
        #expect(abs(left - reference.0) <= 10 && abs(right - reference.1) <= 10,
                "channel 1 \(left) Hz, channel 2 \(right) Hz; sox's own 1004/2000 Hz read \(reference.0)/\(reference.1) Hz")

        let (info, data) = try WAVFile.read(path: path)
        let expected = ticks.flatMap { t in (0..<frameBytes).flatMap { [CSpanDSP_ulaw_to_linear(t[$0]), CSpanDSP_ulaw_to_linear(t[frameBytes + $0])] } }
        #expect(WAVFile.samples(of: data, info: info) == expected, "each sample is the leg's µ-law byte decoded, interleaved L R")
    }

    /// Mono mixes the legs in linear (here one µ-law, one A-law) and
    /// saturates instead of wrapping.
    @Test func monoMixesBothLegsSaturating() async throws {
        let dir = try Sox.scratch("rec-mono")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: logger, slots: 1, ringFrames: 250)
        writer.start()
        defer { writer.stop() }
        let path = "\(dir)/mono.wav"
        let slot = try writer.open(path: path, format: .pcm16, layout: .mono, laws: (.mulaw, .alaw))
        var ticks = (0..<100).map { Self.tick($0, first: (1004, .mulaw), second: (2000, .alaw)) }
        // Both legs at full scale, positive then negative: the sum overflows Int16.
        ticks.append([UInt8](repeating: 0x80, count: 160) + [UInt8](repeating: 0xAA, count: 160))
        ticks.append([UInt8](repeating: 0x00, count: 160) + [UInt8](repeating: 0x2A, count: 160))
        Self.pushAll(writer, slot, ticks)
        let result = try #require(writer.close(slot: slot))
        #expect(result.complete && result.frames == 102 && result.dataBytes == 102 * 320)
        #expect(try Sox.info("-c", path) == "1")

        let (info, data) = try WAVFile.read(path: path)
        let samples = WAVFile.samples(of: data, info: info)
        let expected = ticks.flatMap { t in
            (0..<frameBytes).map { Int16(clamping: Int(CSpanDSP_ulaw_to_linear(t[$0])) + Int(CSpanDSP_alaw_to_linear(t[frameBytes + $0]))) }
        }
        #expect(samples == expected)
        #expect(samples[(100 * 160)..<(101 * 160)].allSatisfy { $0 == .max } && samples[(101 * 160)...].allSatisfy { $0 == .min })
        let tones = Array(samples[..<(100 * 160)])
        let a = Self.goertzel(tones, 1004), b = Self.goertzel(tones, 2000), none = Self.goertzel(tones, 1500)
        #expect(a > 1000 * none && b > 1000 * none && a / b < 2 && b / a < 2, "1004 Hz \(a), 2000 Hz \(b), 1500 Hz \(none)")
    }

    /// A µ-law recording of µ-law legs keeps the bytes as they came (every
    /// code); A-law legs are translated with SpanDSP's codec.
    @Test func mulawRecordingKeepsTheBytes() async throws {
        let dir = try Sox.scratch("rec-ulaw")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: logger, slots: 3, ringFrames: 250)
        writer.start()
        defer { writer.stop() }
        var rng = SystemRandomNumberGenerator()
        let ticks = (0..<50).map { n in (0..<320).map { k in n == 0 ? UInt8(k % 256) : UInt8.random(in: 0...255, using: &rng) } }
        let same = try writer.open(path: "\(dir)/same.wav", format: .mulaw, layout: .stereo, laws: (.mulaw, .mulaw))
        let translated = try writer.open(path: "\(dir)/alaw.wav", format: .mulaw, layout: .stereo, laws: (.alaw, .alaw))
        let mono = try writer.open(path: "\(dir)/mono.wav", format: .mulaw, layout: .mono, laws: (.mulaw, .mulaw))
        Self.pushAll(writer, same, ticks)
        Self.pushAll(writer, translated, ticks)
        let silentSecond = ticks.map { Array($0[..<160]) + [UInt8](repeating: G711Law.mulaw.idleByte, count: 160) }
        Self.pushAll(writer, mono, silentSecond)
        for slot in [same, translated, mono] { #expect(writer.close(slot: slot)?.complete == true) }

        let interleaved = ticks.flatMap { t in (0..<frameBytes).flatMap { [t[$0], t[frameBytes + $0]] } }
        let (sameInfo, sameData) = try WAVFile.read(path: "\(dir)/same.wav")
        #expect(sameInfo.format == .mulaw && sameInfo.channels == 2 && sameData == interleaved)
        #expect(try Sox.info("-e", "\(dir)/same.wav") == "u-law")
        #expect(try WAVFile.read(path: "\(dir)/alaw.wav").1 == interleaved.map { G711.alawToUlaw[Int($0)] })
        // Mixed with silence and re-encoded: the same codes, but µ-law's negative zero becomes positive zero.
        #expect(try WAVFile.read(path: "\(dir)/mono.wav").1 == ticks.flatMap { $0[..<160].map { $0 == 0x7F ? 0xFF : $0 } })
    }

    /// A daemon killed mid-call: the header on disk already covers what was
    /// written before the last header interval; what came after is found by
    /// the start-up repair, which walks the directory tree.
    @Test func aKilledRecordingIsRecoveredInFull() async throws {
        let dir = try Sox.scratch("rec-crash")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: logger, slots: 2, ringFrames: 250, headerInterval: .milliseconds(200))
        writer.start()
        defer { writer.stop() }
        let path = "\(dir)/recordings/2026-11-24/killed.wav"
        let slot = try writer.open(path: path, format: .pcm16, layout: .stereo, laws: (.alaw, .alaw))
        let ticks = (0..<130).map { Self.tick($0, first: (1004, .alaw), second: (2000, .alaw)) }
        Self.pushAll(writer, slot, Array(ticks[..<100]))  // 2 s
        try await Task.sleep(for: .milliseconds(500))  // more than two header intervals

        // A copy taken now is what SIGKILL would leave: valid, the 2 s in its header.
        let snapshot = "\(dir)/snapshot.wav"
        try FileManager.default.copyItem(atPath: path, toPath: snapshot)
        #expect(try Sox.info("-D", snapshot) == "2.000000")
        #expect(try WAVFile.repair(path: snapshot) == nil, "nothing to repair: the header was up to date")

        Self.pushAll(writer, slot, Array(ticks[100..<120]))
        writer.abandon(slot: slot)  // the fd closes, the header is not touched again
        let header = try WAVFile.inspect(path: path)
        #expect(header.dataBytes >= 100 * 640, "the header covers at least the frames before the last interval")
        // Audio written after the last header update, as a crash leaves it, and half a sample frame.
        let tail = try #require(FileHandle(forWritingAtPath: path))
        try tail.seekToEnd()
        let late = ticks[120..<130].flatMap { t in (0..<frameBytes).flatMap { k in
            [CSpanDSP_alaw_to_linear(t[k]), CSpanDSP_alaw_to_linear(t[frameBytes + k])].flatMap { v in [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
        } }
        try tail.write(contentsOf: Data(late + [0x12, 0x34, 0x56]))
        try tail.close()
        // Neighbours: a finished recording (left alone) and a file that is not a recording.
        try FileManager.default.moveItem(atPath: snapshot, toPath: "\(dir)/recordings/done.wav")
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: "\(dir)/recordings/notes.txt"))

        let repaired = RecordingWriter.repairDirectory("\(dir)/recordings", logger: logger)
        #expect(repaired.map(\.path) == [path])
        #expect(repaired.first?.oldDataBytes == header.dataBytes && repaired.first?.newDataBytes == 130 * 640)
        #expect(try Sox.info("-D", path) == "2.600000")
        #expect(try Sox.info("-c", path) == "2")
        let (info, data) = try WAVFile.read(path: path)
        let expected = ticks.flatMap { t in (0..<frameBytes).flatMap { [CSpanDSP_alaw_to_linear(t[$0]), CSpanDSP_alaw_to_linear(t[frameBytes + $0])] } }
        #expect(WAVFile.samples(of: data, info: info) == expected, "every frame kept, in order")
        #expect(RecordingWriter.repairDirectory("\(dir)/recordings", logger: logger).isEmpty)
    }

    /// `/dev/full`: the file opens, the first write fails with ENOSPC. The
    /// recording is refused with the path and the reason; a recording on
    /// another slot goes on untouched.
    @Test func devFullIsRefusedAndOthersGoOn() async throws {
        let dir = try Sox.scratch("rec-full")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: logger, slots: 2, ringFrames: 250)
        writer.start()
        defer { writer.stop() }
        let healthy = try writer.open(path: "\(dir)/ok.wav", format: .alaw, layout: .mono, laws: (.alaw, .alaw))
        let ticks = (0..<100).map { Self.tick($0, first: (1004, .alaw), second: (2000, .alaw)) }
        Self.pushAll(writer, healthy, Array(ticks[..<50]))
        do {
            let slot = try writer.open(path: "/dev/full", format: .pcm16, layout: .stereo, laws: (.alaw, .alaw))
            Issue.record("/dev/full accepted as slot \(slot)")
        } catch {
            #expect(error.path == "/dev/full")
            #expect(error.description.contains("/dev/full") && error.description.contains("No space left on device"), "\(error)")
        }
        #expect(writer.activeCount == 1, "the failed open holds no slot")
        Self.pushAll(writer, healthy, Array(ticks[50...]))
        let result = try #require(writer.close(slot: healthy))
        #expect(result.complete && result.frames == 100 && result.dataBytes == 100 * 160)
        #expect(try Sox.info("-D", "\(dir)/ok.wav") == "2.000000")
    }

    /// The disk fills mid-call (a 48 KiB tmpfs; needs root to mount): the
    /// recording keeps what fitted with a matching header, is marked
    /// incomplete with "disk full (ENOSPC) after N s", logs one error naming
    /// the file, and drops the rest quietly; the other recording is whole.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func diskFullMidCallLogsOnceAndKeepsTheFileValid() async throws {
        let dir = try Sox.scratch("rec-enospc")
        let small = "\(dir)/small"
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        let mount = try Sox.run("/bin/mount", ["-t", "tmpfs", "-o", "size=48k", "tmpfs", small])
        try #require(mount.status == 0, "\(mount.err)")
        defer {
            _ = try? Sox.run("/bin/umount", [small])
            try? FileManager.default.removeItem(atPath: dir)
        }
        let log = LogRecords()
        let writer = RecordingWriter(logger: log.logger, slots: 2, ringFrames: 250)
        writer.start()
        defer { writer.stop() }
        let doomed = "\(small)/doomed.wav"
        let full = try writer.open(path: doomed, format: .pcm16, layout: .stereo, laws: (.mulaw, .mulaw))
        let fine = try writer.open(path: "\(dir)/fine.wav", format: .pcm16, layout: .stereo, laws: (.mulaw, .mulaw))
        let ticks = (0..<150).map { Self.tick($0, first: (1004, .mulaw), second: (2000, .mulaw)) }
        for (n, t) in ticks.enumerated() {  // 3 s of stereo PCM16 = 96 KB: the disk fills after about 1.5 s
            t.withUnsafeBytes { writer.push(slot: full, tick: $0); writer.push(slot: fine, tick: $0) }
            if n % 25 == 24 { try await Task.sleep(for: .milliseconds(30)) }
        }
        let bad = try #require(writer.close(slot: full))
        let good = try #require(writer.close(slot: fine))
        #expect(good.frames == 150 && good.dataBytes == 150 * 640 && good.complete && good.problem == nil, "\(good)")

        #expect(!bad.complete, "\(bad)")
        let problem = try #require(bad.problem)
        #expect(problem.hasPrefix("disk full (ENOSPC) after "), "\(problem)")
        let seconds = try #require(Double(problem.dropFirst("disk full (ENOSPC) after ".count).dropLast(2)), "\(problem)")
        #expect(abs(seconds - Double(bad.dataBytes) / 32000) <= 0.1, "\(problem) for \(bad.dataBytes) bytes")
        #expect(bad.dataBytes > 0 && bad.dataBytes < 48 * 1024 && bad.dataBytes % 4 == 0)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: doomed)[.size] as? Int)
        #expect(try WAVFile.inspect(path: doomed).dataBytes == bad.dataBytes && size == 44 + bad.dataBytes,
                "the header matches what is on disk")
        #expect(try Sox.info("-s", doomed) == "\(bad.dataBytes / 4)")
        #expect(log.errors(about: doomed).count == 1, "one error for the recording, not one per frame")
    }

    /// The same failure without root: a child test process under a 48 KiB
    /// file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored), where a write past
    /// the limit fails with EFBIG, as the kernel does for a quota or a
    /// too-large file. The child asserts on the results; this checks that it
    /// ran and passed, and reads its files with sox.
    @Test func fileSizeLimitMidCallWithoutRoot() throws {
        try #require(ProcessInfo.processInfo.environment[Self.childKey] == nil)
        let dir = try Sox.scratch("rec-efbig")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["--testing-library", "swift-testing", "--filter", "RecorderTests/fileSizeLimitChild"]
        child.environment = ProcessInfo.processInfo.environment.merging([Self.childKey: dir]) { $1 }
        let out = Pipe()
        child.standardOutput = out
        child.standardError = out
        try child.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(child.terminationStatus == 0, "\(output)")
        #expect(output.contains("Test fileSizeLimitChild() passed"), "the child ran the test: \(output)")
        let limited = try WAVFile.inspect(path: "\(dir)/limited.wav")
        #expect(limited.dataBytes > 0 && 44 + limited.dataBytes <= 48 * 1024 + 1)
        #expect(try Sox.info("-s", "\(dir)/limited.wav") == "\(limited.frames)")
        #expect(try Sox.info("-D", "\(dir)/fine.wav") == "3.000000")
    }

    static let childKey = "DIALTONE_RECORDER_TEST_FSIZE_DIR"

    /// Runs only in the child process started above.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[RecorderTests.childKey] != nil, "runs in a child process"))
    func fileSizeLimitChild() async throws {
        let dir = try #require(ProcessInfo.processInfo.environment[Self.childKey])
        signal(SIGXFSZ, SIG_IGN)
        var limit = rlimit(rlim_cur: 48 * 1024 + 1, rlim_max: 48 * 1024 + 1)
        try #require(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0)
        let log = LogRecords()
        let writer = RecordingWriter(logger: log.logger, slots: 2, ringFrames: 250)
        writer.start()
        defer { writer.stop() }
        let limitedPath = "\(dir)/limited.wav"
        let limited = try writer.open(path: limitedPath, format: .pcm16, layout: .stereo, laws: (.alaw, .alaw))
        let fine = try writer.open(path: "\(dir)/fine.wav", format: .mulaw, layout: .mono, laws: (.alaw, .alaw))  // 24 KB in 3 s
        let ticks = (0..<150).map { Self.tick($0, first: (1004, .alaw), second: (2000, .alaw)) }
        for (n, t) in ticks.enumerated() {
            t.withUnsafeBytes { writer.push(slot: limited, tick: $0); writer.push(slot: fine, tick: $0) }
            if n % 25 == 24 { try await Task.sleep(for: .milliseconds(30)) }
        }
        let bad = try #require(writer.close(slot: limited))
        let good = try #require(writer.close(slot: fine))
        #expect(good.complete && good.frames == 150 && good.dataBytes == 150 * 160, "\(good)")
        #expect(!bad.complete && bad.problem?.contains(" after 1.5 s") == true, "\(bad)")
        // The limit is odd: the last write stops after 469 of its 640 bytes;
        // the file is cut back to the last whole stereo sample frame.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: limitedPath)[.size] as? Int)
        #expect(size == 44 + bad.dataBytes && 48 * 1024 + 1 - size < 4, "\(bad), \(size) bytes")
        #expect(bad.problem?.hasPrefix("file too large (EFBIG) after ") == true, "\(bad)")
        #expect(bad.dataBytes % 4 == 0, "the header ends on a whole stereo sample frame: \(bad.dataBytes)")
        let h = try #require(FileManager.default.contents(atPath: limitedPath)).prefix(44).map(Int.init)
        #expect(h[40] | h[41] << 8 | h[42] << 16 | h[43] << 24 == bad.dataBytes, "the data size on disk is the one reported")
        #expect(log.errors(about: limitedPath).count == 1)
    }

    /// A writer that does not keep up: the ring drops, the recording says so.
    @Test func overrunsMarkTheRecordingIncomplete() throws {
        let dir = try Sox.scratch("rec-overrun")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: logger, slots: 1, ringFrames: 10)  // not started: nothing drains
        let slot = try writer.open(path: "\(dir)/o.wav", format: .pcm16, layout: .mono, laws: (.alaw, .alaw))
        Self.pushAll(writer, slot, (0..<15).map { Self.tick($0, first: (1004, .alaw), second: (2000, .alaw)) })
        #expect(writer.pending == 10)
        let result = try #require(writer.close(slot: slot))
        #expect(result.frames == 10 && result.dataBytes == 10 * 320 && !result.complete)
        #expect(result.problem?.contains("fell behind: 5 frames dropped") == true, "\(String(describing: result.problem))")
        // The slot is reused clean.
        let again = try writer.open(path: "\(dir)/p.wav", format: .pcm16, layout: .mono, laws: (.alaw, .alaw))
        Self.pushAll(writer, again, [Self.tick(0, first: (1004, .alaw), second: (2000, .alaw))])
        #expect(writer.close(slot: again)?.complete == true)
    }

    /// The media thread's push copies into the ring and allocates nothing,
    /// while the writer thread drains and writes alongside.
    @Test func pushAllocatesNothing() async throws {
        let dir = try Sox.scratch("rec-alloc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: logger, slots: 2, ringFrames: 600)
        writer.start()
        defer { writer.stop() }
        let a = try writer.open(path: "\(dir)/a.wav", format: .pcm16, layout: .stereo, laws: (.alaw, .alaw))
        let b = try writer.open(path: "\(dir)/b.wav", format: .alaw, layout: .mono, laws: (.alaw, .mulaw))
        let tick = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * frameBytes, alignment: 16)
        defer { tick.deallocate() }
        for (k, byte) in Self.tick(0, first: (1004, .alaw), second: (2000, .mulaw)).enumerated() { tick[k] = byte }
        let frame = UnsafeRawBufferPointer(tick)
        CAllocationCounter_start()
        for n in 0..<500 { writer.push(slot: n % 2 == 0 ? a : b, tick: frame) }
        let allocations = CAllocationCounter_stop()
        #expect(allocations == 0)
        #expect(writer.close(slot: a)?.frames == 250 && writer.close(slot: b)?.frames == 250, "every push arrived")
    }

    /// `YYYYMMDD-HHMMSS_<call>_<ani>_<dnis>.wav` in UTC, safe characters only.
    @Test func fileNames() {
        let start = Date(timeIntervalSince1970: 1_795_512_615)  // 2026-11-24 09:30:15 UTC
        #expect(RecordingWriter.fileName(start: start, callID: "c7f3", ani: "+4930123", dnis: "0800 555/1") == "20261124-093015_c7f3_+4930123_0800-555-1.wav")
        #expect(RecordingWriter.fileName(start: start, callID: "a", ani: "", dnis: "1") == "20261124-093015_a_unknown_1.wav")
        #expect(RecordingWriter.fileName(start: start, callID: "../x", ani: "é1", dnis: "2") == "20261124-093015_---x_-1_2.wav")
    }
}
