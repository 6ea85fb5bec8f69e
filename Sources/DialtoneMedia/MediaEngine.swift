// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation
import Logging
import Synchronization

/// The real-time media thread: every 20 ms tick of its clock it moves the
/// frames of every bridge between two B-channels (and, on spans of
/// different laws, translates them). Commands arrive on an SPSC queue and
/// are applied at the start of a tick; the tick itself allocates nothing,
/// takes no lock and never awaits.
public final class MediaEngine: @unchecked Sendable {
    public struct Endpoint: Sendable, Equatable, Hashable {
        public var span: Int      // index into the engine's span table
        public var channel: Int   // Q.931 channel number
        public init(span: Int, channel: Int) {
            self.span = span
            self.channel = channel
        }
    }

    public enum Command: Sendable {
        /// Connects two channels both ways; the engine's `primeFrames` of idle
        /// are queued first on each side as jitter slack (like DAHDI's write buffers).
        case bridge(id: Int, Endpoint, Endpoint)
        case unbridge(id: Int)
    }

    public static let maxBridges = 1024
    /// Idle frames queued on each side when a bridge starts (jitter slack).
    public let primeFrames: Int

    private struct Bridge {
        var active = false
        var a = Endpoint(span: 0, channel: 0)
        var b = Endpoint(span: 0, channel: 0)
        var aToB: UnsafePointer<UInt8>? = nil  // law translation, nil = copy
        var bToA: UnsafePointer<UInt8>? = nil
    }

    private let spans: [any SpanDriver]
    private let clock: any FrameClock
    private let commands = SPSCQueue<Command>(capacity: 4096)
    private let bridges: UnsafeMutablePointer<Bridge>
    private let frame: UnsafeMutableRawBufferPointer
    private let tables: UnsafeMutablePointer<UInt8>  // [0..<256] µ→A, [256..<512] A→µ
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let logger: Logger

    // Statistics (relaxed atomics, read by the control plane).
    private let tickCount = Atomic<UInt64>(0)
    private let lateTicks = Atomic<UInt64>(0)
    private let framesMoved = Atomic<UInt64>(0)
    private let activeBridges = Atomic<Int>(0)

    public init(spans: [any SpanDriver], clock: any FrameClock, logger: Logger, primeFrames: Int = 3) {
        self.primeFrames = primeFrames
        self.spans = spans
        self.clock = clock
        self.logger = logger
        bridges = .allocate(capacity: MediaEngine.maxBridges)
        bridges.initialize(repeating: Bridge(), count: MediaEngine.maxBridges)
        frame = .allocate(byteCount: frameBytes, alignment: 16)
        tables = .allocate(capacity: 512)
        for i in 0..<256 {
            tables[i] = G711.ulawToAlaw[i]
            tables[256 + i] = G711.alawToUlaw[i]
        }
    }

    deinit {
        bridges.deinitialize(count: MediaEngine.maxBridges)
        bridges.deallocate()
        frame.deallocate()
        tables.deallocate()
    }

    public var ticks: UInt64 { tickCount.load(ordering: .relaxed) }
    /// Ticks where the thread woke more than one period late.
    public var missedTicks: UInt64 { lateTicks.load(ordering: .relaxed) }
    public var frames: UInt64 { framesMoved.load(ordering: .relaxed) }
    public var bridgeCount: Int { activeBridges.load(ordering: .relaxed) }

    /// Queues a command (one producer: the switch core). False when the queue is full.
    @discardableResult
    public func send(_ command: Command) -> Bool { commands.push(command) }

    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in run() }
        thread.name = "dialtone.media"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    private func run() {
        let waiter = clock.subscribe()
        defer {
            clock.unsubscribe(waiter)
            finished.signal()
        }
        while running.load(ordering: .relaxed) {
            let elapsed = waiter.wait(timeoutMs: 100)
            if elapsed == 0 { continue }
            if elapsed > 1 { lateTicks.add(elapsed - 1, ordering: .relaxed) }
            tick()
        }
    }

    /// One 20 ms tick. Public for the allocation-counting test and benchmarks.
    public func tick() {
        while let command = commands.pop() { apply(command) }
        var moved: UInt64 = 0
        for i in 0..<MediaEngine.maxBridges where bridges[i].active {
            moved &+= pump(from: bridges[i].a, to: bridges[i].b, table: bridges[i].aToB)
            moved &+= pump(from: bridges[i].b, to: bridges[i].a, table: bridges[i].bToA)
        }
        framesMoved.add(moved, ordering: .relaxed)
        tickCount.add(1, ordering: .relaxed)
    }

    @inline(__always)
    private func pump(from src: Endpoint, to dst: Endpoint, table: UnsafePointer<UInt8>?) -> UInt64 {
        let input = spans[src.span], output = spans[dst.span]
        var n: UInt64 = 0
        while true {
            let got = input.readFrame(channel: src.channel, into: frame)
            if got == 0 { break }
            if let table {
                let p = frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
                for k in 0..<got { p[k] = table[Int(p[k])] }
            }
            _ = output.writeFrame(channel: dst.channel, from: UnsafeRawBufferPointer(rebasing: frame[0..<got]))
            n += 1
        }
        return n
    }

    private func apply(_ command: Command) {
        switch command {
        case .bridge(let id, let a, let b):
            let prime = primeFrames
            guard id >= 0 && id < MediaEngine.maxBridges, !bridges[id].active else { return }
            let lawA = spans[a.span].law, lawB = spans[b.span].law
            bridges[id].a = a
            bridges[id].b = b
            bridges[id].aToB = lawA == lawB ? nil : UnsafePointer(tables + (lawA == .mulaw ? 0 : 256))
            bridges[id].bToA = lawA == lawB ? nil : UnsafePointer(tables + (lawB == .mulaw ? 0 : 256))
            spans[a.span].flush(channel: a.channel)
            spans[b.span].flush(channel: b.channel)  // stale received idle; transmit keeps the prime
            primeIdle(a, count: prime)
            primeIdle(b, count: prime)
            bridges[id].active = true
            activeBridges.add(1, ordering: .relaxed)
        case .unbridge(let id):
            guard id >= 0 && id < MediaEngine.maxBridges, bridges[id].active else { return }
            bridges[id].active = false
            activeBridges.subtract(1, ordering: .relaxed)
        }
    }

    private func primeIdle(_ e: Endpoint, count: Int) {
        let span = spans[e.span]
        frame.initializeMemory(as: UInt8.self, repeating: span.law.idleByte)
        for _ in 0..<count { _ = span.writeFrame(channel: e.channel, from: UnsafeRawBufferPointer(frame)) }
    }
}
