// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneDaemon
import Foundation

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the running daemon's events as they happen, one JSON object per line (docs/events.md).",
        discussion: "Standard output gets the events only; a note that the subscription is live (and the seq it starts after) goes to standard error. Runs until Ctrl-C, --count events, or the daemon stops (exit 0). Exit status 1 when the daemon cuts the stream off because this reader fell behind, or stops before --count events came.")
    @OptionGroup var connection: DaemonConnection

    @Option(help: "Only this call's events.")
    var call: String?

    @Option(help: "Exit after this many events.")
    var count: Int?

    @Flag(help: "One line per event for people instead of JSON: the time, the type, then the fields as key=value (a digit's source, span, channel, at_ms, start_ms and duration_ms first).")
    var text = false

    var request: EventsRequest { EventsRequest(call: call) }

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if case .failure(let e) = EventsRequest.parse(request.line) { throw ValidationError(e.message) }
        if let call, EventsRequest.parse(request.line) != .success(request) { throw ValidationError("'\(call)' is not a call ID") }
    }

    func run() throws {
        var seen = 0
        var failure: String?
        var subscribed = false
        /// Lines before the stream started that are not JSON on their own (a daemon's indented one-shot reply).
        var reply = Data()
        let closed = try connection.stream(request.line) { line in
            guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                if subscribed {
                    failure = "not a JSON line: \(String(decoding: line.prefix(200), as: UTF8.self))"
                    return false
                }
                reply.append(line + Data([0x0A]))
                return true
            }
            if let error = object["error"] as? String {
                failure = error
                return false
            }
            if object["events"] as? String == "subscribed" {
                subscribed = true
                printError("dialtone events: subscribed (events after seq \(object["after"] ?? "?")\(call.map { " of call \($0)" } ?? ""))")
                return true
            }
            // Unbuffered, a line at a time (a file or a pipe sees each event as it comes);
            // a reader that went away (`| head`) ends the command.
            let out = text ? Data((Events.text(object) + "\n").utf8) : line + Data([0x0A])
            do { try FileHandle.standardOutput.write(contentsOf: out) } catch { return false }
            seen += 1
            return count.map { seen < $0 } ?? true
        }
        if !reply.isEmpty {
            failure = (try? JSONDecoder().decode(ControlErrorReply.self, from: reply))?.error
                ?? "unexpected reply: \(String(decoding: reply.prefix(200), as: UTF8.self))"
        }
        if let failure {
            printError("dialtone events: \(failure)")
            throw ExitCode(1)
        }
        if closed {
            printError("dialtone events: the daemon closed the stream after \(seen) events")
            if let count, seen < count { throw ExitCode(1) }
        }
    }
}

extension Events {
    /// The fields shown first, in this order (the rest follow sorted by name).
    static let leading = ["call", "leg", "peer", "digits", "source", "span", "channel", "at_ms", "start_ms", "duration_ms"]

    /// An event as one line: `TIME TYPE key=value …` (seq last).
    static func text(_ object: [String: Any]) -> String {
        let rest = object.keys.filter { !leading.contains($0) && !["time", "type", "seq"].contains($0) }.sorted()
        var words = ["\(object["time"] ?? "-")", "\(object["type"] ?? "-")"]
        for key in leading + rest + ["seq"] {
            guard let value = object[key] else { continue }
            let shown: String
            switch value {
            case let list as [Any]: shown = list.map { "\($0)" }.joined(separator: ",")
            case let number as NSNumber where type(of: number) == type(of: NSNumber(value: true)): shown = number.boolValue ? "true" : "false"
            default: shown = "\(value)"
            }
            words.append("\(key)=\(shown.contains(" ") ? "\"\(shown)\"" : shown)")
        }
        return words.joined(separator: " ")
    }
}

extension DaemonConnection {
    /// Sends a streaming request; `onLine` gets each line. True when the daemon closed the stream.
    func stream(_ line: String, onLine: (Data) throws -> Bool) throws -> Bool {
        do { return try ControlClient.stream(line, socketPath: try socketPath(), onLine: onLine) } catch let error as DaemonError {
            printError("\(error)")
            throw ExitCode(2)
        }
    }
}
