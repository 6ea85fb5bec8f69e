// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneApps
import DialtoneFax
import DialtoneStore
import DialtoneSwitch
import Foundation

/// A fax job as the control socket shows it (`fax jobs`, `fax show`, `fax send`…).
public struct FaxJobReply: Codable, Sendable, Equatable {
    public var job: FaxJob
    /// Destinations by state: sent, failed, waiting (pending, dialling, retry-wait), cancelled.
    public var sent: Int
    public var failed: Int
    public var waiting: Int
    public var cancelled: Int
    /// Every destination with its last attempt (`fax show`, `fax send`, `fax broadcast`).
    public var destinations: [FaxDestination]?

    public init(job: FaxJob, destinations ds: [FaxDestination], detail: Bool) {
        self.job = job
        sent = ds.filter { $0.state == .sent }.count
        failed = ds.filter { $0.state == .failed }.count
        cancelled = ds.filter { $0.state == .cancelled }.count
        waiting = ds.count - sent - failed - cancelled
        destinations = detail ? ds : nil
    }
}

/// `fax …` and `inbox …` on the control socket.
extension ControlServer {
    static func faxQuery(_ request: String, daemon: Daemon) async -> Data? {
        guard request.hasPrefix("fax ") || request == "fax" || request.hasPrefix("inbox ") || request == "inbox" else { return nil }
        let parsed: FaxRequest
        switch FaxRequest.parse(request) {
        case .success(let r): parsed = r
        case .failure(let e): return ControlReply.error(e.message, code: e.code)
        }
        switch parsed {
        case .inboxList(let agent, let queue, let all, let limit):
            return stored { () throws(StoreError) in
                ControlReply.encode(try daemon.store.inbox(InboxFilter(agent: agent, queue: queue, includeDone: all, limit: limit)))
            }
        case .inboxShow(let id):
            return stored { () throws(StoreError) in
                guard let item = try inboxItem(id, store: daemon.store) else { return ControlReply.error("no inbox item \(id)", code: "not-found") }
                return ControlReply.encode(item)
            }
        case .inboxDone(let id, let by):
            return stored { () throws(StoreError) in
                guard var item = try inboxItem(id, store: daemon.store) else { return ControlReply.error("no inbox item \(id)", code: "not-found") }
                guard item.state != "done" else {
                    return ControlReply.error("\(item.kind) \(item.id) was marked done by \(item.handledBy ?? "?") already", code: "conflict")
                }
                let now = Date()
                switch item.kind {
                case "fax": daemon.storeWriter.fax(.handled(id: item.id, by: by, at: now))
                case "voice": daemon.storeWriter.voicemail(.handled(path: item.file, by: by, at: now))
                default: return ControlReply.error("\(item.kind) items cannot be marked done by this build", code: "invalid")
                }
                item.state = "done"
                item.handledBy = by
                item.handledAt = now
                var event = SwitchEvent(.inboxDone)
                event.text = "\(item.kind):\(item.id)"
                event.agent = by
                _ = daemon.switchCore.events.publish(event)
                daemon.logger.info("inbox item done", metadata: ["inbox.kind": "\(item.kind)", "inbox.id": "\(item.id)", "by": "\(by)"])
                return ControlReply.encode(item)
            }
        default:
            break
        }
        guard let fax = daemon.fax else {
            return ControlReply.error("fax is not configured (no fax: section)", code: "not-configured")
        }
        switch parsed {
        case .documents:
            return ControlReply.encode(await fax.catalogue())
        case .jobs:
            // The store's jobs, with those the application holds (fresher: the writer may not have caught up).
            var byID: [String: FaxJobReply] = [:]
            do {
                for j in try daemon.store.faxJobs() {
                    byID[j.id] = FaxJobReply(job: j, destinations: try daemon.store.faxJob(j.id)?.destinations ?? [], detail: false)
                }
            } catch {
                return ControlReply.error("\(error)", code: "unavailable")
            }
            for j in await fax.jobs() {
                if let held = await fax.job(j.id) { byID[j.id] = FaxJobReply(job: held.job, destinations: held.destinations, detail: false) }
            }
            return ControlReply.encode(byID.values.sorted { ($0.job.created, $0.job.id) > ($1.job.created, $1.job.id) })
        case .show(let id):
            if let held = await fax.job(id) { return ControlReply.encode(FaxJobReply(job: held.job, destinations: held.destinations, detail: true)) }
            return stored { () throws(StoreError) in
                guard let (job, ds) = try daemon.store.faxJob(id) else { return ControlReply.error("no fax job \(id)", code: "not-found") }
                return ControlReply.encode(FaxJobReply(job: job, destinations: ds, detail: true))
            }
        case .cancel(let id):
            return reply(await fax.cancel(job: id), fax: fax)
        case .send(let number, let documents, let at):
            return reply(await fax.submit(numbers: [number], documents: documents, at: at, kind: .single), fax: fax)
        case .broadcast(let documents, var numbers, let file, let at):
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else {
                    return ControlReply.error("\(file): the daemon cannot read it", code: "invalid")
                }
                numbers += FaxRequest.numbers(fromList: String(decoding: data, as: UTF8.self))
            }
            return reply(await fax.submit(numbers: numbers, documents: documents, at: at, kind: .broadcast), fax: fax)
        default:
            return nil
        }
    }

    private static func reply(_ result: Result<FaxJob, FaxRequestError>, fax: FaxApplication) -> Data {
        switch result {
        case .success(let job): return ControlReply.encode(FaxJobReply(job: job, destinations: [], detail: false))
        case .failure(.notFound(let m)): return ControlReply.error(m, code: "not-found")
        case .failure(.conflict(let m)): return ControlReply.error(m, code: "conflict")
        case .failure(.invalid(let m)): return ControlReply.error(m, code: "invalid")
        }
    }

    /// `KIND:ID` or a bare id of any source.
    static func inboxItem(_ id: String, store: Store) throws(StoreError) -> InboxItem? {
        if let colon = id.firstIndex(of: ":") {
            return try store.inboxItem(kind: String(id[..<colon]), id: String(id[id.index(after: colon)...]))
        }
        return try store.inbox(InboxFilter(includeDone: true, limit: .max)).first { $0.id == id }
    }

    /// A store read's reply, or the store's error (`unavailable`).
    static func stored(_ body: () throws(StoreError) -> Data) -> Data {
        do { return try body() } catch { return ControlReply.error("\(error)", code: "unavailable") }
    }
}
