// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// One line of the queue log: what a queue or an agent did, when. The ACD
/// emits these; the store keeps them (table `queue_event`) and writes them
/// as an Asterisk-compatible `queue_log` file
/// (`epoch|callid|queue|agent|EVENT|data1|data2|…`) so that existing
/// queue-reporting tools read it. Statistics are computed from them.
public struct QueueEvent: Sendable, Codable, Equatable, Hashable {
    public var time: Date
    /// The work item (a call's id, or a callback's / message's id); "NONE" for agent events.
    public var callID: String
    /// The queue; "NONE" for events of an agent not tied to one queue.
    public var queue: String
    /// The agent; "NONE" when no agent is involved.
    public var agent: String
    public var kind: Kind
    /// The event's data fields, in Asterisk's order for its own events (see `Kind`).
    public var data: [String]

    public init(time: Date, callID: String = "NONE", queue: String = "NONE", agent: String = "NONE",
                kind: Kind, data: [String] = []) {
        self.time = time
        self.callID = callID
        self.queue = queue
        self.agent = agent
        self.kind = kind
        self.data = data
    }

    /// Asterisk's queue_log event names (and their data fields), plus
    /// Dialtone's own for callbacks and messages (tools ignore unknown names).
    public enum Kind: String, Sendable, Codable, CaseIterable, Hashable {
        /// data: url, caller number, priority.
        case enterQueue = "ENTERQUEUE"
        /// An offer that was not answered. data: ring time (ms).
        case ringNoAnswer = "RINGNOANSWER"
        /// data: hold time (s), bridged leg id, ring time (s).
        case connect = "CONNECT"
        /// Agent hung up. data: hold time, call time, original position.
        case completeAgent = "COMPLETEAGENT"
        /// Caller hung up. data: hold time, call time, original position.
        case completeCaller = "COMPLETECALLER"
        /// data: extension, context, hold time, call time, original position.
        case transfer = "TRANSFER"
        /// Caller hung up while waiting. data: position, original position, wait time (s).
        case abandon = "ABANDON"
        /// Left by max wait. data: position, original position, wait time.
        case exitWithTimeout = "EXITWITHTIMEOUT"
        /// Left by a key. data: key, position, original position, wait time.
        case exitWithKey = "EXITWITHKEY"
        /// Queue full. data: position, original position, wait time.
        case exitFull = "EXITFULL"
        /// No agent can take it (all logged out). data: position, original position, wait time.
        case exitEmpty = "EXITEMPTY"
        /// Dialtone: sent elsewhere by overflow. data: target, position, original position, wait time.
        case overflow = "OVERFLOW"
        /// Dialtone: a callback was reserved (the caller left keeping the place). data: number, position, wait time, due time (epoch or "").
        case callbackRequested = "CALLBACK"
        /// Dialtone: a callback attempt. data: attempt, result.
        case callbackAttempt = "CALLBACKATTEMPT"
        /// Dialtone: a callback expired or ran out of attempts. data: attempts.
        case callbackExpired = "CALLBACKEXPIRED"
        /// Dialtone: a message was left (a work item). data: path, seconds, position, wait time.
        case message = "MESSAGE"
        /// data: station.
        case agentLogin = "AGENTLOGIN"
        /// data: station, logged-in time (s).
        case agentLogoff = "AGENTLOGOFF"
        /// data: reason.
        case pause = "PAUSE"
        /// data: reason.
        case unpause = "UNPAUSE"
        /// Dialtone: wrap-up began. data: seconds.
        case wrapUp = "WRAPUP"
    }

    /// The line in Asterisk's queue_log format (without newline). Fields
    /// never contain `|` or a line break (they are replaced by `_`).
    public var queueLogLine: String {
        func clean(_ s: String) -> String {
            String(s.map { $0 == "|" || $0 == "\n" || $0 == "\r" ? "_" : $0 })
        }
        let epoch = Int(time.timeIntervalSince1970.rounded(.down))
        return ([String(epoch), clean(callID), clean(queue), clean(agent), kind.rawValue] + data.map(clean))
            .joined(separator: "|")
    }
}
