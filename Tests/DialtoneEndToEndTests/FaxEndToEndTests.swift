// SPDX-License-Identifier: GPL-2.0-or-later
// Fax end to end on looped virtual spans: real libpri on both ends, the
// switch's fax API running SpanDSP's T.30 in its media pipeline, and the line
// simulator's SpanDSP fax terminal as the far machine. A 3-page document
// (sparse pages: ~30 s of line time) sent on an answered call and by a call
// to a fax machine's number, and received from a fax machine that called
// while a prompt played (CNG detected); pages compared pixel by pixel below
// the T.30 header line.
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneMedia
import DialtoneSignalling
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging
import Synchronization
import Testing

extension EndToEnd {
@Suite(.serialized) struct FaxEndToEndTests {
    final class Rig: @unchecked Sendable {
        let daemon: Daemon
        let sim: LineSimulator
        let dir: String
        let document: String
        final class EventLog: Sendable { let list = Mutex<[SwitchEvent]>([]) }
        let log = EventLog()
        private var listener: Task<Void, Never>?

        init(_ name: String) async throws {
            dir = try EndToEnd.rigDirectory("fax-\(name)")
            let config = EndToEnd.loopbackConfig(dir, """
            menus:
              main:
                prompt: welcome
                first_digit_timeout: 30
                retries: 1
                failure: {hangup: goodbye}
                options:
                  "1": {route: "6001"}
            routes:
              - {prefix: "60", to: agents}
              - {prefix: "70", application: control}
              - {prefix: "71", menu: main}
            """)
            document = "\(dir)/doc.tif"
            try FaxDocument.makeTestDocument(document)
            daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "fax.\(name)")
            let stream = daemon.switchCore.events.subscribe()
            listener = Task { [log] in for await e in stream { log.list.withLock { $0.append(e) } } }
            try daemon.start()
            sim = daemon.simulator!
            #expect(await daemon.waitForLinks())
        }

        func stop() async {
            await daemon.stop(drain: .seconds(2))
            listener?.cancel()
            try? FileManager.default.removeItem(atPath: dir)
        }

        func events(of id: String, _ type: SwitchEvent.EventType) -> [SwitchEvent] {
            log.list.withLock { $0.filter { $0.call == id && $0.type == type } }
        }

