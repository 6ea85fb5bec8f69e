// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSignalling

/// A call-control request on the control socket (docs/control-socket.md):
/// `call VERB ARGUMENTS [key=value …]`, one per line. Parsed by a pure
/// function, so every malformed line is tested without a daemon; ``line``
/// writes a request back in the same syntax (the CLI builds its requests
/// with it).
public enum CallRequest: Sendable, Equatable {
    case originate(number: String, span: String? = nil, channel: Int? = nil, caller: String? = nil, timeout: Double? = nil)
    case answer(call: String)
    case reject(call: String, cause: Q931Cause? = nil)
    case hold(call: String, leg: Int? = nil)
    case retrieve(call: String, leg: Int? = nil)
    /// Blind transfer of `leg` (default: leg 1) to `number`.
    case transfer(call: String, number: String, leg: Int? = nil)
    /// Attended transfer, first step: `leg` is held, its peer consults `number`.
    case consult(call: String, number: String, leg: Int? = nil)
    case complete(call: String)
    case cancel(call: String)
    case conferenceAdd(call: String, number: String)
    /// Merges a consultation's three parties into the call's conference.
    case conferenceMerge(call: String)
    case conferenceDrop(call: String, leg: Int, cause: Q931Cause? = nil)
    case hangup(call: String, leg: Int? = nil, cause: Q931Cause? = nil)
    case recordStart(call: String)
    case recordStop(call: String)
    case play(call: String, prompt: String, leg: Int? = nil, language: String? = nil)
    case stopPlay(call: String, leg: Int? = nil)
    case collect(call: String, leg: Int? = nil)
    /// `value` is the rest of the line after the key (it may hold spaces).
    case attach(call: String, key: String, value: String)
    case show(call: String)
    /// Sends TIFF files as a fax on a leg (answering a presented call first).
    case faxSend(call: String, files: [String], leg: Int? = nil)
    /// Receives a fax on a leg into a TIFF file.
    case faxReceive(call: String, file: String, leg: Int? = nil)
    /// Ends a leg's fax early.
    case faxStop(call: String, leg: Int? = nil)
    /// Listens for fax tones (CNG) on a leg: `fax.detected` events.
    case faxDetect(call: String, leg: Int? = nil)

    /// The verbs, in the order the documentation lists them.
    public static let verbs = ["originate", "answer", "reject", "hold", "retrieve", "transfer", "consult", "complete", "cancel",
                               "conference", "hangup", "record", "play", "stop-play", "collect", "attach", "show", "fax"]

    /// Each verb's syntax, for error messages and help.
    public static let usage: [String: String] = [
        "originate": "call originate NUMBER [span=NAME] [channel=N] [caller=NUMBER] [timeout=SECONDS]",
        "answer": "call answer ID",
        "reject": "call reject ID [cause=N]",
        "hold": "call hold ID [leg=L]",
        "retrieve": "call retrieve ID [leg=L]",
        "transfer": "call transfer ID NUMBER [leg=L]",
        "consult": "call consult ID NUMBER [leg=L]",
        "complete": "call complete ID",
        "cancel": "call cancel ID",
        "conference": "call conference ID add NUMBER | call conference ID merge | call conference ID drop LEG [cause=N]",
        "hangup": "call hangup ID [leg=L] [cause=N]",
        "record": "call record ID start|stop",
        "play": "call play ID PROMPT [leg=L] [language=LANG]",
        "stop-play": "call stop-play ID [leg=L]",
        "collect": "call collect ID [leg=L]",
        "attach": "call attach ID KEY VALUE",
        "show": "call show ID",
        "fax": "call fax ID send FILE… [leg=L] | call fax ID receive FILE [leg=L] | call fax ID stop|detect [leg=L]",
    ]

    /// The call the request is about (nil for `originate`).
    public var callID: String? {
        switch self {
        case .originate: nil
        case .answer(let c), .reject(let c, _), .hold(let c, _), .retrieve(let c, _), .transfer(let c, _, _),
             .consult(let c, _, _), .complete(let c), .cancel(let c), .conferenceAdd(let c, _), .conferenceMerge(let c),
             .conferenceDrop(let c, _, _), .hangup(let c, _, _), .recordStart(let c), .recordStop(let c),
             .play(let c, _, _, _), .stopPlay(let c, _), .collect(let c, _), .attach(let c, _, _), .show(let c),
             .faxSend(let c, _, _), .faxReceive(let c, _, _), .faxStop(let c, _), .faxDetect(let c, _):
            c
        }
    }

