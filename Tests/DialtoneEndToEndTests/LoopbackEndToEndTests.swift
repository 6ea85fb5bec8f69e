// SPDX-License-Identifier: GPL-2.0-or-later
// End to end on virtual spans: the far end is the line simulator — real
// libpri in the opposite role and real G.711 pattern audio — never the code
// under test. Dialtone is CPE toward the simulated PSTN and NET toward the
// simulated agent stations.
import DialtoneConfig
import DialtoneDaemon
import DialtoneTestKit
import DialtoneLineSim
import DialtoneSignalling
import DialtoneSpans
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging
import Testing

func makeDaemon(_ name: String, spans: [SpanConfig], routes: [RouteConfig]) throws -> (Daemon, String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-e2e-\(name)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let config = DialtoneConfig(daemon: DaemonSettings(controlSocket: "\(dir)/control.sock", database: "\(dir)/cdr.sqlite",
                                                       logLevel: "warning"),
                                spans: spans, routes: routes)
    var logger = Logger(label: "e2e.\(name)")
    logger.logLevel = ProcessInfo.processInfo.environment["DIALTONE_TEST_LOG"] == "notice" ? .notice : .warning
    return (try Daemon(config: config, logger: logger, pcapPath: "\(dir)/dchan.pcap"), dir)
}

/// Every end-to-end suite runs one after another: each runs a daemon in real
/// time on the process clock, and two at once on two cores would measure the
/// machine, not Dialtone.
@Suite(.serialized) enum EndToEnd {}

