// SPDX-License-Identifier: GPL-2.0-or-later
import CALSA
import DialtoneSpans
import Foundation
import Logging
import Synchronization

/// Mono: both parties mixed; stereo: the first party left, the second right.
public enum RecordingLayout: String, Sendable, CaseIterable {
    case mono, stereo

    /// Audio channels in the file (and on an ALSA stream).
    public var channels: Int { self == .stereo ? 2 : 1 }
}

/// What became of a recording when it closed.
public struct RecordingResult: Sendable, Equatable {
    public var path: String
    /// 20 ms ticks written.
    public var frames: Int
    public var dataBytes: Int
    /// False when something was lost (disk full, I/O error, the writer fell behind).
    public var complete: Bool
    public var problem: String?
    public var seconds: Double { Double(frames) / 50 }
}

/// Writes call recordings to WAV files off the media thread. The media
/// thread hands each tick's two frames to a slot's ring (no allocation, no
/// lock); a writer thread converts and appends them, and rewrites the WAV
/// sizes every `headerInterval`, so a killed daemon leaves a file whose
/// header is at most that far behind (``WAVFile/repair(path:)`` at start-up
/// fixes the rest). A failing disk marks the recording incomplete, logs once
/// and never disturbs the call. With no recording open the writer thread
/// sleeps (``open(path:format:layout:laws:alsa:)`` wakes it); while one is
/// open it drains the rings every 10 ms.
public final class RecordingWriter: @unchecked Sendable {
    public static let tickBytes = 2 * frameBytes

    private struct Slot {
        var fd: Int32
        var path: String
        var format: WAVFormat
        var layout: RecordingLayout
        var laws: (G711Law, G711Law)
        var dataBytes = 0
        var frames = 0
        var problem: String?
        var lastHeader = ContinuousClock.now
        var alsa: AlsaStream?
    }

    public let slotCount: Int
    private let rings: [FrameRing]
    private let slots: Mutex<[Slot?]>
    private let headerInterval: Duration
    private let logger: Logger
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let g711 = G711Tables.shared
    /// Slots open; the writer thread sleeps on `bell` while it is 0.
    private let openSlots = Atomic<Int>(0)
    private let bell = Doorbell()

    public init(logger: Logger, slots: Int = 256, ringFrames: Int = 100, headerInterval: Duration = .seconds(1)) {
        self.logger = logger
        self.slotCount = slots
        self.headerInterval = headerInterval
        rings = (0..<slots).map { _ in FrameRing(capacity: ringFrames, frameSize: RecordingWriter.tickBytes) }
        self.slots = Mutex(Array(repeating: nil, count: slots))
    }


    public var activeCount: Int { slots.withLock { $0.compactMap { $0 }.count } }

