// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Something an agent must handle: a waiting call, a callback reservation, a message or a fax.
/// Waiting calls, callbacks and messages share one line per queue.
public struct WorkItem: Sendable, Codable, Equatable {
    public enum Kind: Sendable, Codable, Equatable {
        /// A caller on the line, waiting.
        case call
        /// Call the customer back at `number` (not before `notBefore`); `attempts` made so far.
        case callback(number: String, notBefore: Date?, attempts: Int)
        /// A recorded message (WAV at `path`, `seconds` long).
        case message(path: String, seconds: Double)
        /// A received fax (fax mail): `fax` its id in the fax store, `pages` long.
        case fax(fax: String, pages: Int)

        /// Durable items (callbacks, messages) survive a restart; calls do not.
        public var isDurable: Bool {
            if case .call = self { return false }
            return true
        }
    }

    public var id: String
    public var kind: Kind
    public var queue: String
    /// Higher first.
    public var priority: Int
    /// The item's place in line (a callback or message keeps the caller's original arrival).
    public var arrival: Date
    public var callerNumber: String
    public var customer: String?
    /// Business routing: offered to these agents first (in this order) for the queue's `assignedWait`, then to the whole queue.
    public var assignedAgents: [String]

    public init(id: String, kind: Kind = .call, queue: String, priority: Int = 0, arrival: Date,
                callerNumber: String = "", customer: String? = nil, assignedAgents: [String] = []) {
        self.id = id
        self.kind = kind
        self.queue = queue
        self.priority = priority
        self.arrival = arrival
        self.callerNumber = callerNumber
        self.customer = customer
        self.assignedAgents = assignedAgents
    }
}
