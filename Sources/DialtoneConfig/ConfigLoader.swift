// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Yams

/// Reads and validates the YAML configuration (docs/config.md). The first
/// problem stops loading with a ``ConfigError`` naming file, line, column and key.
public enum ConfigLoader {
    /// Where `dialtone serve` looks without `--config`.
    public static let defaultPath = "/etc/dialtone/dialtone.yaml"

    static let topKeys = ["daemon", "spans", "routes", "simulator", "prompts", "menus", "schedules", "recording", "tone_sets", "applications", "agents", "customers", "fax"]
    static let recordingKeys = ["directory", "format", "layout", "calls", "alsa_device", "alsa_config", "on_demand"]
    static let recordingRuleKeys = ["span", "route", "percent"]
    static let daemonKeys = ["control_socket", "database", "log_level", "pcap", "drain_seconds",
                             "control_socket_mode", "control_socket_group", "buffer_frames", "queue_log"]
    static let simulatorKeys = ["calls_per_second", "hold_seconds", "max_calls", "dial_numbers", "answer_delay"]
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// At most this many spans: the media engine's bridge table
    /// (`MediaEngine.maxBridges`, 1024 two-party bridges) holds every B-channel
    /// of 64 E1s bridged in pairs (64 × 31 = 1984 channels).
    public static let maxSpans = 64
    /// Waits and holds in seconds (drain, simulated hold): up to an hour.
    static let waitSeconds: ClosedRange<Double> = 0...3600

