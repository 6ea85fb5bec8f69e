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
        let daemon: Daemon
        let sim: LineSimulator
        let dir: String
        var acd: ACDApplication { daemon.acd! }

        /// `queue`: the sales queue's settings (a YAML flow mapping body); `agents`: the agents section's entries.
        init(_ name: String, queue: String = "", agents: String, liveAgents: Bool = true) async throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-acd-\(name)-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try """
            daemon:
              control_socket: \(dir)/control.sock
              database: \(dir)/cdr.sqlite
              log_level: warning
            spans:
              - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
              - {name: agents, type: E1, role: net, switchtype: euroisdn_e1}
            prompts:
              directory: \(promptDirectory)
              language: en
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
            """.write(toFile: "\(dir)/dialtone.yaml", atomically: true, encoding: .utf8)
            let config = try ConfigLoader.load(path: "\(dir)/dialtone.yaml")
            var logger = Logger(label: "acd.\(name)")
            logger.logLevel = ProcessInfo.processInfo.environment["DIALTONE_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
            daemon = try Daemon(config: config, logger: logger)
            try daemon.start()
            sim = daemon.simulator!
            await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: liveAgents))
            #expect(await daemon.waitForLinks())
        }

        func stop() async {
            await daemon.stop(drain: .seconds(2))
            try? FileManager.default.removeItem(atPath: dir)
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
        await agent.hangUp()
        await waitUntil("the agent logged out with the line") { await rig.agentState("1002") == .loggedOut }
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
}
}
