// SPDX-License-Identifier: GPL-2.0-or-later

/// An application of the `applications:` section: its name (how routes
/// and IVR actions call it), its kind and the kind's settings.
public struct ApplicationConfig: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A parking lot: parked calls are answered and hear the hold audio
        /// until the API connects them (`call transfer`), or until `timeout`,
        /// when they go to `timeoutNumber` (or are cleared).
        case park(ParkSettings)
        /// A queue of the ACD: callers wait here for agents.
        case queue(QueueConfig)
        /// Where agents with a persistent line call in: they log in by
        /// agent number and PIN and stay connected between calls.
        case agentLine
        /// Voice mail: mailboxes callers leave messages in and owners call to hear them.
        case voicemail(VoicemailConfig)
        /// The fax-on-demand service: callers pick catalogue documents (`fax:`)
        /// and receive them on the call or by a fax job to a number they key.
        case faxOnDemand(FaxOnDemandSettings)
    }

    public struct FaxOnDemandSettings: Sendable, Equatable {
        /// Documents one caller may order at once. Default 5.
        public var maxDocuments: Int = 5
        /// Whether callers may have the documents sent to a number they key (key 2). Default true.
        public var callback: Bool = true
        /// Seconds to wait for each key. Default 10.
        public var digitTimeout: Double = 10
        public init() {}
        /// The prompts the service plays (checked at load like any other).
        public static let prompts = ["fax-welcome", "fax-added", "fax-no-document", "enter-account", "fax-delivery",
                                     "fax-delivery-here", "fax-enter-number", "fax-start", "fax-queued", "fax-unavailable",
                                     "invalid", "timeout", "goodbye"]
    }

    public struct ParkSettings: Sendable, Equatable {
        /// The prompt parked callers hear in a loop.
        public var holdPrompt: String = "hold"
        /// Seconds a call stays parked. Default 300.
        public var timeout: Double = 300
        /// Where a call parked too long is sent (a number of the dialplan); nil: cleared.
        public var timeoutNumber: String?
        public init() {}
    }

    public var name: String
    public var kind: Kind
    /// Where the application was written (for messages).
    public var line: Int?

    public init(name: String, kind: Kind, line: Int? = nil) {
        self.name = name
        self.kind = kind
        self.line = line
    }

    /// Applications every Dialtone has: `control` presents the call to the
    /// call-control API (answered or rejected by command); `fax-receive`
    /// receives a fax (with a `fax:` section, docs/fax.md).
    public static let builtIn = ["control", "fax-receive"]
    /// The kinds an `applications:` entry may have.
    public static let kinds = ["park", "queue", "agent-line", "voicemail", "fax-on-demand"]

    /// The queue's settings, when this is a queue.
    public var queue: QueueConfig? { if case .queue(let q) = kind { q } else { nil } }

    /// The voice mail settings, when this is a voice mail application.
    public var voicemail: VoicemailConfig? { if case .voicemail(let v) = kind { v } else { nil } }
}
