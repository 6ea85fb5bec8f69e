// SPDX-License-Identifier: GPL-2.0-or-later
// The ACD on the call-control platform, end to end: simulated callers on
// the PSTN span, simulated agent stations on the agents span, real libpri
// on both ends of looped virtual spans, real SpanDSP, a real SQLite file.
import DialtoneACD
import DialtoneApps
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneMedia
import DialtoneSpans
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging
import Testing

extension EndToEnd {
@Suite(.serialized) struct ACDEndToEndTests {
    final class Rig: @unchecked Sendable {
        var daemon: Daemon
        var sim: LineSimulator
        let dir: String
        var acd: ACDApplication { daemon.acd! }

        /// `queue`: the sales queue's settings (a YAML flow mapping body); `agents`: the agents section's entries.
        init(_ name: String, queue: String = "", agents: String, liveAgents: Bool = true) async throws {
            dir = try EndToEnd.rigDirectory("acd-\(name)")
            let config = EndToEnd.loopbackConfig(dir, """
            recording:
              directory: \(dir)/recordings
            applications:
              sales: {type: queue\(queue.isEmpty ? "" : ", " + queue)}
              agent-login: {type: agent-line}
            agents:
            \(agents)
            routes:
              - {match: "800", application: sales}
              - {match: "5000", application: agent-login}
              - {prefix: "60", to: agents}
              - {prefix: "4", to: pstn}
            """)
            daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "acd.\(name)")
            try daemon.start()
            sim = daemon.simulator!
            await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: liveAgents))
            #expect(await daemon.waitForLinks())
        }

        func stop() async {
            await daemon.stop(drain: .seconds(2))
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// Stops the daemon and starts a new one on the same config and database.
        func restart() async throws {
            await daemon.stop(drain: .seconds(2))
            daemon = try Daemon(config: try ConfigLoader.load(path: "\(dir)/dialtone.yaml"), logger: EndToEnd.rigLogger("acd.restarted"))
            try daemon.start()
            sim = daemon.simulator!
            await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: true))
            #expect(await daemon.waitForLinks())
        }

        func prompt(_ name: String, law: G711Law) -> [Int16] {
            let library = daemon.media.prompts!
            return library.linear(library.id(name, language: "en")!, law: law)
        }

        /// The call hears the prompt (correlation).
        func expectPrompt(_ name: String, on call: LiveCall, from mark: Int? = nil, timeout: Duration = .seconds(15),
                          sourceLocation: SourceLocation = #_sourceLocation) async {
            let match = await call.waitForAudio(prompt(name, law: call.law), from: mark ?? 0, minimum: 4000, timeout: timeout)
            #expect(match.map { $0.correlation > 0.9 } == true, "'\(name)' not heard: \(match.map { "\($0)" } ?? "no match")",
                    sourceLocation: sourceLocation)
        }

        /// Each of two connected parties hears the other's tone.
        func expectTalking(_ a: LiveCall, _ b: LiveCall, sourceLocation: SourceLocation = #_sourceLocation) async {
            a.startTone(hz: 500)
            b.startTone(hz: 1400)
            let ab = await b.waitForTones([500], among: [500, 1400], timeout: .seconds(10))
            let ba = await a.waitForTones([1400], among: [500, 1400], timeout: .seconds(10))
            #expect(ab == [500] && ba == [1400], "the caller and the agent do not hear each other", sourceLocation: sourceLocation)
            a.stopTone()
            b.stopTone()
        }

        func events(_ kind: QueueEvent.Kind? = nil) throws -> [QueueEvent] {
            try daemon.store.queueEvents().filter { kind == nil || $0.kind == kind }
        }

        func agentState(_ id: String) async -> AgentState? { await acd.agentStatus(id)?.state }
    }

    @Test func aCallerIsConnectedToAFreeAgentAndTheQueueLogSaysSo() async throws {
        let rig = try await Rig("connect", agents: """
          "1001": {name: Alice, station: "6001", skills: {sales: 10}, logged_in: true}
        """)
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550100", dnis: "800")
        let y = try #require(await rig.sim.answeredLive(dnis: "6001"))
        await rig.expectTalking(x, y)
        let id = try #require(await rig.daemon.switchCore.activeCalls().first?.id)
        #expect(await rig.daemon.switchCore.call(id)?.data["queue.agent"] == "1001")
        await x.hangUp()
        #expect(await y.waitForRelease(timeout: .seconds(10)) != nil || y.released)
        await waitUntil("the agent in wrap-up or ready") {
            switch await rig.agentState("1001") { case .wrapUp?, .ready?: true; default: false }
        }
        await waitUntil("the queue log written") { (try? rig.events(.completeCaller).count) == 1 }
        let kinds = try rig.events().filter { $0.callID == id }.map(\.kind)
        #expect(kinds == [.enterQueue, .connect, .completeCaller], "\(kinds)")
        await rig.stop()
    }

    @Test func anAgentOnAPersistentLineTakesThreeCallsInARow() async throws {
        let rig = try await Rig("line", queue: "wrap_up: 0", agents: """
          "1002": {name: Bob, station: line, pin: "4321", skills: {sales: 10}}
        """)
        let agent = try await rig.sim.dialLiveCall(port: "agents-far", ani: "6002", dnis: "5000")
        await rig.expectPrompt("agent-login", on: agent)
        agent.sendDTMF("1002#")
        await rig.expectPrompt("agent-pin", on: agent)
        agent.sendDTMF("4321#")
        await waitUntil("the agent logged in on the line") { await rig.agentState("1002") == .ready }
        for n in 0..<3 {
            let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "415555011\(n)", dnis: "800")
            await waitUntil("caller \(n) linked to the agent line") { await rig.agentState("1002").map { if case .busy = $0 { true } else { false } } ?? false }
            await rig.expectTalking(x, agent)
            await x.hangUp()
            await waitUntil("the agent free again after caller \(n)") { await rig.agentState("1002") == .ready }
        }
        #expect(!agent.released, "the agent's line stays up between calls")
        #expect(try rig.events(.connect).count == 3)
        // The agent ends a call with # (the caller is cleared; the line stays).
        let x4 = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550114", dnis: "800")
        await waitUntil("caller 4 linked") { await rig.agentState("1002").map { if case .busy = $0 { true } else { false } } ?? false }
        agent.sendDTMF("#")
        #expect(await x4.waitForRelease(timeout: .seconds(10)) != nil || x4.released, "# on the line clears the caller")
        await waitUntil("the agent free again after #") { await rig.agentState("1002") == .ready }
        #expect(try rig.events(.completeAgent).count == 1)
        // The line drops mid-call: the caller is cleared too, and the agent logged out.
        let x5 = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550115", dnis: "800")
        await waitUntil("caller 5 linked") { await rig.agentState("1002").map { if case .busy = $0 { true } else { false } } ?? false }
        await agent.hangUp()
        #expect(await x5.waitForRelease(timeout: .seconds(10)) != nil || x5.released, "a vanished agent's caller is cleared, not left alone")
        await waitUntil("the agent logged out with the line") { await rig.agentState("1002") == .loggedOut }
        await waitUntil("the call's end logged") { (try? rig.events(.completeAgent).count) == 2 }
        await rig.stop()
    }

    @Test func aWaitingCallerHearsTheQueueAndTheirPosition() async throws {
        let rig = try await Rig("announce", queue: "announce_every: 10, announce_wait: false", agents: """
          "1001": {station: "6001", skills: {sales: 10}}
        """)
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550120", dnis: "800")
        await rig.expectPrompt("queue-busy", on: x)
        let mark = x.receivedSamples
        await rig.expectPrompt("queue-position", on: x, from: mark, timeout: .seconds(25))
        await rig.expectPrompt("n-1", on: x, from: mark, timeout: .seconds(10))
        await x.hangUp()
        await waitUntil("the abandon logged") { (try? rig.events(.abandon).count) == 1 }
        await rig.stop()
    }
    @Test func aGradeACustomerQueuedBehindTenOthersIsAnsweredFirst() async throws {
        let rig = try await Rig("grade", queue: "grade_priority: {A: 10}, announce_every: 0", agents: """
          "1001": {station: "6001", skills: {sales: 10}}
        """)
        try rig.daemon.store.upsert(Customer(number: "4155550199", name: "Acme Corp", grade: "A"))
        var callers: [LiveCall] = []
        for n in 0..<10 {
            callers.append(try await rig.sim.dialLiveCall(port: "pstn-far", ani: "41555501\(String(format: "%02d", n))", dnis: "800"))
        }
        let vip = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550199", dnis: "800")
        await waitUntil("eleven callers waiting") { await rig.acd.queueStatus("sales")?.callsWaiting == 11 }
        _ = try await rig.acd.command(agent: "1001", .login(station: nil))
        let y = try #require(await rig.sim.answeredLive(dnis: "6001"))
        await rig.expectTalking(vip, y)
        let first = try #require(try rig.events(.connect).first)
        let vipID = try #require(try rig.events(.enterQueue).last?.callID)
        #expect(first.callID == vipID, "the grade-A customer is answered first")
        let data = await rig.daemon.switchCore.call(vipID)?.data
        #expect(data?["customer.name"] == "Acme Corp" && data?["customer.grade"] == "A")
        for c in callers + [vip] { await c.hangUp() }
        await rig.stop()
    }

    @Test func aSkillsQueueSendsTheCallToTheBestSkilledFreeAgent() async throws {
        let rig = try await Rig("skills", queue: "strategy: skills-weighted", agents: """
          "1001": {station: "6001", skills: {sales: 20}, logged_in: true}
          "1002": {station: "6002", skills: {sales: 90}, logged_in: true}
          "1003": {station: "6003", skills: {sales: 50}, logged_in: true}
        """)
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550130", dnis: "800")
        let y = try #require(await rig.sim.answeredLive(dnis: "6002"))
        await rig.expectTalking(x, y)
        let x2 = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550131", dnis: "800")
        let y2 = try #require(await rig.sim.answeredLive(dnis: "6003"), "the next best, while the best is busy")
        await rig.expectTalking(x2, y2)
        await x.hangUp()
        await x2.hangUp()
        await rig.stop()
    }

    @Test func aCallerWaitingTooLongOverflowsToANumber() async throws {
        let rig = try await Rig("overflow", queue: "max_wait: 3, overflow: number 6009", agents: """
          "1001": {station: "6001", skills: {sales: 10}, logged_in: true}
        """)
        _ = try await rig.acd.command(agent: "1001", .pause(reason: "lunch"))  // logged in, so the queue is not empty
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550140", dnis: "800")
        let y = try #require(await rig.sim.answeredLive(dnis: "6009", timeout: .seconds(15)))
        await rig.expectTalking(x, y)
        let kinds = try rig.events().map(\.kind)
        #expect(kinds.contains(.exitWithTimeout) && kinds.contains(.overflow), "\(kinds)")
        await x.hangUp()
        await rig.stop()
    }

    @Test func aCallerLeavingAMessageIsConnectedMidMessageWhenAnAgentFrees() async throws {
        let rig = try await Rig("message", queue: "announce_every: 0", agents: """
          "1001": {station: "6001", skills: {sales: 10}}
        """)
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550150", dnis: "800")
        await rig.expectPrompt("queue-busy", on: x)
        x.sendDTMF("1")
        await rig.expectPrompt("queue-message", on: x)
        let id = try #require(await rig.daemon.switchCore.activeCalls().first?.id)
        await waitUntil("the message being recorded") { await rig.daemon.switchCore.call(id)?.recording == true }
        x.startTone(hz: 500)  // the caller speaks
        _ = try await rig.acd.command(agent: "1001", .login(station: nil))
        let y = try #require(await rig.sim.answeredLive(dnis: "6001"))
        x.stopTone()
        await rig.expectTalking(x, y)
        let note = try #require(await rig.daemon.switchCore.call(id)?.data["queue.note"], "the partial message is a note on the call")
        await waitUntil("the partial message written") { FileManager.default.fileExists(atPath: note) }
        #expect(try rig.events(.message).isEmpty, "connected, not a message work item")
        await x.hangUp()
        await rig.stop()
    }

    @Test func aMessageLeftWhileWaitingBecomesWorkForAnAgent() async throws {
        let rig = try await Rig("message-left", queue: "announce_every: 0", agents: """
          "1001": {station: "6001", skills: {sales: 10}}
        """)
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550151", dnis: "800")
        await rig.expectPrompt("queue-busy", on: x)
        x.sendDTMF("1")
        await rig.expectPrompt("queue-message", on: x)
        let id = try #require(await rig.daemon.switchCore.activeCalls().first?.id)
        await waitUntil("the message being recorded") { await rig.daemon.switchCore.call(id)?.recording == true }
        x.startTone(hz: 500)
        try await Task.sleep(for: .seconds(2))  // the caller's message is two seconds long (not an assertion)
        x.stopTone()
        x.sendDTMF("#")
        await rig.expectPrompt("queue-message-saved", on: x)
        await waitUntil("the message logged") { (try? rig.events(.message).count) == 1 }
        #expect(await x.waitForRelease(timeout: .seconds(15)) != nil || x.released, "the caller is cleared after the goodbye")
        #expect(await rig.acd.queueStatus("sales")?.messages == 1)
        _ = try await rig.acd.command(agent: "1001", .login(station: nil))
        let y = try #require(await rig.sim.answeredLive(dnis: "6001"), "the agent is called for the message")
        await rig.expectPrompt("queue-message-agent", on: y)
        // Then the message itself: the caller's 500 Hz.
        #expect(await y.waitForTones([500], among: [500, 1400], timeout: .seconds(15)) == [500], "the agent hears the message")
        await waitUntil("the message handled") { await rig.acd.queueStatus("sales")?.messages == 0 }
        await rig.stop()
    }

    @Test func aCallbackReservationCallsTheCustomerBackAndConnectsAnAgent() async throws {
        let rig = try await Rig("callback", queue: "announce_every: 0", agents: """
          "1001": {station: "6001", skills: {sales: 10}}
        """)
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550160", dnis: "800")
        await rig.expectPrompt("queue-busy", on: x)
        x.sendDTMF("2")
        await rig.expectPrompt("queue-callback-when", on: x)
        x.sendDTMF("1")
        await rig.expectPrompt("queue-callback-saved", on: x)
        #expect(await x.waitForRelease(timeout: .seconds(15)) != nil || x.released)
        #expect(await rig.acd.queueStatus("sales")?.callbacks == 1)
        await rig.sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: true), port: "pstn-far")
        _ = try await rig.acd.command(agent: "1001", .login(station: nil))
        let agent = try #require(await rig.sim.answeredLive(dnis: "6001"), "the agent is called first")
        await rig.expectPrompt("queue-callback-agent", on: agent)
        let customer = try #require(await rig.sim.answeredLive(dnis: "4155550160", timeout: .seconds(15)), "then the customer")
        await rig.expectTalking(customer, agent)
        await customer.hangUp()
        await waitUntil("the callback completed") { (try? rig.events(.completeCaller).count) == 1 }
        #expect(await rig.acd.queueStatus("sales")?.callbacks == 0)
        await rig.stop()
    }

    @Test func agentStatesAndCallbacksSurviveARestart() async throws {
        let rig = try await Rig("restart", queue: "announce_every: 0", agents: """
          "1001": {station: "6001", skills: {sales: 10}, logged_in: true}
          "1002": {station: "6002", skills: {sales: 10}}
        """)
        _ = try await rig.acd.command(agent: "1001", .pause(reason: "training"))
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550170", dnis: "800")
        await rig.expectPrompt("queue-busy", on: x)
        x.sendDTMF("2")
        await rig.expectPrompt("queue-callback-when", on: x)
        x.sendDTMF("1")
        await waitUntil("the callback reserved") { await rig.acd.queueStatus("sales")?.callbacks == 1 }
        await x.hangUp()
        try await rig.restart()
        #expect(await rig.agentState("1001") == .paused(reason: "training"), "the pause and its reason survive")
        #expect(await rig.agentState("1002") == .loggedOut)
        #expect(await rig.acd.queueStatus("sales")?.callbacks == 1, "the callback survives")
        // Ready again: the callback is served after the restart.
        await rig.sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: true), port: "pstn-far")
        _ = try await rig.acd.command(agent: "1001", .ready)
        let agent = try #require(await rig.sim.answeredLive(dnis: "6001"))
        let customer = try #require(await rig.sim.answeredLive(dnis: "4155550170", timeout: .seconds(15)))
        await rig.expectTalking(customer, agent)
        await customer.hangUp()
        await rig.stop()
    }

    @Test func aCustomersAssignedAgentIsOfferedTheirCallFirst() async throws {
        let rig = try await Rig("assigned", queue: "strategy: linear", agents: """
          "1001": {station: "6001", skills: {sales: 10}, logged_in: true}
          "1002": {station: "6002", skills: {sales: 10}, logged_in: true}
        """)
        try rig.daemon.store.upsert(Customer(number: "4155550180", name: "Key Account", grade: "B", agent: "1002"))
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550180", dnis: "800")
        let y = try #require(await rig.sim.answeredLive(dnis: "6002"), "linear would pick 1001; the customer's agent is 1002")
        await rig.expectTalking(x, y)
        #expect(try rig.events(.connect).first?.agent == "1002")
        await x.hangUp()
        await rig.stop()
    }
}
}
