// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Synchronization

/// Where a reference sound (a prompt) was found in what a far end received.
public struct AudioMatch: Sendable, CustomStringConvertible {
    /// Sample offset in the received audio where the reference starts.
    public var offset: Int
    /// Normalised cross-correlation over `compared` samples (1.0 = identical).
    public var correlation: Double
    public var compared: Int
    public var description: String { String(format: "at %.2f s, correlation %.4f over %.2f s", Double(offset) / 8000, correlation, Double(compared) / 8000) }
}

/// A call the simulated network placed toward Dialtone and keeps live: the
/// script listens (prompts found by correlation), sends DTMF in band
/// (SpanDSP's generator at a chosen level and twist) or as keypad IEs, and
/// hangs up or waits for Dialtone to clear.
public final class LiveCall: @unchecked Sendable {
    public let port: String
    public let ani: String
    public let channel: Int
    public let law: G711Law
    let ref: CallRef
    let dchannel: DChannel
    let audio: LiveChannel
    private let state = Mutex<(cause: Q931Cause?, released: Bool)>((nil, false))
    private var consumer: Task<Void, Never>?

    init(port: String, ani: String, channel: Int, law: G711Law, ref: CallRef, dchannel: DChannel, audio: LiveChannel,
         events: AsyncStream<SignallingEvent>) {
        self.port = port
        self.ani = ani
        self.channel = channel
        self.law = law
        self.ref = ref
        self.dchannel = dchannel
        self.audio = audio
        consumer = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                switch event {
                case .disconnected(_, let cause):
                    self.state.withLock { if $0.cause == nil { $0.cause = cause } }
                case .released(_, let cause):
                    self.state.withLock { s in
                        if s.cause == nil { s.cause = cause }
                        s.released = true
                    }
                default: break
                }
            }
        }
    }

    /// The cause Dialtone cleared with (nil while the call is up or when we cleared).
    public var cause: Q931Cause? { state.withLock { $0.cause } }
    public var released: Bool { state.withLock { $0.released } }
    /// Samples received so far.
    public var receivedSamples: Int { audio.receivedCount }

    /// Sends digits in band: SpanDSP's DTMF generator, low group at `level`
    /// dBm0 and the high group `twist` dB above it, `on`/`off` ms each.
    public func sendDTMF(_ digits: String, level: Int = -10, twist: Int = 0, onMs: Int = 60, offMs: Int = 60) {
        _ = audio.send(DTMFGenerator.g711(digits, law: law, level: level, twist: twist, onMs: onMs, offMs: offMs), idle: law.idleByte)
    }

    /// Sends a DTMF test signal (``DTMFTestSignal``: SpanDSP's tone generator,
    /// dial tone and white noise as it says) in this call's law, after
    /// whatever is already queued.
    public func sendTestTones(_ signal: DTMFTestSignal) {
        _ = audio.send(signal.g711(law: law), idle: law.idleByte)
    }

    /// Sends a steady tone (SpanDSP's tone generator) for `ms` milliseconds.
    public func sendTone(hz: Int, level: Int = -10, ms: Int) {
        _ = audio.send(ToneBurst.bytes(hz: hz, level: level, ms: ms, law: law), idle: law.idleByte)
    }

    /// Sends a continuous sine of `hz` at `level` dBm0 on the B-channel until
    /// ``stopTone()``: instead of the queued audio (`.replace`: DTMF and
    /// tones queued meanwhile wait) or on top of it (`.add`). Each party of
    /// a call-control test says its own tone; ``heardTones(among:window:minimumLevel:)``
    /// at the others tells who hears whom.
    public func startTone(hz: Int, level: Int = -13, mix: ToneMix = .replace) { audio.setTone(hz: hz, level: level, mix: mix) }

    /// Ends the tone of ``startTone(hz:level:mix:)``; the queued audio (or idle) is sent again.
    public func stopTone() { audio.clearTone() }

    /// Which of `frequencies` were heard over the last `window` of received
    /// audio (SpanDSP Goertzel filters, ``ToneProbe``): present at
    /// `minimumLevel` dBm0 or above in at least half of its 20 ms blocks.
    /// Tones summed by a conference are told apart when they are multiples
    /// of 50 Hz at least 100 Hz apart (500, 700, 1100, 1300 Hz).
    public func heardTones(among frequencies: [Int], window: Duration = .milliseconds(300), minimumLevel: Double = -32) -> Set<Int> {
        let ms = Int(window.components.seconds * 1000 + window.components.attoseconds / 1_000_000_000_000_000)
        return ToneProbe.heard(in: audio.recentlyReceived(ms * 8), law: law, among: frequencies, minimumLevel: minimumLevel)
    }

    /// Waits until exactly `expected` (out of `frequencies`) is heard over
    /// `window`; what was heard last (equal to `expected` unless it timed out).
    public func waitForTones(_ expected: Set<Int>, among frequencies: [Int], window: Duration = .milliseconds(300),
                             timeout: Duration = .seconds(5)) async -> Set<Int> {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var heard = heardTones(among: frequencies, window: window)
        while heard != expected && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(40))
            heard = heardTones(among: frequencies, window: window)
        }
        return heard
    }

    /// Makes the line return what the caller hears, `lossDB` down (a hybrid
    /// echo; 0 turns it off): the prompts come back into Dialtone's DTMF receiver.
    public func echo(lossDB: Int) { audio.setEcho(lossDB: lossDB, law: law) }

    /// Sends digits as a Q.931 keypad facility IE (INFORMATION).
    public func sendKeypad(_ digits: String) { dchannel.send(.keypad(ref, digits)) }

    /// Clears the call (normal clearing) and waits for the release.
    public func hangUp(timeout: Duration = .seconds(5)) async {
        if !released { dchannel.send(.hangup(ref, .normalClearing)) }
        _ = await waitForRelease(timeout: timeout)
        audio.stop()
    }

    /// Waits for Dialtone to clear the call; its cause, or nil on timeout.
    public func waitForRelease(timeout: Duration) async -> Q931Cause? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if released {
                audio.stop()
                return cause ?? .normalClearing
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Received audio as G.711 bytes of the call's law.
    public func received(from start: Int = 0) -> [UInt8] { audio.received(from: start) }

    /// Received audio as linear samples.
    public func receivedLinear(from start: Int = 0) -> [Int16] { audio.received(from: start).map { G711.linear($0, law) } }

    /// Waits until `reference` (linear samples, e.g. a prompt decoded in this
    /// call's law) is heard after sample `from`, and at least `minimum`
    /// samples of it (or all of it) have arrived; correlates them. A 100 ms
    /// key from the reference's first loud part finds the alignment, then
    /// the whole received stretch is correlated. Nil on timeout.
    public func waitForAudio(_ reference: [Int16], from: Int = 0, minimum: Int = 8000,
                             timeout: Duration = .seconds(15)) async -> AudioMatch? {
        guard let keyStart = reference.indices.first(where: { abs(Int(reference[$0])) > 2000 }) else { return nil }
        let keyLength = min(800, reference.count - keyStart)
        let key = reference[keyStart..<(keyStart + keyLength)].map(Double.init)
        let keyEnergy = key.reduce(0) { $0 + $1 * $1 }
        let need = min(minimum, reference.count)
        // Voiced speech repeats every pitch period: once the key correlates,
        // look one more key length on and keep the best lag.
        let window = keyLength
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var scanned = from + keyStart
        var best: (lag: Int, score: Double)?
        var aligned: Int?
        while clock.now < deadline {
            let rx = receivedLinear()
            if aligned == nil {
                rx.withUnsafeBufferPointer { r in
                    key.withUnsafeBufferPointer { k in
                        var lag = scanned
                        while lag + keyLength <= r.count {
                            if let b = best, lag > b.lag + window { break }
                            var dot = 0.0, energy = 0.0
                            for j in 0..<keyLength {
                                let x = Double(r[lag + j])
                                dot += x * k[j]
                                energy += x * x
                            }
                            let score = energy > 0 ? dot / (energy * keyEnergy).squareRoot() : 0
                            if score > 0.9, score > (best?.score ?? 0) { best = (lag, score) }
                            lag += 1
                        }
                        scanned = lag
                        if let b = best, lag > b.lag + window { aligned = b.lag - keyStart }
                    }
                }
            }
            if let offset = aligned, rx.count >= offset + need {
                let n = min(reference.count, rx.count - offset)
                var dot = 0.0, e1 = 0.0, e2 = 0.0
                for j in 0..<n {
                    let a = Double(rx[offset + j]), b = Double(reference[j])
                    dot += a * b
                    e1 += a * a
                    e2 += b * b
                }
                return AudioMatch(offset: offset, correlation: e1 > 0 && e2 > 0 ? dot / (e1 * e2).squareRoot() : 0, compared: n)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}

/// How a live call's own tone goes with the audio it sends (``LiveCall/startTone(hz:level:mix:)``).
public enum ToneMix: Sendable, Equatable {
    /// The tone alone; queued audio waits until the tone stops.
    case replace
    /// The tone added to the queued audio (or to idle).
    case add
}

/// A steady single-frequency tone from SpanDSP's generator, as G.711 bytes.
public enum ToneBurst {
    public static func bytes(hz: Int, level: Int, ms: Int, law: G711Law) -> [UInt8] {
        ToneGenerator.g711(hz: hz, level: level, ms: ms, law: law)
    }
}
