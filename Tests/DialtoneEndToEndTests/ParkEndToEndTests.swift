// SPDX-License-Identifier: GPL-2.0-or-later
// A long-lived application on the call-control platform: the parking lot.
// A caller routed to it is answered and hears the hold prompt; the API
// connects the parked call to a number; a call parked too long goes to the
// lot's timeout number. Real libpri on both ends of looped virtual spans.
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneMedia
import DialtoneSwitch
import Foundation
import Logging
import Testing

extension EndToEnd {
@Suite(.serialized) struct ParkEndToEndTests {
    final class Rig: @unchecked Sendable {
        let daemon: Daemon
        let sim: LineSimulator
        let dir: String

        init(_ name: String, timeout: Int = 300) async throws {
            dir = try EndToEnd.rigDirectory("park-\(name)")
            let config = EndToEnd.loopbackConfig(dir, """
            applications:
              lobby: {type: park, timeout: \(timeout), timeout_to: "6009"}
            routes:
              - {match: "700", application: lobby}
              - {prefix: "60", to: agents}
            """)
            daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "park.\(name)")
            try daemon.start()
            sim = daemon.simulator!
            await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: true))
            #expect(await daemon.waitForLinks())
        }

        func stop() async {
            await daemon.stop(drain: .seconds(2))
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// The caller hears the hold prompt (correlation).
        func expectHold(_ call: LiveCall, sourceLocation: SourceLocation = #_sourceLocation) async {
            let library = daemon.media.prompts!
            let hold = library.linear(library.id("hold", language: "en")!, law: call.law)
            let match = await call.waitForAudio(hold, from: call.receivedSamples, minimum: 6000, timeout: .seconds(15))
            #expect(match.map { $0.correlation > 0.95 } == true, "no hold audio: \(match.map { "\($0)" } ?? "no match")",
                    sourceLocation: sourceLocation)
        }

        func state(_ id: String) async -> String? { await daemon.switchCore.call(id)?.state }
    }

    @Test func aParkedCallHearsHoldAudioUntilTheAPIConnectsIt() async throws {
        let rig = try await Rig("connect")
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550200", dnis: "700")
        await rig.expectHold(x)
        let id = try #require(await rig.daemon.switchCore.activeCalls().first?.id)
        #expect(await rig.state(id) == "alone(1)")
        #expect(await rig.daemon.switchCore.call(id)?.data["parked"] == "lobby")
        try await rig.daemon.switchCore.transfer(id, to: "6001")
        let y = try #require(await rig.sim.answeredLive(dnis: "6001"))
        await waitUntil("the parked call connected") { await rig.state(id) == "active(1,2)" }
        // Each hears the other (a tone each way, found by correlation).
        y.sendTone(hz: 1000, level: -13, ms: 3000)
        let mark = x.receivedSamples
        let tone = ToneBurst.bytes(hz: 1000, level: -13, ms: 600, law: x.law).map { G711.linear($0, x.law) }
        let heard = await x.waitForAudio(tone, from: mark, minimum: 3000, timeout: .seconds(10))
        #expect(heard.map { $0.correlation > 0.9 } == true, "the caller does not hear the party it was connected to")
        await x.hangUp()
        #expect(await y.waitForRelease(timeout: .seconds(10)) != nil || y.released)
        await rig.stop()
    }

    @Test func aCallParkedTooLongGoesToTheTimeoutNumber() async throws {
        let rig = try await Rig("timeout", timeout: 2)
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550201", dnis: "700")
        await rig.expectHold(x)
        let y = try #require(await rig.sim.answeredLive(dnis: "6009", timeout: .seconds(15)))
        let id = try #require(await rig.daemon.switchCore.activeCalls().first?.id)
        await waitUntil("the call connected to 6009") { await rig.state(id) == "active(1,2)" }
        await y.hangUp()
        #expect(await x.waitForRelease(timeout: .seconds(10)) != nil || x.released)
        await rig.stop()
    }
}
}
