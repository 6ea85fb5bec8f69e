// SPDX-License-Identifier: GPL-2.0-or-later
// The fax application over a scripted fax line (the port the fax core will
// implement): jobs dialled with retries and limits, saved as they change,
// personal documents rendered with ghostscript, received faxes made PDF.
import DialtoneApps
import DialtoneConfig
import DialtoneFax
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Logging
import Testing

/// A far end per number; each call returns at once unless `hold` keeps it up until hung up.
actor ScriptedFaxLine: FaxLine {
    var script: @Sendable (String, Int) -> FaxOutcome
    var attempts: [String: Int] = [:]
    var sent: [(number: String, documents: [String])] = []
    var up = 0, maxUp = 0
    var held: [FaxDestinationKey: CheckedContinuation<Void, Never>] = [:]
    let hold: Bool
    var transmitted: [(call: String, documents: [String], settings: FaxSendSettings)] = []

    init(hold: Bool = false, script: @escaping @Sendable (String, Int) -> FaxOutcome) {
        self.hold = hold
        self.script = script
    }

    func send(_ key: FaxDestinationKey, to number: String, documents: [String], settings: FaxSendSettings) async -> FaxOutcome {
        attempts[number, default: 0] += 1
        sent.append((number, documents))
        up += 1
        maxUp = max(maxUp, up)
        if hold {
            await withCheckedContinuation { held[key] = $0 }
            up -= 1
            return FaxOutcome(call: .answered, cause: 16, t30Code: 49, t30Text: "The call dropped prematurely")
        }
        await Task.yield()
        up -= 1
        return script(number, attempts[number]!)
    }

    func transmit(onCall callID: String, documents: [String], settings: FaxSendSettings) async -> FaxOutcome {
        transmitted.append((callID, documents, settings))
        return FaxOutcome(call: .answered, t30Code: 0, t30Text: "OK", pages: 1, rate: 14400, ecm: true)
    }

    func receive(onCall callID: String, into path: String) async -> FaxOutcome { FaxOutcome(call: .answered, t30Code: 0, pages: 1) }
    func hangUp(_ key: FaxDestinationKey) async { held.removeValue(forKey: key)?.resume() }
    var heldCount: Int { held.count }
}

@Suite struct FaxApplicationTests {
    final class Dir {
        let path = NSTemporaryDirectory() + "faxapp-" + UUID().uuidString
        init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// A catalogue with one real 2-page TIFF (rendered by ghostscript) and two personal templates.
    static func config(_ dir: Dir) throws -> FaxConfig {
        var c = FaxConfig()
        c.spool = "\(dir.path)/spool"
        let tiff = "\(dir.path)/prices.tif"
        #expect(try FaxTextRenderer.render("Prices\u{0C}page two", to: tiff).get() == 2)
        c.documents = [FaxConfig.Document(number: "1", name: "Prices", file: tiff, tiff: tiff, pages: 2)]
        c.personal = [FaxConfig.PersonalDocument(number: "9", name: "Statement", template: "s.txt",
                                                 text: "Statement for {customer.name}\nAccount {customer.account}\n{date}",
                                                 key: .callingNumber, freeFields: ["customer.account"]),
                      FaxConfig.PersonalDocument(number: "8", name: "Contract", template: "c.txt",
                                                 text: "Contract {keyed} of {customer.name}", key: .digits(field: "account"), freeFields: [])]
        c.receive = ["5552000": .queue("support"), "5552001": .agent("1001")]
        c.header = "ACME"
        return c
    }

    static let customers = [CustomerRecord(number: "4930123456", name: "Jane Smith", fields: ["account": "4711"])]

    func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return await condition()
    }

