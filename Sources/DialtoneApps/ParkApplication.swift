// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Logging

/// A parking lot: a long-lived application on the call-control API. A call
/// handed to it is answered and hears the hold audio in a loop; the API
/// takes it out (`call transfer ID NUMBER` connects it to a number). A call
/// parked longer than the timeout goes to the configured number, or is
/// cleared. The lot follows the event stream: a parked caller who hangs up
/// or is connected leaves it.
public actor ParkApplication: HostedApplication {
    public nonisolated let name: String
    private let settings: ApplicationConfig.ParkSettings
    private let core: SwitchCore
    private let clock: any Clock<Duration>
    private let logger: Logger
    private var parked: [String: (since: Date, expiry: Task<Void, Never>)] = [:]
    private var ready: Task<Void, Never>?

    public init(name: String, settings: ApplicationConfig.ParkSettings, core: SwitchCore, logger: Logger,
                clock: any Clock<Duration> = ContinuousClock()) {
        self.name = name
        self.settings = settings
        self.core = core
        self.logger = logger
        self.clock = clock
    }

    /// The calls in the lot, oldest first.
    public func parkedCalls() -> [String] { parked.sorted { $0.value.since < $1.value.since }.map(\.key) }

    public func take(call id: String, argument: String) async {
        do {
            try await core.answer(id)
            try await core.play(id, prompt: settings.holdPrompt, loop: true)
        } catch {
            logger.warning("park: call not parked", metadata: ["call.id": "\(id)", "application": "\(name)", "error": "\(error)"])
            _ = await core.hangup(id, cause: .temporaryFailure)
            return
        }
        let clock = self.clock, timeout = settings.timeout
        let expiry = Task { [weak self] in
            do { try await clock.sleep(for: .seconds(timeout)) } catch { return }
            await self?.expire(id)
        }
        parked[id] = (Date(), expiry)
        try? await core.attach(id, key: "parked", value: name)
        logger.info("parked", metadata: ["call.id": "\(id)", "application": "\(name)"])
    }

    private func expire(_ id: String) async {
        guard parked.removeValue(forKey: id) != nil else { return }
        logger.notice("park timeout", metadata: ["call.id": "\(id)", "application": "\(name)"])
        if let number = settings.timeoutNumber {
            do {
                try await core.stopPlay(id)
                try await core.transfer(id, to: number)
                return
            } catch {
                logger.warning("park timeout: cannot transfer", metadata: ["call.id": "\(id)", "error": "\(error)"])
            }
        }
        _ = await core.hangup(id, cause: .normalClearing)
    }

    /// Follows the event stream: a call connected elsewhere or ended leaves the lot.
    public func run() async {
        for await event in core.events.subscribe() {
            guard let id = event.call, parked[id] != nil else { continue }
            switch event.type {
            case .callEnded, .legCreated, .bridged, .conferenceJoined:
                leave(id)
            default:
                break
            }
        }
    }

    private func leave(_ id: String) {
        guard let entry = parked.removeValue(forKey: id) else { return }
        entry.expiry.cancel()
        logger.info("left the lot", metadata: ["call.id": "\(id)", "application": "\(name)"])
    }
}
