// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneFax
import DialtoneSwitch
import Foundation

extension FaxApplication {
    /// Where a fax received on `dnis` goes: the keyed agent first, then the
    /// queue it came from (CNG while waiting), then the fax number's delivery.
    public func delivery(dnis: String, keyedAgent: String? = nil, queue: String? = nil) -> (agent: String?, queue: String?) {
        if let keyedAgent { return (keyedAgent, nil) }
        if let queue { return (nil, queue) }
        switch config.receive[dnis] {
        case .agent(let a)?: return (a, nil)
        case .queue(let q)?: return (nil, q)
        case .inbox?, nil: return (nil, nil)
        }
    }

    /// The spool file a fax received on `callID` is written to (hand it to the
    /// fax core's receive); its directory is made if needed.
    public func receivePath(callID: String) -> String {
        try? FileManager.default.createDirectory(atPath: config.receivedDirectory, withIntermediateDirectories: true)
        return "\(config.receivedDirectory)/\(callID).tif"
    }

    /// A fax came in (the fax core wrote `tiffPath` and reported `outcome`):
    /// it is made into a PDF with tiff2pdf, indexed, and delivered. A fax with
    /// no page is logged and not indexed.
    @discardableResult
    public func received(callID: String, calling: String, dnis: String, tiffPath: String, outcome: FaxOutcome,
                         keyedAgent: String? = nil, queue: String? = nil) async -> ReceivedFax? {
        guard outcome.pages > 0, FileManager.default.fileExists(atPath: tiffPath) else {
            logger.warning("fax reception ended without a page", metadata: ["call.id": "\(callID)", "result": "\(outcome.summary)"])
            return nil
        }
        let to = delivery(dnis: dnis, keyedAgent: keyedAgent, queue: queue)
        let pdf = (tiffPath as NSString).deletingPathExtension + ".pdf"
        let made = await Task.detached { FaxTools.pdf(fromTIFF: tiffPath, output: pdf) }.value
        if case .failure(let e) = made { logger.error("received fax not converted to PDF", metadata: ["call.id": "\(callID)", "error": "\(e)"]) }
        let fax = ReceivedFax(id: "R" + callID, time: now(), callID: callID, calling: calling, dnis: dnis, pages: outcome.pages,
                              tiffPath: tiffPath, pdfPath: (try? made.get()) != nil ? pdf : nil, t30Code: outcome.t30Code,
                              t30Text: outcome.t30Text, rate: outcome.rate, ecm: outcome.ecm, agent: to.agent, queue: to.queue)
        storage.save(received: fax)
        var e = SwitchEvent(.inboxNew, call: callID)
        e.text = "fax:\(fax.id)"
        e.agent = fax.agent
        e.queue = fax.queue
        e.number = calling
        e.path = fax.pdfPath ?? fax.tiffPath
        _ = events?.publish(e)
        if let queue = to.queue, let queueDelivery { await queueDelivery(queue, fax) }
        logger.notice("fax received", metadata: ["call.id": "\(callID)", "fax.id": "\(fax.id)", "pages": "\(fax.pages)",
                                                 "agent": "\(to.agent ?? "-")", "queue": "\(to.queue ?? "-")"])
        return fax
    }

    /// Marks a received fax done by `by` (an agent id or a user name).
    public func markHandled(fax id: String, by: String) -> Result<Void, FaxRequestError> {
        guard let fax = storage.received(id) else { return .failure(.notFound("no received fax \(id)")) }
        guard fax.state != .done else { return .failure(.conflict("fax \(id) was marked done by \(fax.handledBy ?? "?") already")) }
        storage.markHandled(fax: id, by: by, at: now())
        return .success(())
    }

    /// Faxes received for a queue go to its agents as work items (fax mail).
    public func setQueueDelivery(_ deliver: @escaping @Sendable (String, ReceivedFax) async -> Void) {
        queueDelivery = deliver
    }

    /// An agent took a fax work item: the fax is theirs (their inbox).
    public func assign(fax id: String, to agent: String) {
        guard var fax = storage.received(id) else { return }
        fax.agent = agent
        storage.save(received: fax)
        var e = SwitchEvent(.inboxNew, call: fax.callID)
        e.text = "fax:\(fax.id)"
        e.agent = agent
        e.queue = fax.queue
        e.number = fax.calling
        e.path = fax.pdfPath ?? fax.tiffPath
        _ = events?.publish(e)
        logger.notice("fax assigned", metadata: ["fax.id": "\(id)", "agent": "\(agent)", "queue": "\(fax.queue ?? "-")"])
    }
}
