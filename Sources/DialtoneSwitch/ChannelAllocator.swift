// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSignalling

/// Which B-channels are in use on each span. A channel is leased to one
/// call reference (or to an unacknowledged RESTART) and is free again only
/// when that is gone: one owner for each channel's lease.
struct ChannelAllocator: Sendable {
    struct Key: Hashable, Sendable {
        var span: Int
        var ref: CallRef
        /// A channel held out of use while our RESTART for it is unacknowledged (no call reference).
        static func restart(span: Int, channel: Int) -> Key { Key(span: span, ref: CallRef(rawValue: UInt64.max - UInt64(channel))) }
        var isRestart: Bool { ref.rawValue > UInt64.max - 256 }
    }

    private(set) var busy: [Set<Int>]
    private var leases: [Key: Int] = [:]

    init(spans: Int) { busy = Array(repeating: [], count: spans) }

    func isFree(_ span: SpanConfig, index: Int, channel: Int) -> Bool {
        span.channels.contains(channel) && !busy[index].contains(channel)
    }

    /// A free channel: the NET side picks from the top down, CPE from the bottom up, to avoid glare.
    func free(_ span: SpanConfig, index: Int) -> Int? {
        let order = span.role == .net ? span.channels.reversed() : span.channels
        return order.first { !busy[index].contains($0) }
    }

    mutating func lease(span: Int, channel: Int, to key: Key) {
        busy[span].insert(channel)
        leases[key] = channel
    }

    mutating func release(_ key: Key) {
        guard let channel = leases.removeValue(forKey: key) else { return }
        busy[key.span].remove(channel)
    }

    /// The far end restarts `channels`: those not in a call are held until our RESTART ACKNOWLEDGE.
    mutating func restarting(span: Int, channels: [Int]) {
        for ch in channels where !busy[span].contains(ch) { lease(span: span, channel: ch, to: .restart(span: span, channel: ch)) }
    }

    mutating func restartAcknowledged(span: Int, channel: Int?) {
        let keys = leases.filter { $0.key.span == span && $0.key.isRestart && (channel == nil || $0.value == channel) }.keys
        for key in keys { release(key) }
    }
}
