// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation
import Glibc

/// A B-channel pattern loop test, like DAHDI's `patlooptest`: transmit a
/// pseudo-random pattern on one channel for a duration and compare what
/// arrives on the receiving channel bit for bit, counting bit errors and
/// slips (the stream losing or gaining frames).
public struct PatternLoopTest: Sendable {
    public struct Report: Sendable, CustomStringConvertible {
        public var from: String
        public var to: String
        public var seconds: Double
        public var bytesCompared: Int
        public var bitErrors: Int
        public var slips: Int
        public var synced: Bool
        public var description: String {
            synced ? String(format: "%@ -> %@: %.1f s, %d bytes compared, %d bit errors, %d slips", from, to, seconds,
                            bytesCompared, bitErrors, slips)
                : "\(from) -> \(to): pattern never seen (\(String(format: "%.1f", seconds)) s)"
        }
        public var passed: Bool { synced && bitErrors == 0 && slips == 0 && bytesCompared > 0 }
    }

    public var tx: (span: any SpanDriver, channel: Int)
    public var rx: (span: any SpanDriver, channel: Int)
    public var seconds: Double
    public var clock: any FrameClock
    public var prime: Int

    public init(tx: (any SpanDriver, Int), rx: (any SpanDriver, Int), seconds: Double, clock: any FrameClock, prime: Int = 10) {
        self.tx = (tx.0, tx.1)
        self.rx = (rx.0, rx.1)
        self.seconds = seconds
        self.clock = clock
        self.prime = prime
    }