    /// The request as a line of the protocol (without the newline).
    public var line: String {
        func opt(_ key: String, _ value: (some CustomStringConvertible)?) -> String { value.map { " \(key)=\($0)" } ?? "" }
        func seconds(_ s: Double) -> String { s == s.rounded() && abs(s) < 1e9 ? String(Int(s)) : "\(s)" }
        switch self {
        case .originate(let n, let span, let channel, let caller, let timeout):
            return "call originate \(n)" + opt("span", span) + opt("channel", channel) + opt("caller", caller)
                + opt("timeout", timeout.map(seconds))
        case .answer(let c): return "call answer \(c)"
        case .reject(let c, let cause): return "call reject \(c)" + opt("cause", cause?.rawValue)
        case .hold(let c, let leg): return "call hold \(c)" + opt("leg", leg)
        case .retrieve(let c, let leg): return "call retrieve \(c)" + opt("leg", leg)
        case .transfer(let c, let n, let leg): return "call transfer \(c) \(n)" + opt("leg", leg)
        case .consult(let c, let n, let leg): return "call consult \(c) \(n)" + opt("leg", leg)
        case .complete(let c): return "call complete \(c)"
        case .cancel(let c): return "call cancel \(c)"
        case .conferenceAdd(let c, let n): return "call conference \(c) add \(n)"
        case .conferenceMerge(let c): return "call conference \(c) merge"
        case .conferenceDrop(let c, let leg, let cause): return "call conference \(c) drop \(leg)" + opt("cause", cause?.rawValue)
        case .hangup(let c, let leg, let cause): return "call hangup \(c)" + opt("leg", leg) + opt("cause", cause?.rawValue)
        case .recordStart(let c): return "call record \(c) start"
        case .recordStop(let c): return "call record \(c) stop"
        case .play(let c, let p, let leg, let language): return "call play \(c) \(p)" + opt("leg", leg) + opt("language", language)
        case .stopPlay(let c, let leg): return "call stop-play \(c)" + opt("leg", leg)
        case .collect(let c, let leg): return "call collect \(c)" + opt("leg", leg)
        case .attach(let c, let k, let v): return "call attach \(c) \(k) \(v)"
        case .show(let c): return "call show \(c)"
        case .faxSend(let c, let files, let leg): return "call fax \(c) send \(files.joined(separator: " "))" + opt("leg", leg)
        case .faxReceive(let c, let file, let leg): return "call fax \(c) receive \(file)" + opt("leg", leg)
        case .faxStop(let c, let leg): return "call fax \(c) stop" + opt("leg", leg)
        case .faxDetect(let c, let leg): return "call fax \(c) detect" + opt("leg", leg)
        }
    }
}

/// Why a request line was refused before it reached the switch (code `invalid`).
public struct CallRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    /// The reply's `code`: a malformed request is always `invalid`.
    public var code: String { "invalid" }
}

extension CallRequest {
    /// Parses one request line that starts with `call`.
    public static func parse(_ line: String) -> Result<CallRequest, CallRequestError> {
        var parser = Parser(line)
        do throws(CallRequestError) { return .success(try parser.request()) } catch { return .failure(error) }
    }

    /// The words of a line: positional arguments in order, `key=value` options by key.
    private struct Parser {
        let line: Substring
        /// Each word with where it starts in `line`.
        var words: [(text: Substring, start: Substring.Index)] = []
        var verb = ""

        init(_ line: String) {
            self.line = Substring(line)
            var i = self.line.startIndex
            while i < self.line.endIndex {
                guard !self.line[i].isWhitespace else { i = self.line.index(after: i); continue }
                let start = i
                while i < self.line.endIndex && !self.line[i].isWhitespace { i = self.line.index(after: i) }
                words.append((self.line[start..<i], start))
            }
        }

        func fail(_ why: String) -> CallRequestError {
            CallRequestError("call \(verb): \(why); usage: \(CallRequest.usage[verb] ?? "")")
        }

