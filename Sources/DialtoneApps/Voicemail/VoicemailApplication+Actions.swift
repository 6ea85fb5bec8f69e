// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSwitch
import Foundation
import Logging

/// Carrying out what a session asks for.
extension VoicemailApplication {
    func perform(_ action: VoicemailSession.Action, call id: String) async {
        guard let c = calls[id] else { return }
        let language = config.mailboxes[c.mailbox]?.language
        switch action {
        case .play(let prompts, let file):
            await play(id, prompts, file: file, language: language)
        case .playRecording:
            if let path = c.recording { await play(id, [], file: path, language: language) }
        case .playFile(let path, let seconds):
            await play(id, [], file: path, language: language, from: seconds)
        case .stopPlay:
            calls[id]?.playing = nil
            try? await core.stopPlay(id)
        case .record:
            let greeting = !c.session.recordingMessage
            let path = greeting ? files.greetingTempPath(c.mailbox, call: id) : files.tempPath(c.mailbox, call: id, caller: c.caller)
            do {
                try files.prepare(c.mailbox)
                try await core.startRecording(id, to: path)
                if config.silenceSeconds > 0 { try? await core.detectSilence(id, seconds: config.silenceSeconds) }
                calls[id]?.recording = path
                calls[id]?.greeting = greeting
                calls[id]?.recordingClosed = false
                calls[id]?.received = now()
            } catch {
                logger.warning("voice mail: not recorded", metadata: ["call.id": "\(id)", "error": "\(error)"])
                await feed(id, .recorded(seconds: nil))
            }
        case .stopRecording:
            try? await core.detectSilence(id, seconds: nil)
            try? await core.stopRecording(id)
        case .keepMessage:
            calls[id]?.keep = true
            if calls[id]?.recordingClosed == true { finishMessage(id) }
        case .discardRecording:
            if let path = c.recording { unlink(path) }
            calls[id]?.recording = nil
            calls[id]?.keep = false
        case .saveGreeting(let g):
            guard let path = c.recording, let installed = files.install(path, box: c.mailbox, as: g) else { return }
            calls[id]?.recording = nil
            await core.forgetClip(installed)
            logger.info("voice mail greeting recorded", metadata: ["mailbox": "\(c.mailbox)", "greeting": "\(g.rawValue)"])
        case .removeGreeting(let g):
            unlink(files.greetingPath(c.mailbox, g))
        case .checkPIN(let box, let pin):
            let result = checkPIN(box, pin)
            if case .right = result { calls[id]?.mailbox = box }  // `login` without a number: now it is known
            await feed(id, .pin(result))
        case .changePIN(let pin):
            guard let hash = PINHash.make(pin) else { return }
            var s = states[c.mailbox] ?? MailboxState(application: name, mailbox: c.mailbox)
            s.pinHash = hash
            save(s)
            logger.notice("mailbox PIN changed by phone", metadata: ["mailbox": "\(c.mailbox)"])
        case .markOld(let path):
            move(path, to: .old, box: c.session.mailbox ?? c.mailbox)
        case .delete(let path):
            delete(path, box: c.session.mailbox ?? c.mailbox)
        case .callBack(let number):
            do {
                _ = try await core.offer(id, to: number, answerTimeout: 60)
                logger.info("voice mail call-back", metadata: ["call.id": "\(id)", "number": "\(number)"])
            } catch {
                logger.notice("voice mail call-back not placed", metadata: ["call.id": "\(id)", "error": "\(error)"])
                _ = await core.hangup(id, cause: .normalClearing)
            }
        case .startTimer(let token, let seconds):
            let clock = self.clock
            calls[id]?.timers[token] = Task { [weak self] in
                do { try await clock.sleep(for: .seconds(seconds)) } catch { return }
                await self?.feed(id, .timer(token: token))
            }
        case .hangup:
            _ = await core.hangup(id, cause: .normalClearing)
        case .finished:
            for t in calls[id]?.timers.values ?? [:].values { t.cancel() }
            calls[id]?.timers = [:]
            if calls[id]?.recording == nil { calls[id] = nil }
        }
    }

    func play(_ id: String, _ prompts: [String], file: String?, language: String?, from seconds: Double = 0) async {
        calls[id]?.playing = file ?? prompts.last
        do {
            if let file { try await core.play(id, prompts: prompts, language: language, file: file, from: seconds) }
            else { try await core.play(id, prompts: prompts, language: language) }
        } catch {
            // A missing prompt or file: the session goes on as if it had played.
            logger.warning("voice mail: not played", metadata: ["call.id": "\(id)", "error": "\(error)"])
            calls[id]?.playing = nil
            Task { await self.feed(id, .played) }
        }
    }

    /// The writer closed the call's recording (synced): trimmed, then kept, reviewed or dropped.
    func recordingClosed(_ id: String, path: String?) async {
        guard let c = calls[id], let recording = c.recording else { return }
        let minimum = c.session.minSeconds
        let seconds = path == nil ? 0 : files.trim(recording, minimum: c.greeting ? 0.5 : minimum)
        if path == nil || !FileManager.default.fileExists(atPath: recording) {
            calls[id]?.recording = nil
            calls[id]?.keep = false
            logger.info("voice mail: recording discarded (too short)", metadata: ["call.id": "\(id)", "seconds": "\(seconds)"])
            if calls[id]?.session.isFinished == true { calls[id] = nil; return }
            await feed(id, .recorded(seconds: nil))
            return
        }
        calls[id]?.recordingClosed = true
        if calls[id]?.keep == true { return finishMessage(id, seconds: seconds) }
        if calls[id]?.session.isFinished == true {
            // A greeting being recorded when the owner hung up.
            unlink(recording)
            calls[id] = nil
            return
        }
        await feed(id, .recorded(seconds: seconds))
    }

    /// The message becomes durable: renamed to its final name, then indexed and notified.
    func finishMessage(_ id: String, seconds known: Double? = nil) {
        guard let c = calls[id], let temp = c.recording, c.recordingClosed else { return }
        calls[id]?.recording = nil
        calls[id]?.keep = false
        if c.session.isFinished { calls[id] = nil }
        let seconds = known ?? ((try? WAVFile.inspect(path: temp))?.seconds ?? 0)
        guard let path = files.finalise(temp, box: c.mailbox, received: c.received, call: id, caller: c.caller) else {
            logger.error("voice mail: message not finalised", metadata: ["call.id": "\(id)", "path": "\(temp)"])
            return
        }
        let m = VoicemailMessage(application: name, mailbox: c.mailbox, path: path, caller: c.caller, callID: id,
                                 received: c.received, seconds: seconds)
        index(m)
    }
}
