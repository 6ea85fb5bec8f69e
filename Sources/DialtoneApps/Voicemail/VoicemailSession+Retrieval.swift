// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// The owner's side: mailbox and PIN, the main menu, each message with its
/// envelope and the message menu, the mailbox options (greetings, PIN).
/// Keys follow Asterisk's VoiceMailMain where they can: 5 replay, 4
/// previous, 6 next, 7 delete, 9 save, 8 call back (Asterisk: 3-2), `*`
/// back to the main menu, `#` goodbye; while the message itself plays, `*`
/// rewinds 3 s and `#` skips to its end (Asterisk's keys during playback).
extension VoicemailSession {
    mutating func askPIN(_ box: String) -> [Action] {
        timer = nil
        enter(.askPIN(mailbox: box, digits: ""))
        return [.play(["vm-pin"], file: nil), arm(menuTimeout)]
    }

    mutating func retrieval(_ input: Input, now: Date) -> [Action] {
        switch (state, input) {
        case (.askMailbox(let digits), .digit(let d)):
            timer = nil
            if d == "#" {
                guard !digits.isEmpty else { return [.stopPlay, .play(["vm-login"], file: nil)] }
                return [.stopPlay] + askPIN(digits)
            }
            enter(.askMailbox(d.isNumber && digits.count < 16 ? digits + String(d) : digits))
            return digits.isEmpty ? [.stopPlay] : []
        case (.askMailbox, .played):
            return [arm(menuTimeout)]
        case (.askPIN(let box, let digits), .digit(let d)):
            timer = nil
            if d == "#" {
                enter(.checking(mailbox: box))
                return [.stopPlay, .checkPIN(mailbox: box, pin: digits)]
            }
            enter(.askPIN(mailbox: box, digits: d.isNumber && digits.count < 16 ? digits + String(d) : digits))
            return (digits.isEmpty ? [.stopPlay] : []) + [arm(menuTimeout)]
        case (.checking(let box), .pin(let result)):
            switch result {
            case .right(let new, let old):
                mailbox = box
                newMessages = new
                oldMessages = old
                pinTries = 0
                return mainMenu(announce: true)
            case .wrong(let locked):
                pinTries += 1
                if locked || pinTries >= 3 {
                    enter(.goodbye)
                    return [.play(locked ? ["vm-incorrect", "vm-locked"] : ["vm-incorrect", "vm-goodbye"], file: nil)]
                }
                if case .login(nil) = mode {
                    enter(.askMailbox(""))
                    return [.play(["vm-incorrect", "vm-login"], file: nil)]
                }
                enter(.askPIN(mailbox: box, digits: ""))
                return [.play(["vm-incorrect", "vm-pin"], file: nil), arm(menuTimeout)]
            case .locked:
                enter(.goodbye)
                return [.play(["vm-locked"], file: nil)]
            }
        case (.mainMenu, .digit(let d)):
            timer = nil
            switch d {
            case "1", "2":
                folderIsNew = d == "1"
                folder = folderIsNew ? newMessages : oldMessages
                return [.stopPlay] + playMessage(0, first: true, now: now)
            case "0": return [.stopPlay] + options()
            case "#": return [.stopPlay] + goodbye()
            default: return [.stopPlay] + prefixed("invalid", mainMenu(announce: false))
            }
        case (.message(let i, .envelope), .played):
            guard i < folder.count else { return [] }
            enter(.message(i, .playing(since: now, offset: 0)))
            return [.playFile(folder[i].path, from: 0)]
        case (.message(let i, .playing(let since, let offset)), .digit("*")):
            // Rewind 3 s (or to the start).
            guard i < folder.count else { return [] }
            let to = max(0, offset + now.timeIntervalSince(since) - 3)
            enter(.message(i, .playing(since: now, offset: to)))
            return [.stopPlay, .playFile(folder[i].path, from: to)]
        case (.message(let i, .playing), .digit("#")):
            // Skip to the end: heard.
            return [.stopPlay] + heard(i)
        case (.message(let i, .playing), .played):
            return heard(i)
        case (.message(let i, _), .digit(let d)):
            timer = nil
            return [.stopPlay] + messageKey(i, d, now: now)
        case (.options, .digit(let d)):
            timer = nil
            switch d {
            case "1": return [.stopPlay] + recordGreeting(.unavailable)
            case "2": return [.stopPlay] + recordGreeting(.busy)
            case "3": return [.stopPlay] + recordGreeting(.name)
            case "4": return [.stopPlay] + recordGreeting(.temporary)
            case "6":
                greetings.files[.temporary] = nil
                return [.stopPlay, .removeGreeting(.temporary)] + options(["vm-greeting-removed"])
            case "5":
                enter(.newPIN(first: nil, digits: ""))
                return [.stopPlay, .play(["vm-new-pin"], file: nil), arm(menuTimeout)]
            case "*": return [.stopPlay] + mainMenu(announce: true)
            default: return [.stopPlay] + options(["invalid"])
            }
        case (.newPIN(let first, let digits), .digit(let d)):
            timer = nil
            guard d == "#" else {
                enter(.newPIN(first: first, digits: d.isNumber && digits.count < 16 ? digits + String(d) : digits))
                return (digits.isEmpty ? [.stopPlay] : []) + [arm(menuTimeout)]
            }
            guard (4...12).contains(digits.count) else { return [.stopPlay] + options(["vm-pin-mismatch"]) }
            guard let first else {
                enter(.newPIN(first: digits, digits: ""))
                return [.stopPlay, .play(["vm-new-pin-again"], file: nil), arm(menuTimeout)]
            }
            guard first == digits else { return [.stopPlay] + options(["vm-pin-mismatch"]) }
            return [.stopPlay, .changePIN(digits)] + options(["vm-pin-changed"])
        case (.mainMenu, .played), (.options, .played):
            return [arm(menuTimeout)]
        default:
            return []
        }
    }

