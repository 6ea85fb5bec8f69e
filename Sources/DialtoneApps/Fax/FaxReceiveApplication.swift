// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneFax
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Logging

/// Fax reception, the built-in application `fax-receive` (there when the
/// configuration has a `fax:` section): a call routed to it (a fax number,
/// `fax.receive`) is answered and received into the spool through the
/// ``FaxLine``; the fax is made PDF, indexed and delivered (the number's
/// delivery). A call that turned out to be a fax elsewhere — CNG heard in
/// the IVR or in a queue — is handed over with ``receive(call:keyedAgent:queue:)``.
public actor FaxReceiveApplication: HostedApplication {
    public static let applicationName = "fax-receive"
    public nonisolated let name = FaxReceiveApplication.applicationName
    let core: SwitchCore
    let fax: FaxApplication
    let line: any FaxLine
    let logger: Logger

    public init(core: SwitchCore, fax: FaxApplication, line: any FaxLine, logger: Logger) {
        self.core = core
        self.fax = fax
        self.line = line
        self.logger = logger
    }

    public func take(call id: String, argument: String) async {
        _ = await receive(call: id)
    }

    /// Receives a fax on `call` and indexes it for `keyedAgent` (keyed in
    /// the IVR before the sender pressed start), else `queue` (where the
    /// caller waited), else its fax number's delivery; then clears the call.
    @discardableResult
    public func receive(call id: String, keyedAgent: String? = nil, queue: String? = nil) async -> ReceivedFax? {
        if await core.call(id)?.state == "presented" { try? await core.answer(id) }
        let path = await fax.receivePath(callID: id)
        let calling = await core.callingParty(id)?.digits ?? ""
        let dnis = await core.call(id)?.dnis ?? ""
        logger.info("fax reception", metadata: ["call.id": "\(id)", "file": "\(path)"])
        let outcome = await line.receive(onCall: id, into: path)
        let received = await fax.received(callID: id, calling: calling, dnis: dnis, tiffPath: path, outcome: outcome,
                                          keyedAgent: keyedAgent, queue: queue)
        _ = await core.hangup(id, cause: .normalClearing)
        return received
    }

    public func run() async {}
}
