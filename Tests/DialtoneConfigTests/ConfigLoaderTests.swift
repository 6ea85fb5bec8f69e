// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Testing

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shipped files parse to what they say.
@Suite struct ShippedConfigTests {
    @Test func loopbackDefault() throws {
        let path = repoRoot.appendingPathComponent("config/dialtone.yaml").path
        let config = try ConfigLoader.load(path: path)
        #expect(config.sourcePath == path)
        #expect(config.daemon == DaemonSettings(controlSocket: "var/run/control.sock", database: "var/dialtone.sqlite",
                                                logLevel: "info", pcap: nil, drainSeconds: 10))
        #expect(config.spans.map(\.name) == ["pstn", "pstn2", "agents"])
        #expect(config.spans.allSatisfy { $0.driver == .virtual && $0.peer == .simulator && $0.type == .e1 })
        #expect(config.spans.allSatisfy { $0.switchType == .euroisdnE1 && $0.law == .alaw && $0.channels == SpanType.e1.bearerChannels })
        let pstn = try #require(config.span(named: "pstn"))
        #expect(pstn == SpanConfig(name: "pstn", driver: .virtual, type: .e1, role: .cpe, switchType: .euroisdnE1,
                                   law: .alaw, framing: "ccs", coding: "hdb3", peer: .simulator, overlap: false, debug: 0))
        #expect(config.span(named: "pstn2")?.role == .cpe)
        #expect(config.span(named: "agents")?.role == .net)
        #expect(config.routes.count == 4)
        #expect(config.routes[0].pattern == .exact("5552000") && config.routes[0].action == .menu("main"))
        #expect(config.routes[1].action == .schedule("office", open: .menu("main"), closed: .hangup(prompt: "closed")))
        #expect(config.routes[2].pattern == .exact("5551000") && config.routes[2].spans == ["agents"])
        #expect(config.routes[2].strip == 0 && config.routes[2].prepend == "" && config.routes[2].answerTimeout == 60)
        #expect(config.routes[3].pattern == .prefix("555") && config.routes[3].spans == ["agents"])
        #expect(config.routes[3].answerTimeout == 30)
        // The IVR: prompts next to the config, five menus, an office schedule.
        #expect(config.prompts.directory == repoRoot.appendingPathComponent("config/../prompts").path)
        #expect(config.prompts.languages == ["en"])
        #expect(config.menus.keys.sorted() == ["account", "billing", "main", "sales", "support"])
        #expect(config.menus["main"]?.options["1"] == .menu("sales") && config.menus["main"]?.options["0"] == .route("5551000", failure: .menu("main")))
        // 10 % of the pstn calls are recorded, in stereo µ-law; *1 records on demand.
        #expect(config.recording.rules == [.init(span: "pstn", percent: 10)] && config.recording.format == .mulaw
                && config.recording.layout == .stereo && config.recording.onDemandCode == "*1")
        #expect(config.menus["main"]?.failure == .hangup(prompt: "goodbye"))
        #expect(config.menus["account"]?.collect == CollectConfig(variable: "customer", minDigits: 4, maxDigits: 10,
                                                                 terminator: "#", then: .route("5551005")))
        #expect(config.schedules["office"]?.open.count == 2)
        #expect(config.simulator == SimulatorConfig(callsPerSecond: 0, holdSeconds: 4, maxCalls: 40,
                                                    dialNumbers: ["5551000"], answerDelay: 0.2))
    }

    @Test func t1NationalDAHDIExample() throws {
        let config = try ConfigLoader.load(path: repoRoot.appendingPathComponent("config/examples/t1-ni2-dahdi.yaml").path)
        #expect(config.daemon.controlSocket == "/run/dialtone/control.sock")
        #expect(config.daemon.database == "/var/lib/dialtone/dialtone.sqlite")
        #expect(config.spans.map(\.name) == ["carrier", "agents"])
        let carrier = try #require(config.span(named: "carrier"))
        #expect(carrier == SpanConfig(name: "carrier", driver: .dahdi, type: .t1, role: .cpe, switchType: .national,
                                      law: .mulaw, framing: "esf", coding: "b8zs", channels: Array(1...23),
                                      dahdiSpan: 1, dahdiBaseChannel: 1, peer: .line))
        let agents = try #require(config.span(named: "agents"))
        #expect(agents.driver == .dahdi && agents.role == .net && agents.switchType == .national)
        #expect(agents.dahdiSpan == 2 && agents.dahdiBaseChannel == 25 && agents.peer == .line)
        #expect(config.routes.map(\.pattern) == [.prefix("800")] && config.routes[0].spans == ["agents"])
    }

    @Test func everyExampleValidates() throws {
        let dir = repoRoot.appendingPathComponent("config/examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.contains("t1-ni2-dahdi.yaml"))
        for f in files { _ = try ConfigLoader.load(path: dir.appendingPathComponent(f).path) }
    }

    @Test func defaultPath() {
        #expect(ConfigLoader.defaultPath == "/etc/dialtone/dialtone.yaml")
    }
}