    @Test func aBroadcastIsDialledWithinTheLimitAndRetried() async throws {
        let dir = Dir()
        let line = ScriptedFaxLine { number, attempt in
            switch number {
            case "5550007": FaxOutcome(call: .noAnswer, cause: 19)
            case "5550013": attempt == 1 ? FaxOutcome(call: .busy, cause: 17) : FaxOutcome(call: .answered, t30Code: 0, t30Text: "OK", pages: 2, rate: 9600, ecm: true)
            default: FaxOutcome(call: .answered, t30Code: 0, t30Text: "OK", pages: 2, rate: 14400, ecm: true)
            }
        }
        let storage = MemoryFaxStorage()
        let stream = EventStream()
        let events = stream.subscribe()
        let app = FaxApplication(config: try Self.config(dir), line: line, storage: storage, logger: Logger(label: "test"),
                                 settings: FaxSchedulerSettings(maxCalls: 3, attempts: 2, retryDelay: 0), events: stream)
        let numbers = (1...20).map { String(format: "55500%02d", $0) }
        let job = try await app.submit(numbers: numbers, documents: ["1"]).get()
        #expect(job.kind == .broadcast && job.documents.map(\.pages) == [2])
        #expect(await eventually { storage.savedJobs.first?.state.isFinal == true })
        let ds = storage.savedDestinations(job: job.id)
        #expect(storage.savedJobs.map(\.state) == [.partial])
        #expect(ds.count == 20 && ds.filter { $0.state == .sent }.count == 19)
        #expect(ds[6].state == .failed && ds[6].attempts == 2 && ds[6].result?.call == .noAnswer)
        #expect(ds[12].state == .sent && ds[12].attempts == 2 && ds[12].result?.rate == 9600)
        #expect(await line.maxUp <= 3)
        #expect(await line.sent.allSatisfy { $0.documents == ["\(dir.path)/prices.tif"] })
        // The event stream told it: the job's states, and each call's end (22 calls: 20 + two retries).
        var seen: [SwitchEvent] = []
        for await e in events {
            seen.append(e)
            if e.type == .faxJob, e.state == "partial" { break }
        }
        #expect(seen.filter { $0.type == .faxJob }.map(\.state) == ["scheduled", "active", "partial"])
        let attempts = seen.filter { $0.type == .faxAttempt }
        #expect(attempts.count == 22 && attempts.allSatisfy { $0.text == job.id })
        #expect(attempts.filter { $0.number == "5550013" }.map(\.state) == ["retry-wait", "sent"])
        #expect(attempts.first { $0.number == "5550013" }?.causeText == "busy (17)")
    }