    /// Heard to its end (or skipped there): a new message is old now; its menu.
    mutating func heard(_ i: Int) -> [Action] {
        var out: [Action] = []
        if folderIsNew, i < folder.count, newMessages.contains(folder[i]) {
            newMessages.removeAll { $0 == folder[i] }
            oldMessages.append(folder[i])
            out.append(.markOld(path: folder[i].path))
        }
        enter(.message(i, .menu))
        return out + [.play(["vm-message-menu"], file: nil), arm(menuTimeout)]
    }

    /// "You have N new messages and M old messages", then the choices.
    mutating func mainMenu(announce: Bool) -> [Action] {
        enter(.mainMenu)
        retries = 0
        var prompts: [String] = []
        if announce {
            prompts = ["vm-you-have"] + count(newMessages.count, "vm-new")
            if !oldMessages.isEmpty { prompts += ["vm-and"] + count(oldMessages.count, "vm-old") }
        }
        return [.play(prompts + ["vm-main-menu"], file: nil)]
    }

    func count(_ n: Int, _ adjective: String) -> [String] {
        (n == 0 ? ["vm-no"] : NumberSpeech.prompts(n)) + [adjective, n == 1 ? "vm-message" : "vm-messages"]
    }

    /// The envelope (first/next, received on MONTH DAY at HH MM, from DIGITS), then the message.
    mutating func playMessage(_ i: Int, first: Bool, now: Date) -> [Action] {
        guard i >= 0, i < folder.count else {
            return mainMenu(announce: false).map { a in
                if case .play(let p, let f) = a { return .play(["vm-no-more"] + p, file: f) }
                return a
            }
        }
        enter(.message(i, .envelope))
        return [.play([i == 0 ? "vm-first" : "vm-next"] + Self.envelope(folder[i]), file: nil)]
    }

    /// "Received on March 3 at 14 05 from 4 1 5 …" (the calling number digit by digit).
    public static func envelope(_ m: Envelope, calendar: Calendar = .current) -> [String] {
        let c = calendar.dateComponents([.month, .day, .hour, .minute], from: m.received)
        var out = ["vm-received", "mon-\(c.month ?? 1)"] + NumberSpeech.prompts(c.day ?? 1)
        out += ["vm-at"] + NumberSpeech.prompts(c.hour ?? 0)
        let minute = c.minute ?? 0
        out += minute < 10 ? ["n-0", "n-\(minute)"] : NumberSpeech.prompts(minute)
        let digits = m.caller.filter(\.isNumber)
        out += digits.isEmpty ? ["vm-unknown-caller"] : ["vm-from"] + digits.map { "n-\($0)" }
        return out
    }

    mutating func messageKey(_ i: Int, _ d: Character, now: Date) -> [Action] {
        guard i < folder.count else { return mainMenu(announce: false) }
        let m = folder[i]
        switch d {
        case "5": return playMessage(i, first: false, now: now)
        case "4": return playMessage(max(0, i - 1), first: false, now: now)
        case "6": return playMessage(i + 1, first: false, now: now)
        case "7":
            folder.remove(at: i)
            newMessages.removeAll { $0 == m }
            oldMessages.removeAll { $0 == m }
            return [.delete(path: m.path)] + prefixed("vm-deleted", playMessage(i, first: false, now: now))
        case "9":
            var out: [Action] = []
            if newMessages.contains(m) {
                newMessages.removeAll { $0 == m }
                oldMessages.append(m)
                out.append(.markOld(path: m.path))
            }
            return out + prefixed("vm-kept", playMessage(i + 1, first: false, now: now))
        case "8":
            let digits = m.caller.filter(\.isNumber)
            guard !digits.isEmpty else {
                enter(.message(i, .menu))
                return [.play(["invalid", "vm-message-menu"], file: nil), arm(menuTimeout)]
            }
            enter(.done)
            return [.play(["vm-calling-back"], file: nil), .callBack(number: digits), .finished]
        case "*": return mainMenu(announce: true)
        case "#": return goodbye()
        default:
            enter(.message(i, .menu))
            return [.play(["invalid", "vm-message-menu"], file: nil), arm(menuTimeout)]
        }
    }

    func prefixed(_ prompt: String, _ actions: [Action]) -> [Action] {
        actions.map { a in
            if case .play(let p, let f) = a { return .play([prompt] + p, file: f) }
            return a
        }
    }

    mutating func options(_ before: [String] = []) -> [Action] {
        enter(.options)
        retries = 0
        return [.play(before + ["vm-options"], file: nil)]
    }

    mutating func recordGreeting(_ g: Greeting) -> [Action] {
        enter(.beep(.greeting(g)))
        return [.play(["vm-record-greeting", "beep"], file: nil)]
    }

    mutating func goodbye() -> [Action] {
        enter(.goodbye)
        return [.play(["vm-goodbye"], file: nil)]
    }

    /// No key: the menu again, three times, then goodbye.
    mutating func menuTimedOut() -> [Action] {
        retries += 1
        if retries >= 3 { return goodbye() }
        switch state {
        case .askMailbox: return [.play(["vm-login"], file: nil)]
        case .askPIN(let box, _):
            enter(.askPIN(mailbox: box, digits: ""))
            return [.play(["vm-pin"], file: nil), arm(menuTimeout)]
        case .mainMenu: return [.play(["vm-main-menu"], file: nil)]
        case .message(let i, _):
            enter(.message(i, .menu))
            return [.play(["vm-message-menu"], file: nil), arm(menuTimeout)]
        case .options: return [.play(["vm-options"], file: nil)]
        case .newPIN: return options()
        default: return []
        }
    }
}
