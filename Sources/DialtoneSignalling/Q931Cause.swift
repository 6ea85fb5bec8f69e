// SPDX-License-Identifier: GPL-2.0-or-later

/// A Q.850 cause value carried in Q.931 clearing messages.
public struct Q931Cause: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }

    public static let unallocatedNumber = Q931Cause(1)
    public static let noRouteToDestination = Q931Cause(3)
    public static let channelUnacceptable = Q931Cause(6)
    public static let normalClearing = Q931Cause(16)
    public static let userBusy = Q931Cause(17)
    public static let noUserResponding = Q931Cause(18)
    public static let noAnswer = Q931Cause(19)
    public static let callRejected = Q931Cause(21)
    public static let destinationOutOfOrder = Q931Cause(27)
    public static let invalidNumberFormat = Q931Cause(28)
    public static let normalUnspecified = Q931Cause(31)
    public static let noCircuitAvailable = Q931Cause(34)
    public static let networkOutOfOrder = Q931Cause(38)
    public static let temporaryFailure = Q931Cause(41)
    public static let switchingEquipmentCongestion = Q931Cause(42)
    public static let requestedChannelUnavailable = Q931Cause(44)
    public static let resourceUnavailable = Q931Cause(47)
    public static let bearerCapabilityNotAvailable = Q931Cause(58)
    public static let facilityNotImplemented = Q931Cause(69)
    public static let incompatibleDestination = Q931Cause(88)
    public static let invalidMessage = Q931Cause(95)
    public static let wrongCallState = Q931Cause(101)
    public static let recoveryOnTimerExpiry = Q931Cause(102)
    public static let protocolError = Q931Cause(111)
    public static let interworking = Q931Cause(127)

    public var name: String {
        switch rawValue {
        case 1: "unallocated number"
        case 3: "no route to destination"
        case 6: "channel unacceptable"
        case 16: "normal clearing"
        case 17: "user busy"
        case 18: "no user responding"
        case 19: "no answer"
        case 21: "call rejected"
        case 27: "destination out of order"
        case 28: "invalid number format"
        case 31: "normal, unspecified"
        case 34: "no circuit/channel available"
        case 38: "network out of order"
        case 41: "temporary failure"
        case 42: "switching equipment congestion"
        case 44: "requested channel not available"
        case 47: "resource unavailable"
        case 58: "bearer capability not available"
        case 69: "requested facility not implemented"
        case 88: "incompatible destination"
        case 95: "invalid message"
        case 101: "message not compatible with call state"
        case 102: "recovery on timer expiry"
        case 111: "protocol error"
        case 127: "interworking"
        default: "cause \(rawValue)"
        }
    }

    public var description: String { "\(rawValue) (\(name))" }
}
