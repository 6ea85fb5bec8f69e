// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Logging
import Synchronization
import Testing

/// Collects a D-channel's events and waits for one that matches.
final class Events: Sendable {
    private let list = Mutex<[SignallingEvent]>([])
    func append(_ e: SignallingEvent) { list.withLock { $0.append(e) } }
    var all: [SignallingEvent] { list.withLock { $0 } }

    func wait(_ what: String, timeout: Double = 15, _ match: (SignallingEvent) -> Bool) async throws -> SignallingEvent {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let e = all.first(where: match) { return e }
            try await Task.sleep(for: .milliseconds(10))
        }
        if let e = all.first(where: match) { return e }  // a sleep that woke late must not miss what came meanwhile
        Issue.record("timed out waiting for \(what); got \(all)")
        throw CancellationError()
    }
}

@Suite(.serialized) struct DChannelTests {
    /// Real libpri on both ends (NET and CPE) over a virtual link.
    @Test(arguments: [(SpanType.e1, SwitchType.euroisdnE1), (SpanType.t1, SwitchType.national)])
    func callSetupAnswerAndClear(type: SpanType, switchType: SwitchType) async throws {
        let link = try VirtualLink(a: "net", b: "cpe", type: type, clock: VirtualClock())
        defer { link.close() }
        try link.a.start()
        try link.b.start()
        let netEvents = Events(), cpeEvents = Events()
        let logger = Logger(label: "test")
        let net = DChannel(span: link.a, role: .net, switchType: switchType, logger: logger) { netEvents.append($0) }
        let cpe = DChannel(span: link.b, role: .cpe, switchType: switchType, logger: logger) { cpeEvents.append($0) }
        net.start(); cpe.start()
        defer { net.stop(); cpe.stop() }

        _ = try await netEvents.wait("NET link up") { $0 == .linkUp }
        _ = try await cpeEvents.wait("CPE link up") { $0 == .linkUp }
        try await Task.sleep(for: .milliseconds(200))  // settle (FACTS: SETUP right after DCHAN_UP may get cause 101)

        let ref = net.newCallRef()
        let channel = type.bearerChannels.last!
        net.send(.setup(ref, OutgoingSetup(channel: channel, calling: PartyNumber(digits: "4155550100", presentation: 0x20),
                                           called: "5551000", bearer: type == .e1 ? .speechALaw : .speechMuLaw)))
        let incoming = try await cpeEvents.wait("SETUP") { if case .incoming = $0 { true } else { false } }
        guard case .incoming(let inRef, let setup) = incoming else { return }
        #expect(setup.calling.digits == "4155550100")
        #expect(setup.calling.isRestricted)
        #expect(setup.called == "5551000")
        #expect(setup.channel == channel)
        #expect(setup.bearer.layer1 == (type == .e1 ? 0x23 : 0x22))

        cpe.send(.proceeding(inRef, channel: channel))
        cpe.send(.alerting(inRef, channel: channel))
        _ = try await netEvents.wait("ALERTING") { $0 == .alerting(ref) }
        cpe.send(.answer(inRef, channel: channel))
        _ = try await netEvents.wait("CONNECT") { if case .connected(ref, _) = $0 { true } else { false } }

        cpe.send(.hangup(inRef, .userBusy))
        let disc = try await netEvents.wait("DISCONNECT") { if case .disconnected(ref, _) = $0 { true } else { false } }
        #expect(disc == .disconnected(ref, .userBusy))
        _ = try await netEvents.wait("NET released") { if case .released(ref, _) = $0 { true } else { false } }
        _ = try await cpeEvents.wait("CPE released") { if case .released(inRef, _) = $0 { true } else { false } }
    }
}

extension DChannelTests {
    /// Clearing right after CALL PROCEEDING (a rejected call) releases both ends.
    @Test func rejectAfterProceeding() async throws {
        let link = try VirtualLink(a: "net", b: "cpe", type: .e1, clock: VirtualClock())
        defer { link.close() }
        try link.a.start()
        try link.b.start()
        let netEvents = Events(), cpeEvents = Events()
        var logger = Logger(label: "test")
        logger.logLevel = .trace
        let net = DChannel(span: link.a, role: .net, switchType: .euroisdnE1, logger: logger) { netEvents.append($0) }
        let cpe = DChannel(span: link.b, role: .cpe, switchType: .euroisdnE1, logger: logger) { cpeEvents.append($0) }
        net.start(); cpe.start()
        defer { net.stop(); cpe.stop() }
        _ = try await netEvents.wait("NET link up") { $0 == .linkUp }
        _ = try await cpeEvents.wait("CPE link up") { $0 == .linkUp }
        try await Task.sleep(for: .milliseconds(200))
        let ref = net.newCallRef()
        net.send(.setup(ref, OutgoingSetup(channel: 5, calling: PartyNumber(digits: "100"), called: "0000", bearer: .speechALaw)))
        let incoming = try await cpeEvents.wait("SETUP") { if case .incoming = $0 { true } else { false } }
        guard case .incoming(let inRef, _) = incoming else { return }
        cpe.send(.proceeding(inRef, channel: 5))
        cpe.send(.hangup(inRef, .unallocatedNumber))
        let disc = try await netEvents.wait("DISCONNECT") { if case .disconnected(ref, _) = $0 { true } else { false } }
        #expect(disc == .disconnected(ref, .unallocatedNumber))
        _ = try await netEvents.wait("NET released") { if case .released(ref, _) = $0 { true } else { false } }
        _ = try await cpeEvents.wait("CPE released") { if case .released(inRef, _) = $0 { true } else { false } }
    }
}
