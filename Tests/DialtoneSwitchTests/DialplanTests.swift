// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
@testable import DialtoneSwitch
import Testing

@Suite struct DialplanTests {
    let plan = Dialplan(routes: [
        RouteConfig(pattern: .exact("200"), spans: ["b"]),
        RouteConfig(pattern: .exact("2001"), spans: ["b"], strip: 1, prepend: "9"),
        RouteConfig(pattern: .prefix("3"), spans: ["c", "b"], answerTimeout: 20),
        RouteConfig(pattern: .exact("500"), spans: [], action: .menu("main")),
    ])

    @Test func firstMatchWins() {
        #expect(plan.decide("2001") == .dial(number: "9001", spans: ["b"], answerTimeout: 60, routeKey: "2001"))
        #expect(plan.decide("3123") == .dial(number: "3123", spans: ["c", "b"], answerTimeout: 20, routeKey: "3"))
        #expect(plan.decide("500") == .application(.menu("main")))
        #expect(plan.decide("9") == .noRoute)
    }

    @Test func completeOnlyWhenNoLongerExactRouteCouldMatch() {
        #expect(!plan.isComplete("20"))
        #expect(!plan.isComplete("200"), "2001 may still follow")
        #expect(plan.isComplete("2001"))
        #expect(!plan.isComplete("3123"), "a prefix route may take more digits")
        #expect(plan.isComplete("31#"))
        #expect(plan.isComplete("500"))
    }
}