extension EndToEnd {
@Suite(.serialized) struct LoopbackEndToEndTests {
    /// PSTN E1 + a second PSTN E1 → agents E1 (EuroISDN): 200 calls, clearing
    /// both ways, full span, cause 34 on the 31st call, D-channel drop.
    @Test func e1CallCentre() async throws {
        let (daemon, dir) = try makeDaemon("e1", spans: [
            SpanConfig(name: "pstn", type: .e1, role: .cpe, switchType: .euroisdnE1),
            SpanConfig(name: "pstn2", type: .e1, role: .cpe, switchType: .euroisdnE1),
            SpanConfig(name: "agents", type: .e1, role: .net, switchType: .euroisdnE1),
        ], routes: [
            RouteConfig(pattern: .prefix("555"), spans: ["agents"]),
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try daemon.start()
        let scenarios = try LoopbackScenarios(daemon: daemon)
        #expect(await daemon.waitForLinks())

        let many = await scenarios.calls(count: 200, concurrency: 20)
        #expect(many.passed, "\(many)")
        let agentClears = await scenarios.calls(count: 20, concurrency: 10, callerClears: false, aniBase: 7_000_000)
        #expect(agentClears.passed, "\(agentClears)")
        let full = await scenarios.fullSpan(daemon.config.spans[0])
        #expect(full.passed, "\(full)")
        let busy = await scenarios.overflow()
        #expect(busy.passed, "\(busy)")
        let unallocated = await scenarios.unallocated()
        #expect(unallocated.passed, "\(unallocated)")
        let drop = await scenarios.dchannelDrop()
        #expect(drop.passed, "\(drop)")
        let vanish = await scenarios.vanishMidClearing()
        #expect(vanish.passed, "\(vanish)")

        // Every call wrote a CDR with distinct ANI/DNIS and causes.
        try await Task.sleep(for: .milliseconds(300))
        let cdrs = try daemon.store.cdrs(limit: 10_000)
        let answered200 = cdrs.filter { $0.ani.hasPrefix("4152") && $0.disposition == "answered" }
        #expect(answered200.count == 200)
        #expect(Set(answered200.map(\.ani)).count == 200)
        #expect(Set(answered200.map(\.dnis)).count == 200)
        #expect(answered200.allSatisfy { $0.outSpan == "agents" && $0.cause == 16 && $0.answerTime != nil })
        #expect(cdrs.contains { $0.ani == "3035550000" && $0.cause == 34 && $0.disposition == "congestion" })
        #expect(cdrs.contains { $0.ani == "2025550199" && $0.cause == 1 })
        await daemon.stop(drain: .seconds(2))
    }

    /// T1 NI2, µ-law: a full T1 (23 calls) and clearing from each side.
    @Test func t1FullSpan() async throws {
        let (daemon, dir) = try makeDaemon("t1", spans: [
            SpanConfig(name: "pstn", type: .t1, role: .cpe, switchType: .national),
            SpanConfig(name: "agents", type: .t1, role: .net, switchType: .national),
        ], routes: [
            RouteConfig(pattern: .prefix("800"), spans: ["agents"]),
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try daemon.start()
        let scenarios = try LoopbackScenarios(daemon: daemon)
        #expect(await daemon.waitForLinks())
        let full = await scenarios.fullSpan()
        #expect(full.passed, "\(full)")
        let calls = await scenarios.calls(count: 10, concurrency: 5, callerClears: false, aniBase: 9_000_000)
        #expect(calls.passed, "\(calls)")
        await daemon.stop(drain: .seconds(2))
    }
}
}

extension EndToEnd.LoopbackEndToEndTests {
    /// Overlap receiving: the DNIS arrives partly in SETUP, the rest in
    /// INFORMATION messages; routed as soon as an exact route is unambiguous,
    /// otherwise after the inter-digit timeout.
    @Test func overlapReceiving() async throws {
        let (daemon, dir) = try makeDaemon("overlap", spans: [
            SpanConfig(name: "pstn", type: .e1, role: .cpe, switchType: .euroisdnE1, overlap: true),
            SpanConfig(name: "agents", type: .e1, role: .net, switchType: .euroisdnE1),
        ], routes: [
            RouteConfig(pattern: .exact("5551000"), spans: ["agents"]),
            RouteConfig(pattern: .prefix("777"), spans: ["agents"]),
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try daemon.start()
        let sim = try #require(daemon.simulator)
        #expect(await daemon.waitForLinks())
        await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50)))

        let exact = await sim.place(.init(port: "pstn-far", ani: "2125550001", dnis: "5551000", patternFrames: 25,
                                          overlapDigits: 3))
        #expect(exact.connected && exact.released, "\(exact)")
        #expect(exact.backward?.bitExact == true)
        let agent = await sim.agentRecord(ani: "2125550001")
        #expect(agent?.dnis == "5551000")

        let clock = ContinuousClock()
        let start = clock.now
        let timed = await sim.place(.init(port: "pstn-far", ani: "2125550002", dnis: "7771234", patternFrames: 0,
                                          overlapDigits: 2))
        #expect(timed.connected && timed.released, "\(timed)")
        #expect(await sim.agentRecord(ani: "2125550002")?.dnis == "7771234")
        #expect(clock.now - start >= .seconds(5))  // waited for the inter-digit timeout
        await daemon.stop(drain: .seconds(2))
    }
}

extension EndToEnd.LoopbackEndToEndTests {
    /// An agent station dials out without naming a B-channel: Dialtone, the
    /// network side there, selects one (Q.931 §5.2.3) and routes the call to
    /// the PSTN span, where it is the user side.
    @Test func networkSideSelectsTheChannel() async throws {
        let (daemon, dir) = try makeDaemon("netsel", spans: [
            SpanConfig(name: "pstn", type: .t1, role: .cpe, switchType: .national),
            SpanConfig(name: "agents", type: .t1, role: .net, switchType: .national, channels: [3, 4, 5]),
        ], routes: [
            RouteConfig(pattern: .prefix("9"), spans: ["pstn"]),
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try daemon.start()
        let sim = try #require(daemon.simulator)
        #expect(await daemon.waitForLinks())
        await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50)))
        var plan = LineSimulator.CallPlan(port: "agents-far", ani: "2001", dnis: "912125550100", patternFrames: 25)
        plan.anyChannel = true
        let r = await sim.place(plan)
        #expect(r.connected && r.released, "\(r)")
        #expect(r.backward?.bitExact == true)
        #expect([3, 4, 5].contains(r.channel ?? 0), "network chose channel \(r.channel.map(String.init) ?? "-")")
        let far = await sim.finishedAgentRecord(ani: "2001")
        #expect(far?.dnis == "912125550100" && far?.forward?.bitExact == true)
        await daemon.stop(drain: .seconds(2))
    }
}

extension EndToEnd.LoopbackEndToEndTests {
    /// The simulated caller sees the CONNECT 2 s late (as with a full span on
    /// a slow host, when its task was still busy): it has listened since its
    /// SETUP, so the agent's pattern, sent right after answering and long
    /// past by then, is still found bit-exact after the ringback; and an
    /// agent that clears waits for the caller's late pattern before it does.
    @Test func callerThatSeesTheConnectLateStillHearsTheAgent() async throws {
        let (daemon, dir) = try makeDaemon("late", spans: [
            SpanConfig(name: "pstn", type: .e1, role: .cpe, switchType: .euroisdnE1),
            SpanConfig(name: "agents", type: .e1, role: .net, switchType: .euroisdnE1),
        ], routes: [
            RouteConfig(pattern: .prefix("555"), spans: ["agents"]),
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try daemon.start()
        let sim = try #require(daemon.simulator)
        #expect(await daemon.waitForLinks())
        // Ringback for a while first: the agent answers after 1.5 s.
        await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(1500)))
        var plan = LineSimulator.CallPlan(port: "pstn-far", ani: "2125550301", dnis: "5551000", patternFrames: 25)
        plan.reactionTime = .seconds(2)
        let r = await sim.place(plan)
        #expect(r.connected && r.released && r.backward?.bitExact == true, "\(r)")
        #expect((r.backward?.offset ?? 0) > 8000, "found after the ringback: \(r)")
        #expect(await sim.finishedAgentRecord(ani: "2125550301")?.forward?.bitExact == true)

        // The agent clears once its pattern has crossed, but not before the caller's has arrived.
        let window = await sim.audioWindow() + .milliseconds(200)
        #expect(window < .seconds(2))
        await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), hangUpAfter: window, hangsUpAfterPattern: true))
        var cleared = LineSimulator.CallPlan(port: "pstn-far", ani: "2125550302", dnis: "5551001", patternFrames: 25,
                                             callerClears: false)
        cleared.reactionTime = .seconds(2)
        let c = await sim.place(cleared)
        #expect(c.connected && c.released && c.cause == .normalClearing && c.backward?.bitExact == true, "\(c)")
        let agent = await sim.finishedAgentRecord(ani: "2125550302")
        #expect(agent?.forward?.bitExact == true, "\(agent?.forward.map { "\($0)" } ?? "-")")
        await daemon.stop(drain: .seconds(2))
    }
}