    /// Ticks waiting in the rings (not yet written).
    public var pending: Int { rings.reduce(0) { $0 + $1.count } }

    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in run() }
        thread.name = "dialtone.recorder"
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        bell.ring()
        finished.wait()
    }

    /// Creates the file (and its directory) and reserves a slot. The media
    /// engine may push to the slot only after this returns.
    public func open(path: String, format: WAVFormat, layout: RecordingLayout, laws: (G711Law, G711Law),
                     alsa: AlsaStream? = nil) throws(RecordingError) -> Int {
        let dir = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw RecordingError(path: path, reason: "cannot create the directory: \(error.localizedDescription)")
        }
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw RecordingError(path: path, reason: String(cString: strerror(errno))) }
        let header = WAVFile.header(format: format, channels: layout.channels, dataBytes: 0)
        let wrote = header.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        if wrote != header.count {
            let why = wrote < 0 ? String(cString: strerror(errno)) : "short write (\(wrote) of \(header.count) bytes; disk full?)"
            RecordingWriter.removeIfRegular(fd: fd, path: path)  // a recording that cannot start leaves no file behind
            Foundation.close(fd)
            throw RecordingError(path: path, reason: "cannot write the header: \(why)")
        }
        let slot = try slots.withLock { (all: inout [Slot?]) throws(RecordingError) -> Int in
            guard let i = all.firstIndex(where: { $0 == nil }) else {
                RecordingWriter.removeIfRegular(fd: fd, path: path)
                Foundation.close(fd)
                throw RecordingError(path: path, reason: "all \(slotCount) recording slots are in use")
            }
            rings[i].drain()
            rings[i].resetOverruns()
            all[i] = Slot(fd: fd, path: path, format: format, layout: layout, laws: laws, alsa: alsa)
            openSlots.add(1, ordering: .acquiringAndReleasing)
            return i
        }
        bell.ring()
        return slot
    }

    /// Media thread: one tick of both parties (`frameBytes` each; nil = silence).
    @inline(__always)
    public func push(slot: Int, tick: UnsafeRawBufferPointer) {
        rings[slot].push(tick)
    }

    /// Writes what is left, fixes the header, syncs and frees the slot. Call
    /// once the media engine no longer pushes to it.
    public func close(slot: Int) -> RecordingResult? {
        var alsa: AlsaStream?
        defer { alsa?.stop() }  // drains the device: outside the lock
        return slots.withLock { all in
            guard var s = all[slot] else { return nil }
            drain(&s, ring: rings[slot])
            let lost = rings[slot].overrunCount
            if lost > 0 && s.problem == nil { s.problem = "the writer fell behind: \(lost) frames dropped" }
            writeHeader(&s)
            fsync(s.fd)
            Foundation.close(s.fd)
            alsa = s.alsa
            all[slot] = nil
            openSlots.subtract(1, ordering: .acquiringAndReleasing)
            return RecordingResult(path: s.path, frames: s.frames, dataBytes: s.dataBytes, complete: s.problem == nil, problem: s.problem)
        }
    }

    /// Closes without fixing the header (what a crash leaves; for tests).
    public func abandon(slot: Int) {
        slots.withLock { all in
            guard var s = all[slot] else { return }
            drain(&s, ring: rings[slot])
            Foundation.close(s.fd)
            all[slot] = nil
            openSlots.subtract(1, ordering: .acquiringAndReleasing)
        }
    }

    /// Removes the file a failed start created — only a regular file (never a
    /// device such as `/dev/full` given as the path).
    static func removeIfRegular(fd: Int32, path: String) {
        var st = stat()
        if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG { unlink(path) }
    }

    /// Repairs every `.wav` under `directory` (start-up after a crash).
    @discardableResult
    public static func repairDirectory(_ directory: String, logger: Logger) -> [WAVFile.RepairResult] {
        guard let files = FileManager.default.enumerator(atPath: directory) else { return [] }
        var repaired: [WAVFile.RepairResult] = []
        for case let file as String in files where file.hasSuffix(".wav") {
            let path = "\(directory)/\(file)"
            do {
                if let r = try WAVFile.repair(path: path) {
                    repaired.append(r)
                    logger.notice("recording repaired after an unclean stop",
                                  metadata: ["path": "\(path)", "data_bytes": "\(r.oldDataBytes) → \(r.newDataBytes)"])
                }
            } catch {
                logger.error("recording could not be repaired", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        return repaired
    }

    /// The start time in recording file names (UTC, to the second).
    private static func stampFormatter() -> DateFormatter {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return f
    }

    /// The start time and call id in a name ``fileName(start:callID:ani:dnis:)``
    /// made (nil parts when the name is not one of ours).
    public static func parseFileName(_ name: String) -> (start: Date?, callID: String?) {
        let base = name.hasSuffix(".wav") ? String(name.dropLast(4)) : name
        let parts = base.split(separator: "_", omittingEmptySubsequences: false)
        return (parts.first.flatMap { stampFormatter().date(from: String($0)) }, parts.count >= 2 ? String(parts[1]) : nil)
    }

    /// `YYYYMMDD-HHMMSS_<call>_<ani>_<dnis>.wav` (UTC).
    public static func fileName(start: Date, callID: String, ani: String, dnis: String) -> String {
        let f = stampFormatter()
        func clean(_ s: String) -> String {
            let t = String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-") ? $0 : "-" })
            return t.isEmpty ? "unknown" : t
        }
        return "\(f.string(from: start))_\(clean(callID))_\(clean(ani))_\(clean(dnis)).wav"
    }

    // MARK: Writer thread

    private func run() {
        defer { finished.signal() }
        while running.load(ordering: .relaxed) {
            slots.withLock { all in
                for i in all.indices where all[i] != nil {
                    drain(&all[i]!, ring: rings[i])
                    if ContinuousClock.now - all[i]!.lastHeader >= headerInterval { writeHeader(&all[i]!) }
                }
            }
            if openSlots.load(ordering: .acquiring) == 0 {
                bell.sleep { openSlots.load(ordering: .acquiring) > 0 || !running.load(ordering: .relaxed) }
            } else {
                usleep(10_000)
            }
        }
    }

    private func drain(_ s: inout Slot, ring: FrameRing) {
        let tick = UnsafeMutableRawBufferPointer.allocate(byteCount: RecordingWriter.tickBytes, alignment: 16)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 * frameBytes, alignment: 16)
        let pcm = UnsafeMutablePointer<Int16>.allocate(capacity: 2 * frameBytes)
        defer { tick.deallocate(); out.deallocate(); pcm.deallocate() }
        while ring.pop(into: tick) > 0 {
            let a = tick.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let b = a + frameBytes
            let stereo = s.layout == .stereo
            let samples = stereo ? 2 * frameBytes : frameBytes
            for k in 0..<frameBytes {
                let x = g711.linear(a[k], s.laws.0), y = g711.linear(b[k], s.laws.1)
                if stereo {
                    pcm[2 * k] = x
                    pcm[2 * k + 1] = y
                } else {
                    pcm[k] = Int16(clamping: Int(x) + Int(y))
                }
            }
            s.alsa?.push(pcm, count: samples)
            var bytes = 0
            let o = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            switch s.format {
            case .pcm16:
                for k in 0..<samples {
                    let v = UInt16(bitPattern: pcm[k])
                    o[2 * k] = UInt8(v & 0xFF)
                    o[2 * k + 1] = UInt8(v >> 8)
                }
                bytes = 2 * samples
            case .mulaw, .alaw:
                let law: G711Law = s.format == .mulaw ? .mulaw : .alaw
                if stereo && s.laws.0 == law && s.laws.1 == law {  // the parties' bytes, exactly
                    for k in 0..<frameBytes { o[2 * k] = a[k]; o[2 * k + 1] = b[k] }
                } else {
                    for k in 0..<samples { o[k] = g711.encode(pcm[k], law) }
                }
                bytes = samples
            }
            s.frames += 1
            guard s.problem == nil else { continue }
            // A short write is followed by one more for the rest, which fails
            // with the real reason (ENOSPC, EFBIG, EIO...).
            var done = 0, code: Int32 = 0
            while done < bytes {
                let n = Foundation.write(s.fd, out.baseAddress! + done, bytes - done)
                if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { code = n < 0 ? errno : EIO; break }
            }
            if done == bytes {
                s.dataBytes += bytes
            } else {
                let name = code == ENOSPC ? "disk full (ENOSPC)" : code == EFBIG ? "file too large (EFBIG)" : "\(String(cString: strerror(code))) (errno \(code))"
                // Keep whole sample frames only: the file ends where the header says.
                let frame = s.layout.channels * s.format.bytesPerSample
                s.dataBytes += done - done % frame
                if done % frame != 0 { _ = ftruncate(s.fd, off_t(WAVFile.headerSize(s.format) + s.dataBytes)) }
                s.problem = "\(name) after \(String(format: "%.1f", Double(s.frames) / 50)) s"
                logger.error("recording incomplete: the call goes on, the recording stops",
                             metadata: ["path": "\(s.path)", "problem": "\(s.problem!)"])
            }
        }
    }

    private func writeHeader(_ s: inout Slot) {
        let header = WAVFile.header(format: s.format, channels: s.layout.channels, dataBytes: s.dataBytes)
        _ = header.withUnsafeBytes { pwrite(s.fd, $0.baseAddress, $0.count, 0) }
        s.lastHeader = .now
    }
}

public struct RecordingError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "recording \(path): \(reason)" }
}
