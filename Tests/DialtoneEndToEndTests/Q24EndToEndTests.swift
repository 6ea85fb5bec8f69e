// SPDX-License-Identifier: GPL-2.0-or-later
// The Q.24 receiver battery end to end, as a conformance tester sees the
// daemon: the line simulator (real libpri, the battery's signals made with
// SpanDSP's tone generator, dial tone and white noise) calls a number routed
// to the call-control API on a looped virtual span — µ-law T1 and A-law E1 —
// the test answers and turns on digit collection, the caller sends one
// condition's 16 keys, then a clean marker; the `digits` events of the call
// are compared with what the standard requires followed by the marker. All
// conditions run at once, each on its own call and B-channel.
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneMedia
import DialtoneSpans
import DialtoneSwitch
import Foundation
import Synchronization
import Testing

extension EndToEnd {
@Suite(.serialized) struct Q24EndToEndTests {
    final class Rig: @unchecked Sendable {
        let daemon: Daemon
        let sim: LineSimulator
        let dir: String
        final class EventLog: Sendable { let list = Mutex<[SwitchEvent]>([]) }
        let log = EventLog()
        private var listener: Task<Void, Never>?

        /// `dtmf`: the span's `dtmf:` configuration (YAML flow mapping), if any.
        init(_ type: SpanType, dtmf: String? = nil) async throws {
            dir = try EndToEnd.rigDirectory("q24-\(type)")
            let (name, switchtype) = type == .t1 ? ("T1", "national") : ("E1", "euroisdn_e1")
            let config = """
            daemon:
              control_socket: \(dir)/control.sock
              database: \(dir)/cdr.sqlite
              log_level: warning
            spans:
              - {name: pstn, type: \(name), role: cpe, switchtype: \(switchtype)\(dtmf.map { ", dtmf: \($0)" } ?? "")}
            prompts:
              directory: \(promptDirectory)
              language: en
            routes:
              - {prefix: "70", application: control}
            """
            daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "q24.\(type)")
            let stream = daemon.switchCore.events.subscribe()
            listener = Task { [log] in for await e in stream { log.list.withLock { $0.append(e) } } }
            try daemon.start()
            sim = daemon.simulator!
            #expect(await daemon.waitForLinks())
        }

        struct Failure: Error { var reason: String }

        func stop() async {
            await daemon.stop(drain: .seconds(2))
            listener?.cancel()
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// The in-band digits reported on call `id` so far, in order.
        func digits(_ id: String) -> String {
            log.list.withLock { $0.filter { $0.call == id && $0.type == .digits && $0.source == "inband" }.compactMap(\.digits).joined() }
        }

        /// One condition on its own call from `ani`: the digits reported up
        /// to and including the marker (what was reported by the timeout when
        /// the marker never came), or a reason the call could not be made.
        func run(_ condition: Q24Battery.Condition, ani: String) async -> Result<String, Failure> {
            async let dialled = sim.dialLiveCall(port: "pstn-far", ani: ani, dnis: "7001", seconds: 60, timeout: .seconds(20))
            var id: String?
            await waitUntil("the call from \(ani) at the switch", timeout: .seconds(20)) {
                id = await self.daemon.switchCore.activeCalls().first { $0.ani == ani }?.id
                return id != nil
            }
            guard let id else { return .failure(Failure(reason: "no call from \(ani)")) }
            await waitUntil("the answer of \(ani)", timeout: .seconds(20)) {
                (try? await self.daemon.switchCore.answer(id)) != nil
            }
            let call: LiveCall
            do { call = try await dialled } catch { return .failure(Failure(reason: "\(error)")) }
            await waitUntil("digit collection on \(ani)", timeout: .seconds(20)) {
                (try? await self.daemon.switchCore.collectDigits(id)) != nil
            }
            var signal = condition.signal
            signal.leadMs = 300
            call.sendTestTones(signal)
            call.sendDTMF(Q24Battery.marker, level: -10, onMs: 80, offMs: 80)
            let seconds = signal.sampleCount / 8000 + 20
            await waitUntil("the marker after \(condition.name)", timeout: .seconds(seconds)) {
                self.digits(id).hasSuffix(Q24Battery.marker)
            }
            let got = digits(id)
            await call.hangUp()
            return .success(got)
        }
    }

    /// Every condition of the battery (the default AT&T profile) on a µ-law
    /// T1 and an A-law E1 span, all at once on their own calls.
    @Test(arguments: [SpanType.t1, .e1])
    func battery(span: SpanType) async throws {
        let rig = try await Rig(span)
        await Self.run(Q24Battery.conditions.filter { $0.profile == .att }, on: rig, span: span)
        await rig.stop()
    }

    /// The conditions for a span configured down to −35 dBm0 (`dtmf:
    /// {min_level: -35}`), on such a span.
    @Test(arguments: [SpanType.t1, .e1])
    func batteryMinimumLevel35(span: SpanType) async throws {
        let rig = try await Rig(span, dtmf: "{min_level: -35}")
        await Self.run(Q24Battery.conditions.filter { $0.profile == DTMFProfile(minimumLevel: -35) }, on: rig, span: span)
        await rig.stop()
    }

    /// Runs `conditions` at once, each on its own call (ANI 41555510nn), and
    /// expects each one's digits, then the marker.
    static func run(_ conditions: [Q24Battery.Condition], on rig: Rig, span: SpanType,
                    sourceLocation: SourceLocation = #_sourceLocation) async {
        #expect(!conditions.isEmpty, sourceLocation: sourceLocation)
        let results = await withTaskGroup(of: (Int, Result<String, Rig.Failure>).self) { group in
            for (i, condition) in conditions.enumerated() {
                group.addTask { (i, await rig.run(condition, ani: String(format: "41555510%02d", i))) }
            }
            var out: [Int: Result<String, Rig.Failure>] = [:]
            for await (i, r) in group { out[i] = r }
            return out
        }
        for (i, condition) in conditions.enumerated() {
            switch results[i] {
            case .success(let got):
                #expect(got == condition.expected + Q24Battery.marker, """
                    \(condition.name) on \(span) (\(condition.signal)): got "\(got)", the standard requires \
                    "\(condition.expected)" then the marker \(Q24Battery.marker)
                    """, sourceLocation: sourceLocation)
            case .failure(let error):
                Issue.record("\(condition.name) on \(span): \(error.reason)", sourceLocation: sourceLocation)
            case nil:
                Issue.record("\(condition.name) on \(span): no result", sourceLocation: sourceLocation)
            }
        }
    }
}
}