        /// Waits (up to `seconds`) for an event of `type` on call `id`.
        func wait(_ id: String, _ type: SwitchEvent.EventType, seconds: Int = 10) async -> SwitchEvent? {
            let clock = ContinuousClock(), deadline = clock.now.advanced(by: .seconds(seconds))
            while clock.now < deadline {
                if let e = events(of: id, type).first { return e }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }

        /// The id of the one call (the first to appear).
        func callID() async throws -> String {
            var id: String?
            await waitUntil("a call at the switch") { id = await self.daemon.switchCore.activeCalls().first?.id; return id != nil }
            return try #require(id)
        }

        func cdr(_ id: String) async throws -> CDR? {
            for _ in 0..<100 {
                if let c = try daemon.store.cdrs(limit: 100).first(where: { $0.callID == id }) { return c }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }

        /// The fax ended well with 3 pages and the received file matches the document.
        func expectDelivered(_ ended: SwitchEvent?, received file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let e = try #require(ended, "no fax.ended", sourceLocation: sourceLocation)
            #expect(e.code == 0 && e.pages == 3 && e.ecm == true, "\(e)", sourceLocation: sourceLocation)
            #expect((e.rate ?? 0) >= 9600, sourceLocation: sourceLocation)
            let comparison = try FaxDocument.compare(sent: document, received: file)
            #expect(comparison.identical, "\(comparison)", sourceLocation: sourceLocation)
            #expect(comparison.blackPixels.allSatisfy { $0 > 1000 }, sourceLocation: sourceLocation)
        }
    }

    /// Fax on demand on the same call: the caller presses start to receive;
    /// the switch answers and sends (T.30 calling role) 3 pages.
    @Test func sendOnAnsweredCall() async throws {
        let rig = try await Rig("send")
        async let dialled = rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550100", dnis: "7001")
        let id = try await rig.callID()
        // Presented to the API: the fax command answers it.
        await waitUntil("the fax to start") {
            (try? await rig.daemon.switchCore.fax(id, send: [rig.document], options: .init(ident: "Dialtone", header: "Dialtone fax"))) != nil
        }
        let caller = try await dialled
        try caller.startFax(receive: "\(rig.dir)/in.tif")
        let result = await caller.waitForFax(timeout: .seconds(90))
        #expect(result?.succeeded == true && result?.pages == 3, "\(result.map { "\($0)" } ?? "no result")")
        let ended = await rig.wait(id, .faxEnded, seconds: 20)
        try rig.expectDelivered(ended, received: "\(rig.dir)/in.tif")
        #expect(rig.events(of: id, .faxStarted).first?.text == "send")
        #expect(rig.events(of: id, .faxPage).map { $0.pages } == [1, 2, 3])
        try await rig.daemon.switchCore.hangup(id, leg: nil)
        let cdr = try #require(try await rig.cdr(id))
        #expect(cdr.variableValues["fax.code"] == "0" && cdr.variableValues["fax.pages"] == "3", "\(cdr.variableValues)")
        await rig.stop()
    }

    /// A fax to a number whose station is a fax machine (a callback): the
    /// switch places the call and sends once it is answered.
    @Test func sendToFaxMachineNumber() async throws {
        let rig = try await Rig("callback")
        await rig.sim.setBehaviour(.faxMachine(.receive(directory: rig.dir)), number: "6001")
        let core = rig.daemon.switchCore
        let (id, _) = try await core.originate(to: "6001", callerID: "4155550199")
        #expect(await rig.wait(id, .legAnswered, seconds: 10) != nil)
        try await core.fax(id, send: [rig.document], options: .init(ident: "Dialtone", header: "Dialtone fax"))
        let ended = await rig.wait(id, .faxEnded, seconds: 90)
        var results: [FaxResult] = []
        await waitUntil("the fax machine's result") { results = await rig.sim.faxResults(number: "6001"); return !results.isEmpty }
        #expect(results.first?.succeeded == true, "\(results)")
        try rig.expectDelivered(ended, received: try #require(results.first?.file))
        await rig.stop()
    }

    /// Simulated stations set per number: one busy (cause 17), one that
    /// never answers (the switch gives up: cause 19), as a broadcast meets them.
    @Test func busyAndNoAnswerNumbers() async throws {
        let rig = try await Rig("stations")
        await rig.sim.setBehaviour(.busy, number: "6002")
        await rig.sim.setBehaviour(.noAnswer, number: "6003")
        let core = rig.daemon.switchCore
        let (busy, _) = try await core.originate(to: "6002")
        let (silent, _) = try await core.originate(to: "6003", span: "agents", answerTimeout: 2)
        #expect(await rig.wait(busy, .callEnded)?.cause == 17)
        let ended = await rig.wait(silent, .callEnded, seconds: 20)
        #expect(ended?.cause == 19, "\(rig.events(of: silent, .callEnded)) \(rig.events(of: silent, .legEnded))")
        #expect(rig.events(of: silent, .legAlerting).count == 1)
        await rig.stop()
    }

    /// Refused fax commands change nothing and say why.
    @Test func refusals() async throws {
        let rig = try await Rig("refusals")
        let core = rig.daemon.switchCore
        await #expect(throws: CallControlError.noSuchCall("nope")) { try await core.fax("nope", send: [rig.document]) }
        await #expect(throws: CallControlError.noSuchCall("nope")) { try await core.detectFax("nope") }
        let (id, _) = try await core.originate(to: "6005")
        #expect(await rig.wait(id, .legAnswered) != nil)
        await #expect(throws: CallControlError.invalid("\(rig.dir)/none.tif: no such file or not readable")) {
            try await core.fax(id, send: [rig.document, "\(rig.dir)/none.tif"])
        }
        await #expect(throws: CallControlError.invalid("\(rig.dir)/no/dir/in.tif: no such directory to receive into")) {
            try await core.fax(id, receive: "\(rig.dir)/no/dir/in.tif")
        }
        await #expect(throws: CallControlError.invalid("call \(id) has no fax running")) { try await core.stopFax(id) }
        await #expect(throws: CallControlError.noSuchLeg(call: id, leg: 7)) { try await core.fax(id, leg: 7, send: [rig.document]) }
        #expect(rig.events(of: id, .faxStarted).isEmpty)
        try await core.play(id, prompt: "hold", loop: true)  // the leg is as it was: free for a prompt
        try await core.hangup(id, leg: nil)
        await rig.stop()
    }

