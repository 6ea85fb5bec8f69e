// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSignalling
import Foundation
import Synchronization

/// What the switch tells an application about its call.
public struct AppCallInfo: Sendable, Equatable {
    public var callID: String
    public var ani: String
    public var dnis: String
    public var span: String
    public var variables: [String: String]
}

/// Events an application session receives, in order.
public enum AppEvent: Sendable, Equatable {
    /// The session took the call (answered by Dialtone).
    case started
    /// A digit from the caller: in band (DTMF, the Q.24 receiver) or from a Q.931 keypad
    /// facility — the same event either way.
    case digit(Character)
    /// The prompt started with this token played to its end.
    case promptFinished(token: Int)
    /// The timer started with this token expired (stale tokens are the session's to ignore).
    case timer(token: Int)
    /// The number a `transfer` dialled did not answer (busy, rejected, no
    /// route, no circuit, no answer). A session that answers with commands
    /// has the caller back; one that answers nothing lets the call clear
    /// with this cause.
    case transferFailed(cause: Q931Cause)
}

/// What an application asks the switch to do.
public enum AppCommand: Sendable, Equatable {
    /// Play a prompt of the library (language nil = the default set). A
    /// prompt that is missing is skipped: `promptFinished` comes at once.
    case play(prompt: String, language: String?, token: Int)
    case stopPrompt
    case startTimer(token: Int, seconds: Double)
    /// Keep a value on the call (routing, screen pop, CDR).
    case set(variable: String, value: String)
    /// Record a step in the call's IVR path (CDR).
    case visit(String)
    /// Leave the application: route the call to this number (routing table).
    case transfer(number: String)
    /// Hand the call to the application that runs this action.
    case handOver(IVRAction)
    case hangup(Q931Cause)
}

/// One call in an application: a state machine fed events, answering with
/// commands (STYLE §9). The switch owns it and runs the commands.
public protocol ApplicationSession: Sendable {
    mutating func handle(_ event: AppEvent, now: Date) -> [AppCommand]
}

/// Makes sessions for the actions it handles (the IVR; queues, voicemail
/// and fax on demand register the same way).
public protocol CallApplications: Sendable {
    /// A session running `action` for a call, or nil when this action is not one of ours.
    func session(for action: IVRAction, call: AppCallInfo) -> (any ApplicationSession)?
}

/// A long-lived application the switch hosts — a parking lot, a queue
/// owning waiting callers and agents, a fax job scheduler. It has its own
/// name (routes and IVR actions hand calls to it by name), its own state,
/// and speaks only the call-control API and the event stream. The daemon
/// runs it as a service.
public protocol HostedApplication: AnyObject, Sendable {
    var name: String { get }
    /// A call handed over by a route or an IVR action. The call is
    /// presented to the application, not yet answered: it answers, rejects
    /// or connects it with the call-control API.
    func take(call: String, argument: String) async
    /// The application's own work until its task is cancelled (typically
    /// following the event stream).
    func run() async
}

/// The hosted applications by name (filled once at start-up; read by the switch).
public final class HostedApplications: Sendable {
    private let table = Mutex<[String: any HostedApplication]>([:])
    public init() {}
    public func register(_ app: any HostedApplication) { table.withLock { $0[app.name] = app } }
    public subscript(name: String) -> (any HostedApplication)? { table.withLock { $0[name] } }
    public var all: [any HostedApplication] { table.withLock { Array($0.values) } }
}
