// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneDaemon
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Testing

/// The call-control and events requests as pure functions: what each line
/// means, and what is wrong with each malformed one.
@Suite struct CallRequestTests {
    func parse(_ line: String) -> CallRequest? { try? CallRequest.parse(line).get() }

    func error(_ line: String) -> String? {
        if case .failure(let e) = CallRequest.parse(line) { return e.message }
        return nil
    }

    @Test func everyCommand() {
        let cases: [(String, CallRequest)] = [
            ("call originate 5551001", .originate(number: "5551001")),
            ("call originate 5551001 span=agents channel=3 caller=5550100 timeout=30",
             .originate(number: "5551001", span: "agents", channel: 3, caller: "5550100", timeout: 30)),
            ("call originate +44*1# timeout=2.5", .originate(number: "+44*1#", timeout: 2.5)),
            ("call answer k3-7", .answer(call: "k3-7")),
            ("call reject k3-7", .reject(call: "k3-7")),
            ("call reject k3-7 cause=17", .reject(call: "k3-7", cause: .userBusy)),
            ("call hold k3-7", .hold(call: "k3-7")),
            ("call hold k3-7 leg=2", .hold(call: "k3-7", leg: 2)),
            ("call retrieve k3-7 leg=1", .retrieve(call: "k3-7", leg: 1)),
            ("call transfer k3-7 5551002", .transfer(call: "k3-7", number: "5551002")),
            ("call transfer k3-7 5551002 leg=2", .transfer(call: "k3-7", number: "5551002", leg: 2)),
            ("call consult k3-7 5551003 leg=1", .consult(call: "k3-7", number: "5551003", leg: 1)),
            ("call complete k3-7", .complete(call: "k3-7")),
            ("call cancel k3-7", .cancel(call: "k3-7")),
            ("call conference k3-7 add 5551004", .conferenceAdd(call: "k3-7", number: "5551004")),
            ("call conference k3-7 merge", .conferenceMerge(call: "k3-7")),
            ("call conference k3-7 drop 3", .conferenceDrop(call: "k3-7", leg: 3)),
            ("call conference k3-7 drop 3 cause=31", .conferenceDrop(call: "k3-7", leg: 3, cause: .normalUnspecified)),
            ("call hangup k3-7", .hangup(call: "k3-7")),
            ("call hangup k3-7 leg=2 cause=16", .hangup(call: "k3-7", leg: 2, cause: .normalClearing)),
            ("call hangup k3-7 cause=127 leg=4", .hangup(call: "k3-7", leg: 4, cause: .interworking)),
            ("call record k3-7 start", .recordStart(call: "k3-7")),
            ("call record k3-7 stop", .recordStop(call: "k3-7")),
            ("call play k3-7 welcome", .play(call: "k3-7", prompt: "welcome")),
            ("call play k3-7 welcome leg=2 language=de", .play(call: "k3-7", prompt: "welcome", leg: 2, language: "de")),
            ("call stop-play k3-7 leg=2", .stopPlay(call: "k3-7", leg: 2)),
            ("call collect k3-7", .collect(call: "k3-7")),
            ("call attach k3-7 customer.id 42", .attach(call: "k3-7", key: "customer.id", value: "42")),
            ("call attach k3-7 note  two words, a=b too  ", .attach(call: "k3-7", key: "note", value: "two words, a=b too")),
            ("call show k3-7", .show(call: "k3-7")),
            ("call\thold \t k3-7   leg=2", .hold(call: "k3-7", leg: 2)),
            ("call fax k3-7 send /srv/a.tif /srv/b.tif", .faxSend(call: "k3-7", files: ["/srv/a.tif", "/srv/b.tif"])),
            ("call fax k3-7 receive /var/fax/in.tif leg=2", .faxReceive(call: "k3-7", file: "/var/fax/in.tif", leg: 2)),
            ("call fax k3-7 stop", .faxStop(call: "k3-7")),
            ("call fax k3-7 detect leg=1", .faxDetect(call: "k3-7", leg: 1)),
        ]
        for (line, expected) in cases {
            #expect(parse(line) == expected, "\(line)")
        }
    }

