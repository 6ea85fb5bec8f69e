// SPDX-License-Identifier: GPL-2.0-or-later
import CALSA
import Foundation
import Logging
import Synchronization

/// A live copy of a recording to an ALSA PCM device (a card, or any
/// alsa-lib plugin such as `file`), 16-bit at 8 kHz. Frames arrive from the
/// recording writer as the engine produces them, so the engine clock paces
/// the stream; the device is opened non-blocking, a full device buffer drops
/// the frame (counted), and an xrun or suspend is recovered with
/// `snd_pcm_recover` (counted). A device error is logged once and the
/// recording goes on without it.
public final class AlsaTap: @unchecked Sendable {
    public let device: String
    private var pcm: OpaquePointer?
    private let logger: Logger
    private let xrunCount = Atomic<Int>(0)
    private let dropCount = Atomic<Int>(0)
    private let written = Atomic<Int>(0)
    private var failed = false

    public var xruns: Int { xrunCount.load(ordering: .relaxed) }
    public var dropped: Int { dropCount.load(ordering: .relaxed) }
    public var framesWritten: Int { written.load(ordering: .relaxed) }

    /// Opens `device` (with an optional private alsa-lib configuration text).
    public init(device: String, configText: String? = nil, channels: Int, logger: Logger) throws(AlsaError) {
        self.device = device
        self.logger = logger
        AlsaTap.routeErrors(logger)
        var handle: OpaquePointer?
        let err = CALSA_open_playback(&handle, device, configText, SND_PCM_FORMAT_S16_LE, UInt32(channels), 8000, 160)
        guard err >= 0, let handle else { throw AlsaError(device: device, code: err) }
        snd_pcm_nonblock(handle, 1)
        pcm = handle
    }

    deinit { close() }

    /// Writes one tick of interleaved samples (recording writer thread).
    public func write(_ samples: UnsafePointer<Int16>, frames: Int, channels: Int) {
        guard let pcm, !failed else { return }
        var n = snd_pcm_writei(pcm, samples, snd_pcm_uframes_t(frames))
        if n == -Int(EPIPE) || n == -Int(ESTRPIPE) {
            xrunCount.add(1, ordering: .relaxed)
            if snd_pcm_recover(pcm, Int32(n), 1) == 0 { n = snd_pcm_writei(pcm, samples, snd_pcm_uframes_t(frames)) }
        }
        if n == -Int(EAGAIN) {
            dropCount.add(1, ordering: .relaxed)
        } else if n < 0 {
            failed = true
            logger.error("ALSA stream stopped; the recording goes on", metadata: [
                "device": "\(device)", "error": "\(String(cString: snd_strerror(Int32(n))))"])
        } else {
            written.add(Int(n), ordering: .relaxed)
        }
    }

    public func close() {
        guard let pcm else { return }
        snd_pcm_drain(pcm)
        snd_pcm_close(pcm)
        self.pcm = nil
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
            AlsaTap.errorLogger.withLock { $0 }?.warning("alsa-lib: \(message)", metadata: ["err": "\(err)"])
        }
    }
}

public struct AlsaError: Error, CustomStringConvertible, Sendable {
    public var device: String
    public var code: Int32
    public var description: String { "ALSA device '\(device)': \(String(cString: snd_strerror(code)))" }
}
