// SPDX-License-Identifier: GPL-2.0-or-later
// Each distribution strategy through the whole system: 100 calls from the
// simulated network into one queue of four dial-station agents (up to three
// callers at once), and the calls each agent took, counted from the queue
// log, against what the strategy promises.
import DialtoneACD
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneStore
import Foundation
import Logging
import Testing

extension EndToEnd {
@Suite(.serialized) struct ACDDistributionTests {
    static let calls = 100

    /// Calls per agent (1001…1004) for `strategy`.
    func distribute(_ strategy: String) async throws -> [Int] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-acd-\(strategy)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
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
        applications:
          sales: {type: queue, strategy: \(strategy), wrap_up: 0, announce_every: 0, members: ["1001", "1002", "1003", "1004"]}
        agents:
          "1001": {station: "6001", skills: {sales: 10}, logged_in: true}
          "1002": {station: "6002", skills: {sales: 40}, logged_in: true}
          "1003": {station: "6003", skills: {sales: 90}, logged_in: true}
          "1004": {station: "6004", skills: {sales: 20}, logged_in: true}
        routes:
          - {match: "800", application: sales}
          - {prefix: "60", to: agents}
        """.write(toFile: "\(dir)/dialtone.yaml", atomically: true, encoding: .utf8)
        var logger = Logger(label: "acd.\(strategy)")
        logger.logLevel = .warning
        let daemon = try Daemon(config: try ConfigLoader.load(path: "\(dir)/dialtone.yaml"), logger: logger)
        try daemon.start()
        let sim = daemon.simulator!
        // The agent clears after 150 ms; the caller waits for that (however long it waits in the queue).
        await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(30), hangUpAfter: .milliseconds(150), audio: false))
        #expect(await daemon.waitForLinks())
        var unanswered = 0
        await withTaskGroup(of: Bool.self) { group in
            var next = 0
            func add() {
                let plan = LineSimulator.CallPlan(port: "pstn-far", ani: "41555\(60000 + next)", dnis: "800", patternFrames: 0,
                                                  callerClears: false, timeout: .seconds(60))
                next += 1
                group.addTask { await sim.place(plan).connected }
            }
            for _ in 0..<3 { add() }
            for await connected in group {
                if !connected { unanswered += 1 }
                if next < Self.calls { add() }
            }
        }
        #expect(unanswered == 0)
        await waitUntil("every call completed in the queue log") {
            (try? daemon.store.queueEvents().filter { $0.kind == .completeCaller || $0.kind == .completeAgent }.count) == Self.calls
        }
        let connects = try daemon.store.queueEvents().filter { $0.kind == .connect }
        await daemon.stop(drain: .seconds(2))
        return ["1001", "1002", "1003", "1004"].map { id in connects.filter { $0.agent == id }.count }
    }

    @Test(arguments: ["longest-idle", "round-robin", "fewest-calls", "least-talk-time"])
    func evenStrategiesShareTheCallsEvenly(_ strategy: String) async throws {
        let n = try await distribute(strategy)
        #expect(n.reduce(0, +) == Self.calls)
        // Four agents, 100 calls: 25 each; a call that ends late may move one or two.
        #expect(n.allSatisfy { (20...30).contains($0) }, "\(strategy): \(n)")
    }

    @Test func linearFillsTheFirstMembersFirst() async throws {
        let n = try await distribute("linear")
        #expect(n.reduce(0, +) == Self.calls)
        #expect(n[0] >= n[1] && n[1] >= n[2] && n[2] >= n[3], "linear: \(n)")
        #expect(n[0] >= 34, "the first member takes every call it is free for: \(n)")
    }

    @Test func skillsWeightedPrefersTheMostSkilled() async throws {
        let n = try await distribute("skills-weighted")  // skills 10, 40, 90, 20
        #expect(n.reduce(0, +) == Self.calls)
        #expect(n[2] >= n[1] && n[1] >= n[3] && n[3] >= n[0], "skills-weighted: \(n)")
        #expect(n[2] >= 34, "the most skilled takes every call it is free for: \(n)")
    }

    @Test func randomSpreadsWithinChance() async throws {
        let n = try await distribute("random")
        #expect(n.reduce(0, +) == Self.calls)
        // Each agent free about as often: 25 ± 3σ (σ ≈ 4.3 for a binomial of 100 at 1/4).
        #expect(n.allSatisfy { (12...38).contains($0) }, "random: \(n)")
    }

    @Test func ringAllGivesEachCallToOneOfTheAgentsRungAtOnce() async throws {
        let n = try await distribute("ring-all")
        #expect(n.reduce(0, +) == Self.calls, "every call answered by exactly one agent: \(n)")
        #expect(n.filter { $0 > 0 }.count >= 2, "more than one agent answers over 100 calls: \(n)")
    }
}
}
