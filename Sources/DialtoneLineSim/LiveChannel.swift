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