    /// A fax machine calls a voice number: a prompt plays in a loop, CNG is
    /// detected under it, the switch receives (T.30 answering role).
    @Test func receiveAfterCNGUnderPrompt() async throws {
        let rig = try await Rig("receive")
        let core = rig.daemon.switchCore
        async let dialled = rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550123", dnis: "7002")
        let id = try await rig.callID()
        await waitUntil("the call answered") { (try? await core.answer(id)) != nil }
        let machine = try await dialled
        try await core.play(id, prompt: "hold", loop: true)
        try await core.detectFax(id)
        try machine.startFax(send: [rig.document])  // CNG first, as a machine whose start key was pressed
        let detected = await rig.wait(id, .faxDetected, seconds: 15)
        #expect(detected?.text == "cng")
        try await core.fax(id, receive: "\(rig.dir)/received.tif")
        let result = await machine.waitForFax(timeout: .seconds(90))
        #expect(result?.succeeded == true && result?.pages == 3, "\(result.map { "\($0)" } ?? "no result")")
        let ended = await rig.wait(id, .faxEnded, seconds: 20)
        try rig.expectDelivered(ended, received: "\(rig.dir)/received.tif")
        await rig.stop()
    }

    /// A fax machine calls the IVR: CNG is heard while the menu prompt plays;
    /// the fax command takes the caller from the IVR and receives.
    @Test func receiveFromTheIVR() async throws {
        let rig = try await Rig("ivr")
        let core = rig.daemon.switchCore
        let machine = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550124", dnis: "7100")
        let id = try await rig.callID()
        #expect(await rig.wait(id, .applicationStarted) != nil)
        try await core.detectFax(id)
        try machine.startFax(send: [rig.document])
        #expect(await rig.wait(id, .faxDetected, seconds: 15)?.text == "cng")
        #expect(await core.call(id)?.state.hasPrefix("application") == true)
        try await core.fax(id, receive: "\(rig.dir)/from-ivr.tif")
        let result = await machine.waitForFax(timeout: .seconds(90))
        #expect(result?.succeeded == true && result?.pages == 3, "\(result.map { "\($0)" } ?? "no result")")
        try rig.expectDelivered(await rig.wait(id, .faxEnded, seconds: 20), received: "\(rig.dir)/from-ivr.tif")
        #expect(rig.events(of: id, .digits).isEmpty)  // no digit invented from the fax signals
        await rig.stop()
    }

    /// A fax cut short by the far end hanging up mid-document ends cleanly:
    /// `fax.ended` with SpanDSP's code, the CDR has it, the call is gone.
    @Test func hangupMidFaxEndsCleanly() async throws {
        let rig = try await Rig("hangup")
        async let dialled = rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550100", dnis: "7001")
        let id = try await rig.callID()
        await waitUntil("the fax to start") { (try? await rig.daemon.switchCore.fax(id, send: [rig.document])) != nil }
        let caller = try await dialled
        try caller.startFax(receive: "\(rig.dir)/in.tif")
        #expect(await rig.wait(id, .faxPage, seconds: 60) != nil)
        await caller.hangUp()
        let ended = try #require(await rig.wait(id, .faxEnded, seconds: 20))
        #expect(ended.code != 0 && (ended.pages ?? 0) < 3, "\(ended)")
        let cdr = try #require(try await rig.cdr(id))
        #expect(cdr.variableValues["fax.code"] == "\(FaxResult.callDropped)", "\(cdr.variableValues)")
        #expect(await rig.daemon.switchCore.callCount == 0)
        await rig.stop()
    }
}
}
