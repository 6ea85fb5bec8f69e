// SPDX-License-Identifier: GPL-2.0-or-later
import Yams

extension ConfigLoader {
    static let parkKeys = ["type", "hold_prompt", "timeout", "timeout_to"]
    static let faxOnDemandKeys = ["type", "max_documents", "callback", "digit_timeout"]
    static let applicationKeys = Array(Set(parkKeys + queueKeys + voicemailKeys + faxOnDemandKeys)).sorted()

    /// `applications: {NAME: {type: KIND, …}}`.
    static func parseApplications(_ node: Node, _ r: YAMLReader, _ refs: References) throws(ConfigError) -> [String: ApplicationConfig] {
        var out: [String: ApplicationConfig] = [:]
        if YAMLReader.isNull(node) { return [:] }
        guard case .mapping(let entries) = node else {
            throw r.error(node, "applications", "expected a mapping of application names to applications, got \(r.describe(node))")
        }
        for (keyNode, value) in entries {
            let name = keyNode.string ?? ""
            if out[name] != nil { throw r.error(keyNode, "applications.\(name)", "application '\(name)' appears twice") }
            let path = "applications.\(name)"
            guard !name.isEmpty, NumberTemplate.isVariableName(name.replacingOccurrences(of: "-", with: "_")) else {
                throw r.error(keyNode, path, "'\(name)' is not an application name (letters, digits, '_' or '-')")
            }
            guard !ApplicationConfig.builtIn.contains(name) else {
                throw r.error(keyNode, path, "'\(name)' is a built-in application; choose another name")
            }
            let m = try r.mapping(value, path, allowed: applicationKeys)
            guard let t = m["type"] else {
                throw r.error(value, "\(path).type", "missing required key 'type' (one of: \(ApplicationConfig.kinds.joined(separator: ", ")))")
            }
            let type = try r.string(t.value, "\(path).type")
            let own = type == "park" ? parkKeys : type == "queue" ? queueKeys : type == "voicemail" ? voicemailKeys
                : type == "fax-on-demand" ? faxOnDemandKeys : ["type"]
            if ApplicationConfig.kinds.contains(type), let stray = m.filter({ !own.contains($0.key) }).min(by: { $0.key < $1.key }) {
                throw r.error(stray.value.key, "\(path).\(stray.key)", "'\(stray.key)' is not a setting of a \(type) application (settings: \(own.dropFirst().joined(separator: ", ")))")
            }
            switch type {
            case "queue":
                let q = try parseQueue(m, path, r, refs)
                out[name] = ApplicationConfig(name: name, kind: .queue(q), line: keyNode.mark?.line)
            case "voicemail":
                out[name] = ApplicationConfig(name: name, kind: .voicemail(try parseVoicemail(m, path, r, refs)), line: keyNode.mark?.line)
            case "fax-on-demand":
                var f = ApplicationConfig.FaxOnDemandSettings()
                if let v = m["max_documents"] { f.maxDocuments = try r.int(v.value, "\(path).max_documents", range: 1...20) }
                if let v = m["callback"] { f.callback = try r.bool(v.value, "\(path).callback") }
                if let v = m["digit_timeout"] { f.digitTimeout = try r.double(v.value, "\(path).digit_timeout", range: 2...60, unit: "s") }
                for prompt in ApplicationConfig.FaxOnDemandSettings.prompts {
                    refs.prompts.append(PromptUse(node: t.value, key: "\(path).type", name: prompt, language: nil))
                }
                out[name] = ApplicationConfig(name: name, kind: .faxOnDemand(f), line: keyNode.mark?.line)
            case "agent-line":
                out[name] = ApplicationConfig(name: name, kind: .agentLine, line: keyNode.mark?.line)
            case "park":
                var p = ApplicationConfig.ParkSettings()
                if let v = m["hold_prompt"] { p.holdPrompt = try promptName(v.value, "\(path).hold_prompt", r, refs, language: nil) }
                else { refs.prompts.append(PromptUse(node: t.value, key: "\(path).hold_prompt", name: p.holdPrompt, language: nil)) }
                if let v = m["timeout"] { p.timeout = try r.double(v.value, "\(path).timeout", range: 1...86_400, unit: "s") }
                if let v = m["timeout_to"] { p.timeoutNumber = try routeNumber(v.value, "\(path).timeout_to", r, refs) }
                out[name] = ApplicationConfig(name: name, kind: .park(p), line: keyNode.mark?.line)
            default:
                var message = "unknown application type '\(type)'"
                if let near = YAMLReader.closest(type, in: ApplicationConfig.kinds) { message += "; did you mean '\(near)'?" }
                throw r.error(t.value, "\(path).type", message + " (types: \(ApplicationConfig.kinds.joined(separator: ", ")))")
            }
        }
        return out
    }

    /// Every `{application: NAME}` names a built-in or configured application, with an argument it takes.
    static func checkApplications(_ config: DialtoneConfig, _ refs: References, _ r: YAMLReader) throws(ConfigError) {
        for use in refs.applications {
            let known = ApplicationConfig.builtIn + config.applications.keys.sorted()
            guard ApplicationConfig.builtIn.contains(use.name) || config.applications[use.name] != nil else {
                var message = "no application named '\(use.name)'"
                if let near = YAMLReader.closest(use.name, in: known) { message += "; did you mean '\(near)'?" }
                throw r.error(use.node, use.key, message + " (applications: \(known.joined(separator: ", ")))")
            }
            if let q = config.applications[use.name]?.queue {
                _ = q
                if case .failure(let why) = QueueArgument.parse(use.argument) {
                    throw r.error(use.argumentNode ?? use.node, use.key, "queue '\(use.name)': \(why)")
                }
            } else if let v = config.applications[use.name]?.voicemail {
                if let why = checkVoicemailArgument(v, name: use.name, argument: use.argument) {
                    throw r.error(use.argumentNode ?? use.node, use.key, why)
                }
            } else if !use.argument.isEmpty {
                throw r.error(use.argumentNode ?? use.node, use.key, "application '\(use.name)' takes no argument (got '\(use.argument)')")
            }
        }
    }
}
