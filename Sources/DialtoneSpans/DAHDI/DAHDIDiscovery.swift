// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc

/// A span the running DAHDI kernel driver knows, as sysfs describes it.
public struct DAHDISpanInfo: Sendable, Equatable, Codable, Hashable {
    public var number: Int
    /// e.g. `DYN/loc/1:0`, `TE4/0/1`.
    public var name: String
    public var description: String
    /// `E1`, `T1`, `J1`, `BRI`, `FXS`…
    public var type: String
    /// Line configuration as DAHDI reports it, e.g. `ESF/B8ZS`, `CCS/HDB3/CRC4`.
    public var lineConfig: String
    public var alarms: SpanAlarms
    public var baseChannel: Int
    public var channels: Int
    public var isSyncMaster: Bool
    /// The card: manufacturer, type, hardware id, location (bus address).
    public var device: String

    public var channelRange: ClosedRange<Int> { baseChannel...(baseChannel + max(channels, 1) - 1) }
    /// Identity used in logs and events: `span 1 DYN/loc/1:0 (Dynamic 'loc' span at '1:0')`.
    public var identity: String { "span \(number) \(name) (\(description))\(device.isEmpty ? "" : " on \(device)")" }

    enum CodingKeys: String, CodingKey {
        case number, name, description, type, lineConfig, baseChannel, channels, isSyncMaster, device
        case alarmBits = "alarms"
    }

    public init(number: Int, name: String, description: String, type: String, lineConfig: String, alarms: SpanAlarms,
                baseChannel: Int, channels: Int, isSyncMaster: Bool, device: String) {
        self.number = number
        self.name = name
        self.description = description
        self.type = type
        self.lineConfig = lineConfig
        self.alarms = alarms
        self.baseChannel = baseChannel
        self.channels = channels
        self.isSyncMaster = isSyncMaster
        self.device = device
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        number = try c.decode(Int.self, forKey: .number)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decode(String.self, forKey: .description)
        type = try c.decode(String.self, forKey: .type)
        lineConfig = try c.decode(String.self, forKey: .lineConfig)
        alarms = SpanAlarms(rawValue: try c.decode(Int.self, forKey: .alarmBits))
        baseChannel = try c.decode(Int.self, forKey: .baseChannel)
        channels = try c.decode(Int.self, forKey: .channels)
        isSyncMaster = try c.decode(Bool.self, forKey: .isSyncMaster)
        device = try c.decode(String.self, forKey: .device)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(number, forKey: .number)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(type, forKey: .type)
        try c.encode(lineConfig, forKey: .lineConfig)
        try c.encode(alarms.rawValue, forKey: .alarmBits)
        try c.encode(baseChannel, forKey: .baseChannel)
        try c.encode(channels, forKey: .channels)
        try c.encode(isSyncMaster, forKey: .isSyncMaster)
        try c.encode(device, forKey: .device)
    }
}

/// Reads the spans of the running DAHDI driver from sysfs
/// (`/sys/bus/dahdi_spans/devices/span-N/…`, the card from the parent
/// `dahdi_devices` entry), or from procfs (`/proc/dahdi/N`) on a kernel
/// built without the DAHDI sysfs classes. No DAHDI at all is not an error:
/// the list is empty and ``absentReason`` says why. Roots are injectable for tests.
public struct DAHDIDiscovery: Sendable {
    public let sysfs: String
    public let procfs: String

    public init(sysfs: String = "/sys", procfs: String = "/proc") {
        self.sysfs = sysfs
        self.procfs = procfs
    }

    private var sysfsBus: String { "\(sysfs)/bus/dahdi_spans/devices" }
    private var procDir: String { "\(procfs)/dahdi" }

    /// Why the list is empty, when it is (driver not loaded, no spans).
    public var absentReason: String? {
        let fm = FileManager.default
        if !fm.fileExists(atPath: sysfsBus) && !fm.fileExists(atPath: procDir) {
            return "the DAHDI kernel driver is not loaded (neither \(sysfsBus) nor \(procDir) exists)"
        }
        if spans().isEmpty { return "the DAHDI driver has no spans (no card, or spans not assigned)" }
        return nil
    }

