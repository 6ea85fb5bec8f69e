// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import DialtoneSwitch
import Foundation

/// The daemon's answers to the control socket's requests (docs/control-socket.md).
extension ControlServer {
    /// The daemon's answer to one request line.
    static func answer(_ request: String, daemon: Daemon) async -> ControlResponse {
        if request == "events" || request.hasPrefix("events ") {
            switch EventsRequest.parse(request) {
            case .success(let r): return events(r, from: daemon.switchCore.events)
            case .failure(let e): return .reply(EventLine.encode(["error": e.message, "code": e.code]))  // a JSON line, as the stream's
            }
        }
        if request == "call" || request.hasPrefix("call ") {
            return .reply(await answer(call: request, core: daemon.switchCore))
        }
        return .reply(await query(request, daemon: daemon))
    }

    /// A `call …` request: parsed, then carried out by the switch's call-control API.
    static func answer(call line: String, core: SwitchCore) async -> Data {
        switch CallRequest.parse(line) {
        case .failure(let e):
            return ControlReply.error(e.message, code: e.code)
        case .success(let request):
            do {
                return ControlReply.encode(try await perform(request, on: core))
            } catch {
                return ControlReply.error(error.description, code: error.code)
            }
        }
    }

    /// Carries out one call-control request; the reply names the call, the
    /// leg concerned (a new leg for transfer, consult and conference add)
    /// and the call's state afterwards.
    static func perform(_ request: CallRequest, on core: SwitchCore) async throws(CallControlError) -> CallReply {
        var reply: CallReply
        switch request {
        case .originate(let number, let span, let channel, let caller, let timeout):
            let placed = try await core.originate(to: number, span: span, channel: channel, callerID: caller ?? "",
                                                  answerTimeout: timeout ?? 60)
            reply = CallReply(call: placed.call, leg: placed.leg)
        case .answer(let id):
            try await core.answer(id)
            reply = CallReply(call: id, leg: 1)
        case .reject(let id, let cause):
            try await core.reject(id, cause: cause ?? .callRejected)
            reply = CallReply(call: id, leg: 1)
        case .hold(let id, let leg):
            reply = CallReply(call: id, leg: try await core.hold(id, leg: leg))
        case .retrieve(let id, let leg):
            reply = CallReply(call: id, leg: try await core.retrieve(id, leg: leg))
        case .transfer(let id, let number, let leg):
            reply = CallReply(call: id, leg: try await core.transfer(id, leg: leg, to: number))
        case .consult(let id, let number, let leg):
            reply = CallReply(call: id, leg: try await core.consult(id, leg: leg, to: number))
        case .complete(let id):
            try await core.completeTransfer(id)
            reply = CallReply(call: id)
        case .cancel(let id):
            try await core.cancelTransfer(id)
            reply = CallReply(call: id)
        case .conferenceAdd(let id, let number):
            reply = CallReply(call: id, leg: try await core.conferenceAdd(id, number: number))
        case .conferenceMerge(let id):
            try await core.conferenceAdd(id, number: nil)
            reply = CallReply(call: id)
        case .conferenceDrop(let id, let leg, let cause):
            try await core.conferenceDrop(id, leg: leg, cause: cause ?? .normalClearing)
            reply = CallReply(call: id, leg: leg)
        case .hangup(let id, let leg, let cause):
            try await core.hangup(id, leg: leg, cause: cause ?? .normalClearing)
            reply = CallReply(call: id, leg: leg)
        case .recordStart(let id):
            reply = CallReply(call: id)
            reply.path = try await core.startRecording(id, reason: "api")
        case .recordStop(let id):
            try await core.stopRecording(id)
            reply = CallReply(call: id)
        case .play(let id, let prompt, let leg, let language):
            try await core.play(id, leg: leg, prompt: prompt, language: language)
            reply = CallReply(call: id, leg: leg ?? 1)
        case .stopPlay(let id, let leg):
            try await core.stopPlay(id, leg: leg)
            reply = CallReply(call: id, leg: leg ?? 1)
        case .collect(let id, let leg):
            try await core.collectDigits(id, leg: leg)
            reply = CallReply(call: id, leg: leg ?? 1)
        case .faxSend(let id, let files, let leg):
            try await core.fax(id, leg: leg, send: files)
            reply = CallReply(call: id, leg: leg ?? 1)
        case .faxReceive(let id, let file, let leg):
            try await core.fax(id, leg: leg, receive: file)
            reply = CallReply(call: id, leg: leg ?? 1)
        case .faxStop(let id, let leg):
            try await core.stopFax(id, leg: leg)
            reply = CallReply(call: id, leg: leg ?? 1)
        case .faxDetect(let id, let leg):
            try await core.detectFax(id, leg: leg)
            reply = CallReply(call: id, leg: leg ?? 1)
        case .attach(let id, let key, let value):
            try await core.attach(id, key: key, value: value)
            reply = CallReply(call: id)
        case .show(let id):
            guard let summary = await core.call(id) else { throw .noSuchCall(id) }
            reply = CallReply(call: id, state: summary.state)
            reply.summary = summary
            return reply
        }
        reply.state = await core.call(reply.call)?.state ?? "ended"
        return reply
    }

