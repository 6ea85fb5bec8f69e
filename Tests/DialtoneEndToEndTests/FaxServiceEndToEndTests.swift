// SPDX-License-Identifier: GPL-2.0-or-later
// The fax services end to end on looped virtual spans (real libpri both
// ends, SpanDSP's T.30 in the switch's media pipeline and in the line
// simulator's fax machines, a real SQLite store): a catalogue document
// ordered by DTMF and received on the same call and by a call to a fax
// number; a fax machine calling the IVR, heard by its CNG and received; a
// 20-destination broadcast with a busy number and one that never answers.
// Pages are compared pixel by pixel below the T.30 header line.
import DialtoneACD
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
@Suite(.serialized) struct FaxServiceEndToEndTests {
    final class Rig: @unchecked Sendable {
        let daemon: Daemon
        let sim: LineSimulator
        let dir: String
        /// The catalogue's documents: 3 pages (number 1) and 1 page (number 2).
        let threePages: String, onePage: String

        /// `queue`: a sales queue with two agents on dial stations, and fax number 7300 delivering to it.
        init(_ name: String, queue: Bool = false, agentsLoggedIn: Bool = true) async throws {
            dir = try EndToEnd.rigDirectory("faxsvc-\(name)")
            threePages = "\(dir)/three.tif"
            onePage = "\(dir)/one.tif"
            try FaxDocument.makeTestDocument(threePages, pages: 3, title: "Price list")
            try FaxDocument.makeTestDocument(onePage, pages: 1, title: "Opening hours")
            let config = EndToEnd.loopbackConfig(dir, """
            menus:
              main:
                prompt: welcome
                first_digit_timeout: 60
                retries: 1
                failure: {hangup: goodbye}
                options:
                  "1": {route: "6001"}
                  "2": {menu: faxagent}
              faxagent:
                prompt: enter-account
                first_digit_timeout: 60
                retries: 1
                failure: {hangup: goodbye}
                collect: {variable: fax_agent, max_digits: 4, then: {menu: faxwait}}
              faxwait:
                prompt: fax-start
                first_digit_timeout: 60
                retries: 1
                failure: {hangup: goodbye}
                options:
                  "0": {menu: main}
            applications:
              faxback: {type: fax-on-demand, digit_timeout: 20}
            \(queue ? """
              sales: {type: queue, wrap_up: 0, announce_every: 0}
            agents:
              "1001": {station: "6001", skills: {sales: 10}, logged_in: \(agentsLoggedIn)}
              "1002": {station: "6002", skills: {sales: 10}, logged_in: \(agentsLoggedIn)}
            """ : "")
            fax:
              spool: \(dir)/spool
              header: Dialtone test
              ident: "+49 30 1234567"
              max_calls: 10
              answer_timeout: 10
              retry: {attempts: 2, delay: 10}
              documents:
                - {number: "1", name: Prices, file: three.tif}
                - {number: "2", name: Hours, file: one.tif}
              receive: {\(queue ? "\"7300\": queue sales" : "")}
            routes:
              - {match: "7300", application: fax-receive}
            \(queue ? "  - {match: \"7900\", application: sales}" : "")
              - {match: "700", application: faxback}
              - {prefix: "71", menu: main}
              - {prefix: "60", to: agents}
            """)
            daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "faxsvc.\(name)")
            try daemon.start()
            sim = daemon.simulator!
            if queue { await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: true)) }
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

        /// Orders catalogue document `number` at the fax-on-demand service
        /// and chooses the delivery (`1`: this call, `2`: a fax number).
        func order(_ number: String, delivery: String) async throws -> LiveCall {
            let x = try await sim.dialLiveCall(port: "pstn-far", ani: "4930123456", dnis: "700")
            await expectPrompt(x, "fax-welcome", from: 0)
            var mark = x.receivedSamples
            x.sendDTMF("\(number)#")
            await expectPrompt(x, "fax-added", from: mark)
            mark = x.receivedSamples
            x.sendDTMF("#")
            await expectPrompt(x, "fax-delivery", from: mark)
            x.sendDTMF(delivery)
            return x
        }

        /// The received file holds `sent`'s pages, identical below the header line.
        func expectSame(_ sent: String, _ received: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let comparison = try FaxDocument.compare(sent: sent, received: received)
            #expect(comparison.identical, "\(comparison)", sourceLocation: sourceLocation)
            #expect(comparison.blackPixels.allSatisfy { $0 > 1000 }, sourceLocation: sourceLocation)
        }
    }

    /// A 3-page document ordered by DTMF is received by the caller's fax
    /// machine on the same call (they press start after the prompt).
    @Test func aDocumentOrderedIsReceivedOnTheSameCall() async throws {
        let rig = try await Rig("here")
        let x = try await rig.order("1", delivery: "1")
        await rig.expectPrompt(x, "fax-start", from: x.receivedSamples - 8000)
        try x.startFax(receive: "\(rig.dir)/got.tif")
        let result = try #require(await x.waitForFax(timeout: .seconds(120)))
        #expect(result.succeeded && result.pages == 3 && result.ecm, "\(result)")
        try rig.expectSame(rig.threePages, "\(rig.dir)/got.tif")
        #expect(await x.waitForRelease(timeout: .seconds(30)) != nil, "the service clears the call after the fax")
        #expect(await rig.daemon.fax?.jobs().isEmpty == true, "no job: the documents went on the call")
        await rig.stop()
    }

    /// The same order to a fax number: a job calls the number and the fax
    /// machine there receives the document.
    @Test func aDocumentOrderedIsSentToAFaxNumber() async throws {
        let rig = try await Rig("number")
        await rig.sim.setBehaviour(.faxMachine(.receive(directory: rig.dir)), number: "6005")
        let x = try await rig.order("1", delivery: "2")
        await rig.expectPrompt(x, "fax-enter-number", from: x.receivedSamples - 8000)
        let mark = x.receivedSamples
        x.sendDTMF("6005#")
        await rig.expectPrompt(x, "fax-queued", from: mark)
        let fax = try #require(rig.daemon.fax)
        await waitUntil("the job is done", timeout: .seconds(120)) { await fax.jobs().first?.state == .done }
        let job = try #require(await fax.jobs().first)
        let d = try #require(await fax.job(job.id)?.destinations.first)
        #expect(d.number == "6005" && d.attempts == 1 && d.result?.pages == 3 && d.result?.t30Code == 0, "\(d)")
        let results = await rig.sim.faxResults(number: "6005")
        #expect(results.count == 1 && results.first?.succeeded == true, "\(results)")
        try rig.expectSame(rig.threePages, try #require(results.first?.file))
        await rig.stop()
    }

    /// A fax machine calls the IVR's number: its CNG is heard under the menu
    /// prompt, the call leaves the menu and the fax is received, indexed and
    /// made a PDF.
    @Test func aFaxMachineCallingTheIVRIsReceived() async throws {
        let rig = try await Rig("ivr")
        let machine = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550124", dnis: "7100")
        await rig.expectPrompt(machine, "welcome", from: 0)
        try machine.startFax(send: [rig.threePages])
        let result = try #require(await machine.waitForFax(timeout: .seconds(120)))
        #expect(result.succeeded && result.pages == 3, "\(result)")
        var id: String?
        await waitUntil("the received fax indexed") {
            id = try? rig.daemon.store.cdrs(limit: 10).first?.callID
            guard let id else { return false }
            return (try? rig.daemon.store.receivedFax("R" + id)) != nil
        }
        let received = try #require(try rig.daemon.store.receivedFax("R" + (id ?? "")))
        #expect(received.pages == 3 && received.calling == "4155550124" && received.dnis == "7100", "\(received)")
        #expect(received.pdfPath.map { FileManager.default.fileExists(atPath: $0) } == true)
        try rig.expectSame(rig.threePages, received.tiffPath)
        await rig.stop()
    }

    /// One document to 20 numbers: 18 fax machines receive it; a busy
    /// number and one that never answers are each tried twice, then failed.
    @Test func aBroadcastToTwentyNumbers() async throws {
        let rig = try await Rig("broadcast")
        let numbers = (1...20).map { String(format: "60%02d", $0) }
        for n in numbers.prefix(18) { await rig.sim.setBehaviour(.faxMachine(.receive(directory: rig.dir)), number: n) }
        await rig.sim.setBehaviour(.busy, number: numbers[18])
        await rig.sim.setBehaviour(.noAnswer, number: numbers[19])
        let fax = try #require(rig.daemon.fax)
        let job = try await fax.submit(numbers: numbers, documents: ["2"]).get()
        #expect(job.kind == .broadcast)
        await waitUntil("the broadcast ends", timeout: .seconds(240)) {
            [.done, .partial, .failed].contains(await fax.job(job.id)?.job.state)
        }
        let (ended, destinations) = try #require(await fax.job(job.id))
        #expect(ended.state == .partial)
        #expect(destinations.count == 20)
        for d in destinations {
            switch d.number {
            case numbers[18]:
                #expect(d.state == .failed && d.attempts == 2 && d.result?.call == .busy, "\(d)")
            case numbers[19]:
                #expect(d.state == .failed && d.attempts == 2 && d.result?.call == .noAnswer, "\(d)")
            default:
                #expect(d.state == .sent && d.attempts == 1 && d.result?.pages == 1 && d.result?.t30Code == 0, "\(d)")
                let got = await rig.sim.faxResults(number: d.number)
                #expect(got.count == 1 && got.first?.succeeded == true, "\(d.number): \(got)")
                if let file = got.first?.file { try rig.expectSame(rig.onePage, file) }
            }
        }
        await rig.stop()
    }

    /// Faxes sent to a queue's fax number are fax mail: each is received,
    /// indexed and offered to the queue's agents as work, spread evenly.
    @Test func faxesToAQueueAreSpreadEvenlyOverItsAgents() async throws {
        let rig = try await Rig("fax-mail", queue: true)
        for i in 0..<4 {
            let machine = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "41555501\(10 + i)", dnis: "7300")
            try machine.startFax(send: [rig.onePage])
            let result = try #require(await machine.waitForFax(timeout: .seconds(120)))
            #expect(result.succeeded && result.pages == 1, "\(result)")
        }
        var connects: [QueueEvent] = []
        await waitUntil("four faxes taken by the agents", timeout: .seconds(120)) {
            connects = (try? rig.daemon.store.queueEvents(queue: "sales").filter { $0.kind == .connect }) ?? []
            return connects.count == 4
        }
        let perAgent = Dictionary(grouping: connects, by: \.agent).mapValues(\.count)
        #expect(perAgent == ["1001": 2, "1002": 2], "\(perAgent)")
        // Each fax is indexed for the queue and assigned to the agent who took it.
        for c in connects {
            await waitUntil("fax \(c.callID) assigned") { (try? rig.daemon.store.receivedFax(c.callID))??.agent == c.agent }
            let fax = try #require(try rig.daemon.store.receivedFax(c.callID))
            #expect(fax.queue == "sales" && fax.pages == 1 && fax.pdfPath != nil, "\(fax)")
            try rig.expectSame(rig.onePage, fax.tiffPath)
        }
        await rig.stop()
    }

    /// A sender keys an agent's number in the IVR, then starts the fax:
    /// CNG is heard in the menu, and the fax is the keyed agent's.
    @Test func aFaxForAKeyedAgentIsTheirs() async throws {
        let rig = try await Rig("keyed")
        let machine = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550125", dnis: "7100")
        await rig.expectPrompt(machine, "welcome", from: 0)
        var mark = machine.receivedSamples
        machine.sendDTMF("2")
        await rig.expectPrompt(machine, "enter-account", from: mark)
        mark = machine.receivedSamples
        machine.sendDTMF("1002")
        await rig.expectPrompt(machine, "fax-start", from: mark)
        try machine.startFax(send: [rig.onePage])
        let result = try #require(await machine.waitForFax(timeout: .seconds(120)))
        #expect(result.succeeded && result.pages == 1, "\(result)")
        var fax: ReceivedFax?
        await waitUntil("the received fax indexed") {
            guard let id = try? rig.daemon.store.cdrs(limit: 10).first?.callID else { return false }
            fax = try? rig.daemon.store.receivedFax("R" + id)
            return fax != nil
        }
        #expect(fax?.agent == "1002" && fax?.queue == nil && fax?.pages == 1, "\(fax.map { "\($0)" } ?? "none")")
        await rig.stop()
    }

    /// A fax machine calls the queue's voice number and waits (no agent is
    /// logged in): its CNG is heard under the queue's announcements, it
    /// leaves the queue, and the fax is received for that queue.
    @Test func aFaxMachineWaitingInAQueueIsReceivedForTheQueue() async throws {
        let rig = try await Rig("queue-cng", queue: true, agentsLoggedIn: false)
        let machine = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550126", dnis: "7900")
        await rig.expectPrompt(machine, "queue-busy", from: 0)
        try machine.startFax(send: [rig.onePage])
        let result = try #require(await machine.waitForFax(timeout: .seconds(120)))
        #expect(result.succeeded && result.pages == 1, "\(result)")
        var fax: ReceivedFax?
        var id = ""
        await waitUntil("the received fax indexed") {
            guard let c = try? rig.daemon.store.cdrs(limit: 10).first?.callID else { return false }
            id = c
            fax = try? rig.daemon.store.receivedFax("R" + c)
            return fax != nil
        }
        #expect(fax?.queue == "sales" && fax?.agent == nil && fax?.pages == 1, "\(fax.map { "\($0)" } ?? "none")")
        // The caller left the queue (not answered by it, not abandoned silently).
        let events = (try? rig.daemon.store.queueEvents(queue: "sales").filter { $0.callID == id }.map(\.kind)) ?? []
        #expect(events.first == .enterQueue && !events.contains(.connect), "\(events)")
        // The fax waits in the queue as work for the agents.
        #expect(await rig.daemon.acd?.queueStatus("sales")?.messages == 1)
        await rig.stop()
    }
}
}
