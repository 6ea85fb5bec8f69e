// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSignalling

/// One side of a call on one span: a Q.931 call reference and its B-channel.
public struct CallLeg: Sendable, Equatable {
    /// Q.931 call states (Q.931 §2.1, user side names; the network side's
    /// N-states correspond one to one for what Dialtone tracks).
    public enum State: String, Sendable {
        case null = "U0"
        case callInitiated = "U1"
        case overlapSending = "U2"
        case outgoingProceeding = "U3"
        case callDelivered = "U4"
        case callPresent = "U6"
        case callReceived = "U7"
        case overlapReceiving = "U25"
        case incomingProceeding = "U9"
        case active = "U10"
        case disconnectRequest = "U11"
        case disconnectIndication = "U12"
        case released = "released"
    }

    public var span: Int
    public var ref: CallRef
    public var channel: Int?
    public var state: State
    public var cause: Q931Cause?

    public var isGone: Bool { state == .released }
}