    /// The spans, from sysfs when the driver publishes it, else from procfs.
    public func spans() -> [DAHDISpanInfo] {
        if FileManager.default.fileExists(atPath: sysfsBus) { return sysfsSpans() }
        return procSpans()
    }

    /// A cheap summary of the spans (which exist, and their alarms), for a
    /// watcher to tell when a full ``spans()`` is worth it: one directory
    /// listing and one small read per span. Nil without sysfs (procfs
    /// drivers: compare ``spans()`` instead).
    public func fingerprint() -> String? {
        let fm = FileManager.default
        guard fm.fileExists(atPath: sysfsBus) else { return fm.fileExists(atPath: procDir) ? nil : "" }
        let entries = ((try? fm.contentsOfDirectory(atPath: sysfsBus)) ?? []).filter { $0.hasPrefix("span-") }.sorted()
        return entries.map { "\($0)=\((try? String(contentsOfFile: "\(sysfsBus)/\($0)/alarms", encoding: .utf8)) ?? "")" }
            .joined(separator: ";")
    }

    func sysfsSpans() -> [DAHDISpanInfo] {
        let bus = sysfsBus
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: bus) else { return [] }
        return entries.compactMap { entry -> DAHDISpanInfo? in
            guard entry.hasPrefix("span-"), let n = Int(entry.dropFirst(5)) else { return nil }
            let dir = "\(bus)/\(entry)"
            func read(_ name: String) -> String {
                ((try? String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8)) ?? "")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let alarmText = read("alarms")
            let alarms = Int32(alarmText.hasPrefix("0x") ? String(alarmText.dropFirst(2)) : alarmText, radix: 16) ?? 0
            return DAHDISpanInfo(number: n, name: read("name"), description: read("desc"), type: read("spantype"),
                                 lineConfig: read("lineconfig"), alarms: SpanAlarms(dahdi: alarms),
                                 baseChannel: Int(read("basechan")) ?? 0, channels: Int(read("channels")) ?? 0,
                                 isSyncMaster: read("is_sync_master") == "1", device: device(of: dir))
        }.sorted { $0.number < $1.number }
    }

    /// The card a span belongs to: its sysfs parent's manufacturer, type, hardware id and location.
    private func device(of spanDir: String) -> String {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let real = realpath(spanDir, &resolved) != nil ? String(cString: resolved) : spanDir
        let parent = (real as NSString).deletingLastPathComponent
        func read(_ name: String) -> String {
            ((try? String(contentsOfFile: "\(parent)/\(name)", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var parts: [String] = []
        for p in [read("manufacturer"), read("type"), read("hardware_id"), read("location")] where !p.isEmpty && !parts.contains(p) {
            parts.append(p)
        }
        return parts.joined(separator: " ")
    }
}

extension DAHDIDiscovery {
    /// Where a span sits in sysfs: its card's directory and its local number there.
    public func assignment(of span: Int) -> (device: String, local: Int)? {
        let link = "\(sysfs)/bus/dahdi_spans/devices/span-\(span)"
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard realpath(link, &resolved) != nil else { return nil }
        let dir = String(cString: resolved)
        let local = (try? String(contentsOfFile: "\(dir)/local_spanno", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard let local else { return nil }
        return ((dir as NSString).deletingLastPathComponent, local)
    }

    /// Takes a span away from the DAHDI core (as `dahdi_span_assignments unassign`
    /// does): its channels vanish and its far end loses the line.
    public func unassign(device: String, local: Int) throws {
        try "\(local)".write(toFile: "\(device)/unassign_span", atomically: false, encoding: .utf8)
    }

    /// Gives the card's local span `local` back as span `span` with channels from `base`.
    public func assign(device: String, local: Int, span: Int, base: Int) throws {
        try "\(local):\(span):\(base)".write(toFile: "\(device)/assign_span", atomically: false, encoding: .utf8)
    }
}
