// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import Testing

/// The `applications:` section, and routes and IVR actions naming an
/// application: an unknown application or a bad argument is an error at its line.
@Suite struct ApplicationConfigTests {
    func parse(_ body: String) throws(ConfigError) -> DialtoneConfig {
        try ConfigLoader.parse(yaml: """
        spans:
          - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
        \(body)
        """, file: "/etc/dialtone/apps.yaml", checkFiles: false)
    }

    func error(_ body: String) -> ConfigError? {
        do { _ = try parse(body); return nil } catch { return error }
    }

    @Test func aParkingLotAndTheBuiltInControlLoad() throws {
        let c = try parse("""
        applications:
          lobby: {type: park, timeout: 90, timeout_to: "6001"}
        routes:
          - {match: "700", application: lobby}
          - {match: "701", application: control}
          - {prefix: "6", to: pstn}
        """)
        guard case .park(let p) = c.applications["lobby"]?.kind else { Issue.record("no lobby"); return }
        #expect(p.timeout == 90 && p.timeoutNumber == "6001" && p.holdPrompt == "hold")
        #expect(c.routes[0].action == .application("lobby", argument: ""))
        #expect(c.routes[1].action == .application("control", argument: ""))
    }

    @Test func anUnknownApplicationIsAnErrorAtItsLine() {
        let e = error("""
        applications:
          lobby: {type: park}
        routes:
          - {match: "700", application: loby}
        """)
        #expect(e?.line == 6)
        #expect(e?.key == "routes[0].application")
        #expect(e?.message.contains("no application named 'loby'; did you mean 'lobby'?") == true, "\(String(describing: e))")
    }

    @Test func anIVRActionNamingAnUnknownApplicationIsAnError() {
        let e = error("""
        menus:
          main:
            prompt: welcome
            options: {"1": {application: queue, argument: sales}}
        routes:
          - {match: "700", menu: main}
        """)
        #expect(e?.key == "menus.main.options.1.application")
        #expect(e?.line == 6)
    }

    @Test func badArgumentsAndTypesAreErrors() {
        #expect(error("""
        applications:
          lobby: {type: park}
        routes:
          - {match: "700", application: lobby, argument: "3"}
        """)?.message.contains("takes no argument") == true)
        let t = error("""
        applications:
          lobby: {type: parq}
        """)
        #expect(t?.key == "applications.lobby.type" && t?.message.contains("did you mean 'park'") == true)
        #expect(error("""
        applications:
          control: {type: park}
        """)?.message.contains("built-in") == true)
        #expect(error("""
        applications:
          lobby: {type: park, timeout: 0}
        """)?.key == "applications.lobby.timeout")
        #expect(error("""
        applications:
          lobby: {type: park, timeout_to: "60x1"}
        """)?.key == "applications.lobby.timeout_to")
        #expect(error("""
        routes:
          - {match: "700", to: pstn, argument: x}
        """)?.key == "routes[0].argument")
    }
}
