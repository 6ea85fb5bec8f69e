// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Synchronization

/// A far-end B-channel driven live by a test script: it sends queued audio a
/// frame per tick (idle when the queue is empty) and records everything it
/// receives. Buffers are allocated when armed, never on the media thread.
final class LiveChannel: @unchecked Sendable {
    static let slackFrames = 10
    private let active = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private var tx = FrameRing(capacity: 2)
    private var rx = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)
    private let rxLength = Atomic<Int>(0)
    private let primed = Atomic<Bool>(false)
    /// Line echo: what was received comes back this many dB down (0 = none).
    private let echoLoss = Atomic<Int>(0)
    private let lastRx = UnsafeMutablePointer<UInt8>.allocate(capacity: frameBytes)
    private var law = G711Law.alaw
    /// Wakes the simulator's media thread when armed or stopped.
    private let bell: Doorbell
    /// The party's own tone (``LiveCall/startTone(hz:level:mix:)``): the
    /// control side publishes a request, the media thread starts it in place.
    private let tone = ToneGenerator()
    private let toneRequest = Atomic<UInt64>(0)    // generation << 32 | mix << 24 | (level + 128) << 16 | hz
    private let toneGeneration = Atomic<UInt64>(0)
    private var toneSeen: UInt64 = 0               // media thread
    private var toneMix: ToneMix? = nil            // media thread: nil = no tone
    /// The last few seconds received, in a ring (what ``LiveCall/heardTones(among:window:minimumLevel:)`` listens to).
    static let recentCapacity = 5 * 8000
    private var recent = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)  // allocated when first armed
    private let recentWritten = Atomic<Int>(0)
    private var recentAllocated = false
    /// The far end's fax terminal (``LiveCall/startFax(send:role:options:)``):
    /// 0 none, 1 handed over, 2 running (media thread), 3 finished (phase E).
    let faxState = Atomic<Int>(0)
    private(set) var fax: FaxSession?
    private let faxSamples = UnsafeMutablePointer<Int16>.allocate(capacity: frameBytes)

    init(bell: Doorbell) { self.bell = bell }

    /// Control side: runs a fax session from the next tick on (none running).
    func startFax(_ session: FaxSession) {
        precondition(faxState.load(ordering: .acquiring) == 0)
        fax = session
        faxState.store(1, ordering: .releasing)
    }

    var isActive: Bool { active.load(ordering: .acquiring) }

    /// Control side, while inactive: room for `seconds` of received audio.
    func arm(seconds: Int) {
        precondition(!isActive)
        rx.deallocate()
        rx = .allocate(capacity: seconds * 8000)
        tx = FrameRing(capacity: 3000)  // 60 s of queued audio
        rxLength.store(0, ordering: .relaxed)
        primed.store(false, ordering: .relaxed)
        stopping.store(false, ordering: .relaxed)
        clearTone()
        fax = nil
        faxState.store(0, ordering: .relaxed)
        if !recentAllocated {
            recent.deallocate()
            recent = .allocate(capacity: LiveChannel.recentCapacity)
            recentAllocated = true
        }
        recentWritten.store(0, ordering: .relaxed)
        active.store(true, ordering: .releasing)
        bell.ring()
    }

    /// Control side: queues audio (whole frames, idle-padded). False when the queue is full.
    func send(_ bytes: [UInt8], idle: UInt8) -> Bool {
        var frame = [UInt8](repeating: idle, count: frameBytes)
        var i = 0
        while i < bytes.count {
            let n = min(frameBytes, bytes.count - i)
            for k in 0..<frameBytes { frame[k] = k < n ? bytes[i + k] : idle }
            let ok = frame.withUnsafeBytes { tx.push($0) }
            if !ok { return false }
            i += n
        }
        return true
    }

    /// Control side: the audio received so far (published length, acquire).
    func received(from start: Int = 0) -> [UInt8] {
        let n = rxLength.load(ordering: .acquiring)
        guard start < n else { return [] }
        return Array(rx[start..<n])
    }

    var receivedCount: Int { rxLength.load(ordering: .acquiring) }

    func stop() {
        if isActive {
            stopping.store(true, ordering: .releasing)
            bell.ring()
        }
    }

    /// Returns what arrives `loss` dB down, as a 2-wire hybrid does (0 = off).
    func setEcho(lossDB: Int, law: G711Law) {
        self.law = law
        echoLoss.store(lossDB, ordering: .releasing)
    }

    /// Control side: from the next tick on, sends a steady sine of `hz` at
    /// `level` dBm0 instead of (`.replace`) or on top of (`.add`) the queued audio.
    func setTone(hz: Int, level: Int, mix: ToneMix) {
        precondition((1...3999).contains(hz) && (-60...3).contains(level))
        let generation = toneGeneration.add(1, ordering: .relaxed).newValue
        let mode: UInt64 = mix == .replace ? 1 : 2
        toneRequest.store(generation << 32 | mode << 24 | UInt64(level + 128) << 16 | UInt64(hz), ordering: .releasing)
    }

    /// Control side: the tone stops from the next tick on.
    func clearTone() {
        let generation = toneGeneration.add(1, ordering: .relaxed).newValue
        toneRequest.store(generation << 32, ordering: .releasing)
    }

    /// Control side: the last `count` bytes received (fewer when less has
    /// arrived; at most ``recentCapacity``), oldest first.
    func recentlyReceived(_ count: Int) -> [UInt8] {
        while true {
            let end = recentWritten.load(ordering: .acquiring)
            let n = min(count, end, LiveChannel.recentCapacity)
            var out = [UInt8](repeating: 0, count: n)
            for k in 0..<n { out[k] = recent[(end - n + k) % LiveChannel.recentCapacity] }
            // Overwritten while copying (the media thread lapped us)? Copy again.
            if recentWritten.load(ordering: .acquiring) - (end - n) <= LiveChannel.recentCapacity { return out }
        }
    }

    deinit {
        rx.deallocate()
        lastRx.deallocate()
        recent.deallocate()
        faxSamples.deallocate()
    }

    /// Media side: a new tone request is taken up (in place, no allocation).
    private func takeToneRequest() {
        let request = toneRequest.load(ordering: .acquiring)
        guard request != toneSeen else { return }
        toneSeen = request
        let mode = (request >> 24) & 0xFF
        guard mode != 0 else {
            toneMix = nil
            return
        }
        let hz = Int(request & 0xFFFF), level = Int((request >> 16) & 0xFF) - 128
        tone.start(ToneSet.Spec(f1: hz, f2: 0, level: level, cadence: (0, 0, 0, 0)))
        toneMix = mode == 1 ? .replace : .add
    }

    /// Media side, each tick.
    func tick(span: any SpanDriver, channel: Int, scratch: UnsafeMutableRawBufferPointer, prime: Int) {
        if stopping.load(ordering: .acquiring) {
            span.setInUse(channel: channel, false)
            active.store(false, ordering: .releasing)
            return
        }
        if !primed.load(ordering: .relaxed) {
            span.setInUse(channel: channel, true)
            span.flush(channel: channel)
            scratch.initializeMemory(as: UInt8.self, repeating: span.law.idleByte)
            // A scripted caller keeps 200 ms of slack queued: a test machine
            // that stalls the simulator's thread must not cut a digit in two
            // (the far end of a real line does not stall).
            for _ in 0..<max(prime, LiveChannel.slackFrames) { _ = span.writeFrame(channel: channel, from: UnsafeRawBufferPointer(scratch)) }
            primed.store(true, ordering: .relaxed)
        }
        takeToneRequest()
        var faxing = false
        switch faxState.load(ordering: .acquiring) {
        case 1:
            faxState.store(2, ordering: .releasing)
            faxing = true
        case 2: faxing = true
        default: break
        }
        if faxing, let fax {
            fax.transmit(faxSamples, count: frameBytes)
            let out = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            for k in 0..<frameBytes { out[k] = G711.encode(faxSamples[k], span.law) }
        } else if toneMix == .replace {
            tone.generate(g711: scratch, law: span.law)  // the queued audio waits
        } else {
            if tx.pop(into: scratch) == 0 {
                scratch.initializeMemory(as: UInt8.self, repeating: span.law.idleByte)
            }
            if toneMix == .add { tone.add(to: scratch, law: span.law) }
        }
        let loss = echoLoss.load(ordering: .relaxed)
        if loss > 0 {
            // The previous tick's received frame, attenuated, added to what we send.
            let gain = pow(10, -Double(loss) / 20)
            let out = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            for k in 0..<frameBytes {
                let mixed = Double(G711.linear(out[k], law)) + Double(G711.linear(lastRx[k], law)) * gain
                out[k] = G711.encode(Int16(clamping: Int(mixed.rounded())), law)
            }
        }
        _ = span.writeFrame(channel: channel, from: UnsafeRawBufferPointer(scratch))
        lastRx.initialize(repeating: span.law.idleByte, count: frameBytes)
        while true {
            let got = span.readFrame(channel: channel, into: scratch)
            if got == 0 { break }
            lastRx.update(from: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self), count: min(got, frameBytes))
            if faxing, let fax {
                for k in 0..<got { faxSamples[k] = G711.linear(scratch[k], span.law) }
                fax.receive(faxSamples, count: got)
                if fax.isFinished {
                    faxState.store(3, ordering: .releasing)
                    faxing = false
                }
            }
            let written = recentWritten.load(ordering: .relaxed)
            for k in 0..<got { recent[(written + k) % LiveChannel.recentCapacity] = scratch[k] }
            recentWritten.store(written + got, ordering: .releasing)
            let len = rxLength.load(ordering: .relaxed)
            let n = min(got, rx.count - len)
            if n > 0 {
                UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(rx)[len..<(len + n)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                rxLength.store(len + n, ordering: .releasing)
            }
        }
    }
}

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
