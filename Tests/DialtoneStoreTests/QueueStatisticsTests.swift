// SPDX-License-Identifier: GPL-2.0-or-later
// Statistics against a hand-built day of queue events with answers worked
// out by hand (service level, ASA, AHT, abandon rate, occupancy, pause by reason).
import DialtoneACD
@testable import DialtoneStore
import Foundation
import Testing

@Suite struct QueueStatisticsTests {
    /// 2027-01-15 08:00:00 UTC.
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func e(_ t: Double, _ call: String, _ queue: String, _ agent: String, _ kind: QueueEvent.Kind,
                  _ data: [String] = []) -> QueueEvent {
        QueueEvent(time: t0.addingTimeInterval(t), callID: call, queue: queue, agent: agent, kind: kind, data: data)
    }

    static let events: [QueueEvent] = [
        e(0, "NONE", "NONE", "1001", .agentLogin, ["SIP/1001"]),
        e(100, "c1", "sales", "NONE", .enterQueue, ["", "4930111", "1"]),
        e(110, "c1", "sales", "1001", .connect, ["10", "c1-2", "1"]),
        e(290, "c1", "sales", "1001", .completeCaller, ["10", "180", "1"]),
        e(290, "c1", "sales", "1001", .wrapUp, ["30"]),
        e(400, "NONE", "NONE", "1001", .pause, ["lunch"]),
        e(1000, "NONE", "NONE", "1001", .unpause, ["lunch"]),
        e(1000, "c2", "sales", "NONE", .enterQueue, ["", "4930222", "1"]),
        e(1040, "c2", "sales", "1001", .connect, ["40", "c2-2", "1"]),
        e(1160, "c2", "sales", "1001", .completeAgent, ["40", "120", "1"]),
        e(1160, "c2", "NONE", "1001", .wrapUp, ["60"]),  // queue found by the call; cut to 20 s by the pause
        e(1180, "NONE", "NONE", "1001", .pause, ["break"]),
        e(1300, "NONE", "NONE", "1001", .unpause, ["break"]),
        e(1400, "c3", "sales", "NONE", .enterQueue, ["", "4930333", "1"]),
        e(1430, "c3", "sales", "NONE", .abandon, ["1", "1", "30"]),
        e(1500, "c4", "sales", "NONE", .enterQueue, ["", "4930444", "1"]),
        e(1505, "c4", "sales", "1001", .ringNoAnswer, ["15000"]),
        e(1520, "c4", "sales", "1002", .connect, ["20", "c4-2", "1"]),  // 1002: logged in before the period
        e(1820, "c4", "sales", "1002", .transfer, ["2000", "default", "20", "300", "1"]),
        e(1820, "c4", "sales", "1002", .wrapUp, ["10"]),
        e(1900, "c5", "support", "NONE", .enterQueue, ["", "4930555", "1"]),
        e(1960, "c5", "support", "NONE", .callbackRequested, ["4930555", "1", "60", ""]),
        e(2000, "c6", "support", "NONE", .enterQueue, ["", "4930666", "1"]),
        e(2005, "c6", "support", "NONE", .message, ["/msg/c6.wav", "30", "1", "5"]),
        e(3600, "NONE", "NONE", "1001", .agentLogoff, ["SIP/1001", "3600"]),
        e(3700, "c7", "support", "NONE", .enterQueue, ["", "4930777", "1"]),
        e(3790, "c7", "support", "NONE", .overflow, ["voicemail", "1", "1", "90"]),
        e(5000, "c8", "sales", "NONE", .enterQueue, ["", "4930888", "1"]),  // after the period: ignored
    ]

    static let stats = QueueStatistics(events: events, from: t0, to: t0.addingTimeInterval(4000), serviceLevel: 20,
                                       hourly: true, timeZone: TimeZone(identifier: "UTC")!)

    @Test func perQueue() throws {
        let s = Self.stats
        #expect(s.queues.map(\.queue) == ["sales", "support"])
        let sales = s.queues[0]
        #expect(sales.offered == 4 && sales.answered == 3 && sales.abandoned == 1)
        #expect(sales.abandonRate == 0.25)
        #expect(sales.answeredWithinServiceLevel == 2)  // 10 s and 20 s; 40 s is not
        #expect(sales.serviceLevel == 0.5)              // 2 ÷ (3 answered + 1 abandoned)
        #expect(abs(sales.asa - 70.0 / 3) < 1e-9)
        #expect(sales.completed == 3 && sales.talkTime == 600 && sales.wrapUpTime == 60)
        #expect(sales.aht == 220)                       // (600 + 60) ÷ 3
        #expect(sales.longestWait == 40)
        let support = s.queues[1]
        #expect(support.offered == 3 && support.answered == 0 && support.serviceLevel == 0 && support.abandonRate == 0)
        #expect(support.callbacks == 1 && support.messages == 1 && support.overflows == 1 && support.longestWait == 90)
        #expect(s.total.offered == 7 && s.total.answered == 3 && s.total.abandoned == 1 && s.total.longestWait == 90)
        #expect(abs(s.total.abandonRate - 1.0 / 7) < 1e-9)
        // With a 40 s threshold every answer is within it.
        let lenient = QueueStatistics(events: Self.events, from: Self.t0, to: Self.t0.addingTimeInterval(4000), serviceLevel: 40)
        #expect(lenient.queues[0].serviceLevel == 0.75)
    }

    @Test func perAgent() throws {
        let agents = Self.stats.agents
        #expect(agents.map(\.agent) == ["1001", "1002"])
        let a = agents[0]
        #expect(a.answered == 2 && a.completed == 2 && a.missedOffers == 1)
        #expect(a.talkTime == 300 && a.wrapUpTime == 50 && a.aht == 175)
        #expect(a.loggedInTime == 3600 && a.pausedTime == 720)
        #expect(a.pausedByReason == ["lunch": 600, "break": 120])
        #expect(abs(a.occupancy - 350.0 / 3600) < 1e-9)
        #expect(abs(a.occupancyExcludingPause - 350.0 / 2880) < 1e-9)
        let b = agents[1]
        #expect(b.answered == 1 && b.completed == 1 && b.talkTime == 300 && b.wrapUpTime == 10 && b.aht == 310)
        #expect(b.loggedInTime == 4000 && b.pausedTime == 0)  // from the period's start to its end
        #expect(abs(b.occupancy - 310.0 / 4000) < 1e-9)
    }

    @Test func perHourOfDay() throws {
        let hours = Self.stats.hourly
        #expect(hours.map(\.hour) == [8, 9])
        #expect(hours[0].total.offered == 6 && hours[0].queues.map(\.queue) == ["sales", "support"])
        #expect(hours[1].total.offered == 1 && hours[1].queues.first?.overflows == 1)
    }

    @Test func fromTheStore() throws {
        let store = try Store()
        try store.apply(Self.events.map(StoreOp.queueEvent))
        let read = try store.queueEvents(from: Self.t0, to: Self.t0.addingTimeInterval(4000))
        let s = QueueStatistics(events: read, from: Self.t0, to: Self.t0.addingTimeInterval(4000), serviceLevel: 20,
                                hourly: true, timeZone: TimeZone(identifier: "UTC")!)
        #expect(s == Self.stats)
    }
}
