// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneApps
import DialtoneConfig
import Foundation
import Testing

/// The voice mail state machine on its own, in virtual time: inputs in, actions out.
@Suite struct VoicemailSessionTests {
    typealias S = VoicemailSession
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Every prompt a session played is one check-config checks (files are paths, not prompts).
    static let known = Set(VoicemailConfig.prompts)
    func plays(_ a: [S.Action]) -> [String] {
        for x in a {
            if case .play(let p, _) = x {
                for name in p { #expect(Self.known.contains(name), "'\(name)' is not in VoicemailConfig.prompts") }
            }
        }
        return plays(unchecked: a)
    }
    func plays(unchecked a: [S.Action]) -> [String] {
        a.flatMap { if case .play(let p, let f) = $0 { return p + (f.map { [$0] } ?? []) } else { return [] } }
    }
    func timer(_ a: [S.Action]) -> Int? {
        for x in a.reversed() { if case .startTimer(let t, _) = x { return t } }
        return nil
    }
    func keys(_ s: inout S, _ digits: String, at now: Date) -> [S.Action] {
        digits.flatMap { s.handle(.digit($0), now: now) }
    }
    let envelope1 = S.Envelope(path: "/vm/1234/msg-1.wav", caller: "4155550100", received: Date(timeIntervalSince1970: 1_800_000_000))
    let envelope2 = S.Envelope(path: "/vm/1234/msg-2.wav", caller: "", received: Date(timeIntervalSince1970: 1_800_003_600))

    @Test func aCallerHearsTheDefaultGreetingWithTheMailboxNumberThenTheToneThenRecords() {
        var s = S(mode: .leave(mailbox: "1234", busy: false), maxSeconds: 60, minSeconds: 2)
        #expect(plays(s.handle(.started, now: t0)) == ["vm-person", "n-1", "n-2", "n-3", "n-4", "vm-unavailable"])
        #expect(plays(s.handle(.played, now: t0)) == ["vm-intro", "beep"])
        let rec = s.handle(.played, now: t0)
        #expect(rec.first == .record)
        let max = timer(rec)
        #expect(max != nil)
        #expect(s.handle(.digit("#"), now: t0) == [.stopRecording])
        let review = s.handle(.recorded(seconds: 5), now: t0)
        #expect(plays(review) == ["vm-review"])
        let keep = s.handle(.digit("1"), now: t0)
        #expect(keep.contains(.keepMessage) && plays(keep) == ["vm-saved-goodbye"])
        #expect(s.handle(.played, now: t0) == [.hangup, .finished])
        #expect(s.isFinished)
    }

    @Test func greetingsArePickedTemporaryFirstThenBusyOrUnavailable() {
        let all = S.Greetings([.temporary: "/g/t.wav", .busy: "/g/b.wav", .unavailable: "/g/u.wav"])
        var a = S(mode: .leave(mailbox: "1", busy: true), maxSeconds: 60, minSeconds: 2, greetings: all)
        #expect(plays(a.handle(.started, now: t0)) == ["/g/t.wav"])
        var b = S(mode: .leave(mailbox: "1", busy: true), maxSeconds: 60, minSeconds: 2,
                  greetings: S.Greetings([.busy: "/g/b.wav", .unavailable: "/g/u.wav"]))
        #expect(plays(b.handle(.started, now: t0)) == ["/g/b.wav"])
        var c = S(mode: .leave(mailbox: "1", busy: false), maxSeconds: 60, minSeconds: 2,
                  greetings: S.Greetings([.busy: "/g/b.wav", .unavailable: "/g/u.wav"]))
        #expect(plays(c.handle(.started, now: t0)) == ["/g/u.wav"])
        var d = S(mode: .leave(mailbox: "1", busy: false), maxSeconds: 60, minSeconds: 2, greetings: S.Greetings([.name: "/g/n.wav"]))
        #expect(plays(d.handle(.started, now: t0)) == ["vm-person", "/g/n.wav"])
    }

    @Test func theLongestMessageEndsByItsTimerAndAStaleTimerDoesNothing() throws {
        var s = S(mode: .leave(mailbox: "1", busy: false), maxSeconds: 30, minSeconds: 2)
        _ = s.handle(.started, now: t0)
        _ = s.handle(.digit("#"), now: t0)            // skip the greeting: straight to the tone
        let rec = s.handle(.played, now: t0)
        let token = try #require(timer(rec))
        #expect(s.handle(.timer(token: token + 7), now: t0.addingTimeInterval(30)).isEmpty)
        #expect(s.handle(.timer(token: token), now: t0.addingTimeInterval(30)) == [.stopRecording])
    }

    @Test func silenceEndsTheRecordingLikeTheHashKeyButNotTheGreeting() {
        var s = S(mode: .leave(mailbox: "1", busy: false), maxSeconds: 30, minSeconds: 2)
        _ = s.handle(.started, now: t0)
        #expect(s.handle(.silence, now: t0).isEmpty)
        _ = s.handle(.played, now: t0); _ = s.handle(.played, now: t0)
        #expect(s.handle(.silence, now: t0) == [.stopRecording])
    }

    @Test func hangingUpWhileRecordingKeepsTheMessageAndDuringReviewToo() {
        var s = S(mode: .leave(mailbox: "1", busy: false), maxSeconds: 30, minSeconds: 2)
        _ = s.handle(.started, now: t0); _ = s.handle(.played, now: t0); _ = s.handle(.played, now: t0)
        #expect(s.handle(.hangup, now: t0) == [.stopRecording, .keepMessage, .finished])
        var r = S(mode: .leave(mailbox: "1", busy: false), maxSeconds: 30, minSeconds: 2)
        _ = r.handle(.started, now: t0); _ = r.handle(.played, now: t0); _ = r.handle(.played, now: t0)
        _ = r.handle(.digit("#"), now: t0); _ = r.handle(.recorded(seconds: 4), now: t0)
        #expect(r.handle(.hangup, now: t0) == [.keepMessage, .finished])
    }

    @Test func aTooShortMessageIsDiscardedAndReRecordingStartsAgainAfterTheTone() {
        var s = S(mode: .leave(mailbox: "1", busy: false), maxSeconds: 30, minSeconds: 2)
        _ = s.handle(.started, now: t0); _ = s.handle(.played, now: t0); _ = s.handle(.played, now: t0)
        _ = s.handle(.digit("#"), now: t0)
        let short = s.handle(.recorded(seconds: 1.2), now: t0)
        #expect(short.contains(.discardRecording) && plays(short) == ["vm-too-short", "vm-goodbye"])

        var r = S(mode: .leave(mailbox: "1", busy: false), maxSeconds: 30, minSeconds: 2)
        _ = r.handle(.started, now: t0); _ = r.handle(.played, now: t0); _ = r.handle(.played, now: t0)
        _ = r.handle(.digit("#"), now: t0); _ = r.handle(.recorded(seconds: 5), now: t0)
        #expect(r.handle(.digit("2"), now: t0) == [.stopPlay, .playRecording])
        #expect(plays(r.handle(.played, now: t0)) == ["vm-review"])
        let again = r.handle(.digit("3"), now: t0)
        #expect(again.contains(.discardRecording) && plays(again) == ["beep"])
        #expect(r.handle(.played, now: t0).first == .record)
    }

    @Test func aFullMailboxSaysSoAndHangsUp() {
        var s = S(mode: .leave(mailbox: "1", busy: false), maxSeconds: 30, minSeconds: 2, mailboxFull: true)
        #expect(plays(s.handle(.started, now: t0)) == ["vm-full"])
        #expect(s.handle(.played, now: t0) == [.hangup, .finished])
    }

    func loggedIn(new: [S.Envelope], old: [S.Envelope] = []) -> (S, [S.Action]) {
        var s = S(mode: .login(mailbox: nil), maxSeconds: 30, minSeconds: 2)
        #expect(plays(s.handle(.started, now: t0)) == ["vm-login"])
        _ = keys(&s, "1234#", at: t0)
        let pin = keys(&s, "4321#", at: t0)
        #expect(pin.contains(.checkPIN(mailbox: "1234", pin: "4321")))
        let menu = s.handle(.pin(.right(new: new, old: old)), now: t0)
        return (s, menu)
    }

    /// The file a `playFile` plays, and from where.
    func file(_ a: [S.Action]) -> (String, Double)? {
        for x in a { if case .playFile(let p, let from) = x { return (p, from) } }
        return nil
    }

    @Test func theOwnerHearsCountsThenEachMessageWithItsEnvelope() throws {
        var (s, menu) = loggedIn(new: [envelope1, envelope2])
        #expect(plays(menu) == ["vm-you-have", "n-2", "vm-new", "vm-messages", "vm-main-menu"])
        let first = plays(keys(&s, "1", at: t0))
        #expect(first.first == "vm-first" && first.contains("vm-from") && first.contains("n-4") && first.contains("vm-received"))
        #expect(file(s.handle(.played, now: t0))! == (envelope1.path, 0), "then the message itself")
        let end = s.handle(.played, now: t0)
        #expect(end.contains(.markOld(path: envelope1.path)) && plays(end) == ["vm-message-menu"])
        let next = plays(keys(&s, "6", at: t0))
        #expect(next.first == "vm-next" && next.contains("vm-unknown-caller"))
        #expect(file(s.handle(.played, now: t0))?.0 == envelope2.path)
        // Back to the previous one, hear it again, delete it: the next one plays.
        _ = keys(&s, "4", at: t0)
        #expect(file(s.handle(.played, now: t0))?.0 == envelope1.path)
        #expect(plays(keys(&s, "5", at: t0)).first == "vm-first")
        #expect(file(s.handle(.played, now: t0))?.0 == envelope1.path)
        let deleted = keys(&s, "7", at: t0)
        #expect(deleted.contains(.delete(path: envelope1.path)) && plays(deleted).first == "vm-deleted")
        #expect(file(s.handle(.played, now: t0))?.0 == envelope2.path)
        let saved = keys(&s, "9", at: t0)
        #expect(saved.contains(.markOld(path: envelope2.path)) && plays(saved).first == "vm-kept" && plays(saved).contains("vm-no-more"))
    }

    @Test func starRewindsThreeSecondsAndHashSkipsToTheEndOfTheMessage() throws {
        var (s, _) = loggedIn(new: [envelope1])
        _ = keys(&s, "1", at: t0)
        _ = s.handle(.played, now: t0)                                   // the file starts at t0
        let back = s.handle(.digit("*"), now: t0.addingTimeInterval(10))  // 10 s in: back to 7 s
        #expect(back.first == .stopPlay && file(back)! == (envelope1.path, 7))
        #expect(file(s.handle(.digit("*"), now: t0.addingTimeInterval(11)))! == (envelope1.path, 5))  // 8 s in: 5 s
        #expect(file(s.handle(.digit("*"), now: t0.addingTimeInterval(11.5)))! == (envelope1.path, 2.5))
        #expect(file(s.handle(.digit("*"), now: t0.addingTimeInterval(12)))! == (envelope1.path, 0), "not before the start")
        let skip = s.handle(.digit("#"), now: t0.addingTimeInterval(13))
        #expect(skip.contains(.markOld(path: envelope1.path)) && plays(skip) == ["vm-message-menu"])
    }

    @Test func callingBackTheCallerEndsTheSession() {
        var (s, _) = loggedIn(new: [envelope1])
        _ = keys(&s, "1", at: t0)
        let back = keys(&s, "8", at: t0)
        #expect(back.contains(.callBack(number: "4155550100")) && back.last == .finished)
    }

    @Test func threeWrongPINsEndTheCallAndALockedAnswerSaysLocked() {
        var s = S(mode: .login(mailbox: "1234"), maxSeconds: 30, minSeconds: 2)
        #expect(plays(s.handle(.started, now: t0)) == ["vm-pin"])
        for i in 1...3 {
            let a = keys(&s, "0000#", at: t0)
            #expect(a.contains(.checkPIN(mailbox: "1234", pin: "0000")))
            let r = s.handle(.pin(.wrong(locked: i == 3)), now: t0)
            #expect(plays(r) == (i < 3 ? ["vm-incorrect", "vm-pin"] : ["vm-incorrect", "vm-locked"]))
        }
        #expect(s.handle(.played, now: t0) == [.hangup, .finished])
        var l = S(mode: .login(mailbox: "1234"), maxSeconds: 30, minSeconds: 2)
        _ = l.handle(.started, now: t0)
        _ = keys(&l, "4321#", at: t0)
        #expect(plays(l.handle(.pin(.locked), now: t0)) == ["vm-locked"])
    }

    @Test func menusWithoutAKeyAreRepeatedThriceThenGoodbye() throws {
        var (s, _) = loggedIn(new: [])
        var a = s.handle(.played, now: t0)
        for _ in 0..<2 {
            let t = try #require(timer(a))
            let again = s.handle(.timer(token: t), now: t0.addingTimeInterval(10))
            #expect(plays(again) == ["vm-main-menu"])
            a = s.handle(.played, now: t0)
        }
        let t = try #require(timer(a))
        #expect(plays(s.handle(.timer(token: t), now: t0.addingTimeInterval(30))) == ["vm-goodbye"])
    }

    @Test func theOwnerRecordsAGreetingAndChangesThePIN() {
        var (s, _) = loggedIn(new: [])
        #expect(plays(keys(&s, "0", at: t0)).last == "vm-options")
        #expect(plays(keys(&s, "1", at: t0)) == ["vm-record-greeting", "beep"])
        #expect(s.handle(.played, now: t0).first == .record)
        _ = keys(&s, "#", at: t0)
        _ = s.handle(.recorded(seconds: 3), now: t0)
        let saved = keys(&s, "1", at: t0)
        #expect(saved.contains(.saveGreeting(.unavailable)) && plays(saved) == ["vm-greeting-saved", "vm-options"])
        _ = keys(&s, "5", at: t0)
        _ = keys(&s, "2468#", at: t0)
        let mismatch = keys(&s, "2469#", at: t0)
        #expect(plays(mismatch) == ["vm-pin-mismatch", "vm-options"] && !mismatch.contains(.changePIN("2469")))
        _ = keys(&s, "5", at: t0)
        _ = keys(&s, "2468#", at: t0)
        #expect(keys(&s, "2468#", at: t0).contains(.changePIN("2468")))
    }

    @Test func starDuringTheGreetingLogsTheOwnerIn() {
        var s = S(mode: .leave(mailbox: "1234", busy: false), maxSeconds: 60, minSeconds: 2)
        _ = s.handle(.started, now: t0)
        let a = s.handle(.digit("*"), now: t0)
        #expect(a.first == .stopPlay && plays(a) == ["vm-pin"])
        #expect(keys(&s, "1111#", at: t0).contains(.checkPIN(mailbox: "1234", pin: "1111")))
    }

    @Test func theEnvelopeSpeaksDateTimeAndNumber() {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        // 2027-01-15 08:00:00 UTC
        let m = S.Envelope(path: "/x.wav", caller: "+4412", received: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(S.envelope(m, calendar: utc) == ["vm-received", "mon-1", "n-15", "vm-at", "n-8", "n-0", "n-0",
                                                 "vm-from", "n-4", "n-4", "n-1", "n-2"])
    }
}
