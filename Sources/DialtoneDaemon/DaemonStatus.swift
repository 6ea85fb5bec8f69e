// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneAlarms
import DialtoneStore
import DialtoneSwitch
import Foundation

/// A snapshot of the daemon for `dialtone stats` and the demo's status line.
public struct DaemonStatus: Codable, Sendable {
    public var calls: SwitchStatistics
    public var spans: [SpanStatus]
    public var mediaTicks: UInt64
    public var mediaMissedTicks: UInt64
    public var bridges: Int
    public var cdrs: Int
    /// Raised alarms.
    public var alarms: [Alarm]
    /// The store writer's counters (written, journaled, replayed, held, rejected).
    public var store: StoreWriter.Counters

    /// One readable line: `calls 12 active, 340 done | pstn UP 8/30 | agents UP 8/30 | media 0 missed`.
    public var line: String {
        let spanText = spans.map { "\($0.name) \($0.dchannelUp ? "UP" : "DOWN")\($0.alarms == "OK" ? "" : " " + $0.alarms) \($0.busy)/\($0.channels)" }
            .joined(separator: " | ")
        return "calls \(calls.active) active, \(calls.completed) done, \(calls.answered) answered, \(calls.congestion) congestion | \(spanText) | bridges \(bridges) | media ticks \(mediaTicks), missed \(mediaMissedTicks) | CDRs \(cdrs)\(store.journaled > 0 ? ", journaled \(store.journaled)" : "")" + (alarms.isEmpty ? "" : " | ALARMS: " + alarms.map { "\($0.kind) \($0.subject)" }.joined(separator: ", "))
    }
}

extension Daemon {
    public func status() async -> DaemonStatus {
        DaemonStatus(calls: await switchCore.statistics(), spans: await switchCore.spanStatus(),
                     mediaTicks: media.ticks, mediaMissedTicks: media.missedTicks, bridges: media.bridgeCount,
                     cdrs: (try? store.count()) ?? -1, alarms: alarms.active, store: storeWriter.statistics)
    }
}

/// The reply to `alarms`: what is raised now and what cleared since start.
public struct AlarmList: Codable, Sendable {
    public var active: [Alarm]
    public var cleared: [Alarm]
}
