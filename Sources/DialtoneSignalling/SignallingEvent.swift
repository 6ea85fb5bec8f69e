// SPDX-License-Identifier: GPL-2.0-or-later

/// Identifies one call on one D-channel. Assigned by the D-channel (never a
/// libpri pointer, which libpri reuses), valid until `.released`.
public struct CallRef: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "cr\(rawValue)" }
    public static func < (a: CallRef, b: CallRef) -> Bool { a.rawValue < b.rawValue }
}

/// Numbering-plan/type-of-number and presentation as carried in Q.931.
public struct PartyNumber: Sendable, Equatable, CustomStringConvertible {
    public var digits: String
    /// Type of number + numbering plan octet (libpri `*plan`), e.g. 0x21 national ISDN.
    public var plan: Int
    /// Presentation + screening octet, e.g. 0x00 allowed/user-provided, 0x20 restricted.
    public var presentation: Int
    public var name: String

    public init(digits: String, plan: Int = 0x21, presentation: Int = 0x03, name: String = "") {
        self.digits = digits
        self.plan = plan
        self.presentation = presentation
        self.name = name
    }

    public var isRestricted: Bool { presentation & 0x60 == 0x20 }
    /// What logs and listings show: `anonymous` when presentation is restricted.
    public var description: String { isRestricted ? "anonymous" : (digits.isEmpty ? "-" : digits) }
}

/// The bearer capability of a call.
public struct Bearer: Sendable, Equatable {
    /// Information transfer capability (0 speech, 0x10 3.1 kHz audio, 8 unrestricted digital).
    public var capability: Int
    /// User information layer 1 (0x22 µ-law, 0x23 A-law).
    public var layer1: Int
    public init(capability: Int = 0, layer1: Int = 0x23) {
        self.capability = capability
        self.layer1 = layer1
    }
    public static let speechALaw = Bearer(capability: 0, layer1: 0x23)
    public static let speechMuLaw = Bearer(capability: 0, layer1: 0x22)
    public var isVoice: Bool { capability == 0 || capability == 0x10 }
}

/// An incoming SETUP.
public struct IncomingSetup: Sendable, Equatable {
    public var calling: PartyNumber
    public var called: String
    public var calledPlan: Int
    /// B-channel (Q.931 number) the network chose, nil if none indicated.
    public var channel: Int?
    public var exclusive: Bool
    public var bearer: Bearer
    /// Sending complete (or en-bloc): no more digits will follow.
    public var complete: Bool
    public var keypad: String

    public init(calling: PartyNumber, called: String, calledPlan: Int = 0, channel: Int?, exclusive: Bool = true,
                bearer: Bearer = .speechALaw, complete: Bool = true, keypad: String = "") {
        self.calling = calling
        self.called = called
        self.calledPlan = calledPlan
        self.channel = channel
        self.exclusive = exclusive
        self.bearer = bearer
        self.complete = complete
        self.keypad = keypad
    }
}

/// What a D-channel reports, in order, from its owner thread.
public enum SignallingEvent: Sendable, Equatable {
    case linkUp
    case linkDown
    case incoming(CallRef, IncomingSetup)
    /// Overlap digits (INFORMATION) or keypad facility digits during a call.
    case digits(CallRef, String, complete: Bool)
    case setupAcknowledged(CallRef)
    case proceeding(CallRef, channel: Int?)
    case progress(CallRef)
    case alerting(CallRef)
    case connected(CallRef, channel: Int?)
    /// The far end started clearing (DISCONNECT/RELEASE) with this cause.
    case disconnected(CallRef, Q931Cause)
    /// The call reference is gone; its B-channel is free.
    case released(CallRef, Q931Cause)
    case restart(channel: Int?)
    /// We sent RESTART for these channels (link back after a loss): out of use until acknowledged.
    case restarting(channels: [Int])
    /// The far end acknowledged our RESTART (nil: the whole interface).
    case restartAcknowledged(channel: Int?)
    case protocolError(String)
}

/// What the switch asks a D-channel to do.
public enum SignallingCommand: Sendable, Equatable {
    case setup(CallRef, OutgoingSetup)
    case proceeding(CallRef, channel: Int)
    case needMoreInfo(CallRef, channel: Int)
    case alerting(CallRef, channel: Int)
    case answer(CallRef, channel: Int)
    case hangup(CallRef, Q931Cause)
    case information(CallRef, String)
    /// Digits in a keypad facility IE (INFORMATION during a call).
    case keypad(CallRef, String)
    case restartAll
}

/// An outgoing SETUP.
public struct OutgoingSetup: Sendable, Equatable {
    public var channel: Int
    public var exclusive: Bool
    public var calling: PartyNumber
    public var called: String
    public var calledPlan: Int
    public var bearer: Bearer
    public var complete: Bool

    public init(channel: Int, exclusive: Bool = true, calling: PartyNumber, called: String,
                calledPlan: Int = 0x21, bearer: Bearer, complete: Bool = true) {
        self.channel = channel
        self.exclusive = exclusive
        self.calling = calling
        self.called = called
        self.calledPlan = calledPlan
        self.bearer = bearer
        self.complete = complete
    }
}
