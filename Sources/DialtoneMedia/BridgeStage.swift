// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans

/// Where a channel's received frames go, the last receive stage: nowhere
/// (`sink`), to the other party of a bridge, or into a conference's mix.
/// A channel has one route at a time; its transmit then comes from that
/// route (the bridge peer, the mixer) instead of a player.
enum Route: Equatable {
    case sink
    /// Two-party bridge `id`: frames go to `peer`, translated through
    /// `table` when the two spans use different laws (nil: copied).
    case bridge(id: Int, peer: MediaEngine.Endpoint, table: UnsafePointer<UInt8>?)
    /// Seat `seat` of conference `id`: frames are decoded into the seat's buffer.
    case conference(id: Int, seat: Int)

    var isRouted: Bool { if case .sink = self { false } else { true } }
}

/// The engine's two-party bridges by id (the switch owns the ids): which
/// two channels each joins, so `unbridge(id:)` finds them. The frames
/// themselves move in the channels' pipelines (``Route/bridge(id:peer:table:)``).
struct BridgeTable {
    struct Bridge {
        var active = false
        var a = MediaEngine.Endpoint(span: 0, channel: 0)
        var b = MediaEngine.Endpoint(span: 0, channel: 0)
    }

    let capacity: Int
    private let bridges: UnsafeMutablePointer<Bridge>
    /// 512 bytes of law translation: [0..<256] µ→A, [256..<512] A→µ.
    private let tables: UnsafeMutablePointer<UInt8>

    init(capacity: Int) {
        self.capacity = capacity
        bridges = .allocate(capacity: capacity)
        bridges.initialize(repeating: Bridge(), count: capacity)
        tables = .allocate(capacity: 512)
        for i in 0..<256 {
            tables[i] = G711.ulawToAlaw[i]
            tables[256 + i] = G711.alawToUlaw[i]
        }
    }

    func deallocate() {
        bridges.deinitialize(count: capacity)
        bridges.deallocate()
        tables.deallocate()
    }

    func contains(_ id: Int) -> Bool { id >= 0 && id < capacity && bridges[id].active }
    subscript(id: Int) -> Bridge { bridges[id] }

    func open(_ id: Int, _ a: MediaEngine.Endpoint, _ b: MediaEngine.Endpoint) {
        bridges[id] = Bridge(active: true, a: a, b: b)
    }

    func close(_ id: Int) { bridges[id].active = false }

    /// The translation from `from` to `to`, nil when the laws are the same.
    func translation(from: G711Law, to: G711Law) -> UnsafePointer<UInt8>? {
        from == to ? nil : UnsafePointer(tables + (from == .mulaw ? 0 : 256))
    }

    /// Sends a received frame to the bridge peer (receive stage 4, `.bridge`).
    @inline(__always)
    static func forward(_ frame: UnsafeMutableRawBufferPointer, count: Int, table: UnsafePointer<UInt8>?,
                        to peer: MediaEngine.Endpoint, spans: [any SpanDriver]) {
        if let table {
            let p = frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
            for k in 0..<count { p[k] = table[Int(p[k])] }
        }
        _ = spans[peer.span].writeFrame(channel: peer.channel, from: UnsafeRawBufferPointer(rebasing: frame[0..<count]))
    }
}
