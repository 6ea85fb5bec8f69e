// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import Testing

/// `applications: {vm: {type: voicemail, …}}`: mailboxes, limits, and
/// routes reaching a mailbox; every mistake an error at its file:line and key.
@Suite struct VoicemailConfigTests {
    func parse(_ body: String) throws(ConfigError) -> DialtoneConfig {
        try ConfigLoader.parse(yaml: """
        spans:
          - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
        \(body)
        """, file: "/etc/dialtone/vm.yaml", checkFiles: false)
    }

    func error(_ body: String) -> ConfigError? {
        do { _ = try parse(body); return nil } catch { return error }
    }

    @Test func mailboxesAndRoutesLoad() throws {
        let c = try parse("""
        applications:
          vm:
            type: voicemail
            max_message: 120
            min_message: 3
            lockout: 600
            mailboxes:
              "1234": {owner: Alice Example, pin: "0042", email: alice@example.com, notify: [/usr/local/bin/vm-notify, "--new"]}
              "2000": {owner: Sales, max_messages: 10, language: en}
        routes:
          - {match: "71234", application: vm, argument: "1234"}
          - {match: "7000", application: vm, argument: login}
          - {match: "7001", application: vm, argument: "login 2000"}
        """)
        let v = try #require(c.applications["vm"]?.voicemail)
        #expect(v.maxMessageSeconds == 120 && v.minMessageSeconds == 3 && v.lockoutSeconds == 600 && v.maxPINFailures == 3)
        let a = try #require(v.mailboxes["1234"])
        #expect(a.owner == "Alice Example" && a.pin == "0042" && a.email == "alice@example.com")
        #expect(a.notify == ["/usr/local/bin/vm-notify", "--new"] && a.line == 10)
        #expect(v.limits(v.mailboxes["2000"]!) == (120, 3, 10))
        #expect(c.routes[0].action == .application("vm", argument: "1234"))
        #expect(VoicemailArgument.parse("login 2000") == .login("2000") && VoicemailArgument.parse("1234") == .leave("1234"))
    }

    @Test func aRouteToAMailboxThatIsNotThereIsAnErrorWithASuggestion() {
        let e = error("""
        applications:
          vm: {type: voicemail, mailboxes: {"1234": {pin: "1111"}}}
        routes:
          - {match: "71235", application: vm, argument: "1235"}
        """)
        #expect(e?.line == 6 && e?.key == "routes[0].application")
        #expect(e?.message.contains("no mailbox '1235'; did you mean '1234'?") == true, "\(String(describing: e))")
        let bad = error("""
        applications:
          vm: {type: voicemail, mailboxes: {"1234": {pin: "1111"}}}
        routes:
          - {match: "7", application: vm, argument: "listen 1234"}
        """)
        #expect(bad?.message.contains("not an argument") == true)
    }

    @Test func mailboxMistakesAreErrorsAtTheirLine() {
        let unknown = error("""
        applications:
          vm:
            type: voicemail
            mailboxes:
              "1234": {owner: A, pn: "1111"}
        """)
        #expect(unknown?.line == 7 && unknown?.key == "applications.vm.mailboxes.1234.pn")
        #expect(unknown?.message.contains("did you mean 'pin'?") == true, "\(String(describing: unknown))")
        let pin = error("""
        applications:
          vm:
            type: voicemail
            mailboxes:
              "1234": {pin: "12a4"}
        """)
        #expect(pin?.key == "applications.vm.mailboxes.1234.pin" && pin?.line == 7)
        let number = error("""
        applications:
          vm: {type: voicemail, mailboxes: {"12x": {}}}
        """)
        #expect(number?.message.contains("not a mailbox number") == true && number?.line == 4)
        let mail = error("""
        applications:
          vm: {type: voicemail, mailboxes: {"1": {email: "a@b"}}}
        """)
        #expect(mail?.key == "applications.vm.mailboxes.1.email")
        let notify = error("""
        applications:
          vm: {type: voicemail, mailboxes: {"1": {notify: "notify.sh"}}}
        """)
        #expect(notify?.message.contains("absolute path") == true)
        let missing = error("""
        applications:
          vm: {type: voicemail}
        """)
        #expect(missing?.key == "applications.vm.mailboxes")
        let limits = error("""
        applications:
          vm: {type: voicemail, min_message: 30, max_message: 20, mailboxes: {}}
        """)
        #expect(limits?.key == "applications.vm.min_message")
        let stray = error("""
        applications:
          vm: {type: voicemail, strategy: ring-all, mailboxes: {}}
        """)
        #expect(stray?.message.contains("not a setting of a voicemail application") == true)
    }

    @Test func aGroupMailboxNamesAQueue() {
        let e = error("""
        applications:
          sales: {type: queue}
          vm: {type: voicemail, mailboxes: {"800": {queue: sale}}}
        """)
        #expect(e?.line == 5 && e?.key == "applications.vm.mailboxes.800.queue")
        #expect(e?.message.contains("did you mean 'sales'?") == true, "\(String(describing: e))")
        #expect((try? parse("""
        applications:
          sales: {type: queue}
          vm: {type: voicemail, mailboxes: {"800": {queue: sales}}}
        """))?.applications["vm"]?.voicemail?.mailboxes["800"]?.queue == "sales")
    }

    @Test func busyAndNoAnswerOfARouteReachAMailbox() throws {
        let c = try parse("""
        applications:
          vm: {type: voicemail, mailboxes: {"6001": {pin: "1111"}}}
        routes:
          - {prefix: "60", to: pstn, on_busy: {application: vm, argument: "6001"}, on_no_answer: {application: vm, argument: "6001"}}
        """)
        #expect(c.routes[0].onBusy == .application("vm", argument: "6001") && c.routes[0].onNoAnswer == c.routes[0].onBusy)
        let wrong = error("""
        applications:
          vm: {type: voicemail, mailboxes: {"6001": {pin: "1111"}}}
        routes:
          - {prefix: "60", to: pstn, on_busy: {application: vm, argument: "6002"}}
        """)
        #expect(wrong?.line == 6 && wrong?.message.contains("no mailbox '6002'") == true, "\(String(describing: wrong))")
        let notDialling = error("""
        applications:
          vm: {type: voicemail, mailboxes: {"6001": {}}}
        routes:
          - {match: "7", application: vm, argument: login, on_no_answer: {application: vm, argument: "6001"}}
        """)
        #expect(notDialling?.key == "routes[0].on_no_answer" && notDialling?.message.contains("goes with 'to'") == true)
    }

    @Test func aQueueOverflowsToAMailbox() throws {
        let c = try parse("""
        applications:
          vm: {type: voicemail, mailboxes: {"6001": {}}}
          sales: {type: queue, max_wait: 60, overflow: "application vm 6001"}
        """)
        #expect(c.applications["sales"]?.queue?.overflow == .application("vm", argument: "6001"))
        let e = error("""
        applications:
          vm: {type: voicemail, mailboxes: {"6001": {}}}
          sales: {type: queue, max_wait: 60, overflow: "application vm 6010"}
        """)
        #expect(e?.line == 5 && e?.key == "applications.sales.overflow" && e?.message.contains("no mailbox '6010'") == true,
                "\(String(describing: e))")
    }
}
