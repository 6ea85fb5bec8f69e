// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// A fax received (on a fax number, after CNG in the IVR or a queue, or
/// keyed to an agent): its files, its T.30 result, who it went to and who
/// dealt with it. An entry of the unified inbox.
public struct ReceivedFax: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        /// Waiting for someone to deal with it.
        case new
        /// Marked done (`handledBy`, `handledAt`).
        case done
    }

    public var id: String
    public var time: Date
    /// The call it came on.
    public var callID: String
    public var calling: String
    public var dnis: String
    /// Pages received.
    public var pages: Int
    public var tiffPath: String
    /// The PDF made with tiff2pdf (nil until made, or if it failed).
    public var pdfPath: String?
    public var t30Code: Int?
    public var t30Text: String?
    public var rate: Int
    public var ecm: Bool
    /// Delivered to this agent, or to this queue's agents.
    public var agent: String?
    public var queue: String?
    public var state: State
    public var handledBy: String?
    public var handledAt: Date?

    public init(id: String, time: Date, callID: String, calling: String, dnis: String, pages: Int, tiffPath: String,
                pdfPath: String? = nil, t30Code: Int? = nil, t30Text: String? = nil, rate: Int = 0, ecm: Bool = false,
                agent: String? = nil, queue: String? = nil, state: State = .new, handledBy: String? = nil, handledAt: Date? = nil) {
        self.id = id
        self.time = time
        self.callID = callID
        self.calling = calling
        self.dnis = dnis
        self.pages = pages
        self.tiffPath = tiffPath
        self.pdfPath = pdfPath
        self.t30Code = t30Code
        self.t30Text = t30Text
        self.rate = rate
        self.ecm = ecm
        self.agent = agent
        self.queue = queue
        self.state = state
        self.handledBy = handledBy
        self.handledAt = handledAt
    }
}
