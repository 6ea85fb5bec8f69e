// SPDX-License-Identifier: GPL-2.0-or-later

/// A voice mail application (`applications: {vm: {type: voicemail, …}}`):
/// where its files live, the limits every mailbox has unless it says
/// otherwise, and the mailboxes. A route or an IVR action reaches it with
/// an argument: a mailbox number (leave a message), `login` (the owner
/// keys their mailbox number and PIN) or `login NUMBER` (the PIN only).
public struct VoicemailConfig: Sendable, Equatable {
    /// Where messages and greetings are kept (`<directory>/<mailbox>/`);
    /// nil: `voicemail/` next to the database.
    public var directory: String?
    /// Longest message in seconds (then it ends as if `#` was pressed). Default 180.
    public var maxMessageSeconds: Double = 180
    /// Shorter messages (after trailing silence is trimmed) are discarded. Default 2.
    public var minMessageSeconds: Double = 2
    /// Seconds of silence that end a message (0: off). Default 5.
    public var silenceSeconds: Double = 5
    /// Messages a mailbox keeps (new and old); a full mailbox says so and takes none. Default 100.
    public var maxMessages: Int = 100
    /// Wrong PINs in a row that lock a mailbox. Default 3.
    public var maxPINFailures: Int = 3
    /// Seconds a locked mailbox stays locked. Default 300.
    public var lockoutSeconds: Double = 300
    /// The local MTA's sendmail interface (`sendmail -t` reads the message on stdin).
    public var sendmail: String = "/usr/sbin/sendmail"
    /// The e-mails' From: address.
    public var from: String = "voicemail@localhost"
    /// Mailboxes by number.
    public var mailboxes: [String: MailboxConfig] = [:]

    public init() {}

    /// The prompts voice mail speaks (check-config checks them in every
    /// language; `VoicemailSessionTests` checks the session names no other).
    public static let prompts: [String] = [
        "vm-person", "vm-unavailable", "vm-busy", "vm-intro", "beep", "vm-review", "vm-saved-goodbye", "vm-too-short", "vm-full",
        "vm-login", "vm-pin", "vm-incorrect", "vm-locked", "vm-you-have", "vm-new", "vm-old", "vm-and", "vm-no", "vm-message",
        "vm-messages", "vm-main-menu", "vm-first", "vm-next", "vm-received", "vm-at", "vm-from", "vm-unknown-caller",
        "vm-message-menu", "vm-deleted", "vm-kept", "vm-no-more", "vm-options", "vm-record-greeting", "vm-greeting-saved",
        "vm-greeting-removed", "vm-new-pin", "vm-new-pin-again", "vm-pin-changed", "vm-pin-mismatch", "vm-calling-back",
        "vm-goodbye", "invalid",
    ] + (1...12).map { "mon-\($0)" } + (0...19).map { "n-\($0)" } + stride(from: 20, through: 90, by: 10).map { "n-\($0)" } + ["n-hundred"]

    /// What a mailbox's messages may be: its own settings, else the application's.
    public func limits(_ box: MailboxConfig) -> (max: Double, min: Double, count: Int) {
        (box.maxMessageSeconds ?? maxMessageSeconds, box.minMessageSeconds ?? minMessageSeconds, box.maxMessages ?? maxMessages)
    }
}

/// One mailbox of a voice mail application.
public struct MailboxConfig: Sendable, Equatable {
    public var number: String
    public var owner: String = ""
    /// The PIN as configured (digits). The daemon keeps only its hash, in
    /// the store; a PIN the owner changes by phone lives there too.
    public var pin: String?
    /// Where new messages are mailed (with the WAV attached).
    public var email: String?
    /// A program run for each new message: the executable and its arguments
    /// (no shell); the message's details are in its environment (docs/voicemail.md).
    public var notify: [String] = []
    public var maxMessageSeconds: Double?
    public var minMessageSeconds: Double?
    public var maxMessages: Int?
    /// The prompt set the mailbox's callers and owner hear (nil: the default).
    public var language: String?
    /// A group mailbox: each message becomes a work item of this queue.
    public var queue: String?
    /// Where the mailbox was written (for messages).
    public var line: Int?

    public init(number: String) { self.number = number }
}

/// What a route or an IVR action passes to a voice mail application.
public enum VoicemailArgument: Sendable, Equatable {
    /// Leave a message in this mailbox.
    case leave(String)
    /// The owner's access: mailbox number (nil: asked for, or the calling number's mailbox) then PIN.
    case login(String?)

    public static func parse(_ text: String) -> VoicemailArgument? {
        let words = text.split(separator: " ").map(String.init)
        switch (words.first, words.count) {
        case ("login", 1): return .login(nil)
        case ("login", 2): return .login(words[1])
        case (let n?, 1) where n.allSatisfy(\.isNumber): return .leave(n)
        default: return nil
        }
    }
}
