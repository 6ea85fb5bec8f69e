// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSwitch
import Foundation
import Logging

/// Inbound fax machines that called a voice number: fax tone detection is
/// turned on for every caller in an IVR menu or waiting in a queue, and a
/// call whose CNG is heard there is taken from the menu (or the queue) and
/// received by ``FaxReceiveApplication`` — delivered to the agent keyed in
/// the IVR (the menu variable `fax_agent`, collected before the sender pressed
/// start), else the queue it waited in,
/// else the fax number's delivery.
public actor FaxToneWatcher {
    let core: SwitchCore
    let receiver: FaxReceiveApplication
    let acd: ACDApplication?
    let queues: Set<String>
    let logger: Logger
    /// The IVR variable a sender keys an agent's number into before pressing start.
    public static let agentVariable = "fax_agent"
    /// Calls listened to, and the queue each waits in (nil: an IVR menu).
    private var listening: [String: String?] = [:]
    /// Queue callers not yet answered: listened to once they are.
    private var unanswered: [String: String] = [:]

    public init(core: SwitchCore, receiver: FaxReceiveApplication, acd: ACDApplication?, queues: Set<String>, logger: Logger) {
        self.core = core
        self.receiver = receiver
        self.acd = acd
        self.queues = queues
        self.logger = logger
    }

    public func run() async {
        for await e in core.events.subscribe() {
            guard let id = e.call else { continue }
            switch e.type {
            case .applicationStarted:
                let app = e.application ?? ""
                if app.hasPrefix("menu ") {
                    await listen(id, queue: nil)
                } else if queues.contains(app) {
                    if await core.call(id)?.answer != nil { await listen(id, queue: app) } else { unanswered[id] = app }
                } else {
                    listening[id] = nil
                }
            case .legAnswered where e.leg == 1:
                if let queue = unanswered.removeValue(forKey: id) { await listen(id, queue: queue) }
            case .faxDetected where e.text == "cng":
                guard let queue = listening.removeValue(forKey: id) else { continue }
                await take(id, queue: queue)
            case .bridged, .faxStarted:
                listening[id] = nil
            case .callEnded:
                listening[id] = nil
                unanswered[id] = nil
            default:
                break
            }
        }
    }

    private func listen(_ id: String, queue: String?) async {
        do {
            try await core.detectFax(id)
            listening[id] = .some(queue)
        } catch {
            logger.debug("fax tones not listened for", metadata: ["call.id": "\(id)", "error": "\(error)"])
        }
    }

    private func take(_ id: String, queue: String?) async {
        var from = queue
        if queue != nil { from = await acd?.withdraw(call: id) }
        let keyed = await core.call(id)?.data[Self.agentVariable]
        let agent = keyed?.isEmpty == false ? keyed : nil
        logger.notice("fax machine heard: receiving", metadata: ["call.id": "\(id)", "queue": "\(from ?? "-")", "agent": "\(agent ?? "-")"])
        let receiver = self.receiver
        Task { await receiver.receive(call: id, keyedAgent: agent, queue: from) }
    }
}
