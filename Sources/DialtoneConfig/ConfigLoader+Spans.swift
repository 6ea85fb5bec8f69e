// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Yams

extension ConfigLoader {
    static let spanKeys = ["name", "driver", "type", "role", "switchtype", "law", "framing", "coding", "channels",
                           "peer", "overlap", "debug", "dahdi_span", "dahdi_base_channel", "tones", "dtmf"]
    static let dtmfKeys = ["standard", "min_level", "dialtone_filter"]
    /// `dtmf.min_level`: dBm0 per tone. −45 and below must be rejected (Q.24), above −3 is no limit.
    static let dtmfLevels = -44 ... -3

    /// The `name:` value of a span item (for pointing at duplicates), else the item.
    static func spanName(_ node: Node) -> Node {
        if case .mapping(let m) = node, let v = m.first(where: { $0.key.string == "name" })?.value { return v }
        return node
    }

    static func parseSpan(_ node: Node, _ path: String, _ r: YAMLReader,
                          toneSets: [String: ToneSet] = [:]) throws(ConfigError) -> SpanConfig {
        guard case .mapping = node else { throw r.error(node, path, "expected a span (a mapping with name, type, role, switchtype)") }
        let m = try r.mapping(node, path, allowed: spanKeys)
        func required(_ key: String, _ what: String) throws(ConfigError) -> Node {
            guard let v = m[key] else { throw r.error(node, "\(path).\(key)", "missing required key '\(key)' (\(what))") }
            return v.value
        }
        let nameNode = try required("name", "letters, digits, '-' and '_'")
        let name = try r.string(nameNode, "\(path).name")
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw r.error(nameNode, "\(path).name", "'\(name)' is not a span name: use letters, digits, '-' and '_'")
        }
        let type = try r.choice(try required("type", "E1 or T1"), "\(path).type", SpanType.self)
        let role = try r.choice(try required("role", "cpe or net"), "\(path).role", SignallingRole.self)
        let switchType = try r.choice(try required("switchtype", SwitchType.allCases.map(\.rawValue).joined(separator: ", ")),
                                      "\(path).switchtype", SwitchType.self)
        let driver = try m["driver"].map { v throws(ConfigError) in try r.choice(v.value, "\(path).driver", SpanDriverKind.self) } ?? .virtual
        let law = try m["law"].map { v throws(ConfigError) in try r.choice(v.value, "\(path).law", G711Law.self) }
        var span = SpanConfig(name: name, driver: driver, type: type, role: role, switchType: switchType, law: law)

        if let v = m["framing"] {
            let f = try r.string(v.value, "\(path).framing").lowercased()
            let allowed = type == .e1 ? ["ccs", "cas", "crc4", "ccs/crc4"] : ["esf", "d4", "sf"]
            guard allowed.contains(f) else {
                throw r.error(v.value, "\(path).framing", "'\(f)' is not a \(type.rawValue) framing: \(allowed.joined(separator: ", "))")
            }
            span.framing = f
        }
        if let v = m["coding"] {
            let c = try r.string(v.value, "\(path).coding").lowercased()
            let allowed = type == .e1 ? ["hdb3", "ami"] : ["b8zs", "ami"]
            guard allowed.contains(c) else {
                throw r.error(v.value, "\(path).coding", "'\(c)' is not a \(type.rawValue) line coding: \(allowed.joined(separator: ", "))")
            }
            span.coding = c
        }
        if let v = m["channels"] { span.channels = try channels(v.value, "\(path).channels", type: type, r) }
        if let v = m["overlap"] { span.overlap = try r.bool(v.value, "\(path).overlap") }
        if let v = m["debug"] { span.debug = try r.int(v.value, "\(path).debug", range: 0...0xFFFF) }
        if let v = m["dahdi_span"] { span.dahdiSpan = try r.int(v.value, "\(path).dahdi_span", range: 1...255) }
        if let v = m["dahdi_base_channel"] {
            span.dahdiBaseChannel = try r.int(v.value, "\(path).dahdi_base_channel", range: 1...8192)
        }
        if let v = m["peer"] { span.peer = try peer(v.value, "\(path).peer", driver: driver, r) }
        if let v = m["tones"] {
            let name = try r.string(v.value, "\(path).tones")
            guard toneSets[name] != nil || ToneSet.builtIn[name] != nil else {
                let known = (ToneSet.builtIn.keys.sorted() + toneSets.keys.sorted()).joined(separator: ", ")
                throw r.error(v.value, "\(path).tones", "no tone set '\(name)' (built in or in tone_sets: \(known))")
            }
            span.tones = name
        }

        if let v = m["dtmf"] { span.dtmf = try dtmf(v.value, "\(path).dtmf", r) }

