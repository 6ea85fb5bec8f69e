// SPDX-License-Identifier: GPL-2.0-or-later
import Yams

extension ConfigLoader {
    static let routeKeys = ["match", "prefix", "to", "menu", "action", "application", "argument", "strip", "prepend", "answer_timeout", "on_busy", "on_no_answer"]

    static func parseRoute(_ node: Node, _ path: String, _ r: YAMLReader, spans: [SpanConfig],
                           refs: References) throws(ConfigError) -> RouteConfig {
        guard case .mapping = node else { throw r.error(node, path, "expected a route (a mapping with match or prefix, and to)") }
        let m = try r.mapping(node, path, allowed: routeKeys)
        let pattern: RouteConfig.Pattern
        switch (m["match"], m["prefix"]) {
        case (let match?, nil): pattern = .exact(try digits(match.value, "\(path).match", r))
        case (nil, let prefix?): pattern = .prefix(try digits(prefix.value, "\(path).prefix", r))
        case (_?, let prefix?):
            throw r.error(prefix.key, "\(path).prefix", "a route has either 'match' (exact number) or 'prefix', not both")
        case (nil, nil):
            throw r.error(node, "\(path).match", "missing required key 'match' (exact number) or 'prefix' (number prefix)")
        }

        let destinations = ["to", "menu", "action", "application"].filter { m[$0] != nil }
        if destinations.count > 1 {
            throw r.error(m[destinations[1]]!.key, "\(path).\(destinations[1])",
                          "a route has one destination: 'to' (spans), 'menu' (an IVR menu), 'application' or 'action', not \(destinations.joined(separator: " and "))")
        }
        for k in ["on_busy", "on_no_answer"] where m[k] != nil && m["to"] == nil {
            throw r.error(m[k]!.key, "\(path).\(k)", "'\(k)' goes with 'to' (a route that dials a number)")
        }
        if let v = m["menu"] {
            let name = try r.string(v.value, "\(path).menu")
            refs.menus.append((v.value, "\(path).menu", name))
            return RouteConfig(pattern: pattern, spans: [], line: node.mark?.line, action: .menu(name))
        }
        if let a = m["argument"], m["application"] == nil {
            throw r.error(a.key, "\(path).argument", "'argument' goes with 'application'")
        }
        if let v = m["application"] {
            let name = try r.string(v.value, "\(path).application")
            let arg = try m["argument"].map { a throws(ConfigError) in try r.string(a.value, "\(path).argument") } ?? ""
            refs.applications.append((v.value, "\(path).application", name, arg, m["argument"]?.value))
            return RouteConfig(pattern: pattern, spans: [], line: node.mark?.line, action: .application(name, argument: arg))
        }
        if let v = m["action"] {
            return RouteConfig(pattern: pattern, spans: [], line: node.mark?.line, action: try action(v.value, "\(path).action", r, refs))
        }
        guard let to = m["to"] else {
            throw r.error(node, "\(path).to", "missing required key 'to' (a span name or a list of span names), 'menu', 'application' or 'action'")
        }
        let targets: [(node: Node, key: String, name: String)]
        if case .sequence(let s) = to.value {
            targets = try s.enumerated().map { (i, n) throws(ConfigError) in (n, "\(path).to[\(i)]", try r.string(n, "\(path).to[\(i)]")) }
            guard !targets.isEmpty else { throw r.error(to.value, "\(path).to", "the list of destination spans is empty") }
        } else {
            targets = [(to.value, "\(path).to", try r.string(to.value, "\(path).to"))]
        }
        for t in targets where !spans.contains(where: { $0.name == t.name }) {
            throw r.error(t.node, t.key, "no span named '\(t.name)' (spans: \(spans.map(\.name).joined(separator: ", ")))")
        }

        var route = RouteConfig(pattern: pattern, spans: targets.map(\.name), line: node.mark?.line)
        if let v = m["strip"] { route.strip = try r.int(v.value, "\(path).strip", range: 0...32) }
        if let v = m["prepend"] { route.prepend = try digits(v.value, "\(path).prepend", r, allowEmpty: true) }
        if let v = m["answer_timeout"] { route.answerTimeout = try r.double(v.value, "\(path).answer_timeout", range: 1...3600, unit: "seconds") }
        if let v = m["on_busy"] { route.onBusy = try action(v.value, "\(path).on_busy", r, refs) }
        if let v = m["on_no_answer"] { route.onNoAnswer = try action(v.value, "\(path).on_no_answer", r, refs) }
        return route
    }
}
