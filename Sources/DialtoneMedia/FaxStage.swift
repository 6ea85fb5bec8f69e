// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// Receive stage 3 and transmit source: SpanDSP's T.30 fax terminal
/// (a ``FaxSession`` made off the media thread and handed over by command).
/// While active it hears every received frame and sends its modem's audio
/// instead of any player; each frame's news (negotiated, a page, phase E)
/// becomes an event; at phase E the session is handed back for release.
struct FaxStage: MediaStage {
    private(set) var session: FaxSession?
    private var negotiations: UInt32 = 0
    private var pages: Int32 = 0

    var isActive: Bool { session != nil }

    mutating func start(_ s: FaxSession) {
        session = s
        negotiations = 0
        pages = 0
    }

    /// Hands the session back (stopped early: no phase E yet).
    mutating func stop<Sink: MediaEventSink>(_ endpoint: MediaEngine.Endpoint, _ sink: Sink) {
        guard let s = session else { return }
        sink.emit(.faxFinished(endpoint, s))  // the event holds it: nothing is freed here
        session = nil
    }

    /// One frame of modem audio in `law`.
    @inline(__always)
    func fill(_ out: UnsafeMutablePointer<UInt8>, law: G711Law, scratch: UnsafeMutablePointer<Int16>, tables: G711Tables) {
        guard let s = session else { return }
        s.transmit(scratch, count: frameBytes)
        tables.encode(scratch, count: frameBytes, law, into: out)
    }

    /// Feeds a received frame; reports what the handlers recorded.
    @inline(__always)
    mutating func receive<Sink: MediaEventSink>(_ samples: UnsafeMutablePointer<Int16>, count: Int,
                                                 _ endpoint: MediaEngine.Endpoint, _ sink: Sink) {
        guard let s = session else { return }
        s.receive(samples, count: count)
        let p = s.progress.pointee
        if p.negotiations != negotiations {
            negotiations = p.negotiations
            sink.emit(.faxNegotiated(endpoint, rate: Int(p.rate), ecm: p.ecm))
        }
        if p.pages != pages {
            pages = p.pages
            sink.emit(.faxPage(endpoint, pages: Int(p.pages)))
        }
        if p.finished { stop(endpoint, sink) }
    }
}

/// Receive stage 1b: fax calling and answer tones (SpanDSP's modem connect
/// tones receivers, ITU-T T.30: CNG 1100 Hz, CED 2100 Hz or V.21 preamble),
/// on beside the DTMF detector. Each tone heard becomes one event.
struct FaxToneDetector: MediaStage {
    private let cng: OpaquePointer   // modem_connect_tones_rx_state_t
    private let ced: OpaquePointer
    /// Where the receivers' callbacks write the tone they heard (0: none yet).
    private let heard: UnsafeMutablePointer<Int32>
    private(set) var isActive = false
    private var reported: Int32 = 0

    init() {
        heard = .allocate(capacity: 2)
        heard.initialize(repeating: 0, count: 2)
        cng = modem_connect_tones_rx_init(nil, Int32(MODEM_CONNECT_TONES_FAX_CNG), nil, nil)
        ced = modem_connect_tones_rx_init(nil, Int32(MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE), nil, nil)
    }

    /// Frees SpanDSP's state (with the engine).
    func deallocate() {
        _ = modem_connect_tones_rx_free(cng)
        _ = modem_connect_tones_rx_free(ced)
        heard.deallocate()
    }

    /// On: the receivers start afresh (in place, no allocation).
    mutating func start() {
        guard !isActive else { return }
        heard[0] = 0
        heard[1] = 0
        reported = 0
        let report: tone_report_func_t = { user, code, _, _ in
            guard code != Int32(MODEM_CONNECT_TONES_NONE), let slot = user?.assumingMemoryBound(to: Int32.self) else { return }
            slot.pointee = code
        }
        _ = modem_connect_tones_rx_init(cng, Int32(MODEM_CONNECT_TONES_FAX_CNG), report, UnsafeMutableRawPointer(heard))
        _ = modem_connect_tones_rx_init(ced, Int32(MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE), report, UnsafeMutableRawPointer(heard + 1))
        isActive = true
    }

    mutating func stop() { isActive = false }

    /// Runs a received frame through both receivers; reports a tone once.
    @inline(__always)
    mutating func receive<Sink: MediaEventSink>(_ samples: UnsafePointer<Int16>, count: Int,
                                                 _ endpoint: MediaEngine.Endpoint, _ sink: Sink) {
        _ = modem_connect_tones_rx(cng, samples, Int32(count))
        _ = modem_connect_tones_rx(ced, samples, Int32(count))
        if heard[0] != 0 && reported & 1 == 0 {
            reported |= 1
            sink.emit(.faxTone(endpoint, .cng))
        }
        if heard[1] != 0 && reported & 2 == 0 {
            reported |= 2
            sink.emit(.faxTone(endpoint, .ced))
        }
    }
}

/// A fax tone heard on a channel.
public enum FaxTone: String, Sendable, Equatable {
    /// The calling tone (1100 Hz, 0.5 s every 3 s): a fax machine calling.
    case cng
    /// The answer tone (2100 Hz) or V.21 preamble: a fax machine answering.
    case ced
}