        if driver == .dahdi {
            if span.dahdiSpan == nil {
                throw r.error(node, "\(path).dahdi_span", "driver dahdi needs 'dahdi_span' (the kernel span number)")
            }
            if span.dahdiBaseChannel == nil {
                throw r.error(node, "\(path).dahdi_base_channel",
                              "driver dahdi needs 'dahdi_base_channel' (the DAHDI channel number of timeslot 1)")
            }
        } else {
            for key in ["dahdi_span", "dahdi_base_channel"] {
                if let entry = m[key] { throw r.error(entry.key, "\(path).\(key)", "'\(key)' applies to driver dahdi only") }
            }
        }
        return span
    }

    /// `dtmf: {standard: att|etsi, min_level: -25, dialtone_filter: true}` (each key optional).
    static func dtmf(_ node: Node, _ path: String, _ r: YAMLReader) throws(ConfigError) -> DTMFProfile {
        let m = try r.mapping(node, path, allowed: dtmfKeys)
        var profile = DTMFProfile()
        if let v = m["standard"] { profile.standard = try r.choice(v.value, "\(path).standard", DTMFProfile.Standard.self) }
        if let v = m["min_level"] {
            guard case .scalar = v.value, !YAMLReader.isNull(v.value), let level = v.value.int else {
                throw r.error(v.value, "\(path).min_level", "expected an integer (dBm0 per tone, e.g. -25 or -35), got \(r.describe(v.value))")
            }
            guard dtmfLevels.contains(level) else {
                throw r.error(v.value, "\(path).min_level",
                              "\(level) dBm0 is not a DTMF receiver's minimum level: use \(dtmfLevels.lowerBound)…\(dtmfLevels.upperBound) "
                              + "(Q.24: -25, or -35 for long loops; tones at -45 dBm0 and below must be rejected)")
            }
            profile.minimumLevel = level
        }
        if let v = m["dialtone_filter"] { profile.dialToneFilter = try r.bool(v.value, "\(path).dialtone_filter") }
        return profile
    }

    /// Virtual spans: `simulator` or `socket:PATH`. DAHDI spans: `line` or `dahdi:SPAN:BASE_CHANNEL`.
    static func peer(_ node: Node, _ path: String, driver: SpanDriverKind, _ r: YAMLReader) throws(ConfigError) -> VirtualPeer {
        let p = try r.string(node, path)
        switch driver {
        case .virtual:
            if p == "simulator" { return .simulator }
            if p.hasPrefix("socket:"), p.count > 7 {
                return .socket(path: try fitsSocketAddress(String(p.dropFirst(7)), node, path, r))
            }
            throw r.error(node, path, "'\(p)' is not a virtual span's peer: 'simulator' or 'socket:/path/to.sock'")
        case .dahdi:
            if p == "line" { return .line }
            let parts = p.split(separator: ":")
            if parts.count == 3, parts[0] == "dahdi", let span = Int(parts[1]), let base = Int(parts[2]),
               (1...255).contains(span), (1...8192).contains(base) {
                return .dahdiLoop(span: span, baseChannel: base)
            }
            throw r.error(node, path,
                          "'\(p)' is not a dahdi span's peer: 'line' or 'dahdi:SPAN:BASE_CHANNEL' (SPAN 1-255, BASE_CHANNEL 1-8192; a looped span the simulator drives)")
        }
    }

    /// `1-15,17-31`, a single number, or a YAML list of numbers and ranges.
    static func channels(_ node: Node, _ path: String, type: SpanType, _ r: YAMLReader) throws(ConfigError) -> [Int] {
        let allowed = type == .e1 ? "1-15,17-31" : "1-23"
        if YAMLReader.isNull(node) { throw r.error(node, path, "no channels given (\(type.rawValue) B-channels: \(allowed))") }
        var out: [Int] = []
        let items: [(Node, String)]
        if case .sequence(let s) = node {
            items = try s.enumerated().map { (i, n) throws(ConfigError) in (n, try r.string(n, "\(path)[\(i)]")) }
        } else {
            let text = try r.string(node, path)
            items = text.split(separator: ",", omittingEmptySubsequences: false).map {
                (node, String($0).trimmingCharacters(in: .whitespaces))
            }
        }
        for (n, item) in items {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard bounds.count == 1 || bounds.count == 2, let lo = bounds.first ?? nil, let hi = bounds.last ?? nil, lo <= hi else {
                throw r.error(n, path, "'\(item)' is not a channel or a range like 1-15 (\(type.rawValue) B-channels: \(allowed))")
            }
            for ch in lo...hi {
                guard type.bearerChannels.contains(ch) else {
                    throw r.error(n, path, "channel \(ch) is not a B-channel of a \(type.rawValue) span (\(allowed))")
                }
                if !out.contains(ch) { out.append(ch) }
            }
        }
        guard !out.isEmpty else { throw r.error(node, path, "no channels given (\(type.rawValue) B-channels: \(allowed))") }
        return out.sorted()
    }
}