    /// What ``CallRequest/line`` writes reads back as the same request.
    @Test func linesReadBack() {
        let requests: [CallRequest] = [
            .originate(number: "5551001", span: "agents", channel: 3, caller: "5550100", timeout: 30),
            .originate(number: "1", timeout: 0.5 + 1), .reject(call: "a", cause: Q931Cause(21)), .hold(call: "a", leg: 2),
            .retrieve(call: "a"), .transfer(call: "a", number: "2", leg: 1), .consult(call: "a", number: "3"),
            .complete(call: "a"), .cancel(call: "a"), .conferenceAdd(call: "a", number: "4"), .conferenceMerge(call: "a"),
            .conferenceDrop(call: "a", leg: 3, cause: .userBusy), .hangup(call: "a", leg: 1, cause: .normalClearing),
            .recordStart(call: "a"), .recordStop(call: "a"), .play(call: "a", prompt: "p", leg: 1, language: "en"),
            .stopPlay(call: "a"), .collect(call: "a", leg: 2), .attach(call: "a", key: "k", value: "v w"), .show(call: "a"),
            .faxSend(call: "a", files: ["/x.tif", "y.tif"], leg: 2), .faxReceive(call: "a", file: "/in.tif"), .faxStop(call: "a"),
            .faxDetect(call: "a", leg: 1),
        ]
        for r in requests {
            #expect(parse(r.line) == r, "\(r.line)")
            #expect(r.line.hasPrefix("call "))
        }
        #expect(CallRequest.verbs.allSatisfy { CallRequest.usage[$0] != nil })
    }

    @Test func causesAreQ850() {
        #expect(error("call reject a cause=0")?.contains("cause must be a Q.850 cause 1-127, not '0'") == true)
        #expect(error("call reject a cause=128")?.contains("cause must be a Q.850 cause 1-127, not '128'") == true)
        #expect(error("call hangup a cause=busy")?.contains("not 'busy'") == true)
        #expect(error("call hangup a cause=")?.contains("cause= needs a value") == true)
        #expect(error("call conference a drop 2 cause=-1")?.contains("Q.850") == true)
        #expect(parse("call reject a cause=1") == .reject(call: "a", cause: Q931Cause(1)))
    }

    @Test func legsAreNumbers() {
        #expect(error("call hold a leg=two")?.contains("a leg is a leg number (1, 2, …), not 'two'") == true)
        #expect(error("call hold a leg=0")?.contains("not '0'") == true)
        #expect(error("call hold a leg=1.5")?.contains("not '1.5'") == true)
        #expect(error("call conference a drop x")?.contains("not 'x'") == true)
        #expect(error("call conference a drop")?.contains("missing LEG") == true)
    }

