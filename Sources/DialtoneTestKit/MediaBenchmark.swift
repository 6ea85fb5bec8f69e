// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneDaemon
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Synchronization

/// `dialtone bench`: how many channels the media engine carries in real
/// time with DTMF detection on every channel, every call bridged and
/// recorded. The spans are in-memory stand-ins for line cards (a frame per
/// channel per tick in, frames out copied away) so the figures are the
/// engine's own; the recording writer writes real files.
public enum MediaBenchmark {
    public struct Figures: Sendable {
        public var channels: Int
        public var ticks: Int
        /// Process CPU (user + system, all threads) per tick, in microseconds.
        public var cpuPerTickMicros: Double
        /// Wall time of the media thread's tick, in microseconds.
        public var tickMicros: Double
        public var nanosPerChannel: Double { cpuPerTickMicros * 1000 / Double(channels) }
        /// Channels one core could carry at 20 ms per tick.
        public var channelsPerCore: Int { Int(20_000_000 / nanosPerChannel) }
    }

    public struct RealTime: Sendable {
        public var channels: Int
        public var seconds: Double
        public var ticks: UInt64
        public var missed: UInt64
        public var cpuPercent: Double
    }

    /// Measures `ticks` engine ticks back to back over `channels` channels.
    public static func unpaced(channels: Int, ticks: Int, directory: String) throws -> Figures {
        let rig = try Rig(channels: channels, directory: directory, clock: nil)
        defer { rig.close() }
        for _ in 0..<10 { rig.step() }  // apply the commands
        let cpu0 = processCPU()
        var wall: Duration = .zero
        let clock = ContinuousClock()
        for _ in 0..<ticks {
            let t0 = clock.now
            rig.step()
            wall += clock.now - t0
        }
        rig.drainRecorder()
        let cpu = processCPU() - cpu0
        return Figures(channels: rig.channels, ticks: ticks, cpuPerTickMicros: cpu * 1e6 / Double(ticks),
                       tickMicros: Double(wall.components.attoseconds / 1_000_000_000_000 + wall.components.seconds * 1_000_000) / Double(ticks))
    }

    /// Runs the engine on its real 20 ms clock for `seconds`; counts missed ticks.
    public static func realTime(channels: Int, seconds: Double, directory: String) throws -> RealTime {
        let clock = VirtualClock()
        let rig = try Rig(channels: channels, directory: directory, clock: clock)
        defer { rig.close() }
        rig.engine.start()
        Thread.sleep(forTimeInterval: 0.5)
        let cpu0 = processCPU(), ticks0 = rig.engine.ticks, missed0 = rig.engine.missedTicks
        let start = Date()
        Thread.sleep(forTimeInterval: seconds)
        let elapsed = Date().timeIntervalSince(start)
        let result = RealTime(channels: rig.channels, seconds: elapsed, ticks: rig.engine.ticks - ticks0,
                              missed: rig.engine.missedTicks - missed0, cpuPercent: (processCPU() - cpu0) / elapsed * 100)
        rig.engine.stop()
        return result
    }

    static func processCPU() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// One second of DTMF and pauses (A-law), the audio every channel sends.
    static func audio() -> [UInt8] {
        let tx = DTMFGenerator(level: -15, twist: 2)
        tx.queue("0123456789")
        var samples = [Int16](repeating: 0, count: 8000)
        let n = samples.withUnsafeMutableBufferPointer { tx.generate(into: $0.baseAddress!, count: 8000) }
        return (0..<8000).map { G711.encode($0 < n ? samples[$0] : 0, .alaw) }
    }

    final class Rig: @unchecked Sendable {
        let spans: [BenchSpan]
        let engine: MediaEngine
        let recorder: RecordingWriter
        let channels: Int
        let counter = Atomic<UInt64>(0)
        let manual: Bool