    /// Reads `path` and parses it. A file that cannot be read is reported at line 0.
    public static func load(path: String, checkFiles: Bool = true) throws(ConfigError) -> DialtoneConfig {
        func unreadable(_ why: String) -> ConfigError {
            ConfigError(file: path, line: 0, column: 0, key: "(file)", message: "cannot read the configuration: \(why)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw unreadable("no such file") }
        guard !isDirectory.boolValue else { throw unreadable("it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw unreadable(FileManager.default.isReadableFile(atPath: path) ? "read failed" : "permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw unreadable("not UTF-8 text") }
        return try parse(yaml: text, file: path, checkFiles: checkFiles)
    }

    /// Parses configuration text; `file` is used in messages, as `sourcePath`, and
    /// as the base of relative prompt directories. `checkFiles` reads every prompt.
    public static func parse(yaml: String, file: String, checkFiles: Bool = true) throws(ConfigError) -> DialtoneConfig {
        let r = YAMLReader(file: file)
        let root = try compose(yaml, file: file)
        let top = try r.mapping(root, "", allowed: topKeys)
        var config = DialtoneConfig(sourcePath: file)

        if let d = top["daemon"] { config.daemon = try parseDaemon(d.value, r) }

        guard let spansNode = top["spans"] else {
            throw r.error(root, "spans", "missing required key 'spans' (a list of spans)")
        }
        if let t = top["tone_sets"] { config.toneSets = try parseToneSets(t.value, r) }
        for (i, node) in try r.sequence(spansNode.value, "spans").enumerated() {
            guard i < maxSpans else {
                throw r.error(node, "spans[\(i)]", "too many spans: at most \(maxSpans) (the media engine's bridge table holds \(maxSpans) E1s)")
            }
            let span = try parseSpan(node, "spans[\(i)]", r, toneSets: config.toneSets)
            if config.spans.contains(where: { $0.name == span.name }) {
                throw r.error(spanName(node), "spans[\(i)].name", "duplicate span name '\(span.name)'")
            }
            config.spans.append(span)
        }
        if config.spans.isEmpty { throw r.error(spansNode.value, "spans", "at least one span is required") }

        let refs = References()
        if let p = top["prompts"] { config.prompts = try parsePrompts(p.value, r, configFile: file, refs) }
        else { config.prompts.directory = resolve(config.prompts.directory, relativeTo: file) }
        if let s = top["schedules"] { config.schedules = try parseSchedules(s.value, r) }
        if let a = top["applications"] { config.applications = try parseApplications(a.value, r, refs) }
        if let a = top["agents"] { config.agents = try parseAgents(a.value, r, refs, applications: config.applications) }
        try checkQueues(&config, r, agentsNode: top["agents"]?.value)
        if let m = top["menus"] { config.menus = try parseMenus(m.value, r, refs) }
        if let routes = top["routes"] {
            for (i, node) in try r.sequence(routes.value, "routes").enumerated() {
                config.routes.append(try parseRoute(node, "routes[\(i)]", r, spans: config.spans, refs: refs))
            }
        }

        if let s = top["simulator"] { config.simulator = try parseSimulator(s.value, r) }
        if let v = top["recording"] { config.recording = try parseRecording(v.value, r, config: config) }
        if let v = top["customers"] { config.customers = try parseCustomers(v.value, r) }
        if let v = top["fax"] { config.fax = try parseFax(v.value, r, configFile: file, checkFiles: checkFiles) }
        try checkFax(config, r, faxNode: top["fax"]?.value, refs: refs)
        try checkReferences(config, refs, r, checkFiles: checkFiles)
        return config
    }

    static func compose(_ yaml: String, file: String) throws(ConfigError) -> Node {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let e as YamlError {
            throw syntaxError(e, yaml: yaml, file: file)
        } catch {
            throw ConfigError(file: file, line: 0, column: 0, key: "(yaml)", message: "YAML error: \(error)")
        }
        guard let root else {
            throw ConfigError(file: file, line: 1, column: 1, key: "(file)", message: "the file is empty; it needs at least `spans:`")
        }
        return root
    }

    static func parseDaemon(_ node: Node, _ r: YAMLReader) throws(ConfigError) -> DaemonSettings {
        let m = try r.mapping(node, "daemon", allowed: daemonKeys)
        var daemon = DaemonSettings()
        if let v = m["control_socket"] { daemon.controlSocket = try socketPath(v.value, "daemon.control_socket", r) }
        if let v = m["database"] { daemon.database = try path(v.value, "daemon.database", r) }
        if let v = m["control_socket_mode"] { daemon.controlSocketMode = try socketMode(v.value, "daemon.control_socket_mode", r) }
        if let v = m["control_socket_group"] { daemon.controlSocketGroup = try socketGroup(v.value, "daemon.control_socket_group", r) }
        // `pcap:` with no value means no capture, like leaving the key out.
        if let v = m["pcap"], !YAMLReader.isNull(v.value) { daemon.pcap = try path(v.value, "daemon.pcap", r) }
        if let v = m["queue_log"], !YAMLReader.isNull(v.value) { daemon.queueLog = try path(v.value, "daemon.queue_log", r) }
        if let v = m["buffer_frames"] { daemon.bufferFrames = try r.int(v.value, "daemon.buffer_frames", range: 2...30) }
        if let v = m["drain_seconds"] { daemon.drainSeconds = try r.double(v.value, "daemon.drain_seconds", range: waitSeconds, unit: "seconds") }
        if let v = m["log_level"] {
            let level = try r.string(v.value, "daemon.log_level").lowercased()
            guard logLevels.contains(level) else {
                throw r.error(v.value, "daemon.log_level", "'\(level)' is not one of: \(logLevels.joined(separator: ", "))")
            }
            daemon.logLevel = level
        }
        return daemon
    }

    static func parseRecording(_ node: Node, _ r: YAMLReader, config: DialtoneConfig) throws(ConfigError) -> RecordingConfig {
        let m = try r.mapping(node, "recording", allowed: recordingKeys)
        var rec = RecordingConfig()
        if let v = m["directory"] { rec.directory = try path(v.value, "recording.directory", r) }
        if let v = m["format"] { rec.format = try r.choice(v.value, "recording.format", WAVFormat.self) }
        if let v = m["layout"] { rec.layout = try r.choice(v.value, "recording.layout", RecordingLayout.self) }
        if let v = m["alsa_device"] { rec.alsaDevice = try r.string(v.value, "recording.alsa_device") }
        if let v = m["alsa_config"] {
            let text = try r.string(v.value, "recording.alsa_config")
            if let problem = AlsaStream.checkConfig(text, device: rec.alsaDevice) {
                throw r.error(v.value, "recording.alsa_config", problem)
            }
            rec.alsaConfig = text
            if rec.alsaDevice == nil {
                throw r.error(v.key, "recording.alsa_config", "alsa_config defines devices for alsa_device, which is not set")
            }
        }
        if let v = m["on_demand"] {
            let code = try digits(v.value, "recording.on_demand", r)
            guard (2...8).contains(code.count) else {
                throw r.error(v.value, "recording.on_demand", "'\(code)' should be 2 to 8 keys, e.g. \"*1\" (one key would trigger by accident)")
            }
            rec.onDemandCode = code
        }
        if let v = m["calls"] {
            for (i, n) in try r.sequence(v.value, "recording.calls").enumerated() {
                let key = "recording.calls[\(i)]"
                let rule = try r.mapping(n, key, allowed: recordingRuleKeys)
                var out = RecordingConfig.Rule()
                if let s = rule["span"] {
                    let name = try r.string(s.value, "\(key).span")
                    guard config.span(named: name) != nil else {
                        throw r.error(s.value, "\(key).span", "no span named '\(name)' (spans: \(config.spans.map(\.name).joined(separator: ", ")))")
                    }
                    out.span = name
                }
                if let s = rule["route"] {
                    let text = try digits(s.value, "\(key).route", r)
                    guard config.routes.contains(where: { $0.pattern == .exact(text) || $0.pattern == .prefix(text) }) else {
                        throw r.error(s.value, "\(key).route", "no route with match or prefix '\(text)'")
                    }
                    out.route = text
                }
                if let p = rule["percent"] {
                    out.percent = try r.double(p.value, "\(key).percent", range: 0...100, unit: "%")
                }
                rec.rules.append(out)
            }
        }
        return rec
    }

    /// `NAME: {dial: SPEC, ringback: SPEC, busy: SPEC, congestion: SPEC}`, SPEC as in ``ToneSet/parseSpec(_:)``.
    static func parseToneSets(_ node: Node, _ r: YAMLReader) throws(ConfigError) -> [String: ToneSet] {
        guard case .mapping(let m) = node else { throw r.error(node, "tone_sets", "expected a mapping of set names to tones") }
        var out: [String: ToneSet] = [:]
        for (k, v) in m {
            let name = k.string ?? ""
            let path = "tone_sets.\(name)"
            let tones = try r.mapping(v, path, allowed: Tone.allCases.map(\.name))
            var set = ToneSet(name: name, specs: [:])
            for tone in Tone.allCases {
                guard let t = tones[tone.name] else {
                    throw r.error(v, "\(path).\(tone.name)", "missing '\(tone.name)' (every set defines dial, ringback, busy and congestion)")
                }
                let text = try r.string(t.value, "\(path).\(tone.name)")
                guard let spec = ToneSet.parseSpec(text) else {
                    throw r.error(t.value, "\(path).\(tone.name)",
                                  "'\(text)' is not a tone: F1[+F2][@LEVEL][/ON,OFF[,ON,OFF]] in Hz, dBm0 and ms, e.g. \"400+450@-19/400,200,400,2000\"")
                }
                set.specs[tone] = spec
            }
            out[name] = set
        }
        return out
    }

    static func parseSimulator(_ node: Node, _ r: YAMLReader) throws(ConfigError) -> SimulatorConfig {
        let m = try r.mapping(node, "simulator", allowed: simulatorKeys)
        var sim = SimulatorConfig()
        if let v = m["calls_per_second"] { sim.callsPerSecond = try r.double(v.value, "simulator.calls_per_second", range: 0...1000, unit: "calls per second") }
        if let v = m["hold_seconds"] { sim.holdSeconds = try r.double(v.value, "simulator.hold_seconds", range: waitSeconds, unit: "seconds") }
        if let v = m["max_calls"] { sim.maxCalls = try r.int(v.value, "simulator.max_calls", range: 1...10_000) }
        if let v = m["answer_delay"] { sim.answerDelay = try r.double(v.value, "simulator.answer_delay", range: 0...300, unit: "seconds") }
        if let v = m["dial_numbers"] {
            sim.dialNumbers = try r.sequence(v.value, "simulator.dial_numbers").enumerated().map { (i, n) throws(ConfigError) in
                try digits(n, "simulator.dial_numbers[\(i)]", r)
            }
        }
        return sim
    }

    /// A non-empty path (kept as written; relative paths are the daemon's business).
    static func path(_ node: Node, _ key: String, _ r: YAMLReader) throws(ConfigError) -> String {
        let p = try r.string(node, key)
        guard !p.isEmpty else { throw r.error(node, key, "expected a file path, got an empty string") }
        return p
    }

    /// A Unix socket path that fits `sockaddr_un.sun_path` as written (the
    /// daemon binds a relative path from its working directory, unchanged).
    static func socketPath(_ node: Node, _ key: String, _ r: YAMLReader) throws(ConfigError) -> String {
        try fitsSocketAddress(try path(node, key, r), node, key, r)
    }

    /// `p` when it fits `sockaddr_un.sun_path` (never cut short at bind).
    static func fitsSocketAddress(_ p: String, _ node: Node, _ key: String, _ r: YAMLReader) throws(ConfigError) -> String {
        guard p.utf8.count <= SocketSpan.maxPathBytes else {
            throw r.error(node, key, "a Unix socket path is at most \(SocketSpan.maxPathBytes) bytes (sockaddr_un), this one has \(p.utf8.count)")
        }
        return p
    }

    /// A dialable number: digits, `*` and `#`.
    static func digits(_ node: Node, _ path: String, _ r: YAMLReader, allowEmpty: Bool = false) throws(ConfigError) -> String {
        let s = try r.string(node, path)
        guard allowEmpty || !s.isEmpty, s.allSatisfy({ "0123456789*#".contains($0) }) else {
            throw r.error(node, path, "'\(s)' is not a dialable number (digits 0-9, * and # only; quote it to keep leading zeros)")
        }
        return s
    }
}