    @Test func documentsAreCheckedBeforeAnythingIsDialled() async throws {
        let dir = Dir()
        let line = ScriptedFaxLine { _, _ in FaxOutcome(call: .busy) }
        let app = FaxApplication(config: try Self.config(dir), line: line, storage: MemoryFaxStorage(), logger: Logger(label: "test"))
        #expect(await app.submit(numbers: ["123"], documents: ["7"]).failure?.description.hasPrefix("no document 7 in the catalogue") == true)
        #expect(await app.submit(numbers: ["123"], documents: ["9"]).failure?.description.contains("personal") == true)
        try "not a fax".write(toFile: "\(dir.path)/x.tif", atomically: true, encoding: .utf8)
        #expect(await app.submit(numbers: ["123"], documents: ["\(dir.path)/x.tif"]).failure
                == .invalid("\(dir.path)/x.tif: neither a TIFF nor a PDF file"))
        #expect(await app.submit(numbers: ["12a"], documents: ["1"]).failure?.description.contains("not a dialable number") == true)
        #expect(await line.sent.isEmpty)
    }

    @Test func aScheduledJobWaitsAndACancelledOneHangsUp() async throws {
        let dir = Dir()
        let line = ScriptedFaxLine(hold: true) { _, _ in FaxOutcome(call: .busy) }
        let storage = MemoryFaxStorage()
        let app = FaxApplication(config: try Self.config(dir), line: line, storage: storage, logger: Logger(label: "test"))
        let later = try await app.submit(numbers: ["1"], documents: ["1"], at: Date().addingTimeInterval(3600)).get()
        #expect(later.state == .scheduled)
        let now = try await app.submit(numbers: ["2", "3"], documents: ["1"]).get()
        #expect(await eventually { await line.heldCount == 2 })
        #expect(await line.sent.map(\.number).sorted() == ["2", "3"])
        #expect(try await app.cancel(job: now.id).get().state == .cancelled)
        #expect(await eventually { storage.savedJobs.first { $0.id == now.id }?.ended != nil })
        #expect(storage.savedDestinations(job: now.id).map(\.state) == [.cancelled, .cancelled])
        #expect(await app.cancel(job: now.id).failure?.description.contains("cancelled already") == true)
        #expect(await app.cancel(job: "nope").failure == .notFound("no fax job nope (finished jobs are in the store)"))
        #expect(await app.job(later.id)?.job.state == .scheduled)
    }

    @Test func jobsInTheStoreAreTakenBackAtStart() async throws {
        let dir = Dir()
        let config = try Self.config(dir)
        let doc = FaxDocumentRef(number: "1", name: "Prices", path: config.documents[0].tiff, pages: 2)
        let t = Date().addingTimeInterval(-60)
        let job = FaxJob(id: "Fold", kind: .broadcast, documents: [doc], scheduled: t, created: t, state: .active)
        let storage = MemoryFaxStorage(jobs: [job], destinations: [
            FaxDestination(job: "Fold", index: 0, number: "1", state: .sent, attempts: 1),
            FaxDestination(job: "Fold", index: 1, number: "2", state: .dialling, attempts: 1)])
        let line = ScriptedFaxLine { _, _ in FaxOutcome(call: .answered, t30Code: 0, t30Text: "OK", pages: 2, rate: 14400, ecm: true) }
        let app = FaxApplication(config: config, line: line, storage: storage, logger: Logger(label: "test"))
        await app.start()
        #expect(await eventually { storage.savedJobs.first?.state == .done })
        #expect(storage.savedDestinations(job: "Fold").map(\.attempts) == [1, 2])
        #expect(await line.sent.map(\.number) == ["2"])
    }

    @Test func personalDocumentsAreRenderedFromTheCustomerRecord() async throws {
        let dir = Dir()
        let line = ScriptedFaxLine { _, _ in FaxOutcome(call: .busy) }
        let app = FaxApplication(config: try Self.config(dir), line: line, storage: MemoryFaxStorage(customers: Self.customers),
                                 logger: Logger(label: "test"))
        let jane = PartyNumber(digits: "4930123456")
        // Document 9 finds its customer by the calling number: none calls from 999.
        #expect(await app.order(["1", "9"], calling: PartyNumber(digits: "999"), callID: "c1").failure == .notFound("no customer record for document 9"))
        let ordered = try await app.order(["1", "9", "8"], calling: jane, keyed: ["8": "4711"], callID: "c2").get()
        #expect(ordered.map(\.number) == ["1", "9", "8"] && ordered.map(\.pages) == [2, 1, 1])
        #expect(ordered[1].path.hasPrefix("\(dir.path)/spool/rendered/c2-9-"))
        #expect(try FaxTIFF.validate(ordered[1].path).get().pages.allSatisfy { $0.width == 1728 })
        #expect(await app.order(["8"], calling: jane, keyed: ["8": "0000"], callID: "c3").failure == .notFound("no customer record for document 8"))
        #expect(await app.order(["8"], calling: jane, callID: "c4").failure == .invalid("document 8 needs the caller's account"))
        // Sent on the call through the line, with the header from the config.
        _ = await line.transmit(onCall: "c2", documents: ordered.map(\.path), settings: await app.sendSettings)
        #expect(await line.transmitted.first?.settings.header == "ACME")
    }

    @Test func aReceivedFaxIsMadePDFAndDelivered() async throws {
        let dir = Dir()
        let storage = MemoryFaxStorage()
        let stream = EventStream()
        let events = stream.subscribe()
        let app = FaxApplication(config: try Self.config(dir), line: ScriptedFaxLine { _, _ in FaxOutcome(call: .busy) },
                                 storage: storage, logger: Logger(label: "test"), events: stream)
        let path = await app.receivePath(callID: "call-7")
        #expect(path == "\(dir.path)/spool/received/call-7.tif")
        _ = try FaxTextRenderer.render("incoming", to: path).get()
        let ok = FaxOutcome(call: .answered, t30Code: 0, t30Text: "OK", pages: 1, rate: 14400, ecm: true)
        let fax = try #require(await app.received(callID: "call-7", calling: "4930123456", dnis: "5552000", tiffPath: path, outcome: ok))
        #expect(fax.queue == "support" && fax.agent == nil && fax.pdfPath == "\(dir.path)/spool/received/call-7.pdf")
        #expect(FileManager.default.contents(atPath: fax.pdfPath!)?.starts(with: Array("%PDF".utf8)) == true)
        var iterator = events.makeAsyncIterator()
        let notice = await iterator.next()
        #expect(notice?.type == .inboxNew && notice?.text == "fax:Rcall-7" && notice?.queue == "support" && notice?.call == "call-7")
        #expect(notice?.path == fax.pdfPath && notice?.number == "4930123456")
        #expect(await app.delivery(dnis: "5552000", keyedAgent: "1002") == ("1002", nil))
        #expect(await app.delivery(dnis: "5552001") == ("1001", nil))
        #expect(await app.delivery(dnis: "999", queue: "sales") == (nil, "sales"))
        #expect(await app.received(callID: "call-8", calling: "1", dnis: "2", tiffPath: "/nope.tif", outcome: FaxOutcome(call: .answered, t30Code: 26)) == nil)
        #expect(storage.savedReceived.map(\.id) == ["Rcall-7"])
        #expect(await app.markHandled(fax: "Rcall-7", by: "1001").failure == nil)
        #expect(await app.markHandled(fax: "Rcall-7", by: "1002").failure == .conflict("fax Rcall-7 was marked done by 1001 already"))
        #expect(storage.savedReceived.first?.handledBy == "1001")
    }
}