/// Values and defaults of inline documents.
@Suite struct ConfigLoaderValueTests {
    @Test func minimalSpanGetsDefaults() throws {
        let c = try ConfigLoader.parse(yaml: "spans:\n  - {name: a, type: e1, role: CPE, switchtype: qsig}\n", file: "m.yaml")
        #expect(c.daemon == DaemonSettings())
        #expect(c.simulator == SimulatorConfig())
        #expect(c.routes.isEmpty)
        #expect(c.spans == [SpanConfig(name: "a", type: .e1, role: .cpe, switchType: .qsig)])
        #expect(c.spans[0].law == .alaw && c.spans[0].framing == "ccs" && c.spans[0].peer == .simulator)
    }

    @Test func t1DefaultsRangesAndTranslation() throws {
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
        #expect(c.routes[0].line == 8)
    }

    @Test func everyKeyRead() throws {
        let c = try ConfigLoader.parse(yaml: """
            daemon:
              control_socket: /tmp/c.sock
              database: /tmp/d.sqlite
              log_level: DEBUG
              pcap: /tmp/dchan.pcap
              drain_seconds: 2.5
            spans:
              - name: a
                driver: virtual
                type: E1
                role: cpe
                switchtype: euroisdn_e1
                law: ulaw
                framing: crc4
                coding: ami
                channels: [1, 2, "5-6", 31]
                peer: socket:/tmp/a.sock
                overlap: true
                debug: 0x44
              - name: b
                type: T1
                role: net
                switchtype: 5ess
            routes:
              - match: "5551000"
                to: [b, a]
                answer_timeout: 15
            simulator:
              calls_per_second: 4
              hold_seconds: 10
              max_calls: 8
              dial_numbers: ["100", 200]
              answer_delay: 1
            """, file: "all.yaml")
        #expect(c.daemon == DaemonSettings(controlSocket: "/tmp/c.sock", database: "/tmp/d.sqlite", logLevel: "debug",
                                           pcap: "/tmp/dchan.pcap", drainSeconds: 2.5))
        #expect(c.spans[0] == SpanConfig(name: "a", driver: .virtual, type: .e1, role: .cpe, switchType: .euroisdnE1,
                                         law: .mulaw, framing: "crc4", coding: "ami", channels: [1, 2, 5, 6, 31],
                                         peer: .socket(path: "/tmp/a.sock"), overlap: true, debug: 0x44))
        #expect(c.spans[1].switchType == .lucent5e && c.spans[1].law == .mulaw)
        #expect(c.routes[0].spans == ["b", "a"] && c.routes[0].answerTimeout == 15)
        #expect(c.simulator == SimulatorConfig(callsPerSecond: 4, holdSeconds: 10, maxCalls: 8,
                                               dialNumbers: ["100", "200"], answerDelay: 1))
    }

    @Test func dahdiLoopPeerAndEmptyPcap() throws {
        let c = try ConfigLoader.parse(yaml: """
            daemon:
              pcap:
            spans:
              - {name: a, driver: dahdi, dahdi_span: 1, dahdi_base_channel: 1, type: T1, role: cpe,
                 switchtype: national, peer: "dahdi:2:25"}
            """, file: "d.yaml")
        #expect(c.daemon.pcap == nil)
        #expect(c.spans[0].peer == .dahdiLoop(span: 2, baseChannel: 25))
    }
}

/// Each kind of mistake names the file, the line and column, the key, and what is allowed.
@Suite struct ConfigLoaderErrorTests {
    /// A valid one-span document (5 lines); tests append to it or replace in it.
    static let span = """
        spans:
          - name: a
            type: E1
            role: cpe
            switchtype: euroisdn_e1

        """

