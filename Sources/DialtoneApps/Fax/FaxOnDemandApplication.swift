// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneFax
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Logging

/// The fax-on-demand service (`type: fax-on-demand`): a hosted application
/// that answers, runs a ``FaxOnDemandSession`` per caller over the
/// call-control API (prompts, digits, a digit timer), and hands the order to
/// the ``FaxApplication``: documents on this call through the ``FaxLine``
/// (the caller presses start), or a callback job to the number keyed.
public actor FaxOnDemandApplication: HostedApplication {
    public nonisolated let name: String
    let settings: ApplicationConfig.FaxOnDemandSettings
    let config: FaxConfig
    let core: SwitchCore
    let fax: FaxApplication
    let line: any FaxLine
    let logger: Logger
    let clock: any Clock<Duration>
    var sessions: [String: FaxOnDemandSession] = [:]
    var timers: [String: Task<Void, Never>] = [:]

    public init(name: String, settings: ApplicationConfig.FaxOnDemandSettings, config: FaxConfig, core: SwitchCore,
                fax: FaxApplication, line: any FaxLine, logger: Logger, clock: any Clock<Duration> = ContinuousClock()) {
        self.name = name
        self.settings = settings
        self.config = config
        self.core = core
        self.fax = fax
        self.line = line
        self.logger = logger
        self.clock = clock
    }

    public func take(call id: String, argument: String) async {
        do {
            try await core.answer(id)
            try await core.collectDigits(id)
        } catch {
            logger.warning("fax-on-demand: call not taken", metadata: ["call.id": "\(id)", "error": "\(error)"])
            _ = await core.hangup(id, cause: .temporaryFailure)
            return
        }
        try? await core.attach(id, key: "fax.service", value: name)
        var session = FaxOnDemandSession(config: config, settings: settings)
        let commands = session.handle(.started)
        sessions[id] = session
        await carryOut(id, commands)
    }

    public func run() async {
        for await e in core.events.subscribe() {
            guard let id = e.call, sessions[id] != nil else { continue }
            switch e.type {
            case .digits:
                for d in e.digits ?? "" { await feed(id, .digit(d)) }
            case .promptFinished:
                armTimer(id)
            case .callEnded:
                sessions[id] = nil
                timers.removeValue(forKey: id)?.cancel()
            default:
                break
            }
        }
    }

    func feed(_ id: String, _ event: FaxOnDemandSession.Event) async {
        guard var session = sessions[id] else { return }
        let commands = session.handle(event)
        sessions[id] = session
        await carryOut(id, commands)
    }

    func carryOut(_ id: String, _ commands: [FaxOnDemandSession.Command]) async {
        for c in commands {
            switch c {
            case .play(let prompts):
                timers.removeValue(forKey: id)?.cancel()
                try? await core.stopPlay(id)
                do { try await core.play(id, prompts: prompts) } catch {
                    logger.warning("fax-on-demand: prompt not played", metadata: ["call.id": "\(id)", "error": "\(error)"])
                }
            case .startTimer:
                armTimer(id)
            case .goodbye:
                await finish(id, prompts: ["goodbye"])
            case .order(let order):
                timers.removeValue(forKey: id)?.cancel()
                await carryOut(id, order: order)
            }
        }
    }

    func carryOut(_ id: String, order: FaxOnDemandSession.Order) async {
        let party = await core.callingParty(id) ?? PartyNumber(digits: "")
        switch order {
        case .onThisCall(let documents, let keyed):
            guard case .success(let refs) = await fax.order(documents, calling: party, keyed: keyed, callID: id) else {
                return await finish(id, prompts: [FaxOnDemandSession.Prompt.unavailable, "goodbye"])
            }
            // The caller presses start while the prompt plays; T.30 begins once it has ended.
            guard await playAndWait(id, [FaxOnDemandSession.Prompt.start]) else { sessions[id] = nil; return }
            logger.info("fax-on-demand: sending on the call", metadata: ["call.id": "\(id)", "documents": "\(documents.joined(separator: ","))"])
            let outcome = await line.transmit(onCall: id, documents: refs.map(\.path), settings: await fax.sendSettings)
            logger.notice("fax-on-demand: sent on the call", metadata: ["call.id": "\(id)", "result": "\(outcome.summary)"])
            sessions[id] = nil
            _ = await core.hangup(id, cause: .normalClearing)
        case .toNumber(let number, let documents, let keyed):
            let made = await fax.order(documents, calling: party, keyed: keyed, callID: id)
            guard case .success(let refs) = made,
                  case .success(let job) = await fax.submit(numbers: [number], refs: refs, kind: .onDemand, origin: id) else {
                return await finish(id, prompts: [FaxOnDemandSession.Prompt.unavailable, "goodbye"])
            }
            try? await core.attach(id, key: "fax.job", value: job.id)
            await finish(id, prompts: [FaxOnDemandSession.Prompt.queued])
        }
    }

    /// Plays the last prompts, then clears the call once they end (or after a minute).
    func finish(_ id: String, prompts: [String]) async {
        timers.removeValue(forKey: id)?.cancel()
        sessions[id] = nil
        _ = await playAndWait(id, prompts)
        _ = await core.hangup(id, cause: .normalClearing)
    }

    /// Plays `prompts` and waits until they end (true), the call ends or a minute passes (false).
    func playAndWait(_ id: String, _ prompts: [String]) async -> Bool {
        let core = self.core, clock = self.clock
        let events = core.events.subscribe()  // before the prompt starts: its end is not missed
        try? await core.stopPlay(id)
        do { try await core.play(id, prompts: prompts) } catch { return false }
        let waiter = Task { () -> Bool in
            for await e in events where e.call == id {
                if e.type == .promptFinished, e.text == nil || e.text == prompts.last { return true }
                if e.type == .callEnded { return false }
            }
            return false
        }
        let deadline = Task {
            try? await clock.sleep(for: .seconds(60))
            waiter.cancel()
        }
        let finished = await waiter.value
        deadline.cancel()
        return finished
    }

    func armTimer(_ id: String) {
        timers.removeValue(forKey: id)?.cancel()
        let clock = self.clock, seconds = settings.digitTimeout
        timers[id] = Task { [weak self] in
            do { try await clock.sleep(for: .seconds(seconds)) } catch { return }
            await self?.feed(id, .timeout)
        }
    }

    /// Callers in the service now.
    public func callers() -> [String] { sessions.keys.sorted() }
}
