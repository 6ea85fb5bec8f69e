// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Yams

/// Reads and validates the YAML configuration (docs/config.md). The first
/// problem stops loading with a ``ConfigError`` naming file, line, column and key.
public enum ConfigLoader {
    public static let defaultPath = "/etc/dialtone/dialtone.yaml"

    static let topKeys = ["daemon", "spans", "routes", "simulator"]
    static let daemonKeys = ["control_socket", "database", "log_level", "pcap", "drain_seconds"]
    static let spanKeys = ["name", "driver", "type", "role", "switchtype", "law", "framing", "coding", "channels",
                           "peer", "overlap", "debug", "dahdi_span", "dahdi_base_channel"]
    static let routeKeys = ["match", "prefix", "to", "strip", "prepend", "answer_timeout"]
    static let simulatorKeys = ["calls_per_second", "hold_seconds", "max_calls", "dial_numbers", "answer_delay"]
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public static func load(path: String) throws(ConfigError) -> DialtoneConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: 0, column: 0, key: "(file)", message: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(yaml: text, file: path)
    }

    public static func parse(yaml: String, file: String) throws(ConfigError) -> DialtoneConfig {
        let r = YAMLReader(file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(file: file, line: 1, column: 1, key: "(file)", message: "the file is empty; it needs at least `spans:`")
            }
            root = node
        } catch let e as ConfigError {
            throw e
        } catch let e as YamlError {
            throw syntaxError(e, file: file)
        } catch {
            throw ConfigError(file: file, line: 0, column: 0, key: "(yaml)", message: "\(error)")
        }
        let top = try r.mapping(root, "", allowed: topKeys)
        var config = DialtoneConfig(sourcePath: file)

        if let d = top["daemon"] {
            let m = try r.mapping(d.value, "daemon", allowed: daemonKeys)
            if let v = m["control_socket"] { config.daemon.controlSocket = try r.string(v.value, "daemon.control_socket") }
            if let v = m["database"] { config.daemon.database = try r.string(v.value, "daemon.database") }
            if let v = m["pcap"] { config.daemon.pcap = try r.string(v.value, "daemon.pcap") }
            if let v = m["drain_seconds"] { config.daemon.drainSeconds = try r.double(v.value, "daemon.drain_seconds") }
            if let v = m["log_level"] {
                let level = try r.string(v.value, "daemon.log_level")
                guard logLevels.contains(level) else {
                    throw r.error(v.value, "daemon.log_level", "'\(level)' is not one of: \(logLevels.joined(separator: ", "))")
                }
                config.daemon.logLevel = level
            }
        }

        guard let spansNode = top["spans"] else {
            throw r.error(root, "spans", "missing required key 'spans' (a list of spans)")
        }
        for (i, node) in try r.sequence(spansNode.value, "spans").enumerated() {
            let span = try parseSpan(node, "spans[\(i)]", r)
            if config.spans.contains(where: { $0.name == span.name }) {
                throw r.error(node, "spans[\(i)].name", "duplicate span name '\(span.name)'")
            }
            config.spans.append(span)
        }
        if config.spans.isEmpty { throw r.error(spansNode.value, "spans", "at least one span is required") }

        if let routes = top["routes"] {
            for (i, node) in try r.sequence(routes.value, "routes").enumerated() {
                config.routes.append(try parseRoute(node, "routes[\(i)]", r, spans: config.spans))
            }
        }

        if let s = top["simulator"] {
            let m = try r.mapping(s.value, "simulator", allowed: simulatorKeys)
            if let v = m["calls_per_second"] { config.simulator.callsPerSecond = try r.double(v.value, "simulator.calls_per_second") }
            if let v = m["hold_seconds"] { config.simulator.holdSeconds = try r.double(v.value, "simulator.hold_seconds") }
            if let v = m["max_calls"] { config.simulator.maxCalls = try r.int(v.value, "simulator.max_calls", range: 1...10_000) }
            if let v = m["answer_delay"] { config.simulator.answerDelay = try r.double(v.value, "simulator.answer_delay") }
            if let v = m["dial_numbers"] {
                config.simulator.dialNumbers = try r.sequence(v.value, "simulator.dial_numbers").enumerated().map { (i, n) throws(ConfigError) in
                    try digits(n, "simulator.dial_numbers[\(i)]", r)
                }
            }
        }
        return config
    }

    static func digits(_ node: Node, _ path: String, _ r: YAMLReader) throws(ConfigError) -> String {
        let s = try r.string(node, path)
        guard !s.isEmpty, s.allSatisfy({ "0123456789*#".contains($0) }) else {
            throw r.error(node, path, "'\(s)' is not a dialable number (digits 0-9, * and # only)")
        }
        return s
    }

    static func parseSpan(_ node: Node, _ path: String, _ r: YAMLReader) throws(ConfigError) -> SpanConfig {
        let m = try r.mapping(node, path, allowed: spanKeys)
        func required(_ key: String) throws(ConfigError) -> Node {
            guard let v = m[key] else { throw r.error(node, "\(path).\(key)", "missing required key '\(key)'") }
            return v.value
        }
        let name = try r.string(try required("name"), "\(path).name")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw r.error(m["name"]!.value, "\(path).name", "span names use letters, digits, '-' and '_'")
        }
        let type = try r.choice(try required("type"), "\(path).type", SpanType.self)
        let role = try r.choice(try required("role"), "\(path).role", SignallingRole.self)
        let switchType = try r.choice(try required("switchtype"), "\(path).switchtype", SwitchType.self)
        let driver = try m["driver"].map { v throws(ConfigError) in try r.choice(v.value, "\(path).driver", SpanDriverKind.self) } ?? .virtual
        let law = try m["law"].map { v throws(ConfigError) in try r.choice(v.value, "\(path).law", G711Law.self) }
        var span = SpanConfig(name: name, driver: driver, type: type, role: role, switchType: switchType, law: law)
        if let v = m["framing"] {
            let f = try r.string(v.value, "\(path).framing").lowercased()
            let allowed = type == .e1 ? ["ccs", "cas", "crc4", "ccs/crc4"] : ["esf", "d4", "sf"]
            guard allowed.contains(f) else { throw r.error(v.value, "\(path).framing", "'\(f)' is not a \(type.rawValue) framing: \(allowed.joined(separator: ", "))") }
            span.framing = f
        }
        if let v = m["coding"] {
            let c = try r.string(v.value, "\(path).coding").lowercased()
            let allowed = type == .e1 ? ["hdb3", "ami"] : ["b8zs", "ami"]
            guard allowed.contains(c) else { throw r.error(v.value, "\(path).coding", "'\(c)' is not a \(type.rawValue) line coding: \(allowed.joined(separator: ", "))") }
            span.coding = c
        }
        if let v = m["channels"] { span.channels = try channels(v.value, "\(path).channels", type: type, r) }
        if let v = m["overlap"] { span.overlap = try r.bool(v.value, "\(path).overlap") }
        if let v = m["debug"] { span.debug = try r.int(v.value, "\(path).debug", range: 0...0xFFFF) }
        if let v = m["dahdi_span"] { span.dahdiSpan = try r.int(v.value, "\(path).dahdi_span", range: 1...255) }
        if let v = m["dahdi_base_channel"] { span.dahdiBaseChannel = try r.int(v.value, "\(path).dahdi_base_channel", range: 1...8192) }
        if let v = m["peer"] {
            let p = try r.string(v.value, "\(path).peer")
            if driver == .virtual {
                if p == "simulator" {
                    span.peer = .simulator
                } else if p.hasPrefix("socket:"), p.count > 7 {
                    span.peer = .socket(path: String(p.dropFirst(7)))
                } else {
                    throw r.error(v.value, "\(path).peer", "'\(p)' is not 'simulator' or 'socket:/path/to.sock'")
                }
            } else {
                let parts = p.split(separator: ":")
                if p == "line" {
                    span.peer = .line
                } else if parts.count == 3, parts[0] == "dahdi", let spanNo = Int(parts[1]), let base = Int(parts[2]),
                          (1...255).contains(spanNo), base >= 1 {
                    span.peer = .dahdiLoop(span: spanNo, baseChannel: base)
                } else {
                    throw r.error(v.value, "\(path).peer",
                                  "'\(p)' is not 'line' or 'dahdi:SPAN:BASE_CHANNEL' (the looped far-end span the simulator drives)")
                }
            }
        }
        if driver == .dahdi {
            if span.dahdiSpan == nil { throw r.error(node, "\(path).dahdi_span", "driver dahdi needs 'dahdi_span' (the kernel span number)") }
            if span.dahdiBaseChannel == nil {
                throw r.error(node, "\(path).dahdi_base_channel", "driver dahdi needs 'dahdi_base_channel' (the DAHDI channel number of timeslot 1)")
            }
        } else {
            for key in ["dahdi_span", "dahdi_base_channel"] where m[key] != nil {
                throw r.error(m[key]!.key, "\(path).\(key)", "'\(key)' applies to driver dahdi only")
            }
        }
        return span
    }

    /// `1-15,17-31`, a single number, or a YAML list of numbers.
    static func channels(_ node: Node, _ path: String, type: SpanType, _ r: YAMLReader) throws(ConfigError) -> [Int] {
        var out: [Int] = []
        let items: [(Node, String)]
        if case .sequence(let s) = node {
            items = try s.map { n throws(ConfigError) in (n, try r.string(n, path)) }
        } else {
            let text = try r.string(node, path)
            items = text.split(separator: ",").map { (node, String($0).trimmingCharacters(in: .whitespaces)) }
        }
        for (n, item) in items {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (bounds.count == 1 || bounds.count == 2), let lo = bounds.first ?? nil, let hi = bounds.last ?? nil, lo <= hi else {
                throw r.error(n, path, "'\(item)' is not a channel or range like 1-15")
            }
            for ch in lo...hi {
                guard type.bearerChannels.contains(ch) else {
                    throw r.error(n, path, "channel \(ch) is not a B-channel of a \(type.rawValue) span (\(type == .e1 ? "1-15,17-31" : "1-23"))")
                }
                if !out.contains(ch) { out.append(ch) }
            }
        }
        guard !out.isEmpty else { throw r.error(node, path, "no channels given") }
        return out.sorted()
    }

    static func parseRoute(_ node: Node, _ path: String, _ r: YAMLReader, spans: [SpanConfig]) throws(ConfigError) -> RouteConfig {
        let m = try r.mapping(node, path, allowed: routeKeys)
        let pattern: RouteConfig.Pattern
        switch (m["match"], m["prefix"]) {
        case (let match?, nil): pattern = .exact(try digits(match.value, "\(path).match", r))
        case (nil, let prefix?): pattern = .prefix(try digits(prefix.value, "\(path).prefix", r))
        case (_?, let prefix?): throw r.error(prefix.key, "\(path).prefix", "a route has either 'match' (exact) or 'prefix', not both")
        case (nil, nil): throw r.error(node, "\(path).match", "missing required key 'match' (exact number) or 'prefix'")
        }
        guard let to = m["to"] else { throw r.error(node, "\(path).to", "missing required key 'to' (a span name or a list of span names)") }
        let targets: [(Node, String)]
        if case .sequence(let s) = to.value {
            targets = try s.enumerated().map { (i, n) throws(ConfigError) in (n, try r.string(n, "\(path).to[\(i)]")) }
        } else {
            targets = [(to.value, try r.string(to.value, "\(path).to"))]
        }
        for (n, name) in targets where !spans.contains(where: { $0.name == name }) {
            throw r.error(n, "\(path).to", "no span named '\(name)' (spans: \(spans.map(\.name).joined(separator: ", ")))")
        }
        var route = RouteConfig(pattern: pattern, spans: targets.map(\.1), line: node.mark?.line)
        if let v = m["strip"] { route.strip = try r.int(v.value, "\(path).strip", range: 0...32) }
        if let v = m["prepend"] {
            let p = try r.string(v.value, "\(path).prepend")
            guard p.allSatisfy({ "0123456789*#".contains($0) }) else { throw r.error(v.value, "\(path).prepend", "'\(p)' is not digits") }
            route.prepend = p
        }
        if let v = m["answer_timeout"] { route.answerTimeout = try r.double(v.value, "\(path).answer_timeout", min: 1) }
        return route
    }

    static func syntaxError(_ e: YamlError, file: String) -> ConfigError {
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let what = [context.map { "\($0.text)" }, problem].compactMap { $0 }.joined(separator: ": ")
            return ConfigError(file: file, line: mark.line, column: mark.column, key: "(yaml)", message: "YAML syntax error: \(what)")
        default:
            return ConfigError(file: file, line: 0, column: 0, key: "(yaml)", message: "YAML error: \(e)")
        }
    }
}