extension FaxApplicationTests {
    /// A queue's fax is handed to the queue (the ACD makes it work for an
    /// agent); a keyed agent's is not; the agent who takes it is recorded.
    @Test func aQueuesFaxIsHandedToTheQueueAndAssignedToTheAgentWhoTakesIt() async throws {
        let dir = Dir()
        let storage = MemoryFaxStorage()
        let app = FaxApplication(config: try Self.config(dir), line: ScriptedFaxLine { _, _ in FaxOutcome(call: .busy) },
                                 storage: storage, logger: Logger(label: "test"))
        let ok = FaxOutcome(call: .answered, t30Code: 0, t30Text: "OK", pages: 1, rate: 14400, ecm: true)
        func receive(_ n: Int, keyed: String? = nil) async throws -> ReceivedFax? {
            let path = await app.receivePath(callID: "c\(n)")
            _ = try FaxTextRenderer.render("fax \(n)", to: path).get()
            return await app.received(callID: "c\(n)", calling: "1", dnis: "5552000", tiffPath: path, outcome: ok, keyedAgent: keyed)
        }
        let handed = Handed()
        await app.setQueueDelivery { queue, fax in handed.add("\(queue) \(fax.id)") }
        let first = try await receive(1)
        #expect(first?.queue == "support" && first?.agent == nil)
        #expect(try await receive(2, keyed: "1002")?.agent == "1002")
        #expect(handed.list == ["support Rc1"], "only the queue's fax goes to the queue")
        await app.assign(fax: "Rc1", to: "1003")
        #expect(storage.received("Rc1")?.agent == "1003")
    }

    final class Handed: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ s: String) { lock.withLock { items.append(s) } }
        var list: [String] { lock.withLock { items } }
    }
}

extension Result {
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}
