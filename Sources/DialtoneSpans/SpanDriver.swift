// The span-driver contract every backend implements (docs/span-drivers.md).
// SPDX-License-Identifier: GPL-2.0-or-later

/// One digital trunk (E1 or T1) as the rest of Dialtone sees it: a D-channel
/// carrying HDLC frames and B-channels carrying 160-byte G.711 frames.
///
/// B-channel I/O is non-blocking and allocation-free so the media threads can
/// call it every 20 ms tick; timing comes from a ``FrameClock``, not the span.
public protocol SpanDriver: AnyObject, Sendable {
    /// Configured name, e.g. `pstn`.
    var name: String { get }
    var type: SpanType { get }
    var law: G711Law { get }
    /// Where the span lives: `virtual:pstn`, `dahdi:span 1 (TE4/0/1)`.
    var identity: String { get }
    var dchannel: any DChannelPort { get }
    /// Current alarm state.
    var alarms: SpanAlarms { get }

    func start() throws(SpanError)
    func stop()

    /// Copies the next received frame of B-channel `channel` (Q.931 numbering)
    /// into `buffer`; returns the byte count, 0 when no frame is waiting.
    func readFrame(channel: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int
    /// Queues one frame for transmission; returns the bytes accepted (0 when full).
    func writeFrame(channel: Int, from buffer: UnsafeRawBufferPointer) -> Int
    /// Discards received frames not yet read (call set-up; DAHDI_FLUSH with
    /// DAHDI_FLUSH_READ). Frames already queued for transmission still play out.
    func flush(channel: Int)
    /// Tells the driver whether a call's media uses B-channel `channel` (called
    /// by the thread that reads it, on changes only). A channel no one uses
    /// costs nothing per tick: it is neither read nor written, and a virtual
    /// link stops carrying it; DAHDI lets its receive buffers overrun, which
    /// is harmless. Taking a channel into use discards what was received
    /// meanwhile (as ``flush(channel:)``); frames queued to send still play out.
    func setInUse(channel: Int, _ inUse: Bool)

    /// Installs the handler for alarms and line events (called on a driver thread).
    func setEventHandler(_ handler: @escaping @Sendable (SpanEvent) -> Void)
    /// Puts the span into a maintenance loop, or back to normal.
    func setMaintenance(_ mode: MaintenanceMode) throws(SpanError)
}

extension SpanDriver {
    /// Drivers that carry every channel all the time only flush on first use.
    public func setInUse(channel: Int, _ inUse: Bool) {
        if inUse { flush(channel: channel) }
    }
}

/// The D-channel as libpri sees it: one HDLC frame per read/write, each
/// followed by 2 FCS bytes (DAHDI's convention, which libpri expects).
public protocol DChannelPort: AnyObject, Sendable {
    /// A descriptor that polls readable when a frame (or line event) waits.
    var pollDescriptor: Int32 { get }
    /// Reads one frame (with its 2 FCS bytes). Returns the length, 0 when none
    /// is waiting, or -1 on a line event/error (see the span's event handler).
    func readFrame(into buffer: UnsafeMutableRawBufferPointer) -> Int
    /// Writes one frame (with 2 FCS bytes). Returns the length written.
    func writeFrame(_ frame: UnsafeRawBufferPointer) -> Int
}

/// Events a span reports besides frames.
public enum SpanEvent: Sendable, Equatable {
    case alarmsChanged(SpanAlarms)
    case dchannelAbort
    case dchannelBadFCS
    /// Messages from the far end that did not fit the framing, since the last
    /// report (reported at most once a second; docs/virtual-span.md).
    case malformedFrames(count: Int, last: String)
    case started
    case stopped
}

public enum MaintenanceMode: String, Sendable, CaseIterable {
    case none
    /// Transmit looped back to receive inside the span (DAHDI_MAINT_LOCALLOOP).
    case localLoop = "local"
    /// Received line looped back toward the network (DAHDI_MAINT_NETWORKLINELOOP).
    case networkLoop = "network"
}

/// Alarm bits as DAHDI reports them (`DAHDI_ALARM_*`).
public struct SpanAlarms: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let recovering = SpanAlarms(rawValue: 1 << 0)
    public static let loopback = SpanAlarms(rawValue: 1 << 1)
    public static let yellow = SpanAlarms(rawValue: 1 << 2)
    public static let red = SpanAlarms(rawValue: 1 << 3)
    public static let blue = SpanAlarms(rawValue: 1 << 4)
    public static let notOpen = SpanAlarms(rawValue: 1 << 5)
    public static let none: SpanAlarms = []

    public var description: String {
        if isEmpty { return "OK" }
        var parts: [String] = []
        if contains(.red) { parts.append("RED") }
        if contains(.yellow) { parts.append("YELLOW") }
        if contains(.blue) { parts.append("BLUE") }
        if contains(.loopback) { parts.append("LOOP") }
        if contains(.recovering) { parts.append("RECOVERING") }
        if contains(.notOpen) { parts.append("NOTOPEN") }
        return parts.joined(separator: ",")
    }
}