    /// The one-shot queries (`spans`, `calls`, `stats`, …).
    static func query(_ request: String, daemon: Daemon) async -> Data {
        if let reply = await acdQuery(request, daemon: daemon) { return reply }
        if let reply = await voicemailQuery(request, daemon: daemon) { return reply }
        if let reply = await faxQuery(request, daemon: daemon) { return reply }
        switch request {
        case "spans":
            return ControlReply.encode(await daemon.switchCore.spanStatus())
        case "calls":
            return ControlReply.encode(await daemon.switchCore.activeCalls())
        case "kernel-spans":
            return ControlReply.encode(KernelSpans(spans: daemon.kernelSpans.spans, events: daemon.kernelSpans.events,
                                                   absent: daemon.kernelSpans.spans.isEmpty ? DAHDIDiscovery().absentReason : nil))
        case "rescan":
            daemon.logger.notice("rescan requested (udev)")
            daemon.kernelSpans.rescan()
            return ControlReply.encode(KernelSpans(spans: daemon.kernelSpans.spans, events: daemon.kernelSpans.events, absent: nil))
        case "stats":
            return ControlReply.encode(await daemon.status())
        case "reload":
            return ControlReply.encode(await daemon.reload())
        case "alarms":
            return ControlReply.encode(AlarmList(active: daemon.alarms.active, cleared: daemon.alarms.cleared))
        case "recordings":
            return ControlReply.encode((try? daemon.store.recordings(limit: 100)) ?? [])
        case let r where r.hasPrefix("record "):
            // The older form of `call record ID start`.
            let id = String(r.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            do {
                let path = try await daemon.switchCore.startRecording(id, reason: "api")
                return ControlReply.encode(["recording": id, "path": path])
            } catch {
                return ControlReply.error(error.description, code: error.code)
            }
        default:
            return ControlReply.unknown(request)
        }
    }
}

/// The reply to a call-control request that was carried out.
public struct CallReply: Codable, Sendable, Equatable {
    public var ok = true
    public var call: String
    /// The leg concerned: the one given, or the new one (originate, transfer, consult, conference add).
    public var leg: Int?
    /// The call's state after the command (`ended` once it is gone).
    public var state: String?
    /// The recording's file (`call record ID start`).
    public var path: String?
    /// The whole call (`call show ID`).
    public var summary: CallSummary?

    public init(call: String, leg: Int? = nil, state: String? = nil) {
        self.call = call
        self.leg = leg
        self.state = state
    }
}

/// An error reply: `{"error": MESSAGE, "code": CODE}` (code absent in replies to the older queries).
public struct ControlErrorReply: Codable, Sendable, Equatable {
    public var error: String
    public var code: String?
}
