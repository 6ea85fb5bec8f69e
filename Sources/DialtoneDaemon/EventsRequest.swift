// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSwitch
import Foundation

/// The `events [call=ID]` request: the switch's live event stream, one
/// compact JSON object per line (docs/control-socket.md, docs/events.md).
public struct EventsRequest: Sendable, Equatable {
    /// Only this call's events (nil: every event).
    public var call: String?

    public init(call: String? = nil) { self.call = call }

    public static let usage = "events [call=ID]"

    /// The request as a line of the protocol.
    public var line: String { "events" + (call.map { " call=\($0)" } ?? "") }

    /// Parses a line that starts with `events`.
    public static func parse(_ line: String) -> Result<EventsRequest, CallRequestError> {
        let words = line.split(whereSeparator: \.isWhitespace)
        guard words.first == "events" else { return .failure(CallRequestError("not an events request")) }
        var request = EventsRequest()
        for w in words.dropFirst() {
            guard w.hasPrefix("call="), request.call == nil else {
                let shown = w.count > 40 ? w.prefix(40) + "…" : w
                return .failure(CallRequestError(w.hasPrefix("call=") ? "events: call given twice; usage: \(usage)"
                                                                      : "events: unexpected '\(shown)'; usage: \(usage)"))
            }
            let id = String(w.dropFirst(5))
            guard !id.isEmpty, id.count <= 64, id.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || "-_.".contains($0) }) else {
                return .failure(CallRequestError("events: '\(id.prefix(40))' is not a call ID; usage: \(usage)"))
            }
            request.call = id
        }
        return .success(request)
    }

    /// Whether `event` passes the filter.
    public func admits(_ event: SwitchEvent) -> Bool { call == nil || event.call == call }
}

/// How events and stream notices are written on the control socket: one
/// compact JSON object (keys sorted, absent fields left out, times ISO 8601
/// UTC with milliseconds) and a newline.
public enum EventLine {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(date.formatted(style))
        }
        return encoder
    }

    public static func encode<T: Encodable>(_ value: T, with encoder: JSONEncoder = encoder()) -> Data {
        var data = (try? encoder.encode(value)) ?? Data(#"{"error":"event could not be encoded"}"#.utf8)
        data.append(0x0A)
        return data
    }

    /// The first line of a stream: the subscription is live and delivers the events after `seq` `after`.
    public struct Subscribed: Codable, Sendable, Equatable {
        public var ok = true
        public var events = "subscribed"
        public var after: UInt64
        public var call: String?
    }

    /// The last line of a stream cut off because the client did not keep up.
    public static func fellBehind(dropped: Int) -> Data {
        encode(["error": "events: consumer fell behind; \(dropped) events dropped"])
    }
}

extension ControlServer {
    /// The response to an `events` request: a line saying the subscription
    /// is live, then every event `request` admits as it is published, until
    /// `stream` finishes (the daemon stops) or the client leaves.
    static func events(_ request: EventsRequest, from stream: EventStream) -> ControlResponse {
        .stream { emit in
            let (after, events) = stream.subscription()
            let encoder = EventLine.encoder()
            guard emit(EventLine.encode(EventLine.Subscribed(after: after, call: request.call), with: encoder)) else { return }
            for await event in events where request.admits(event) {
                if !emit(EventLine.encode(event, with: encoder)) { return }
            }
        }
    }
}