    func expectError(_ yaml: String, line: Int, column: Int, key: String, _ fragments: String...,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let c = try ConfigLoader.parse(yaml: yaml, file: "x.yaml")
            Issue.record("expected an error at \(line):\(column) \(key), parsed \(c)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.file == "x.yaml", sourceLocation: sourceLocation)
            #expect("\(error.line):\(error.column)" == "\(line):\(column)", "\(error)", sourceLocation: sourceLocation)
            #expect(error.key == key, "\(error)", sourceLocation: sourceLocation)
            for f in fragments { #expect(error.message.contains(f), "\(error)", sourceLocation: sourceLocation) }
            #expect(error.description == "x.yaml:\(error.line):\(error.column): \(error.key): \(error.message)",
                    sourceLocation: sourceLocation)
        }
    }

    func replacing(_ old: String, _ new: String) -> String {
        precondition(Self.span.contains(old))
        return Self.span.replacingOccurrences(of: old, with: new)
    }

    /// The recording section: formats and layouts by name, the ALSA
    /// device's private configuration parsed by alsa-lib at load.
    @Test func recordingSection() throws {
        let c = try ConfigLoader.parse(yaml: Self.span + """
        recording:
          directory: /var/spool/dialtone
          format: ulaw
          layout: stereo
          calls: [{span: a, percent: 10}]
          alsa_device: tap
          alsa_config: "pcm.tap { type file slave.pcm { type null } file /tmp/tap.raw format raw }"

        """, file: "x.yaml")
        #expect(c.recording.format == .mulaw && c.recording.layout == .stereo && c.recording.alsaDevice == "tap")
        #expect(c.recording.rules == [.init(span: "a", percent: 10)])
        expectError(Self.span + """
        recording:
          alsa_device: tap
          alsa_config: "pcm.tap { type file "

        """, line: 8, column: 16, key: "recording.alsa_config", "alsa-lib cannot parse it")
        expectError(Self.span + """
        recording:
          alsa_device: tapp
          alsa_config: "pcm.tap { type null }"

        """, line: 8, column: 16, key: "recording.alsa_config", "does not define pcm.tapp")
        expectError(Self.span + """
        recording:
          alsa_config: "pcm.tap { type null }"

        """, line: 7, column: 3, key: "recording.alsa_config", "alsa_device, which is not set")
    }

    @Test func unknownKeys() {
        expectError(replacing("switchtype:", "swichtype:"), line: 5, column: 5, key: "spans[0].swichtype",
                    "unknown key 'swichtype'; did you mean 'switchtype'?")
        expectError("rotues: []\n" + Self.span, line: 1, column: 1, key: "rotues", "did you mean 'routes'?")
        expectError(Self.span + "daemon:\n  databse: x.sqlite\n", line: 7, column: 3, key: "daemon.databse",
                    "did you mean 'database'?")
        expectError(Self.span + "routes:\n  - prefix: \"1\"\n    to: a\n    strp: 1\n", line: 9, column: 5, key: "routes[0].strp",
                    "did you mean 'strip'?")
        expectError(Self.span + "simulator:\n  max_call: 3\n", line: 7, column: 3, key: "simulator.max_call",
                    "did you mean 'max_calls'?")
        expectError(Self.span + "    colour: red\n", line: 6, column: 5, key: "spans[0].colour", "unknown key 'colour' (allowed: name,")
    }

    @Test func wrongTypes() {
        expectError(Self.span + "    debug: lots\n", line: 6, column: 12, key: "spans[0].debug", "expected an integer, got 'lots'")
        expectError(Self.span + "    overlap: maybe\n", line: 6, column: 14, key: "spans[0].overlap", "expected true or false")
        expectError("spans: pstn\n", line: 1, column: 8, key: "spans", "expected a list, got 'pstn'")
        expectError("spans:\n  - pstn\n", line: 2, column: 5, key: "spans[0]", "expected a span")
        expectError(Self.span + "daemon: [a]\n", line: 6, column: 9, key: "daemon", "expected a mapping")
        expectError(Self.span + "daemon:\n  drain_seconds: soon\n", line: 7, column: 18, key: "daemon.drain_seconds",
                    "expected a number")
        expectError(Self.span + "daemon:\n  drain_seconds: -1\n", line: 7, column: 18, key: "daemon.drain_seconds",
                    "-1 is out of range 0…3600 seconds")
        expectError(replacing("name: a", "name: [a]"), line: 2, column: 11, key: "spans[0].name", "expected a string, got a list")
        expectError(replacing("name: a", "name: a b"), line: 2, column: 11, key: "spans[0].name", "letters, digits")
        expectError(Self.span + "simulator:\n  max_calls: 0\n", line: 7, column: 14, key: "simulator.max_calls", "out of range 1…10000")
        expectError(Self.span + "simulator:\n  dial_numbers: [\"12a\"]\n", line: 7, column: 18,
                    key: "simulator.dial_numbers[0]", "not a dialable number")
        expectError("- a\n", line: 1, column: 1, key: "(top level)", "expected a mapping")
    }

