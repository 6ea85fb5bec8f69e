// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Testing

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct ConfigLoaderTests {
    @Test func shippedLoopbackDefault() throws {
        let path = repoRoot.appendingPathComponent("config/dialtone.yaml").path
        let config = try ConfigLoader.load(path: path)
        #expect(config.spans.map(\.name) == ["pstn", "pstn2", "agents"])
        let pstn = try #require(config.span(named: "pstn"))
        #expect(pstn.type == .e1 && pstn.role == .cpe && pstn.switchType == .euroisdnE1 && pstn.law == .alaw)
        #expect(pstn.channels == Array(1...15) + Array(17...31))
        #expect(pstn.peer == .simulator)
        #expect(config.span(named: "agents")?.role == .net)
        #expect(config.routes.count == 2)
        #expect(config.routes[0].pattern == .exact("5551000"))
        #expect(config.routes[1].pattern == .prefix("555") && config.routes[1].spans == ["agents"] && config.routes[1].answerTimeout == 30)
        #expect(config.daemon.controlSocket == "var/run/control.sock")
    }

    @Test func shippedExamplesValidate() throws {
        let dir = repoRoot.appendingPathComponent("config/examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for f in files { _ = try ConfigLoader.load(path: dir.appendingPathComponent(f).path) }
    }

    @Test func t1DefaultsAndRanges() throws {
        let c = try ConfigLoader.parse(yaml: """
            spans:
              - name: t1
                type: t1
                role: net
                switchtype: national
                channels: 1-4, 7,9-10
            routes:
              - prefix: "8"
                to: t1
                strip: 1
                prepend: "2"
            """, file: "t.yaml")
        let s = c.spans[0]
        #expect(s.type == .t1 && s.law == .mulaw && s.framing == "esf" && s.coding == "b8zs")
        #expect(s.channels == [1, 2, 3, 4, 7, 9, 10])
        #expect(c.routes[0].translate("8123") == "2123")
    }

    func error(_ yaml: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "x.yaml")
            return nil
        } catch {
            return error
        }
    }

    static let span = """
        spans:
          - name: a
            type: E1
            role: cpe
            switchtype: euroisdn_e1

        """

    @Test func unknownKeyNamesLineColumnAndSuggests() throws {
        let e = try #require(error("""
            spans:
              - name: a
                type: E1
                role: cpe
                swichtype: euroisdn_e1
            """))
        #expect(e.file == "x.yaml" && e.line == 5 && e.column == 5)
        #expect(e.key == "spans[0].swichtype")
        #expect(e.message.contains("did you mean 'switchtype'"))
        #expect(e.description.hasPrefix("x.yaml:5:5: spans[0].swichtype:"))
    }

    @Test func badValues() throws {
        var e = try #require(error(Self.span.replacingOccurrences(of: "type: E1", with: "type: J1")))
        #expect(e.line == 3 && e.key == "spans[0].type" && e.message.contains("E1, T1"))
        e = try #require(error(Self.span.replacingOccurrences(of: "switchtype: euroisdn_e1", with: "switchtype: ni3")))
        #expect(e.line == 5 && e.key == "spans[0].switchtype" && e.message.contains("national"))
        e = try #require(error(Self.span.replacingOccurrences(of: "role: cpe", with: "role: user")))
        #expect(e.line == 4 && e.key == "spans[0].role")
        e = try #require(error(Self.span + "    channels: 1-16\n"))
        #expect(e.line == 6 && e.key == "spans[0].channels" && e.message.contains("channel 16"))
        e = try #require(error(Self.span + "    debug: lots\n"))
        #expect(e.line == 6 && e.key == "spans[0].debug" && e.message.contains("integer"))
    }

    @Test func missingAndInconsistent() throws {
        var e = try #require(error("""
            spans:
              - name: a
                type: E1
                role: cpe
            """))
        #expect(e.key == "spans[0].switchtype" && e.message.contains("missing"))
        e = try #require(error(Self.span + "  - name: a\n    type: T1\n    role: net\n    switchtype: national\n"))
        #expect(e.line == 6 && e.message.contains("duplicate span name"))
        e = try #require(error(Self.span + "routes:\n  - match: \"100\"\n    to: nowhere\n"))
        #expect(e.line == 8 && e.key == "routes[0].to" && e.message.contains("no span named 'nowhere'"))
        e = try #require(error(Self.span + "routes:\n  - match: \"100\"\n    prefix: \"1\"\n    to: a\n"))
        #expect(e.line == 8 && e.message.contains("not both"))
        e = try #require(error(Self.span + "routes:\n  - match: \"1x0\"\n    to: a\n"))
        #expect(e.line == 7 && e.key == "routes[0].match")
        e = try #require(error(Self.span + "    driver: dahdi\n"))
        #expect(e.key == "spans[0].dahdi_span")
        e = try #require(error("daemon:\n  log_level: info\n"))
        #expect(e.key == "spans" && e.message.contains("missing"))
    }

    @Test func yamlSyntaxError() throws {
        let e = try #require(error("spans:\n  - name: a\n    type: [E1\n"))
        #expect(e.key == "(yaml)" && e.line >= 3 && e.message.contains("YAML"))
    }

    @Test func unreadableFile() throws {
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/dialtone.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "/nonexistent/dialtone.yaml" && error.line == 0)
        }
    }
}
