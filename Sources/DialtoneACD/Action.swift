// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// What kind of work an offer is, so the integrator knows how to connect it.
public enum OfferKind: String, Sendable, Codable, Hashable {
    /// Bridge the waiting caller to the agent.
    case call
    /// Call the agent, tell them it is a callback, then dial the customer and report `callbackResult`.
    case callback
    /// Play the recorded message to the agent.
    case message
    /// Tell the agent a received fax is theirs (it is in their inbox).
    case fax
}

/// An agent's state (pending "after this call" requests are in `AgentStatus`).
public enum AgentState: Sendable, Codable, Hashable {
    case loggedOut
    /// Logged in and free (unless resting briefly after a missed offer).
    case ready
    /// Reserved: an offer of this item rings at the agent's station.
    case offered(item: String)
    /// In a conversation (or a callback being dialled) for this item.
    case busy(item: String)
    case wrapUp(until: Date)
    case paused(reason: String)
}

/// What the owner must carry out.
public enum ACDAction: Sendable, Equatable {
    /// Ring the agent's station for this item (ring-all: several offers for one item).
    case offer(item: String, agent: String, timeout: Double, kind: OfferKind)
    /// Stop ringing (ring-all losers, caller hung up, offer timed out, agent paused or logged out).
    case withdraw(item: String, agent: String)
    /// The item left its queue this way (for `.queue`, the ACD already moved it).
    case overflow(item: String, Overflow)
    /// Tell the waiting caller their position (1 = next) and expected wait in seconds (nil: unknown).
    case announce(item: String, position: Int, expectedWait: Double?)
    /// Persist and publish the agent's new state.
    case agentChanged(agent: String, AgentState)
    /// Durable work items (callbacks, messages) changed: persist `snapshot()`.
    case itemsChanged
    case log(QueueEvent)
}