    @Test func badEnumValues() {
        expectError(replacing("type: E1", "type: J1"), line: 3, column: 11, key: "spans[0].type", "'J1' is not one of: E1, T1")
        expectError(replacing("switchtype: euroisdn_e1", "switchtype: ni3"), line: 5, column: 17, key: "spans[0].switchtype",
                    "'ni3' is not one of: national, ni1, dms100, 4ess, 5ess, euroisdn_e1, euroisdn_t1, qsig")
        expectError(replacing("role: cpe", "role: user"), line: 4, column: 11, key: "spans[0].role", "one of: net, cpe")
        expectError(Self.span + "    driver: zaptel\n", line: 6, column: 13, key: "spans[0].driver", "one of: virtual, dahdi")
        expectError(Self.span + "    law: mlaw\n", line: 6, column: 10, key: "spans[0].law", "one of: ulaw, alaw")
        expectError(Self.span + "    framing: esf\n", line: 6, column: 14, key: "spans[0].framing", "not a E1 framing: ccs, cas")
        expectError(Self.span + "    coding: b8zs\n", line: 6, column: 13, key: "spans[0].coding", "hdb3, ami")
        expectError(Self.span + "    peer: pbx\n", line: 6, column: 11, key: "spans[0].peer", "'simulator' or 'socket:")
        expectError(Self.span + "daemon:\n  log_level: loud\n", line: 7, column: 14, key: "daemon.log_level", "trace, debug, info")
    }

    @Test func missingRequiredKeys() {
        // Reported at the span's first key, line 2 column 5.
        expectError(replacing("  - name: a\n    type: E1", "  - type: E1"), line: 2, column: 5, key: "spans[0].name",
                    "missing required key 'name'")
        expectError(replacing("    type: E1\n", ""), line: 2, column: 5, key: "spans[0].type", "missing required key 'type' (E1 or T1)")
        expectError(replacing("    role: cpe\n", ""), line: 2, column: 5, key: "spans[0].role", "missing required key 'role' (cpe or net)")
        expectError(replacing("    switchtype: euroisdn_e1\n", ""), line: 2, column: 5, key: "spans[0].switchtype",
                    "missing required key 'switchtype' (national, ni1,")
        expectError(Self.span + "routes:\n  - to: a\n", line: 7, column: 5, key: "routes[0].match",
                    "missing required key 'match' (exact number) or 'prefix'")
        expectError(Self.span + "routes:\n  - match: \"100\"\n", line: 7, column: 5, key: "routes[0].to", "missing required key 'to'")
        expectError("daemon:\n  log_level: info\n", line: 1, column: 1, key: "spans", "missing required key 'spans'")
        expectError("spans: []\n", line: 1, column: 8, key: "spans", "at least one span")
        expectError("\n# nothing\n", line: 1, column: 1, key: "(file)", "empty")
    }

    @Test func duplicateSpanName() {
        expectError(Self.span + "  - name: a\n    type: T1\n    role: net\n    switchtype: national\n",
                    line: 6, column: 11, key: "spans[1].name", "duplicate span name 'a'")
    }

    @Test func routeToUnknownSpan() {
        expectError(Self.span + "routes:\n  - match: \"100\"\n    to: nowhere\n", line: 8, column: 9, key: "routes[0].to",
                    "no span named 'nowhere' (spans: a)")
        expectError(Self.span + "routes:\n  - match: \"100\"\n    to: [a, nowhere]\n", line: 8, column: 13, key: "routes[0].to[1]",
                    "no span named 'nowhere'")
        expectError(Self.span + "routes:\n  - match: \"100\"\n    to: []\n", line: 8, column: 9, key: "routes[0].to", "empty")
        expectError(Self.span + "routes:\n  - match: \"1x0\"\n    to: a\n", line: 7, column: 12, key: "routes[0].match",
                    "not a dialable number")
    }

