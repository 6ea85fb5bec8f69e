// SPDX-License-Identifier: GPL-2.0-or-later
import CALSA
import Foundation
import Logging
import Synchronization
import DialtoneSpans

/// A recording streamed live to an ALSA PCM device (a card, or any alsa-lib
/// plugin device such as `file`), S16_LE at 8 kHz, interleaved, 20 ms periods.
///
/// The media thread calls ``push(_:count:)`` once per engine tick: it copies
/// the tick into a single-producer/single-consumer ring allocated in `init`
/// and rings a doorbell (one byte down a non-blocking pipe), so it never
/// allocates, locks or waits. A writer thread started by ``start()`` wakes on
/// the doorbell and writes each tick with `snd_pcm_writei`: the stream is
/// paced by the producer, that is by the engine clock (`file` and `null`
/// devices have no clock of their own). An xrun (`-EPIPE`) or suspend
/// (`-ESTRPIPE`) is recovered with `snd_pcm_recover` and counted; any other
/// device error is logged once, marks the stream ``failed`` and stops the
/// writing, while the producer goes on unaffected.
public final class AlsaStream: @unchecked Sendable {
    public static let sampleRate = 8000
    /// Frames per period: one 20 ms engine tick.
    public static let periodFrames = frameBytes
    /// Device buffer asked for, in periods (160 ms). It bounds latency on a
    /// card, and how far behind the `file` plugin writes its file (it keeps
    /// up to one buffer in memory and writes the rest when closed).
    public static let bufferPeriods = 8
    /// Periods queued on the device before it starts (after an xrun too).
    public static let startPeriods = 2

    public let device: String
    public let channels: Int
    public let ringFrames: Int
    private let configText: String?
    private let logger: Logger

    // Ring of ticks. Each slot: Int32 sample count, then up to one period of samples.
    private let ring: FrameRing
    private let slotBytes: Int
    private let staging: UnsafeMutableRawBufferPointer  // producer-owned
    private let chunk: UnsafeMutableRawBufferPointer    // writer-owned
    private let doorbell = TickWaiter()

    private var pcm: OpaquePointer?           // set in open/close, used by the writer between start and stop
    private var writer: Thread?
    private let writerDone = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(false)

    private let written = Atomic<Int>(0)
    private let xrunCount = Atomic<Int>(0)
    private let dropCount = Atomic<Int>(0)
    private let failure = Atomic<Bool>(false)

    /// Frames (samples per channel) accepted by the device.
    public var framesWritten: Int { written.load(ordering: .relaxed) }
    /// Xruns and suspends recovered with `snd_pcm_recover`.
    public var xruns: Int { xrunCount.load(ordering: .relaxed) }
    /// Frames dropped by ``push(_:count:)`` because the ring was full. The
    /// newest tick is the one dropped: what is queued is already in order,
    /// and only the consumer may advance the ring's read position.
    public var dropped: Int { dropCount.load(ordering: .relaxed) }
    /// A device error other than an xrun stopped the stream.
    public var failed: Bool { failure.load(ordering: .relaxed) }

    /// - Parameters:
    ///   - device: an ALSA PCM name (`hw:1,0`, `plughw:Loopback,0`, or one defined by `configText`).
    ///   - configText: a private alsa-lib configuration; nil uses the system's.
    ///   - channels: 1 (mono mix) or 2 (one party per channel).
    ///   - ringFrames: ticks (20 ms periods) the ring holds between producer and writer.
    public init(device: String, configText: String? = nil, channels: Int, logger: Logger, ringFrames: Int = 50) {
        precondition(channels == 1 || channels == 2, "ALSA stream: 1 or 2 channels")
        precondition(ringFrames > 0)
        self.device = device
        self.configText = configText
        self.channels = channels
        self.ringFrames = ringFrames
        var logger = logger
        logger[metadataKey: "alsa.device"] = "\(device)"
        self.logger = logger
        slotBytes = MemoryLayout<Int32>.size + Self.periodFrames * channels * MemoryLayout<Int16>.size
        ring = FrameRing(capacity: ringFrames, frameSize: slotBytes)
        staging = .allocate(byteCount: slotBytes, alignment: 16)
        staging.initializeMemory(as: UInt8.self, repeating: 0)
        chunk = .allocate(byteCount: slotBytes, alignment: 16)
        chunk.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        stop()
        staging.deallocate()
        chunk.deallocate()
    }

