// SPDX-License-Identifier: GPL-2.0-or-later
// Fax on demand through the daemon, as far as it goes without the media
// stage's T.30 (FaxServiceEndToEndTests has the faxes themselves): a caller
// on looped virtual spans (real libpri both ends, SpanDSP DTMF) hears each
// prompt (correlation), keys documents and a fax number; the order becomes an
// on-demand fax job with the caller's call as its origin. The number here has
// no route, so the job fails with the reason recorded.
import DialtoneConfig
import DialtoneDaemon
import DialtoneFax
import DialtoneLineSim
import DialtoneMedia
import DialtoneSwitch
import Foundation
import Logging
import Testing

extension EndToEnd {
@Suite(.serialized) struct FaxOnDemandEndToEndTests {
    final class Rig: @unchecked Sendable {
        let daemon: Daemon
        let sim: LineSimulator
        let dir: String

        init(_ name: String) async throws {
            dir = try EndToEnd.rigDirectory("fod-\(name)")
            #expect(try FaxTextRenderer.render("Price list\u{0C}page 2", to: "\(dir)/prices.tif").get() == 2)
            let config = EndToEnd.loopbackConfig(dir, """
            applications:
              faxback: {type: fax-on-demand, digit_timeout: 20}
            fax:
              spool: \(dir)/spool
              retry: {attempts: 1, delay: 10}
              documents:
                - {number: "1", name: Prices, file: prices.tif}
            routes:
              - {match: "700", application: faxback}
              - {prefix: "60", to: agents}
            """)
            daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "fod.\(name)")
            try daemon.start()
            sim = daemon.simulator!
            #expect(await daemon.waitForLinks())
        }

        func stop() async {
            await daemon.stop(drain: .seconds(2))
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// The caller hears `prompt` (correlation with the prompt's samples).
        func expectPrompt(_ call: LiveCall, _ prompt: String, from: Int, sourceLocation: SourceLocation = #_sourceLocation) async {
            await EndToEnd.expectPrompt(daemon, call, prompt, from: from, sourceLocation: sourceLocation)
        }
    }

    @Test func aCallerOrdersADocumentToAFaxNumber() async throws {
        let rig = try await Rig("callback")
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4930123456", dnis: "700")
        await rig.expectPrompt(x, "fax-welcome", from: 0)
        var mark = x.receivedSamples
        x.sendDTMF("1#")
        await rig.expectPrompt(x, "fax-added", from: mark)
        mark = x.receivedSamples
        x.sendDTMF("#")
        await rig.expectPrompt(x, "fax-delivery", from: mark)
        mark = x.receivedSamples
        x.sendDTMF("2")
        await rig.expectPrompt(x, "fax-enter-number", from: mark)
        mark = x.receivedSamples
        x.sendDTMF("5550001#")
        await rig.expectPrompt(x, "fax-queued", from: mark)
        #expect(await x.waitForRelease(timeout: .seconds(30)) != nil, "the service clears the call after the last prompt")
        let fax = try #require(rig.daemon.fax)
        await waitUntil("the job is failed: no route to the number") { await fax.jobs().first?.state == .failed }
        let job = try #require(await fax.jobs().first)
        #expect(job.kind == .onDemand && job.documents.map(\.number) == ["1"] && job.documents.map(\.pages) == [2])
        // The origin is the caller's call, whose CDR carries the job's id.
        await waitUntil("the caller's CDR") { (try? rig.daemon.store.cdr(callID: job.origin)) != nil }
        let cdr = try #require(try rig.daemon.store.cdr(callID: job.origin))
        #expect(cdr.ani == "4930123456" && cdr.variables?.contains("\"fax.job\":\"\(job.id)\"") == true, "\(cdr.variables ?? "-")")
        let d = try #require(await fax.job(job.id)?.destinations.first)
        #expect(d.number == "5550001" && d.attempts == 1 && d.result?.call == .failed && d.result?.cause == 34, "\(d)")
        await rig.stop()
    }

    @Test func aWrongDocumentIsSaidAndThreeMissesEndTheCall() async throws {
        let rig = try await Rig("misses")
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4930123456", dnis: "700")
        await rig.expectPrompt(x, "fax-welcome", from: 0)
        var mark = x.receivedSamples
        x.sendDTMF("7#")
        await rig.expectPrompt(x, "fax-no-document", from: mark)
        mark = x.receivedSamples
        x.sendDTMF("#")
        await rig.expectPrompt(x, "invalid", from: mark)
        mark = x.receivedSamples
        x.sendDTMF("8#")
        await rig.expectPrompt(x, "goodbye", from: mark)
        #expect(await x.waitForRelease(timeout: .seconds(30)) != nil)
        #expect(await rig.daemon.fax?.jobs().isEmpty == true)
        await rig.stop()
    }
}
}

// Key 1 (the documents on this call) is FaxServiceEndToEndTests.aDocumentOrderedIsReceivedOnTheSameCall.
