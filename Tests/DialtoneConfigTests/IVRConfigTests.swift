// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import Foundation
import Testing

/// IVR sections: prompts are checked against the files when the config
/// loads; every mistake names the file, line, column and key.
@Suite struct IVRConfigTests {
    /// A temporary directory with a prompt set `en` made by sox (8 kHz mono PCM16).
    final class PromptDir {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-prompts-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: "\(path)/en", withIntermediateDirectories: true)
            for name in ["welcome", "invalid"] { try sox("-r", "8000", "-c", "1", "-b", "16", "\(path)/en/\(name).wav", "synth", "0.2", "sine", "440") }
            try sox("-r", "44100", "-c", "1", "-b", "16", "\(path)/en/hifi.wav", "synth", "0.2", "sine", "440")
            try sox("-r", "8000", "-c", "2", "-b", "16", "\(path)/en/stereo.wav", "synth", "0.2", "sine", "440")
            try Data("not audio".utf8).write(to: URL(fileURLWithPath: "\(path)/en/text.wav"))
        }
        func sox(_ args: String...) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sox")
            p.arguments = ["-n"] + args
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func yaml(_ prompts: String, menus: String, routes: String = "  - {match: \"100\", menu: main}") -> String {
        """
        spans:
          - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
        prompts:
          directory: \(prompts)
        menus:
        \(menus)
        routes:
        \(routes)
        """
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.parse(yaml: text, file: "/etc/dialtone/ivr.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func aGoodMenuLoads() throws {
        let dir = try PromptDir()
        let config = try ConfigLoader.parse(yaml: yaml(dir.path, menus: """
          main:
            prompt: welcome
            invalid_prompt: invalid
            options: {"1": {route: "200"}, "*": back, "#": {hangup: invalid}, "9": repeat, "2": {route: "300", failure: {menu: main}}}
        """), file: "/etc/dialtone/ivr.yaml")
        let main = try #require(config.menus["main"])
        #expect(main.options == ["1": .route("200"), "*": .back, "#": .hangup(prompt: "invalid"), "9": .repeatMenu,
                                 "2": .route("300", failure: .menu("main"))])
        #expect(main.firstDigitTimeout == 5 && main.retries == 3 && main.failure == .hangup(prompt: nil))
        #expect(config.routes[0].action == .menu("main"))
    }

    @Test func aMissingPromptFileNamesFileLineAndKey() throws {
        let dir = try PromptDir()
        let e = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcom
            options: {"1": {route: "200"}}
        """)))
        #expect(e.file == "/etc/dialtone/ivr.yaml" && e.line == 7 && e.key == "menus.main.prompt")
        #expect(e.message.contains("\(dir.path)/en/welcom.wav: no such file"), "\(e)")
    }

    @Test(arguments: [("hifi", "44100 Hz"), ("stereo", "2 channels"), ("text", "not a WAV file")])
    func aWrongFormatPromptIsAConfigError(prompt: String, reason: String) throws {
        let dir = try PromptDir()
        let e = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: \(prompt)
            options: {"1": {route: "200"}}
        """)))
        #expect(e.key == "menus.main.prompt" && e.line == 7)
        #expect(e.message.contains("\(prompt).wav") && e.message.contains(reason), "\(e)")
    }

    @Test func unknownMenusOptionsAndActionsAreNamed() throws {
        let dir = try PromptDir()
        let unknownMenu = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"1": {menu: sails}}
        """, routes: "  - {match: \"100\", menu: main}")))
        #expect(unknownMenu.key == "menus.main.options.1.menu" && unknownMenu.message.contains("no menu named 'sails'"), "\(unknownMenu)")

        let badKey = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"12": repeat}
        """)))
        #expect(badKey.key == "menus.main.options" && badKey.message.contains("'12' is not a digit"), "\(badKey)")

        let badAction = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"1": jump}
        """)))
        #expect(badAction.key == "menus.main.options.1" && badAction.message.contains("'jump' is not an action"), "\(badAction)")

        let routeMenu = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"1": repeat}
        """, routes: "  - {match: \"100\", menu: mian}")))
        #expect(routeMenu.key == "routes[0].menu" && routeMenu.message.contains("did you mean 'main'"), "\(routeMenu)")

        let both = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"1": repeat}
            collect: {variable: x, max_digits: 4, then: repeat}
        """)))
        #expect(both.key == "menus.main.collect", "\(both)")

        let unknownVariable = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            collect: {variable: ext, max_digits: 4, then: {route: "555${extn}"}}
        """)))
        #expect(unknownVariable.key == "menus.main.collect.then.route" && unknownVariable.line == 8
                && unknownVariable.message.contains("no collect menu gathers 'extn' (variables: ext)"), "\(unknownVariable)")
        let unclosed = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            collect: {variable: ext, max_digits: 4, then: {route: "555${ext"}}
        """)))
        #expect(unclosed.key == "menus.main.collect.then.route" && unclosed.message.contains("without '}'"), "\(unclosed)")
        let fine = try ConfigLoader.parse(yaml: yaml(dir.path, menus: """
          main:
            prompt: welcome
            collect: {variable: ext, max_digits: 4, then: {route: "555${ext}"}}
        """), file: "x.yaml")
        #expect(fine.menus["main"]?.collect?.then == .route("555${ext}"))

        let unknownLanguage = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"7": {language: fr}}
        """)))
        #expect(unknownLanguage.key == "menus.main.options.7.language" && unknownLanguage.line == 8
                && unknownLanguage.message.contains("'fr' is not in prompts.languages"), "\(unknownLanguage)")
        let strayThen = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"7": {menu: main, then: repeat}}
        """)))
        #expect(strayThen.key == "menus.main.options.7.then" && strayThen.message.contains("goes with 'language'"), "\(strayThen)")

        let strayFailure = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"1": {menu: main, failure: repeat}}
        """)))
        #expect(strayFailure.key == "menus.main.options.1.failure" && strayFailure.line == 8
                && strayFailure.message.contains("goes with 'route'"), "\(strayFailure)")
        let badFailure = try #require(error(yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"1": {route: "200", failure: {menu: nowhere}}}
        """)))
        #expect(badFailure.key == "menus.main.options.1.failure.menu" && badFailure.message.contains("no menu named 'nowhere'"), "\(badFailure)")
    }

    @Test func schedulesParseAndDecide() throws {
        let dir = try PromptDir()
        let config = try ConfigLoader.parse(yaml: yaml(dir.path, menus: """
          main:
            prompt: welcome
            options: {"1": repeat}
        """, routes: """
          - match: "100"
            action: {schedule: office, open: {menu: main}, closed: {hangup: invalid}}
        """) + """

        schedules:
          office:
            open: ["mon-fri 08:00-18:00", "sat 09:00-12:30"]
            holidays: ["2026-12-25"]
            timezone: Europe/Berlin
        """, file: "/etc/dialtone/ivr.yaml")
        let office = try #require(config.schedules["office"])
        func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
        #expect(office.isOpen(at: at("2026-11-24T09:00:00+01:00")))    // Tuesday 09:00
        #expect(!office.isOpen(at: at("2026-11-24T18:00:00+01:00")))   // closing time is exclusive
        #expect(!office.isOpen(at: at("2026-11-24T07:59:00+01:00")))
        #expect(office.isOpen(at: at("2026-11-28T12:29:00+01:00")))    // Saturday
        #expect(!office.isOpen(at: at("2026-11-29T10:00:00+01:00")))   // Sunday
        #expect(!office.isOpen(at: at("2026-12-25T10:00:00+01:00")))   // a Friday, but a holiday
        #expect(office.isOpen(at: at("2026-11-24T08:30:00Z")))          // 09:30 in Berlin

        let bad = try #require(error(yaml(dir.path, menus: "  main: {prompt: welcome, options: {\"1\": repeat}}") + """

        schedules:
          office:
            open: ["weekdays 8-18"]
        """))
        #expect(bad.key == "schedules.office.open[0]" && bad.message.contains("DAYS HH:MM-HH:MM"), "\(bad)")
    }
}

@Suite struct ToneConfigTests {
    @Test func builtInAndCustomSets() throws {
        let config = try ConfigLoader.parse(yaml: """
        tone_sets:
          lab:
            dial: "500"
            ringback: "500+600@-15/300,300"
            busy: "500/200,200"
            congestion: "500/100,100"
        spans:
          - {name: a, type: E1, role: cpe, switchtype: euroisdn_e1, tones: uk}
          - {name: b, type: E1, role: cpe, switchtype: euroisdn_e1, tones: lab}
          - {name: c, type: T1, role: cpe, switchtype: national}
        """, file: "t.yaml")
        #expect(config.toneSet(for: config.spans[0]).name == "uk")
        #expect(config.toneSet(for: config.spans[1]).specs[.ringback]?.f2 == 600)
        #expect(config.toneSet(for: config.spans[2]).name == "us")
    }

    @Test func unknownSetsAndBadSpecsAreNamed() {
        func error(_ yaml: String) -> ConfigError? {
            do { _ = try ConfigLoader.parse(yaml: yaml, file: "t.yaml"); return nil } catch { return error }
        }
        let unknown = error("spans:\n  - {name: a, type: E1, role: cpe, switchtype: euroisdn_e1, tones: mars}\n")
        #expect(unknown?.key == "spans[0].tones" && unknown?.message.contains("no tone set 'mars'") == true)
        let bad = error("tone_sets:\n  x: {dial: \"425\", ringback: \"425/1\", busy: \"425\", congestion: \"425\"}\nspans: []\n")
        #expect(bad?.key == "tone_sets.x.ringback" && bad?.line == 2, "\(String(describing: bad))")
    }
}
