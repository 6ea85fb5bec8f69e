// SPDX-License-Identifier: GPL-2.0-or-later
// Call control end to end on looped virtual spans: real libpri on both
// ends, the switch's call-control API, and simulated parties that each send
// their own tone and report which tones they hear (SpanDSP's Goertzel
// filters on the simulator side): hold and retrieve, blind transfer,
// attended transfer completed and cancelled, a 3-way conference and a drop,
// and data attached before a transfer on the event stream and in the CDR.
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneMedia
import DialtoneSignalling
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging
import Synchronization
import Testing

extension EndToEnd {
@Suite(.serialized) struct CallControlEndToEndTests {
    /// Each party's own tone (Hz): far enough apart for the probe to tell them apart when summed.
    static let x = 500, y = 900, z = 1400
    static let tones = [x, y, z]

    final class Rig: @unchecked Sendable {
        let daemon: Daemon
        let sim: LineSimulator
        let dir: String
        final class EventLog: Sendable {
            let list = Mutex<[SwitchEvent]>([])
        }
        let log = EventLog()
        private var listener: Task<Void, Never>?

        init(_ name: String) async throws {
            dir = try EndToEnd.rigDirectory("cc-\(name)")
            let config = EndToEnd.loopbackConfig(dir, """
            routes:
              - {prefix: "60", to: agents}
            """)
            daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "cc.\(name)")
            let stream = daemon.switchCore.events.subscribe()
            listener = Task { [log] in for await e in stream { log.list.withLock { $0.append(e) } } }
            try daemon.start()
            sim = daemon.simulator!
            await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: true))
            #expect(await daemon.waitForLinks())
        }

        func stop() async {
            await daemon.stop(drain: .seconds(2))
            listener?.cancel()
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// X calls 6001 and Y answers; each starts sending its tone. The call's id.
        func twoParty() async throws -> (id: String, x: LiveCall, y: LiveCall) {
            let x = try await sim.dialLiveCall(port: "pstn-far", ani: "4155550100", dnis: "6001")
            let y = try #require(await sim.answeredLive(dnis: "6001"))
            x.sendTone(hz: CallControlEndToEndTests.x, level: -13, ms: 40_000)
            y.sendTone(hz: CallControlEndToEndTests.y, level: -13, ms: 40_000)
            let id = try #require(await daemon.switchCore.activeCalls().first?.id)
            return (id, x, y)
        }

        /// The party `name` comes to hear exactly `tones` (within 8 s).
        func expectHears(_ call: LiveCall, _ tones: Set<Int>, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async {
            var last: Set<Int> = []
            let clock = ContinuousClock(), deadline = clock.now.advanced(by: .seconds(8))
            while clock.now < deadline {
                last = call.heardTones(among: CallControlEndToEndTests.tones, window: .milliseconds(400))
                if last == tones { return }
                try? await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("\(name) hears \(last.sorted()), expected \(tones.sorted())", sourceLocation: sourceLocation)
        }

        /// The party hears the hold prompt (by correlation) and none of the parties.
        func expectHearsHoldAudio(_ call: LiveCall, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async {
            let library = daemon.media.prompts!
            let hold = library.linear(library.id("hold", language: "en")!, law: call.law)
            let match = await call.waitForAudio(hold, from: call.receivedSamples, minimum: 6000, timeout: .seconds(15))
            #expect(match.map { $0.correlation > 0.95 } == true, "\(name) does not hear the hold audio: \(match.map { "\($0)" } ?? "no match")",
                    sourceLocation: sourceLocation)
            await expectHears(call, [], name, sourceLocation: sourceLocation)
        }

        func expectReleased(_ call: LiveCall, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async {
            #expect(await call.waitForRelease(timeout: .seconds(10)) != nil || call.released, "\(name) not released",
                    sourceLocation: sourceLocation)
        }

        func events(of id: String) -> [SwitchEvent] { log.list.withLock { $0.filter { $0.call == id } } }

        func cdr(_ id: String) async throws -> CDR? {
            for _ in 0..<100 {
                if let c = try daemon.store.cdrs(limit: 100).first(where: { $0.callID == id }) { return c }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }
    }

    @Test func holdAndRetrieve() async throws {
        let rig = try await Rig("hold")
        let (id, x, y) = try await rig.twoParty()
        await rig.expectHears(x, [Self.y], "X")
        await rig.expectHears(y, [Self.x], "Y")
        try await rig.daemon.switchCore.hold(id, leg: 1)
        await rig.expectHearsHoldAudio(x, "X (held)")
        await rig.expectHears(y, [], "Y (holding)")
        await #expect(throws: CallControlError.self) { try await rig.daemon.switchCore.hold(id, leg: 1) }
        try await rig.daemon.switchCore.retrieve(id)
        await rig.expectHears(x, [Self.y], "X (retrieved)")
        await rig.expectHears(y, [Self.x], "Y (retrieved)")
        await x.hangUp()
        await rig.expectReleased(y, "Y")
        let types = rig.events(of: id).map(\.type)
        #expect(types.contains(.legHeld) && types.contains(.legRetrieved) && types.last == .callEnded, "\(types)")
        await rig.stop()
    }

    @Test func blindTransfer() async throws {
        let rig = try await Rig("blind")
        let (id, x, y) = try await rig.twoParty()
        await rig.expectHears(x, [Self.y], "X")
        try await rig.daemon.switchCore.transfer(id, leg: 1, to: "6003")
        await rig.expectReleased(y, "Y (transferred away)")
        let z = try #require(await rig.sim.answeredLive(dnis: "6003"))
        z.sendTone(hz: Self.z, level: -13, ms: 40_000)
        await rig.expectHears(x, [Self.z], "X (transferred)")
        await rig.expectHears(z, [Self.x], "Z")
        await x.hangUp()
        await rig.expectReleased(z, "Z")
        #expect(rig.events(of: id).map(\.type).contains(.transferred))
        await rig.stop()
    }

    @Test func attendedTransferCompleted() async throws {
        let rig = try await Rig("attended")
        let (id, x, y) = try await rig.twoParty()
        await rig.expectHears(x, [Self.y], "X")
        try await rig.daemon.switchCore.consult(id, leg: 1, to: "6003")
        let z = try #require(await rig.sim.answeredLive(dnis: "6003"))
        z.sendTone(hz: Self.z, level: -13, ms: 40_000)
        await rig.expectHearsHoldAudio(x, "X (held during the consultation)")
        await rig.expectHears(y, [Self.z], "Y (consulting)")
        await rig.expectHears(z, [Self.y], "Z (consulted)")
        try await rig.daemon.switchCore.completeTransfer(id)
        await rig.expectReleased(y, "Y (transferred away)")
        await rig.expectHears(x, [Self.z], "X (transferred)")
        await rig.expectHears(z, [Self.x], "Z (transferred)")
        await z.hangUp()
        await rig.expectReleased(x, "X")
        await rig.stop()
    }

    @Test func attendedTransferCancelledBack() async throws {
        let rig = try await Rig("cancel")
        let (id, x, y) = try await rig.twoParty()
        try await rig.daemon.switchCore.consult(id, leg: 1, to: "6003")
        let z = try #require(await rig.sim.answeredLive(dnis: "6003"))
        z.sendTone(hz: Self.z, level: -13, ms: 40_000)
        await rig.expectHears(y, [Self.z], "Y (consulting)")
        try await rig.daemon.switchCore.cancelTransfer(id)
        await rig.expectReleased(z, "Z (cancelled)")
        await rig.expectHears(x, [Self.y], "X (back)")
        await rig.expectHears(y, [Self.x], "Y (back)")
        await y.hangUp()
        await rig.expectReleased(x, "X")
        await rig.stop()
    }

    @Test func threeWayConferenceThenOneDrops() async throws {
        let rig = try await Rig("conference")
        let (id, x, y) = try await rig.twoParty()
        let leg = try #require(try await rig.daemon.switchCore.conferenceAdd(id, number: "6003"))
        let z = try #require(await rig.sim.answeredLive(dnis: "6003"))
        z.sendTone(hz: Self.z, level: -13, ms: 40_000)
        await rig.expectHears(x, [Self.y, Self.z], "X (conference)")
        await rig.expectHears(y, [Self.x, Self.z], "Y (conference)")
        await rig.expectHears(z, [Self.x, Self.y], "Z (conference)")
        try await rig.daemon.switchCore.conferenceDrop(id, leg: leg)
        await rig.expectReleased(z, "Z (dropped)")
        await rig.expectHears(x, [Self.y], "X (after the drop)")
        await rig.expectHears(y, [Self.x], "Y (after the drop)")
        await x.hangUp()
        await rig.expectReleased(y, "Y")
        let types = rig.events(of: id).map(\.type)
        #expect(types.filter { $0 == .conferenceJoined }.count == 3 && types.contains(.conferenceLeft), "\(types)")
        await rig.stop()
    }

    @Test func dataAttachedBeforeATransferFollowsTheCall() async throws {
        let rig = try await Rig("data")
        let (id, x, _) = try await rig.twoParty()
        try await rig.daemon.switchCore.attach(id, key: "account", value: "778812")
        try await rig.daemon.switchCore.transfer(id, to: "6003")
        let z = try #require(await rig.sim.answeredLive(dnis: "6003"))
        _ = z
        // The far end's CONNECT reaches the switch a moment after the agent sent it: wait for the transfer.
        await waitUntil("the transfer") { rig.events(of: id).contains { $0.type == .transferred } }
        #expect(await rig.daemon.switchCore.call(id)?.data["account"] == "778812")
        await x.hangUp()
        let cdr = try #require(try await rig.cdr(id))
        let data = try JSONDecoder().decode([String: String].self, from: Data((cdr.variables ?? "{}").utf8))
        #expect(data["account"] == "778812")
        let types = rig.events(of: id).map(\.type)
        let attached = try #require(types.firstIndex(of: .dataAttached)), transferred = try #require(types.firstIndex(of: .transferred))
        #expect(attached < transferred)
        let seqs = rig.events(of: id).map(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count, "sequence numbers increase")
        await rig.stop()
    }
}
}