    /// Opens and configures the device. Throws ``AlsaError`` naming the
    /// device with alsa-lib's text for the error.
    public func open() throws(AlsaError) {
        guard pcm == nil else { return }
        AlsaStream.routeErrors(logger)
        var handle: OpaquePointer?
        var err = CALSA_open_playback(&handle, device, configText, SND_PCM_FORMAT_S16_LE,
                                      UInt32(channels), UInt32(Self.sampleRate), snd_pcm_uframes_t(Self.periodFrames))
        guard err >= 0, let handle else { throw AlsaError(device: device, code: err) }
        err = configureBuffer(handle)
        guard err >= 0 else {
            snd_pcm_close(handle)
            throw AlsaError(device: device, code: err)
        }
        pcm = handle
        failure.store(false, ordering: .relaxed)
        logger.info("ALSA stream opened", metadata: ["alsa.channels": "\(channels)"])
    }

    /// Starts the writer thread (opens the device first if needed).
    public func start() throws(AlsaError) {
        try open()
        guard !running.load(ordering: .acquiring) else { return }
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            writeLoop()
            writerDone.signal()
        }
        thread.name = "dialtone.alsa"
        thread.stackSize = 1 << 20
        writer = thread
        thread.start()
    }

    /// Stops the writer once it has written what was queued, lets the device
    /// play out (`snd_pcm_drain`) and closes it. A `file` device's file is
    /// complete when this returns.
    public func stop() {
        if running.exchange(false, ordering: .acquiringAndReleasing) {
            doorbell.signal()
            writerDone.wait()
            writer = nil
        }
        ring.drain()  // left only if the stream failed
        guard let pcm else { return }
        if failed { snd_pcm_drop(pcm) } else { _ = snd_pcm_drain(pcm) }
        snd_pcm_close(pcm)
        self.pcm = nil
    }

    /// Producer side, once per engine tick: `count` interleaved samples
    /// (a multiple of `channels`; normally one period, 160 × channels).
    /// Never allocates, locks or blocks.
    public func push(_ samples: UnsafePointer<Int16>, count: Int) {
        precondition(count >= 0 && count % channels == 0, "ALSA stream: whole frames only")
        if failure.load(ordering: .relaxed) { return }
        let perSlot = Self.periodFrames * channels
        var offset = 0
        var pushed = false
        while offset < count {
            let n = min(perSlot, count - offset)
            staging.storeBytes(of: Int32(n), toByteOffset: 0, as: Int32.self)
            UnsafeMutableRawPointer(staging.baseAddress! + MemoryLayout<Int32>.size)
                .copyMemory(from: samples + offset, byteCount: n * MemoryLayout<Int16>.size)
            if ring.push(UnsafeRawBufferPointer(staging)) {
                pushed = true
            } else {
                dropCount.add(n / channels, ordering: .relaxed)
            }
            offset += n
        }
        if pushed { doorbell.signal() }
    }

    // MARK: Writer thread

    private func writeLoop() {
        guard let pcm else { return }
        while true {
            let stopping = !running.load(ordering: .acquiring)
            while !failed, ring.pop(into: chunk) > 0 {
                let samples = Int(chunk.load(fromByteOffset: 0, as: Int32.self))
                let data = UnsafeRawPointer(chunk.baseAddress! + MemoryLayout<Int32>.size)
                    .assumingMemoryBound(to: Int16.self)
                write(pcm, data, frames: samples / channels)
            }
            if stopping || failed { return }
            _ = doorbell.wait(timeoutMs: 100)
        }
    }

    /// Writes all `frames`, recovering from xruns; on another error marks the stream failed.
    private func write(_ pcm: OpaquePointer, _ data: UnsafePointer<Int16>, frames: Int) {
        var done = 0
        while done < frames {
            let n = snd_pcm_writei(pcm, data + done * channels, snd_pcm_uframes_t(frames - done))
            if n >= 0 {
                done += n
                written.add(n, ordering: .relaxed)
            } else if n == -Int(EAGAIN) {
                _ = snd_pcm_wait(pcm, 100)
            } else if !recover(pcm, error: Int32(n)) {
                return
            }
        }
    }

    /// Handles a negative result of `snd_pcm_writei`: `-EPIPE` (xrun),
    /// `-ESTRPIPE` (suspend) and `-EINTR` are recovered with `snd_pcm_recover`
    /// (the first two counted in ``xruns``) and return true: write again.
    /// Anything else, or a failed recovery, is logged once, marks the stream
    /// ``failed`` and returns false.
    func recover(_ pcm: OpaquePointer, error: Int32) -> Bool {
        if error == -EPIPE || error == -ESTRPIPE {
            let n = xrunCount.add(1, ordering: .relaxed).newValue
            logger.log(level: n == 1 ? .info : .debug, "ALSA xrun, recovering", metadata: [
                "alsa.xruns": "\(n)", "alsa.error": "\(String(cString: snd_strerror(error)))"])
        }
        if error == -EPIPE || error == -ESTRPIPE || error == -EINTR {
            let r = snd_pcm_recover(pcm, error, 1)
            if r >= 0 { return true }
            markFailed(r)
            return false
        }
        markFailed(error)
        return false
    }

    private func markFailed(_ error: Int32) {
        guard !failure.exchange(true, ordering: .relaxed) else { return }
        logger.error("ALSA stream stopped; the recording goes on", metadata: [
            "alsa.error": "\(String(cString: snd_strerror(error)))"])
    }

    /// Asks for a bounded buffer (the shim sets the period only; alone, a
    /// `null` slave would get a buffer of 34 million frames) and a start
    /// threshold of ``startPeriods``.
    private func configureBuffer(_ pcm: OpaquePointer) -> Int32 {
        var hw: OpaquePointer?
        var err = snd_pcm_hw_params_malloc(&hw)
        guard err >= 0, let hw else { return err }
        defer { snd_pcm_hw_params_free(hw) }
        var period = snd_pcm_uframes_t(Self.periodFrames)
        var buffer = snd_pcm_uframes_t(Self.periodFrames * Self.bufferPeriods)
        for step in [
            { snd_pcm_hw_params_any(pcm, hw) },
            { snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) },
            { snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE) },
            { snd_pcm_hw_params_set_channels(pcm, hw, UInt32(self.channels)) },
            { snd_pcm_hw_params_set_rate(pcm, hw, UInt32(Self.sampleRate), 0) },
            { snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, nil) },
            { snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer) },
            { snd_pcm_hw_params(pcm, hw) },
        ] {
            err = step()
            if err < 0 { return err }
        }
        var sw: OpaquePointer?
        err = snd_pcm_sw_params_malloc(&sw)
        guard err >= 0, let sw else { return err }
        defer { snd_pcm_sw_params_free(sw) }
        let start = snd_pcm_uframes_t(min(Int(buffer), Int(period) * Self.startPeriods))
        for step in [
            { snd_pcm_sw_params_current(pcm, sw) },
            { snd_pcm_sw_params_set_start_threshold(pcm, sw, start) },
            { snd_pcm_sw_params(pcm, sw) },
        ] {
            err = step()
            if err < 0 { return err }
        }
        return 0
    }

    private static let errorLogger = Mutex<Logger?>(nil)

    /// alsa-lib's own messages (variadic, formatted by the C shim) into the log.
    static func routeErrors(_ logger: Logger) {
        let first = errorLogger.withLock { l in
            defer { l = logger }
            return l == nil
        }
        guard first else { return }
        CALSA_set_error_handler { file, line, function, err, text in
            let message = text.map { String(cString: $0) } ?? ""
            AlsaStream.errorLogger.withLock { $0 }?.warning("alsa-lib: \(message)", metadata: ["err": "\(err)"])
        }
    }

    /// Checks a private alsa-lib configuration text for `device` without
    /// opening anything: nil when it parses and defines the device, else why not.
    public static func checkConfig(_ text: String, device: String?) -> String? {
        let err = CALSA_check_config(text, device)
        if err == 1 { return "it does not define pcm.\(device ?? "")" }
        return err < 0 ? "alsa-lib cannot parse it: \(String(cString: snd_strerror(err)))" : nil
    }

    /// Opens and closes `device` once (start-up and check-config): nil when
    /// it takes 16-bit audio at 8 kHz with `channels`, else alsa-lib's reason.
    public static func probe(device: String, configText: String?, channels: Int) -> String? {
        let stream = AlsaStream(device: device, configText: configText, channels: channels,
                                logger: Logger(label: "dialtone.alsa.probe"), ringFrames: 1)
        do { try stream.open() } catch { return "\(error)" }
        stream.stop()
        return nil
    }

    // MARK: Test support

    /// The device's state (tests).
    var state: snd_pcm_state_t? { pcm.map { snd_pcm_state($0) } }
    /// The open device (tests drive the recovery path on it).
    var handle: OpaquePointer? { pcm }
    /// Buffer and period sizes in frames that the device accepted (tests).
    var geometry: (buffer: Int, period: Int)? {
        guard let pcm else { return nil }
        var buffer: snd_pcm_uframes_t = 0, period: snd_pcm_uframes_t = 0
        guard snd_pcm_get_params(pcm, &buffer, &period) >= 0 else { return nil }
        return (Int(buffer), Int(period))
    }
}

public struct AlsaError: Error, CustomStringConvertible, Sendable {
    public var device: String
    public var code: Int32
    public var description: String { "ALSA device '\(device)': \(String(cString: snd_strerror(code)))" }
}