    /// Runs on the calling thread (blocking) for `seconds` plus a latency margin.
    public func run() -> Report {
        let frames = max(1, Int(seconds * 50))
        let pattern = TestPattern.bytes(seed: 0x5EED_1234, count: frames * frameBytes)
        var received = [UInt8](repeating: 0, count: (frames + prime + 100) * frameBytes)
        var rxLen = 0
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        let idle = [UInt8](repeating: tx.span.law.idleByte, count: frameBytes)
        tx.span.setInUse(channel: tx.channel, true)
        rx.span.setInUse(channel: rx.channel, true)
        defer {
            tx.span.setInUse(channel: tx.channel, false)
            rx.span.setInUse(channel: rx.channel, false)
        }
        rx.span.flush(channel: rx.channel)
        for _ in 0..<prime { _ = idle.withUnsafeBytes { tx.span.writeFrame(channel: tx.channel, from: $0) } }
        var sent = 0
        var ticks = 0
        let maxTicks = frames + prime + 100
        let start = Date()
        received.withUnsafeMutableBytes { out in
            while ticks < maxTicks {
                if waiter.wait(timeoutMs: 200) == 0 { ticks += 10; continue }
                ticks += 1
                if sent < pattern.count {
                    pattern.withUnsafeBytes { all in
                        _ = tx.span.writeFrame(channel: tx.channel, from: UnsafeRawBufferPointer(rebasing: all[sent..<(sent + frameBytes)]))
                    }
                    sent += frameBytes
                } else {
                    _ = idle.withUnsafeBytes { tx.span.writeFrame(channel: tx.channel, from: $0) }
                }
                while rxLen + frameBytes <= out.count {
                    let n = rx.span.readFrame(channel: rx.channel, into: UnsafeMutableRawBufferPointer(rebasing: out[rxLen..<(rxLen + frameBytes)]))
                    if n == 0 { break }
                    rxLen += n
                }
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        let stream = Array(received[0..<rxLen])
        return Self.compare(pattern: pattern, stream: stream, from: "\(tx.span.name)/\(tx.channel)",
                            to: "\(rx.span.name)/\(rx.channel)", seconds: elapsed)
    }

    /// Aligns `stream` to `pattern`, then counts bit errors; when a frame
    /// goes bad it re-aligns within ±2 frames and counts a slip.
    static func compare(pattern: [UInt8], stream: [UInt8], from: String, to: String, seconds: Double) -> Report {
        var report = Report(from: from, to: to, seconds: seconds, bytesCompared: 0, bitErrors: 0, slips: 0, synced: false)
        func find(_ p: Int, near s: Int, window: Int) -> Int? {
            let key = 16
            guard p + key <= pattern.count else { return nil }
            let lo = max(0, s - window), hi = min(stream.count - key, s + window)
            guard lo <= hi else { return nil }
            for i in lo...hi where stream[i] == pattern[p] {
                if (0..<key).allSatisfy({ stream[i + $0] == pattern[p + $0] }) { return i }
            }
            return nil
        }
        guard var s = find(0, near: 0, window: stream.count) else { return report }
        report.synced = true
        var p = 0
        while p < pattern.count && s < stream.count {
            let n = min(frameBytes, pattern.count - p, stream.count - s)
            var bad = 0
            for k in 0..<n where stream[s + k] != pattern[p + k] { bad += 1 }
            if bad > n / 4, let again = find(p, near: s, window: 2 * frameBytes), again != s {
                report.slips += 1
                s = again
                continue
            }
            for k in 0..<n { report.bitErrors += (stream[s + k] ^ pattern[p + k]).nonzeroBitCount }
            report.bytesCompared += n
            p += n
            s += n
        }
        return report
    }
}

/// Clock accuracy, like DAHDI's `dahdi_test`: how closely 8000-sample
/// blocks arrive at 1 s intervals of the host clock.
public struct TimingTest: Sendable {
    public struct Report: Sendable, CustomStringConvertible {
        public var passes: [Double]  // accuracy per pass, percent
        public var worst: Double { passes.min() ?? 0 }
        public var average: Double { passes.isEmpty ? 0 : passes.reduce(0, +) / Double(passes.count) }
        public var description: String {
            passes.enumerated().map { String(format: "pass %d: %.3f%%", $0.offset + 1, $0.element) }.joined(separator: "\n")
                + String(format: "\n%d passes: average %.3f%%, worst %.3f%%", passes.count, average, worst)
        }
    }

    public var span: any SpanDriver
    public var channel: Int
    public var passes: Int
    public var clock: any FrameClock

    public init(span: any SpanDriver, channel: Int, passes: Int, clock: any FrameClock) {
        self.span = span
        self.channel = channel
        self.passes = passes
        self.clock = clock
    }

    /// Reads frames from the channel; each 8000 bytes should take exactly 1 s.
    public func run() -> Report {
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        var buffer = [UInt8](repeating: 0, count: frameBytes)
        var results: [Double] = []
        span.setInUse(channel: channel, true)
        defer { span.setInUse(channel: channel, false) }
        span.flush(channel: channel)
        var bytes = 0
        var start = timespec()
        var started = false
        var idleTicks = 0
        // On DAHDI, time frames by their arrival from the driver; elsewhere by the clock.
        let dahdi = span as? DAHDISpan
        while results.count < passes && idleTicks < 500 {
            if let dahdi {
                if !dahdi.waitReadable(channel: channel, timeoutMs: 200) { idleTicks += 10; continue }
            } else if waiter.wait(timeoutMs: 200) == 0 {
                idleTicks += 10
                continue
            }
            while true {
                let n = buffer.withUnsafeMutableBytes { span.readFrame(channel: channel, into: $0) }
                if n == 0 { break }
                if !started {
                    clock_gettime(CLOCK_MONOTONIC, &start)
                    started = true
                    continue
                }
                bytes += n
                if bytes >= 8000 {
                    var now = timespec()
                    clock_gettime(CLOCK_MONOTONIC, &now)
                    let elapsed = Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
                    let expected = Double(bytes) / 8000
                    results.append(100 - abs(elapsed - expected) / expected * 100)
                    bytes = 0
                    start = now
                }
            }
        }
        return Report(passes: results)
    }
}
