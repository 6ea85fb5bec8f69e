// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import Foundation

/// Playing to a leg through the call-control API: one prompt, a prompt in a
/// loop (hold music), prompts in sequence (an announcement spoken from
/// pieces), or prompts then a recorded file (a message played to an agent).
extension SwitchCore {
    /// Plays a prompt to a leg (default: leg 1) that is not bridged; `loop`: again and again until stopped.
    public func play(_ id: String, leg: Int? = nil, prompt: String, language: String? = nil, loop: Bool = false) throws(CallControlError) {
        if loop { try play(id, leg: leg, prompts: [], language: language, thenLoop: prompt) }
        else { try play(id, leg: leg, prompts: [prompt], language: language) }
    }

    /// Plays prompts one after another to a leg that is not bridged (an
    /// announcement spoken from pieces: "you are number" "three" "in line"),
    /// then `thenLoop` again and again until stopped, if given. Without a
    /// loop, `prompt.finished` says when the last one has played.
    public func play(_ id: String, leg: Int? = nil, prompts names: [String], language: String? = nil,
                     thenLoop: String? = nil) throws(CallControlError) {
        try play(id, leg: leg, prompts: names, language: language, thenLoop: thenLoop, thenFile: nil)
    }

    /// Plays prompts, then a recorded file (8 kHz WAV; a stereo recording's
    /// first channel — the caller of a message): a message left in a queue,
    /// played to the agent. `prompt.finished` names the file at the end.
    public func play(_ id: String, leg: Int? = nil, prompts names: [String] = [], language: String? = nil,
                     file: String, from seconds: Double = 0) throws(CallControlError) {
        try play(id, leg: leg, prompts: names, language: language, thenLoop: nil, thenFile: file, from: seconds)
    }

    private func play(_ id: String, leg: Int?, prompts names: [String], language: String?,
                      thenLoop: String?, thenFile: String?, from seconds: Double = 0) throws(CallControlError) {
        let e = try freeEndpoint(id, leg, "play")
        guard let library = media.prompts else { throw .notConfigured("prompts") }
        func resolve(_ name: String) throws(CallControlError) -> Int {
            guard let pid = library.id(name, language: language ?? promptLanguage) ?? library.id(name, language: promptLanguage)
            else { throw .invalid("no prompt '\(name)'") }
            return pid
        }
        var ids: [Int] = []
        for name in names { ids.append(try resolve(name)) }
        let loop = try thenLoop.map { (n) throws(CallControlError) in try resolve(n) }
        let clip = try thenFile.map { (path) throws(CallControlError) in try self.clip(path, from: seconds) }
        guard !ids.isEmpty || loop != nil || clip != nil else { throw .invalid("nothing to play") }
        playlists[e] = Playlist(call: id, leg: leg ?? 1, rest: ids, loop: loop, last: thenFile ?? names.last ?? thenLoop ?? "",
                                clip: clip)
        nextInPlaylist(e)
    }

    /// A recorded file as a clip (cached: recent ones stay loaded ten minutes after their last use).
    func clip(_ path: String, from seconds: Double = 0) throws(CallControlError) -> AudioClip {
        let now = Date()
        let key = seconds > 0 ? "\(path)#\(Int(seconds * 1000))" : path
        if let hit = clipCache[key] {
            clipCache[key]?.used = now
            return hit.clip
        }
        let clip: AudioClip
        do { clip = try AudioClip(path: path, from: seconds) } catch { throw .invalid("cannot play \(path): \(error.reason)") }
        if clipCache.count >= 16 { clipCache = clipCache.filter { now.timeIntervalSince($0.value.used) < 600 } }
        clipCache[key] = (clip, now)
        return clip
    }

    /// Forgets a file's cached clip (an application rewrote the file: a new greeting).
    public func forgetClip(_ path: String) { clipCache = clipCache.filter { $0.key != path && !$0.key.hasPrefix(path + "#") } }

    public func stopPlay(_ id: String, leg: Int? = nil) throws(CallControlError) {
        let e = try freeEndpoint(id, leg, "stop play")
        playlists[e] = nil
        send(.stopPrompt(e))
    }

    /// The playlist's next prompt (its loop at the end); at its end, `prompt.finished`.
    func nextInPlaylist(_ e: MediaEngine.Endpoint) {
        guard var p = playlists[e] else { return }
        guard calls[p.call] != nil else { playlists[e] = nil; return }
        if !p.rest.isEmpty {
            let next = p.rest.removeFirst()
            playlists[e] = p
            send(.playPrompt(e, prompt: next, token: Self.playlistToken, loop: false))
        } else if let clip = p.clip {
            p.clip = nil
            playlists[e] = p
            send(.playClip(e, clip, token: Self.playlistToken))
        } else if let loop = p.loop {
            playlists[e] = nil
            send(.playPrompt(e, prompt: loop, token: Self.playlistToken, loop: true))
        } else {
            playlists[e] = nil
            publish(p.call, .promptFinished, leg: p.leg) { $0.text = p.last }
        }
    }
}
