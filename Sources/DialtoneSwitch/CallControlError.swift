// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSignalling

/// Why a call-control command was refused. A refused command changed nothing.
public enum CallControlError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchCall(String)
    case noSuchLeg(call: String, leg: Int)
    /// The command does not fit the call's state (e.g. retrieve a call that is not held).
    case wrongState(call: String, state: Call.State, command: String)
    /// The dialplan has no route for the number.
    case noRoute(String)
    /// No span of the route has its D-channel up and a free B-channel.
    case noCircuit(String)
    /// The arguments are malformed (a digit string, a span name, a cause).
    case invalid(String)
    /// The feature is not configured (recording, prompts).
    case notConfigured(String)
    /// The switch is draining for shutdown.
    case shuttingDown

    public var description: String {
        switch self {
        case .noSuchCall(let id): "no call \(id)"
        case .noSuchLeg(let c, let l): "call \(c) has no leg \(l)"
        case .wrongState(let c, let s, let cmd): "call \(c) is \(s): \(cmd) does not apply"
        case .noRoute(let n): "no route for \(n)"
        case .noCircuit(let n): "no circuit for \(n)"
        case .invalid(let why): why
        case .notConfigured(let what): "\(what) is not configured"
        case .shuttingDown: "the switch is shutting down"
        }
    }

    /// A short stable code for the API (like HTTP 404/409/422).
    public var code: String {
        switch self {
        case .noSuchCall, .noSuchLeg: "not-found"
        case .wrongState: "conflict"
        case .noRoute, .noCircuit: "unavailable"
        case .invalid: "invalid"
        case .notConfigured: "not-configured"
        case .shuttingDown: "shutting-down"
        }
    }
}