    @Test func unknownAndMissing() {
        #expect(error("call")?.contains("call needs a command: originate, answer") == true)
        #expect(error("call park a")?.contains("unknown call command 'park'; use originate") == true)
        #expect(error("call hold")?.contains("call hold: missing the call ID; usage: call hold ID [leg=L]") == true)
        #expect(error("call hold a b")?.contains("unexpected 'b'") == true)
        #expect(error("call hold a colour=red")?.contains("unknown option 'colour='") == true)
        #expect(error("call hold a leg=1 leg=2")?.contains("leg given twice") == true)
        #expect(error("call answer a leg=1")?.contains("unknown option 'leg='") == true)
        #expect(error("call transfer a")?.contains("missing NUMBER") == true)
        #expect(error("call transfer a 555x")?.contains("'555x' is not a number") == true)
        #expect(error("call originate")?.contains("missing NUMBER") == true)
        #expect(error("call originate " + String(repeating: "1", count: 33))?.contains("is not a number") == true)
        #expect(error("call originate 1 channel=32")?.contains("channel must be a B-channel number 1-31") == true)
        #expect(error("call originate 1 timeout=0")?.contains("timeout must be seconds 1-3600") == true)
        #expect(error("call originate 1 timeout=nan")?.contains("timeout must be seconds") == true)
        #expect(error("call originate 1 caller=abc")?.contains("caller must be a number") == true)
        #expect(error("call originate 1 span=a/b")?.contains("span must be a span name") == true)
        #expect(error("call conference a park")?.contains("unknown conference action 'park'") == true)
        #expect(error("call conference a")?.contains("missing add, merge or drop") == true)
        #expect(error("call conference a merge 5")?.contains("unexpected '5'") == true)
        #expect(error("call record a")?.contains("missing start or stop") == true)
        #expect(error("call record a pause")?.contains("'pause' is not start or stop") == true)
        #expect(error("call play a")?.contains("missing PROMPT") == true)
        #expect(error("call play a ../etc/passwd")?.contains("is not a prompt name") == true)
        #expect(error("call attach a")?.contains("missing the KEY") == true)
        #expect(error("call attach a key")?.contains("missing the VALUE") == true)
        #expect(error("call attach a k/y v")?.contains("the key must be 1 to 64 letters") == true)
        #expect(error("call show a\"b")?.contains("is not a call ID") == true)
        #expect(error("call fax a")?.contains("missing send, receive, stop or detect") == true)
        #expect(error("call fax a send")?.contains("missing the FILE to send") == true)
        #expect(error("call fax a receive")?.contains("missing FILE") == true)
        #expect(error("call fax a print x")?.contains("unknown fax action 'print'") == true)
        #expect(error("call fax a stop now")?.contains("unexpected 'now'") == true)
        #expect(error("calls")?.contains("not a call request") == true)
        // Long words are shortened in the message.
        let long = String(repeating: "x", count: 500)
        #expect(error("call \(long)").map { $0.contains(String(repeating: "x", count: 40) + "…") && !$0.contains(String(repeating: "x", count: 41)) } == true)
    }

    @Test func eventsRequests() throws {
        #expect(try EventsRequest.parse("events").get() == EventsRequest())
        #expect(try EventsRequest.parse("events  call=k3-7").get() == EventsRequest(call: "k3-7"))
        #expect(EventsRequest(call: "k3-7").line == "events call=k3-7")
        for bad in ["events call=", "events call=a call=b", "events all", "events call=a\"b"] {
            guard case .failure(let e) = EventsRequest.parse(bad) else { Issue.record("\(bad) accepted"); continue }
            #expect(e.message.hasPrefix("events: "), "\(e.message)")
        }
        var e = SwitchEvent(.legHeld, call: "a", leg: 1)
        #expect(EventsRequest(call: "a").admits(e))
        #expect(!EventsRequest(call: "b").admits(e))
        e.call = nil
        #expect(EventsRequest().admits(e) && !EventsRequest(call: "a").admits(e))
    }

    /// One compact JSON object per line: keys sorted, absent fields left out, ISO 8601 time with milliseconds.
    @Test func eventLines() throws {
        var e = SwitchEvent(.legHeld, call: "k3-7", leg: 1)
        e.seq = 42
        e.peer = 2
        e.time = Date(timeIntervalSince1970: 1_700_000_000.25)
        let data = EventLine.encode(e)
        #expect(data.last == 0x0A)
        #expect(!data.dropLast().contains(0x0A))
        #expect(String(decoding: data, as: UTF8.self)
                == #"{"call":"k3-7","leg":1,"peer":2,"seq":42,"time":"2023-11-14T22:13:20.250Z","type":"leg.held"}"# + "\n")
        let fell = try JSONDecoder().decode([String: String].self, from: EventLine.fellBehind(dropped: 7))
        #expect(fell == ["error": "events: consumer fell behind; 7 events dropped"])
        let subscribed = String(decoding: EventLine.encode(EventLine.Subscribed(after: 9)), as: UTF8.self)
        #expect(subscribed == #"{"after":9,"events":"subscribed","ok":true}"# + "\n")
    }

    @Test func errorRepliesCarryTheCode() throws {
        let data = ControlReply.error("no call \"x\"", code: CallControlError.noSuchCall("x").code)
        #expect(data.last == 0x0A)
        let reply = try JSONDecoder().decode(ControlErrorReply.self, from: data)
        #expect(reply == ControlErrorReply(error: "no call \"x\"", code: "not-found"))
        #expect(CallControlError.wrongState(call: "a", state: .alone(leg: 1), command: "retrieve").code == "conflict")
    }
}
