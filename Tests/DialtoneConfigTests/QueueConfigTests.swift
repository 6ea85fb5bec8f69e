// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import Testing

/// Queues (`type: queue`), the agent line and the `agents:` section: what
/// loads, and every mistake an error at its line and key.
@Suite struct QueueConfigTests {
    func parse(_ body: String) throws(ConfigError) -> DialtoneConfig {
        try ConfigLoader.parse(yaml: """
        spans:
          - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
        \(body)
        """, file: "/etc/dialtone/acd.yaml", checkFiles: false)
    }

    func error(_ body: String) -> ConfigError? {
        do { _ = try parse(body); return nil } catch { return error }
    }

    @Test func queuesAgentsAndRoutesLoad() throws {
        let c = try parse("""
        applications:
          sales: {type: queue, strategy: round-robin, wrap_up: 5, max_wait: 300, overflow: callback,
                  grade_priority: {A: 10}, callback_key: "3", message_key: none}
          support: {type: queue, strategy: skills-weighted, overflow: queue sales}
          agent-login: {type: agent-line}
        agents:
          "1001": {name: Alice, station: "2001", skills: {sales: 50, support: 10}}
          "1002": {name: Bob, station: line, pin: "4321", skills: {support: 90}}
        routes:
          - {match: "800", application: sales, argument: "priority=5"}
          - {match: "801", application: support}
          - {match: "5000", application: agent-login}
          - {prefix: "2", to: pstn}
        """)
        let sales = try #require(c.applications["sales"]?.queue)
        #expect(sales.strategy == "round-robin" && sales.wrapUp == 5 && sales.maxWait == 300)
        #expect(sales.overflow == .callback && sales.gradePriority == ["A": 10])
        #expect(sales.callbackKey == "3" && sales.messageKey == nil)
        #expect(sales.members == ["1001"], "members default to the agents with a skill for the queue, in order")
        #expect(c.applications["support"]?.queue?.members == ["1001", "1002"])
        #expect(c.applications["support"]?.queue?.overflow == .queue("sales"))
        #expect(c.applications["agent-login"]?.kind == .agentLine)
        #expect(c.agents.map(\.id) == ["1001", "1002"])
        #expect(c.agents[0].station == .dial("2001") && c.agents[1].station == .line && c.agents[1].pin == "4321")
        #expect(c.agents[0].skills == ["sales": 50, "support": 10])
        #expect(c.routes[0].action == .application("sales", argument: "priority=5"))
    }

    @Test func anUnknownStrategyIsAnErrorWithASuggestion() {
        let e = error("""
        applications:
          sales: {type: queue, strategy: longest-idel}
        """)
        #expect(e?.key == "applications.sales.strategy")
        #expect(e?.line == 4)
        #expect(e?.message.contains("did you mean 'longest-idle'") == true, "\(String(describing: e))")
    }

    @Test func aSkillForAnUnknownQueueIsAnErrorAtItsLine() {
        let e = error("""
        applications:
          sales: {type: queue}
        agents:
          "1001":
            station: "2001"
            skills: {sale: 5}
        """)
        #expect(e?.key == "agents.1001.skills.sale")
        #expect(e?.line == 8)
        #expect(e?.message.contains("did you mean 'sales'") == true, "\(String(describing: e))")
    }

    @Test func mistakesAreErrorsAtTheirKey() {
        let cases: [(String, String)] = [
            ("applications:\n  q: {type: queue, overflow: elsewhere}", "applications.q.overflow"),
            ("applications:\n  q: {type: queue, overflow: queue nowhere}", "applications.q.overflow"),
            ("applications:\n  q: {type: queue, offer_timeout: 0}", "applications.q.offer_timeout"),
            ("applications:\n  q: {type: queue, message_key: \"2\", callback_key: \"2\"}", "applications.q.callback_key"),
            ("applications:\n  q: {type: queue, hold_prompt: x}", "applications.q.hold_prompt"),
            ("applications:\n  q: {type: queue, members: [\"9\"]}", "applications.q.members"),
            ("applications:\n  q: {type: queue}\nagents:\n  \"1001\": {station: line}", "agents.1001.pin"),
            ("applications:\n  q: {type: queue}\nagents:\n  \"10x\": {station: \"2001\"}", "agents"),
            ("applications:\n  q: {type: queue}\nagents:\n  \"1001\": {station: \"2001\", pin: \"12\"}", "agents.1001.pin"),
            ("applications:\n  q: {type: queue}\nroutes:\n  - {match: \"8\", application: q, argument: \"priority=high\"}",
             "routes[0].application"),
        ]
        for (body, key) in cases {
            let e = error(body)
            #expect(e?.key == key, "\(body): \(String(describing: e))")
        }
    }
}
