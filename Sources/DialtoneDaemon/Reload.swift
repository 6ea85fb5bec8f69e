// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneApps
import DialtoneConfig
import DialtoneMedia
import Foundation

/// What `dialtone reload` (or SIGHUP) did.
public struct ReloadResult: Codable, Sendable, Equatable {
    /// The new config is in force.
    public var applied: Bool
    /// What changed (routes, menus, schedules, recording policy, prompts).
    public var changes: [String]
    /// Why it was refused: the config's error with file:line:column, or a change that needs a restart.
    public var error: String?
}

extension Daemon {
    /// Reads the config file again and applies what can change while calls
    /// are up — routes, menus, schedules, recording policy, prompts (the
    /// files are read again). A config that does not load is refused with its
    /// file:line:column and the running one stays; a change that needs a
    /// restart (spans, tone sets, the daemon section) is
    /// refused with that reason. No call is dropped either way.
    public func reload() async -> ReloadResult {
        guard let path = config.sourcePath else {
            return ReloadResult(applied: false, changes: [], error: "the daemon was not started from a config file")
        }
        let new: DialtoneConfig
        do {
            new = try ConfigLoader.load(path: path)
        } catch {
            logger.error("reload refused: the config does not load; the running one stays", metadata: ["error": "\(error)"])
            return ReloadResult(applied: false, changes: [], error: "\(error)")
        }
        let old = running.withLock { $0 }
        var restart: [String] = []
        if new.spans != old.spans { restart.append("spans") }
        if new.daemon != old.daemon { restart.append("daemon") }
        if new.toneSets != old.toneSets { restart.append("tone_sets") }
        if new.applications != old.applications { restart.append("applications") }
        if new.agents != old.agents { restart.append("agents") }
        if new.customers != old.customers { restart.append("customers") }  // the switch's number normaliser is built at start
        if new.fax != old.fax { restart.append("fax") }  // the fax application holds its catalogue and settings
        if !restart.isEmpty {
            let why = "\(path): \(restart.joined(separator: ", ")) changed; these need a restart (`systemctl restart dialtone`); nothing was applied"
            logger.error("reload refused", metadata: ["reason": "\(why)"])
            return ReloadResult(applied: false, changes: [], error: why)
        }
        // The prompt files are read again (menus may name new ones, files may
        // have been re-recorded); prompts playing now finish from the old set.
        var library: PromptLibrary?
        let usesIVR = !new.menus.isEmpty || new.routes.contains { $0.action != nil }
        if usesIVR {
            do {
                library = try PromptLibrary(directory: new.prompts.directory, languages: new.prompts.languages)
            } catch {
                let why = "\(path): prompts: \(error); nothing was applied"
                logger.error("reload refused", metadata: ["reason": "\(why)"])
                return ReloadResult(applied: false, changes: [], error: why)
            }
        }
        var changes: [String] = []
        if new.routes != old.routes { changes.append("routes") }
        if new.menus != old.menus { changes.append("menus") }
        if new.schedules != old.schedules { changes.append("schedules") }
        if new.recording != old.recording { changes.append("recording") }
        if new.prompts != old.prompts { changes.append("prompts") }
        if library != nil { changes.append("prompt files reloaded") }
        await switchCore.reload(routes: new.routes, applications: IVRApplication(menus: new.menus, schedules: new.schedules),
                                promptLanguage: new.prompts.language, recording: new.recording, prompts: library,
                                holdPrompt: new.prompts.hold)
        running.withLock { $0 = new }
        logger.notice("reloaded", metadata: ["config": "\(path)", "changes": "\(changes.isEmpty ? "none" : changes.joined(separator: ", "))"])
        return ReloadResult(applied: true, changes: changes, error: nil)
    }
}