    @Test func bothMatchAndPrefix() {
        expectError(Self.span + "routes:\n  - match: \"100\"\n    prefix: \"1\"\n    to: a\n", line: 8, column: 5,
                    key: "routes[0].prefix", "either 'match' (exact number) or 'prefix', not both")
    }

    @Test func channelsOutsideTheType() {
        expectError(Self.span + "    channels: 1-16\n", line: 6, column: 15, key: "spans[0].channels",
                    "channel 16 is not a B-channel of a E1 span (1-15,17-31)")
        expectError(Self.span + "    channels: 1-31,32\n", line: 6, column: 15, key: "spans[0].channels", "channel 16")
        expectError(replacing("type: E1", "type: T1") + "    channels: [1, 2, 24]\n", line: 6, column: 22,
                    key: "spans[0].channels", "channel 24 is not a B-channel of a T1 span (1-23)")
        expectError(Self.span + "    channels: 5-\n", line: 6, column: 15, key: "spans[0].channels", "'5-' is not a channel or a range")
        expectError(Self.span + "    channels: 9-3\n", line: 6, column: 15, key: "spans[0].channels", "range like 1-15")
        expectError(Self.span + "    channels: []\n", line: 6, column: 15, key: "spans[0].channels", "no channels given")
    }

    @Test func switchtypeInconsistentWithTypeIsAllowed() throws {
        let c = try ConfigLoader.parse(yaml: replacing("switchtype: euroisdn_e1", "switchtype: national"), file: "x.yaml")
        #expect(c.spans[0].type == .e1 && c.spans[0].switchType == .national)
    }

    @Test func dahdiDriverNeedsItsNumbers() {
        expectError(Self.span + "    driver: dahdi\n", line: 2, column: 5, key: "spans[0].dahdi_span", "driver dahdi needs 'dahdi_span'")
        expectError(Self.span + "    driver: dahdi\n    dahdi_span: 1\n", line: 2, column: 5, key: "spans[0].dahdi_base_channel",
                    "driver dahdi needs 'dahdi_base_channel'")
        expectError(Self.span + "    dahdi_span: 1\n", line: 6, column: 5, key: "spans[0].dahdi_span", "driver dahdi only")
        expectError(Self.span + "    driver: dahdi\n    dahdi_span: 1\n    dahdi_base_channel: 1\n    peer: simulator\n",
                    line: 9, column: 11, key: "spans[0].peer", "'line' or 'dahdi:SPAN:BASE_CHANNEL'")
    }

    @Test func yamlSyntaxErrors() {
        // An unclosed flow sequence: libyaml notices at the end of the input.
        expectError("spans:\n  - name: a\n    type: [E1\n", line: 4, column: 1, key: "(yaml)", "YAML syntax error")
        expectError("spans:\n  - name: a\n\ttype: E1\n", line: 3, column: 1, key: "(yaml)", "YAML syntax error", "tab")
        expectError("spans:\n  - name: a\n     type: E1\n", line: 3, column: 10, key: "(yaml)", "YAML syntax error")
        expectError("spans:\n  - name: \"a\n", line: 3, column: 1, key: "(yaml)", "YAML syntax error")
    }

    @Test func repeatedKeyPointsAtTheRepeat() {
        expectError(Self.span + "    type: T1\n", line: 6, column: 5, key: "type", "key 'type' appears twice")
    }

    @Test func unreadableFile() throws {
        for (path, why) in [("/nonexistent/dialtone.yaml", "no such file"), (repoRoot.appendingPathComponent("config").path, "directory")] {
            do {
                _ = try ConfigLoader.load(path: path)
                Issue.record("expected an error for \(path)")
            } catch {
                #expect(error.file == path && error.line == 0 && error.column == 0 && error.key == "(file)")
                #expect(error.message.contains(why), "\(error)")
            }
        }
    }

    @Test func loadReportsTheFilePath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.yaml")
        try replacing("switchtype:", "swichtype:").write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigLoader.load(path: file.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("\(file.path):5:5: spans[0].swichtype: unknown key 'swichtype'"))
        }
    }
}