        init(channels wanted: Int, directory: String, clock: VirtualClock?) throws {
            let sound = MediaBenchmark.audio()
            let perSpan = SpanType.e1.bearerChannels.count  // 30
            let spanCount = (wanted + perSpan - 1) / perSpan
            channels = spanCount * perSpan
            manual = clock == nil
            let ticks: @Sendable () -> UInt64
            if let clock { ticks = { clock.ticks } } else {
                let box = BenchCounter()
                ticks = { box.value }
                self.box = box
            }
            spans = (0..<spanCount).map { BenchSpan(name: "bench\($0)", audio: sound, ticks: ticks) }
            let calls = channels / 2
            recorder = RecordingWriter(logger: Logger(label: "bench"), slots: calls, ringFrames: 200)
            recorder.start()
            engine = MediaEngine(spans: spans, clock: clock ?? VirtualClock(periodNanoseconds: 3_600_000_000_000),
                                 logger: Logger(label: "bench"), recorder: recorder)
            // Pair every channel with the next: one bridged, recorded call per pair, DTMF on both.
            var endpoints: [MediaEngine.Endpoint] = []
            for s in 0..<spanCount { for ch in SpanType.e1.bearerChannels { endpoints.append(.init(span: s, channel: ch)) } }
            for c in 0..<calls {
                let a = endpoints[2 * c], b = endpoints[2 * c + 1]
                engine.send(.bridge(id: c, a, b))
                engine.send(.detectDigits(a, true))
                engine.send(.detectDigits(b, true))
                let slot = try recorder.open(path: "\(directory)/call-\(c).wav", format: .alaw, layout: .stereo, laws: (.alaw, .alaw))
                engine.send(.record(slot: slot, first: a, second: b))
                if c % 256 == 255 { for _ in 0..<1 { step() } }  // keep the command queue from filling
            }
        }

        var box: BenchCounter?

        func step() {
            box?.value &+= 1
            engine.tick()
            while engine.nextEvent() != nil {}
        }

        func drainRecorder() {
            // Let the writer catch up, so its CPU is counted.
            while recorder.pending > 0 { usleep(2000) }
        }

        func close() {
            for slot in 0..<(channels / 2) { _ = recorder.close(slot: slot) }
            recorder.stop()
        }
    }
}

final class BenchCounter: @unchecked Sendable {
    var value: UInt64 = 0
}

/// An in-memory E1 "card": each channel delivers one frame of the bench
/// audio per tick and swallows what is written (copied, as a driver would).
final class BenchSpan: SpanDriver, @unchecked Sendable {
    let name: String
    let type = SpanType.e1
    let law = G711Law.alaw
    var identity: String { "bench \(name)" }
    let dchannel: any DChannelPort = NoDChannel()
    var alarms: SpanAlarms { .none }
    private let audio: UnsafeMutableBufferPointer<UInt8>
    private let served: UnsafeMutablePointer<UInt64>
    private let sink: UnsafeMutableRawBufferPointer
    private let ticks: @Sendable () -> UInt64

    init(name: String, audio bytes: [UInt8], ticks: @escaping @Sendable () -> UInt64) {
        self.name = name
        self.ticks = ticks
        audio = .allocate(capacity: bytes.count)
        _ = audio.initialize(from: bytes)
        served = .allocate(capacity: 32)
        served.initialize(repeating: .max, count: 32)
        sink = .allocate(byteCount: 32 * frameBytes, alignment: 16)
    }

    deinit {
        audio.deallocate()
        served.deallocate()
        sink.deallocate()
    }

    func start() throws(SpanError) {}
    func stop() {}
    func flush(channel: Int) {}
    func setEventHandler(_ handler: @escaping @Sendable (SpanEvent) -> Void) {}
    func setMaintenance(_ mode: MaintenanceMode) throws(SpanError) {}

    func readFrame(channel: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let now = ticks()
        guard served[channel] != now else { return 0 }
        served[channel] = now
        let frames = audio.count / frameBytes
        let offset = Int((now &+ UInt64(channel * 7)) % UInt64(frames)) * frameBytes
        buffer.baseAddress!.copyMemory(from: audio.baseAddress! + offset, byteCount: frameBytes)
        return frameBytes
    }

    func writeFrame(channel: Int, from buffer: UnsafeRawBufferPointer) -> Int {
        (sink.baseAddress! + channel * frameBytes).copyMemory(from: buffer.baseAddress!, byteCount: min(buffer.count, frameBytes))
        return buffer.count
    }

    final class NoDChannel: DChannelPort, @unchecked Sendable {
        var pollDescriptor: Int32 { -1 }
        func readFrame(into buffer: UnsafeMutableRawBufferPointer) -> Int { 0 }
        func writeFrame(_ frame: UnsafeRawBufferPointer) -> Int { frame.count }
    }
}