        mutating func request() throws(CallRequestError) -> CallRequest {
            guard words.first?.text == "call" else { throw CallRequestError("not a call request: it starts with 'call'") }
            guard words.count > 1 else {
                throw CallRequestError("call needs a command: \(CallRequest.verbs.joined(separator: ", "))")
            }
            verb = String(words[1].text)
            guard CallRequest.verbs.contains(verb) else {
                throw CallRequestError("unknown call command '\(Self.shown(verb))'; use \(CallRequest.verbs.joined(separator: ", "))")
            }
            if verb == "attach" { return try attach() }
            var positional: [String] = []
            var options: [String: String] = [:]
            for w in words.dropFirst(2) {
                if let eq = w.text.firstIndex(of: "=") {
                    let key = String(w.text[..<eq]), value = String(w.text[w.text.index(after: eq)...])
                    guard options[key] == nil else { throw fail("\(key) given twice") }
                    options[key] = value
                } else {
                    positional.append(String(w.text))
                }
            }
            var args = Arguments(parser: self, positional: positional, options: options)
            let request: CallRequest
            switch verb {
            case "originate":
                let number = try args.number("NUMBER")
                let span = try args.option("span") { s throws(CallRequestError) in
                    guard Self.isName(s, max: 64) else { throw fail("span must be a span name, not '\(Self.shown(s))'") }
                    return s
                }
                let channel = try args.option("channel") { s throws(CallRequestError) in
                    guard let n = Int(s), (1...31).contains(n) else { throw fail("channel must be a B-channel number 1-31, not '\(Self.shown(s))'") }
                    return n
                }
                let caller = try args.option("caller") { s throws(CallRequestError) in
                    guard Self.isNumber(s) else { throw fail("caller must be a number (1 to 32 of 0-9, *, # or +), not '\(Self.shown(s))'") }
                    return s
                }
                let timeout = try args.option("timeout") { s throws(CallRequestError) in
                    guard let t = Double(s), t.isFinite, (1...3600).contains(t) else {
                        throw fail("timeout must be seconds 1-3600, not '\(Self.shown(s))'")
                    }
                    return t
                }
                request = .originate(number: number, span: span, channel: channel, caller: caller, timeout: timeout)
            case "answer": request = .answer(call: try args.call())
            case "reject": request = .reject(call: try args.call(), cause: try args.cause())
            case "hold": request = .hold(call: try args.call(), leg: try args.leg())
            case "retrieve": request = .retrieve(call: try args.call(), leg: try args.leg())
            case "transfer": request = .transfer(call: try args.call(), number: try args.number("NUMBER"), leg: try args.leg())
            case "consult": request = .consult(call: try args.call(), number: try args.number("NUMBER"), leg: try args.leg())
            case "complete": request = .complete(call: try args.call())
            case "cancel": request = .cancel(call: try args.call())
            case "conference":
                let call = try args.call()
                switch try args.next("add, merge or drop") {
                case "add": request = .conferenceAdd(call: call, number: try args.number("NUMBER"))
                case "merge": request = .conferenceMerge(call: call)
                case "drop":
                    let leg = try Self.leg(try args.next("LEG"), fail)
                    request = .conferenceDrop(call: call, leg: leg, cause: try args.cause())
                case let other: throw fail("unknown conference action '\(Self.shown(other))' (add, merge or drop)")
                }
            case "hangup": request = .hangup(call: try args.call(), leg: try args.leg(), cause: try args.cause())
            case "record":
                let call = try args.call()
                switch try args.next("start or stop") {
                case "start": request = .recordStart(call: call)
                case "stop": request = .recordStop(call: call)
                case let other: throw fail("'\(Self.shown(other))' is not start or stop")
                }
            case "play":
                let call = try args.call()
                let prompt = try args.next("PROMPT")
                guard Self.isName(prompt, max: 64) else { throw fail("'\(Self.shown(prompt))' is not a prompt name") }
                let leg = try args.leg()
                let language = try args.option("language") { s throws(CallRequestError) in
                    guard Self.isName(s, max: 16) else { throw fail("language must be a prompt set name (en, de, …), not '\(Self.shown(s))'") }
                    return s
                }
                request = .play(call: call, prompt: prompt, leg: leg, language: language)
            case "stop-play": request = .stopPlay(call: try args.call(), leg: try args.leg())
            case "collect": request = .collect(call: try args.call(), leg: try args.leg())
            case "fax":
                let call = try args.call()
                let action = try args.next("send, receive, stop or detect")
                switch action {
                case "send":
                    var files: [String] = []
                    while !args.positional.isEmpty { files.append(try Self.path(try args.next("FILE"), fail)) }
                    guard !files.isEmpty else { throw fail("missing the FILE to send") }
                    request = .faxSend(call: call, files: files, leg: try args.leg())
                case "receive":
                    request = .faxReceive(call: call, file: try Self.path(try args.next("FILE"), fail), leg: try args.leg())
                case "stop": request = .faxStop(call: call, leg: try args.leg())
                case "detect": request = .faxDetect(call: call, leg: try args.leg())
                default: throw fail("unknown fax action '\(Self.shown(action))' (send, receive, stop or detect)")
                }
            default: request = .show(call: try args.call())  // "show": the verbs are checked above
            }
            try args.finish()
            return request
        }

