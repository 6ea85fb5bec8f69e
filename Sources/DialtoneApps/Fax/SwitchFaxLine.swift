// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneFax
import DialtoneMedia
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Logging
import Synchronization

/// The fax application's line over the switch: calls placed with
/// `originate`, T.30 run by the switch's fax stage (`SwitchCore.fax`), the
/// outcome read from the call's `leg.answered`, `fax.ended` and `call.ended`
/// events. Every method subscribes to the event stream before it acts, so
/// no event of its call is missed.
public final class SwitchFaxLine: FaxLine {
    private let core: SwitchCore
    private let logger: Logger
    /// The call of each outbound attempt in progress (for ``hangUp(_:)``).
    private let attempts = Mutex<[FaxDestinationKey: String]>([:])

    public init(core: SwitchCore, logger: Logger) {
        self.core = core
        self.logger = logger
    }

    public func send(_ key: FaxDestinationKey, to number: String, documents: [String], settings: FaxSendSettings) async -> FaxOutcome {
        let events = core.events.subscribe()
        let id: String
        do {
            id = try await core.originate(to: number, callerID: "", answerTimeout: settings.answerTimeout).call
        } catch {
            logger.warning("fax: call not placed", metadata: ["job": "\(key)", "number": "\(number)", "error": "\(error)"])
            return FaxOutcome(call: .failed, cause: Int(Q931Cause.noCircuitAvailable.rawValue), t30Text: "\(error)")
        }
        attempts.withLock { $0[key] = id }
        defer { attempts.withLock { _ = $0.removeValue(forKey: key) } }
        // The fax stage's `fax.ended` may come after `call.ended` (a machine
        // that hangs up straight after the last page): once T.30 has started,
        // its end is what counts.
        var outcome: FaxOutcome?, faxing = false, callEnded = false
        for await event in events where event.call == id {
            switch event.type {
            case .legAnswered where outcome == nil:
                do {
                    try await core.fax(id, send: documents, options: Self.options(settings), role: .calling)
                    faxing = true
                } catch {
                    logger.warning("fax: not started", metadata: ["call.id": "\(id)", "error": "\(error)"])
                    outcome = FaxOutcome(call: .answered, t30Text: "\(error)")
                    _ = await core.hangup(id, cause: .normalClearing)
                }
            case .faxEnded:
                outcome = Self.outcome(event)
                faxing = false
                if callEnded { return outcome! }
                _ = await core.hangup(id, cause: .normalClearing)
            case .callEnded:
                callEnded = true
                if !faxing { return outcome ?? Self.unanswered(event) }
            default:
                break
            }
        }
        return outcome ?? FaxOutcome(call: .failed, t30Text: "event stream ended")
    }

    public func transmit(onCall callID: String, documents: [String], settings: FaxSendSettings) async -> FaxOutcome {
        let events = core.events.subscribe()
        do {
            try await core.fax(callID, send: documents, options: Self.options(settings), role: .calling)
        } catch {
            return FaxOutcome(call: .failed, t30Text: "\(error)")
        }
        let outcome = await Self.ended(callID, events)
        _ = await core.hangup(callID, cause: .normalClearing)
        return outcome
    }

    public func receive(onCall callID: String, into path: String) async -> FaxOutcome {
        let events = core.events.subscribe()
        do {
            try await core.fax(callID, receive: path, role: .answering)
        } catch {
            return FaxOutcome(call: .failed, t30Text: "\(error)")
        }
        return await Self.ended(callID, events)
    }

    public func hangUp(_ key: FaxDestinationKey) async {
        guard let id = attempts.withLock({ $0[key] }) else { return }
        _ = await core.hangup(id, cause: .normalClearing)
    }

    /// Waits for the call's fax to end (`fax.ended` follows `call.ended`
    /// when the call clears first: the stage hands its session back).
    private static func ended(_ id: String, _ events: AsyncStream<SwitchEvent>) async -> FaxOutcome {
        for await event in events where event.call == id && event.type == .faxEnded {
            return outcome(event)
        }
        return FaxOutcome(call: .failed, t30Text: "event stream ended")
    }

    static func options(_ s: FaxSendSettings) -> FaxSession.Options {
        FaxSession.Options(ecm: true, ident: s.ident, header: s.header.isEmpty ? nil : s.header)
    }

    static func outcome(_ e: SwitchEvent) -> FaxOutcome {
        FaxOutcome(call: .answered, t30Code: e.code, t30Text: e.text, pages: e.pages ?? 0, rate: e.rate ?? 0, ecm: e.ecm ?? false)
    }

    /// A call that ended before it was answered: busy, no answer or failed, by its cause.
    static func unanswered(_ e: SwitchEvent) -> FaxOutcome {
        let cause = e.cause ?? 0
        let call: FaxOutcome.Call = switch cause {
        case 17: .busy
        case 18, 19: .noAnswer
        default: e.disposition == "no_answer" ? .noAnswer : e.disposition == "busy" ? .busy : .failed
        }
        return FaxOutcome(call: call, cause: cause, t30Text: e.causeText)
    }
}
