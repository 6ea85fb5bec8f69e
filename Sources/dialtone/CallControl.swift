// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneDaemon
import DialtoneSignalling
import DialtoneSwitch
import Foundation

/// `dialtone call …`: the running daemon's call-control API, one request per
/// command over the control socket (docs/control-socket.md). Each command
/// builds a ``CallRequest``; `validate()` checks it with the daemon's own parser.
struct CallControl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Control the running daemon's calls: originate, answer, hold, transfer, conference, hang up, …",
        discussion: "Exit status 1 with the daemon's reason on standard error when it refuses a command (no such call, not in a state the command fits, no route or circuit, …); 2 when the daemon cannot be reached.",
        subcommands: [Originate.self, Answer.self, Reject.self, Hold.self, Retrieve.self, Transfer.self, Consult.self,
                      Complete.self, Cancel.self, Conference.self, Hangup.self, Record.self, Play.self, StopPlay.self,
                      Collect.self, Attach.self, Show.self, Fax.self])

    struct Originate: CallSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Place a call to NUMBER (through the routes, or on --span) and print its id; when answered it waits for commands.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The number to call.") var number: String
        @Option(help: "Place it on this span (instead of the route's).") var span: String?
        @Option(help: "On this B-channel of --span.") var channel: Int?
        @Option(help: "The calling number to send.") var caller: String?
        @Option(help: "Seconds to wait for an answer (1-3600; default: the route's, or 60).") var timeout: Double?
        var request: CallRequest { .originate(number: number, span: span, channel: channel, caller: caller, timeout: timeout) }
        func describe(_ reply: CallReply) -> String { reply.call }
    }

    struct Answer: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Answer a call presented to the API (a route with {application: control}).")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        var request: CallRequest { .answer(call: id) }
    }

    struct Reject: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Reject a call not yet answered.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Option(help: "Q.850 cause 1-127 (default: 21, call rejected).") var cause: Int?
        var request: CallRequest { .reject(call: id, cause: cause.map { Q931Cause($0) }) }
    }

    struct Hold: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Put a party of a two-party call on hold (it hears the hold audio).")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Option(help: "The leg to hold (default: the first party).") var leg: Int?
        var request: CallRequest { .hold(call: id, leg: leg) }
    }

    struct Retrieve: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Take a held party off hold and connect it again.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Option(help: "The held leg (default: whichever is held).") var leg: Int?
        var request: CallRequest { .retrieve(call: id, leg: leg) }
    }

    struct Transfer: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Blind transfer: connect a party to NUMBER; its peer is cleared at once.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Argument(help: "The number to transfer to.") var number: String
        @Option(help: "The leg that is transferred (default: the first party).") var leg: Int?
        var request: CallRequest { .transfer(call: id, number: number, leg: leg) }
    }

    struct Consult: CallSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Attended transfer, first step: hold a party and connect its peer to NUMBER (then `complete`, `cancel` or `conference ID merge`).")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Argument(help: "The number to consult.") var number: String
        @Option(help: "The leg put on hold (default: the first party).") var leg: Int?
        var request: CallRequest { .consult(call: id, number: number, leg: leg) }
    }

    struct Complete: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Complete an attended transfer: the held and the consulted party are connected.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        var request: CallRequest { .complete(call: id) }
    }

    struct Cancel: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an attended transfer: the consulted leg is cleared, the held party is back.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        var request: CallRequest { .cancel(call: id) }
    }

    struct Conference: CallSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "The call's conference: `ID add NUMBER`, `ID merge` (a consultation's three parties), `ID drop LEG`.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Argument(help: "add, merge or drop.") var action: String
        @Argument(help: "add: the NUMBER to add; drop: the LEG to drop.") var target: String?
        @Option(help: "drop: Q.850 cause 1-127 (default: 16, normal clearing).") var cause: Int?
        var request: CallRequest {
            switch action {
            case "add": .conferenceAdd(call: id, number: target ?? "")
            case "merge": .conferenceMerge(call: id)
            default: .conferenceDrop(call: id, leg: target.flatMap { Int($0) } ?? 0, cause: cause.map { Q931Cause($0) })
            }
        }
        func validate() throws {
            switch action {
            case "add", "drop":
                guard target != nil else { throw ValidationError("conference \(action) needs \(action == "add" ? "a NUMBER" : "a LEG")") }
                if action == "drop", Int(target!) == nil { throw ValidationError("a leg is a leg number (1, 2, …), not '\(target!)'") }
                if action == "add", cause != nil { throw ValidationError("--cause goes with drop") }
            case "merge":
                if let target { throw ValidationError("conference merge takes no argument ('\(target)')") }
                if cause != nil { throw ValidationError("--cause goes with drop") }
            default:
                throw ValidationError("'\(action)' is not add, merge or drop")
            }
            try CallControl.check(request)
        }
    }

    struct Hangup: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Hang up a call, or one of its legs.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Option(help: "Only this leg (default: the whole call).") var leg: Int?
        @Option(help: "Q.850 cause 1-127 (default: 16, normal clearing).") var cause: Int?
        var request: CallRequest { .hangup(call: id, leg: leg, cause: cause.map { Q931Cause($0) }) }
    }

    struct Record: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Start or stop recording a connected two-party call.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Argument(help: "start or stop.") var action: String
        var request: CallRequest { action == "stop" ? .recordStop(call: id) : .recordStart(call: id) }
        func validate() throws {
            guard action == "start" || action == "stop" else { throw ValidationError("'\(action)' is not start or stop") }
            try CallControl.check(request)
        }
        func describe(_ reply: CallReply) -> String {
            reply.path.map { "call \(reply.call): recording to \($0)" } ?? "call \(reply.call): recording stopped"
        }
    }

    struct Play: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Play a prompt to a leg that is connected to nothing.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Argument(help: "The prompt's name (a file of the prompt directory without .wav).") var prompt: String
        @Option(help: "The leg (default: 1).") var leg: Int?
        @Option(help: "The prompt set (default: the config's language).") var language: String?
        var request: CallRequest { .play(call: id, prompt: prompt, leg: leg, language: language) }
    }

    struct StopPlay: CallSubcommand {
        static let configuration = CommandConfiguration(commandName: "stop-play", abstract: "Stop the prompt playing to a leg.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Option(help: "The leg (default: 1).") var leg: Int?
        var request: CallRequest { .stopPlay(call: id, leg: leg) }
    }

    struct Collect: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Detect a leg's DTMF digits: each is a `digits` event (`dialtone events`).")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Option(help: "The leg (default: 1).") var leg: Int?
        var request: CallRequest { .collect(call: id, leg: leg) }
    }

    struct Fax: CallSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Fax on a leg: `send FILE…` (TIFF, 1728 wide), `receive FILE`, `stop`, or `detect` (CNG: a `fax.detected` event); progress as fax.* events.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Argument(help: "send, receive, stop or detect.") var action: String
        @Argument(help: "The files to send, or the file to receive into.") var files: [String] = []
        @Option(help: "The leg (default: 1).") var leg: Int?
        func validate() throws {
            guard ["send", "receive", "stop", "detect"].contains(action) else {
                throw ValidationError("the fax action is send, receive, stop or detect, not '\(action)'")
            }
            try CallControl.check(request)
        }
        /// Paths as the daemon sees them: absolute (the daemon's working directory is not ours).
        private var absolute: [String] { files.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath).path } }
        var request: CallRequest {
            switch action {
            case "send": .faxSend(call: id, files: absolute, leg: leg)
            case "receive": .faxReceive(call: id, file: absolute.first ?? "", leg: leg)
            case "stop": .faxStop(call: id, leg: leg)
            default: .faxDetect(call: id, leg: leg)
            }
        }
    }

    struct Attach: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Keep a value on the call under KEY (it stays through transfers and goes into the CDR).")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        @Argument(help: "1 to 64 letters, digits, '_', '.' or '-'.") var key: String
        @Argument(help: "The value (several words are joined with spaces).") var value: [String]
        var request: CallRequest { .attach(call: id, key: key, value: value.joined(separator: " ")) }
    }

    struct Show: CallSubcommand {
        static let configuration = CommandConfiguration(abstract: "Show a call: state, legs, bridges, conference, data.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The call's id.") var id: String
        var request: CallRequest { .show(call: id) }
        func describe(_ reply: CallReply) -> String {
            guard let c = reply.summary else { return "call \(reply.call): \(reply.state ?? "?")" }
            var lines = ["call \(c.id): \(c.state), from \(c.ani.isEmpty ? "-" : c.ani) to \(c.dnis)\(c.recording ? ", recorded" : "")"]
            lines.append(table(["LEG", "ROLE", "NUMBER", "SPAN/CH", "STATE"],
                               c.legs.map { ["\($0.id)", $0.role, $0.number, "\($0.span)/\($0.channel.map(String.init) ?? "-")", $0.state] }))
            if !c.bridges.isEmpty { lines.append("bridged: \(c.bridges.joined(separator: ", "))") }
            if !c.conference.isEmpty { lines.append("conference: legs \(c.conference.map(String.init).joined(separator: ", "))") }
            for (k, v) in c.data.sorted(by: { $0.key < $1.key }) { lines.append("\(k) = \(v)") }
            return lines.joined(separator: "\n")
        }
    }

    /// Refuses what the daemon would refuse as malformed: the request must
    /// read back as itself (no stray `=`, no line break) and pass the parser.
    static func check(_ request: CallRequest) throws {
        let line = request.line
        guard !line.contains(where: { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) }) else {
            throw ValidationError("arguments must not hold line breaks or control characters")
        }
        switch CallRequest.parse(line) {
        case .failure(let e):  // the socket syntax's usage line would only confuse here: --help has the CLI's
            throw ValidationError(e.message.components(separatedBy: "; usage: ")[0])
        case .success(let parsed) where parsed != request:
            throw ValidationError("an argument does not survive the request line (a space or '=' where none may be): \(line)")
        case .success: break
        }
    }
}

/// One `dialtone call` command: its request, checked in `validate()`, sent in `run()`.
protocol CallSubcommand: ParsableCommand {
    var connection: DaemonConnection { get }
    var request: CallRequest { get }
    /// What is printed when the daemon carried it out.
    func describe(_ reply: CallReply) -> String
}

extension CallSubcommand {
    func validate() throws { try CallControl.check(request) }

    func describe(_ reply: CallReply) -> String {
        "call \(reply.call): \(reply.leg.map { "leg \($0), " } ?? "")\(reply.state ?? "done")"
    }

    func run() throws {
        let data = try connection.request(request.line)
        if let refused = try? JSONDecoder().decode(ControlErrorReply.self, from: data) {
            if connection.json { print(String(decoding: data, as: UTF8.self), terminator: "") }
            printError("dialtone \(request.line.split(separator: " ").prefix(2).joined(separator: " ")): \(refused.error)\(refused.code.map { " (\($0))" } ?? "")")
            throw ExitCode(1)
        }
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        print(describe(try decoder().decode(CallReply.self, from: data)))
    }
}