        /// `call attach ID KEY VALUE…`: the value is the rest of the line, as written.
        func attach() throws(CallRequestError) -> CallRequest {
            guard words.count >= 3 else { throw fail("missing the call ID") }
            let call = String(words[2].text)
            guard Self.isCallID(call) else { throw fail("'\(Self.shown(call))' is not a call ID") }
            guard words.count >= 4 else { throw fail("missing the KEY") }
            let key = String(words[3].text)
            guard Self.isName(key, max: 64, extra: ".") else {
                throw fail("the key must be 1 to 64 letters, digits, '_', '.' or '-', not '\(Self.shown(key))'")
            }
            guard words.count >= 5 else { throw fail("missing the VALUE") }
            let value = String(line[words[4].start...]).trimmingTrailingWhitespace()
            return .attach(call: call, key: key, value: value)
        }

        static func leg(_ s: String, _ fail: (String) -> CallRequestError) throws(CallRequestError) -> Int {
            guard let n = Int(s), (1...999).contains(n) else { throw fail("a leg is a leg number (1, 2, …), not '\(shown(s))'") }
            return n
        }

        /// A file path: 1 to 1024 characters, no control characters, no '=' (options are key=value).
        static func path(_ s: String, _ fail: (String) -> CallRequestError) throws(CallRequestError) -> String {
            guard !s.isEmpty, s.utf8.count <= 1024, !s.contains("="), !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else { throw fail("'\(shown(s))' is not a file path") }
            return s
        }

        static func isCallID(_ s: String) -> Bool { isName(s, max: 64, extra: ".") }

        static func isName(_ s: String, max: Int, extra: String = "") -> Bool {
            !s.isEmpty && s.count <= max && s.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "-_".contains($0) || extra.contains($0) }
        }

        static func isNumber(_ s: String) -> Bool {
            !s.isEmpty && s.count <= 32 && s.allSatisfy { "0123456789*#+".contains($0) }
        }

        /// A word as shown in an error (shortened to 40 characters).
        static func shown(_ s: String) -> String { s.count > 40 ? String(s.prefix(40)) + "…" : s }
    }

    /// A verb's arguments, taken one by one; ``finish()`` refuses what is left.
    private struct Arguments {
        let parser: Parser
        var positional: [String]
        var options: [String: String]

        func fail(_ why: String) -> CallRequestError { parser.fail(why) }

        mutating func next(_ what: String) throws(CallRequestError) -> String {
            guard !positional.isEmpty else { throw fail("missing \(what)") }
            return positional.removeFirst()
        }

        mutating func call() throws(CallRequestError) -> String {
            let id = try next("the call ID")
            guard Parser.isCallID(id) else { throw fail("'\(Parser.shown(id))' is not a call ID") }
            return id
        }

        mutating func number(_ what: String) throws(CallRequestError) -> String {
            let n = try next(what)
            guard Parser.isNumber(n) else { throw fail("'\(Parser.shown(n))' is not a number (1 to 32 of 0-9, *, # or +)") }
            return n
        }

        mutating func option<T>(_ key: String, _ convert: (String) throws(CallRequestError) -> T) throws(CallRequestError) -> T? {
            guard let value = options.removeValue(forKey: key) else { return nil }
            guard !value.isEmpty else { throw fail("\(key)= needs a value") }
            return try convert(value)
        }

        mutating func leg() throws(CallRequestError) -> Int? {
            let fail = self.fail
            return try option("leg") { s throws(CallRequestError) in try Parser.leg(s, fail) }
        }

        mutating func cause() throws(CallRequestError) -> Q931Cause? {
            let fail = self.fail
            return try option("cause") { s throws(CallRequestError) in
                guard let n = Int(s), (1...127).contains(n) else { throw fail("cause must be a Q.850 cause 1-127, not '\(Parser.shown(s))'") }
                return Q931Cause(n)
            }
        }

        func finish() throws(CallRequestError) {
            if let extra = positional.first { throw fail("unexpected '\(Parser.shown(extra))'") }
            if let key = options.keys.sorted().first { throw fail("unknown option '\(Parser.shown(key))='") }
        }
    }
}

extension String {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
