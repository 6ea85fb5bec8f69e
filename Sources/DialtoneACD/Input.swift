// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Why an offer did not become a conversation.
public enum OfferFailure: String, Sendable, Codable, Hashable {
    case noAnswer, busy, rejected, failed
}

/// Who ended a conversation.
public enum EndedBy: String, Sendable, Codable, Hashable {
    case caller, agent
}

/// What an agent (or a supervisor for them) asks.
public enum AgentCommand: Sendable, Hashable {
    /// Log in (at `station`, or the configured one). Logged-in agents start ready.
    case login(station: Station?)
    /// Log out now; while busy (or in wrap-up) this becomes "log out after this call". An offer is withdrawn.
    case logout
    /// Ready: ends a pause or the wrap-up, and clears pending "after this call" requests.
    case ready
    /// Pause with a reason code; while busy it becomes "pause after this call". An offer is withdrawn.
    case pause(reason: String)
    /// Unpause (the same as `ready` for a paused agent; clears a pending pause otherwise).
    case unpause
    /// Pause once the current call and its wrap-up end (at once if idle).
    case pauseAfterCall(reason: String)
    /// Log out once the current call and its wrap-up end (at once if idle).
    case logoutAfterCall
    /// End the wrap-up now.
    case endWrapUp
}

/// An input to the ACD: what happened, as reported by its owner.
public enum ACDInput: Sendable {
    /// An item entered its queue (after the customer lookup). An unknown queue returns `overflow(.hangup)`;
    /// a duplicate id is ignored.
    case arrive(WorkItem)
    /// The caller hung up while waiting or being offered → ABANDON (offers withdrawn).
    /// Ignored for callbacks and messages (their caller is gone by design) and for connected calls.
    case callerLeft(String)
    /// The agent picked up → CONNECT (for a callback: the agent is busy while the customer is dialled).
    case offerAnswered(String, agent: String)
    /// The offer failed → RINGNOANSWER; the item goes to the next agent; misses count towards auto-pause.
    case offerFailed(String, agent: String, reason: OfferFailure)
    /// The conversation is over → COMPLETECALLER / COMPLETEAGENT; the agent enters wrap-up.
    case workEnded(String, agent: String, by: EndedBy)
    /// The agent transferred the caller elsewhere → TRANSFER; the agent enters wrap-up.
    case transferred(String, agent: String, to: String)
    /// The caller asked to be called back at `number` (at `at`, or when their turn comes), keeping their place.
    case convertToCallback(String, number: String, at: Date?)
    /// The caller began recording a message; the call stays offerable (an agent freeing up takes it at once).
    case messageStarted(String)
    /// The caller left a message: the item becomes a message work item keeping its place.
    case messageLeft(String, path: String, seconds: Double)
    /// The result of calling a customer back for an answered callback offer.
    case callbackResult(String, answered: Bool)
    case agent(String, AgentCommand)
    /// Time passed: fire every timer due at `now`.
    case tick
}
