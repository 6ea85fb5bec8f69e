// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Synchronization
import Testing

/// The cost follows the calls: an engine with no channel in use sleeps and
/// its clock stops; a command wakes both; events wake their consumer.
@Suite(.serialized) struct IdleEngineTests {
    final class Events: Sendable {
        let got = Mutex<[MediaEngine.Event]>([])
    }

    func waitUntil(_ seconds: Double = 3, _ condition: () -> Bool) -> Bool {
        for _ in 0..<Int(seconds * 100) where !condition() { usleep(10_000) }
        return condition()
    }

    @Test func idleEngineSleepsAndACommandWakesIt() throws {
        let clock = VirtualClock()
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"))
        let events = Events()
        let delivery = engine.deliverEvents { e in events.got.withLock { $0.append(e) } }
        engine.start()
        defer {
            engine.stop()
            delivery.stop()
        }
        #expect(waitUntil { clock.isParked }, "an idle engine leaves the clock running")
        let ticks = engine.ticks
        usleep(300_000)
        #expect(engine.ticks <= ticks + 1, "an idle engine ticks")

        // A tone: the channel is taken into use, the clock runs, the far end hears it.
        let ch = MediaEngine.Endpoint(span: 0, channel: 7)
        engine.send(.playTone(ch, .ringback))
        #expect(waitUntil { engine.channelsInUse == 1 && !clock.isParked })
        usleep(200_000)
        var buf = [UInt8](repeating: 0, count: frameBytes)
        var heard = 0
        while buf.withUnsafeMutableBytes({ link.b.readFrame(channel: 7, into: $0) }) > 0 {
            if buf.contains(where: { $0 != G711Law.alaw.idleByte }) { heard += 1 }
        }
        #expect(heard >= 3)
        #expect(engine.missedTicks == 0 || engine.missedTicks < 3, "resuming caught up the idle time")

        // Its end: the slack plays out, the channel is let go and everything sleeps again.
        engine.send(.stopTone(ch))
        #expect(waitUntil { engine.channelsInUse == 0 && clock.isParked })

        // A prompt-less event path: recording stop on an unknown slot does nothing;
        // a DTMF receiver turned on and off wakes it too, and events reach the consumer.
        engine.send(.detectDigits(ch, true))
        #expect(waitUntil { engine.channelsInUse == 1 })
        let sender = DTMFSender(digits: "7", level: -10, twist: 0)
        for _ in 0..<20 {
            _ = sender.frame(law: .alaw).withUnsafeBytes { link.b.writeFrame(channel: 7, from: $0) }
            usleep(20_000)
        }
        #expect(waitUntil {
            events.got.withLock { $0 }.map { e -> String in if case .digit(let at, let t) = e, at == ch { "\(t.character)" } else { "\(e)" } } == ["7"]
        })
        engine.send(.detectDigits(ch, false))
        #expect(waitUntil { engine.channelsInUse == 0 && clock.isParked })
    }
}
