// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneApps
import DialtoneSwitch
import Foundation

/// A mailbox as the control socket shows it (`voicemail`).
public struct MailboxView: Codable, Sendable, Equatable {
    public var application: String
    public var mailbox: String
    public var owner: String
    public var new: Int
    public var old: Int
    public var locked: Bool
}

/// A message as the control socket shows it (`voicemail show BOX`): `id` is its file name.
public struct VoicemailMessageView: Codable, Sendable, Equatable {
    public var id: String
    public var application: String
    public var mailbox: String
    public var folder: String
    public var caller: String
    public var call: String
    public var received: Date
    public var seconds: Double
    public var path: String

    init(_ m: VoicemailMessage) {
        id = (m.path as NSString).lastPathComponent
        application = m.application
        mailbox = m.mailbox
        folder = m.folder.rawValue
        caller = m.caller
        call = m.callID
        received = m.received
        seconds = (m.seconds * 10).rounded() / 10
        path = m.path
    }
}

/// `voicemail`, `voicemail show BOX`, `voicemail delete BOX MSG`, `voicemail mark BOX MSG new|old`
/// (BOX: `MAILBOX` or `APPLICATION:MAILBOX` when several voice mail applications are configured).
public enum VoicemailRequest: Equatable, Sendable {
    case list
    case show(application: String?, mailbox: String)
    case delete(application: String?, mailbox: String, message: String)
    case mark(application: String?, mailbox: String, message: String, folder: VoicemailMessage.Folder)

    public static let commands = ["list", "show", "delete", "mark", "play", "export"]

    public static func parse(_ line: String) -> Result<VoicemailRequest, CallControlError> {
        let w = line.split(separator: " ").map(String.init)
        guard w.first == "voicemail" else { return .failure(.invalid("not a voicemail request")) }
        if w.count == 1 || (w.count == 2 && w[1] == "list") { return .success(.list) }
        guard w.count >= 3 else { return .failure(.invalid("usage: voicemail [show BOX | delete BOX MESSAGE | mark BOX MESSAGE new|old]")) }
        let parts = w[2].split(separator: ":", maxSplits: 1).map(String.init)
        let (app, box) = parts.count == 2 ? (Optional(parts[0]), parts[1]) : (nil, parts[0])
        guard (1...16).contains(box.count), box.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return .failure(.invalid("'\(w[2])' is not a mailbox (MAILBOX or APPLICATION:MAILBOX)"))
        }
        func message(_ i: Int) -> String? {
            guard w.count > i, w[i].hasPrefix("msg-"), w[i].hasSuffix(".wav"), !w[i].contains("/"), w[i].count <= 128 else { return nil }
            return w[i]
        }
        switch (w[1], w.count) {
        case ("show", 3): return .success(.show(application: app, mailbox: box))
        case ("delete", 4):
            guard let m = message(3) else { return .failure(.invalid("'\(w[3])' is not a message (its file name, msg-….wav)")) }
            return .success(.delete(application: app, mailbox: box, message: m))
        case ("mark", 5):
            guard let m = message(3) else { return .failure(.invalid("'\(w[3])' is not a message (its file name, msg-….wav)")) }
            guard let f = VoicemailMessage.Folder(rawValue: w[4]) else { return .failure(.invalid("a message is marked new or old")) }
            return .success(.mark(application: app, mailbox: box, message: m, folder: f))
        default:
            return .failure(.invalid("usage: voicemail [show BOX | delete BOX MESSAGE | mark BOX MESSAGE new|old]"))
        }
    }
}

extension ControlServer {
    /// `voicemail …` requests: nil when the request is not one.
    static func voicemailQuery(_ request: String, daemon: Daemon) async -> Data? {
        guard request == "voicemail" || request.hasPrefix("voicemail ") else { return nil }
        guard !daemon.voicemail.isEmpty else {
            return ControlReply.error("no voice mail is configured (applications of type voicemail)", code: "not-configured")
        }
        let parsed: VoicemailRequest
        switch VoicemailRequest.parse(request) {
        case .failure(let e): return ControlReply.error(e.description, code: e.code)
        case .success(let r): parsed = r
        }
        func app(_ name: String?) -> Result<VoicemailApplication, CallControlError> {
            if let name {
                guard let a = daemon.voicemail[name] else { return .failure(.invalid("no voice mail application '\(name)'")) }
                return .success(a)
            }
            guard daemon.voicemail.count == 1, let a = daemon.voicemail.values.first else {
                return .failure(.invalid("several voice mail applications: write APPLICATION:MAILBOX"))
            }
            return .success(a)
        }
        switch parsed {
        case .list:
            var out: [MailboxView] = []
            for (name, a) in daemon.voicemail.sorted(by: { $0.key < $1.key }) {
                for b in await a.mailboxes() {
                    out.append(MailboxView(application: name, mailbox: b.number, owner: b.owner, new: b.new, old: b.old, locked: b.locked))
                }
            }
            return ControlReply.encode(out)
        case .show(let name, let box):
            switch app(name) {
            case .failure(let e): return ControlReply.error(e.description, code: e.code)
            case .success(let a):
                guard await a.hasMailbox(box) else { return ControlReply.error("no mailbox \(box)", code: "not-found") }
                return ControlReply.encode(await a.messages(mailbox: box).map(VoicemailMessageView.init))
            }
        case .delete(let name, let box, let message), .mark(let name, let box, let message, _):
            switch app(name) {
            case .failure(let e): return ControlReply.error(e.description, code: e.code)
            case .success(let a):
                guard let m = await a.messages(mailbox: box).first(where: { ($0.path as NSString).lastPathComponent == message }) else {
                    return ControlReply.error("no message \(message) in mailbox \(box)", code: "not-found")
                }
                if case .mark(_, _, _, let folder) = parsed { _ = await a.mark(mailbox: box, path: m.path, folder: folder) }
                else { _ = await a.delete(mailbox: box, path: m.path) }
                var view = VoicemailMessageView(m)
                if case .mark(_, _, _, let folder) = parsed { view.folder = folder.rawValue }
                return ControlReply.encode(view)
            }
        }
    }
}
