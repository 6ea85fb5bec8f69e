// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// One voice mail message as indexed in the store (`voicemail_message`):
/// a finished WAV file in its mailbox's directory. The index never names a
/// file that is not there: a message is indexed only after its file is
/// finalised (header, fsync, rename), and the start-up recovery drops
/// entries whose file is missing or unreadable.
public struct VoicemailMessage: Codable, Sendable, Equatable {
    public enum Folder: String, Codable, Sendable, CaseIterable { case new, old }
    /// The voice mail application's name.
    public var application: String
    public var mailbox: String
    public var path: String
    public var folder: Folder
    /// The calling number ("" when withheld).
    public var caller: String
    public var callID: String
    public var received: Date
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case application, mailbox, path, folder, caller, seconds
        case callID = "call_id", received = "received_time"
    }

    public init(application: String, mailbox: String, path: String, folder: Folder = .new, caller: String, callID: String,
                received: Date, seconds: Double) {
        self.application = application
        self.mailbox = mailbox
        self.path = path
        self.folder = folder
        self.caller = caller
        self.callID = callID
        self.received = received
        self.seconds = seconds
    }
}

/// A mailbox's security state in the store (`mailbox_state`): the PIN's hash
/// (crypt(3), `$6$`), the hash of the PIN the config last gave (a config
/// change replaces a PIN changed by phone; an unchanged config does not),
/// failures in a row and the end of a lockout.
public struct MailboxState: Codable, Sendable, Equatable {
    public var application: String
    public var mailbox: String
    public var pinHash: String?
    public var configPINHash: String?
    public var failures: Int
    public var lockedUntil: Date?

    enum CodingKeys: String, CodingKey {
        case application, mailbox, failures
        case pinHash = "pin_hash", configPINHash = "config_pin_hash", lockedUntil = "locked_until"
    }

    public init(application: String, mailbox: String, pinHash: String? = nil, configPINHash: String? = nil, failures: Int = 0,
                lockedUntil: Date? = nil) {
        self.application = application
        self.mailbox = mailbox
        self.pinHash = pinHash
        self.configPINHash = configPINHash
        self.failures = failures
        self.lockedUntil = lockedUntil
    }
}

/// A change to the voice mail index, as the store writer journals and applies it (idempotent).
public enum VoicemailChange: Codable, Sendable, Equatable {
    /// A finalised message (stored once by path).
    case indexed(VoicemailMessage)
    /// A message moved to a folder (heard: old).
    case moved(path: String, folder: VoicemailMessage.Folder)
    /// A message deleted (its file is removed first).
    case removed(path: String)
    /// A mailbox's PIN and lock state, replaced as a whole.
    case state(MailboxState)
    /// A message dealt with (the unified inbox's `done`): by whom and when; kept once.
    case handled(path: String, by: String, at: Date)
}
