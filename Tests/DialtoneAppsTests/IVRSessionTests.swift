// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneApps
import DialtoneConfig
import DialtoneSwitch
import Foundation
import Testing

/// The IVR state machine on its own: events in, commands out.
@Suite struct IVRSessionTests {
    let menus: [String: MenuConfig] = [
        "main": MenuConfig(name: "main", prompt: "welcome", options: ["1": .menu("sub"), "0": .route("100"), "9": .repeatMenu,
                                                                         "5": .route("500", failure: .menu("sub"))],
                           firstDigitTimeout: 5, retries: 1, invalidPrompt: "invalid", timeoutPrompt: "timeout",
                           failure: .hangup(prompt: "goodbye")),
        "sub": MenuConfig(name: "sub", prompt: "sub", options: ["*": .back, "2": .menu("pin")]),
        "pin": MenuConfig(name: "pin", prompt: "enter", collect: CollectConfig(variable: "pin", minDigits: 4, maxDigits: 6,
                                                                                  then: .route("200")), interDigitTimeout: 3),
    ]
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func session(_ start: IVRAction = .menu("main"), schedules: [String: ScheduleConfig] = [:]) -> IVRSession {
        IVRSession(menus: menus, schedules: schedules, start: start)
    }

    /// The token of the last play command.
    func played(_ commands: [AppCommand]) -> (String, Int)? {
        for c in commands.reversed() { if case .play(let p, _, let t) = c { return (p, t) } }
        return nil
    }

    func timer(_ commands: [AppCommand]) -> (Int, Double)? {
        for c in commands.reversed() { if case .startTimer(let t, let s) = c { return (t, s) } }
        return nil
    }

    @Test func entersPlaysAndWaitsForTheFirstDigit() throws {
        var s = session()
        let start = s.handle(.started, now: now)
        #expect(start.first == .visit("menu:main"))
        let (prompt, token) = try #require(played(start))
        #expect(prompt == "welcome")
        let after = s.handle(.promptFinished(token: token), now: now)
        #expect(timer(after)?.1 == 5)
        // A stale prompt token does nothing.
        #expect(s.handle(.promptFinished(token: token), now: now).isEmpty)
    }

    @Test func bargeInStopsThePromptAndSelects() throws {
        var s = session()
        _ = s.handle(.started, now: now)
        let c = s.handle(.digit("1"), now: now)
        #expect(c.first == .stopPrompt)
        #expect(c.contains(.visit("1")) && c.contains(.visit("menu:sub")) && played(c)?.0 == "sub")
        let back = s.handle(.digit("*"), now: now)
        #expect(back.contains(.visit("menu:main")) && played(back)?.0 == "welcome")
        let out = s.handle(.digit("0"), now: now)
        #expect(out.suffix(2) == [.visit("route:100"), .transfer(number: "100")])
        #expect(s.handle(.digit("1"), now: now).isEmpty)  // finished: nothing more
    }

    /// A transfer that fails goes where its `failure` says, once; without
    /// one the session lets the call clear.
    @Test func aFailedTransferTakesTheCallerOn() throws {
        var s = session()
        _ = s.handle(.started, now: now)
        #expect(s.handle(.digit("5"), now: now).suffix(2) == [.visit("route:500"), .transfer(number: "500")])
        #expect(s.handle(.digit("1"), now: now).isEmpty, "transferring: digits are not the IVR's")
        let back = s.handle(.transferFailed(cause: .userBusy), now: now)
        #expect(back.prefix(2) == [.visit("failed:17"), .visit("menu:sub")] && played(back)?.0 == "sub")
        #expect(s.handle(.transferFailed(cause: .userBusy), now: now).isEmpty, "a stale failure does nothing")
        let again = s.handle(.digit("*"), now: now)
        #expect(again.contains(.visit("menu:main")))
        // Without a failure action: nothing, so the switch clears the call with the cause.
        #expect(s.handle(.digit("0"), now: now).last == .transfer(number: "100"))
        #expect(s.handle(.transferFailed(cause: .noAnswer), now: now).isEmpty)
    }

    /// A language action sets the call's language and replays the menu in it;
    /// a menu with a language of its own keeps that one.
    @Test func languageChoice() throws {
        var menus = self.menus
        menus["main"]!.options["8"] = .language("de", then: .repeatMenu)
        menus["sub"]!.language = "fr"
        var s = IVRSession(menus: menus, schedules: [:], start: .menu("main"))
        _ = s.handle(.started, now: now)
        let c = s.handle(.digit("8"), now: now)
        #expect(c.contains(.set(variable: "language", value: "de")) && c.contains(.visit("language:de")))
        #expect(c.contains { if case .play("welcome", "de", _) = $0 { true } else { false } }, "\(c)")
        let sub = s.handle(.digit("1"), now: now)
        #expect(sub.contains { if case .play("sub", "fr", _) = $0 { true } else { false } }, "\(sub)")
        let back = s.handle(.digit("*"), now: now)
        #expect(back.contains { if case .play("welcome", "de", _) = $0 { true } else { false } }, "\(back)")
        // A call that chose before (an earlier session) keeps its language.
        var again = IVRSession(menus: menus, schedules: [:], start: .menu("main"), variables: ["language": "de"])
        #expect(again.handle(.started, now: now).contains { if case .play("welcome", "de", _) = $0 { true } else { false } })
    }

    /// Collected digits fill `${name}` in a route number (dial by extension).
    @Test func routesToCollectedDigits() throws {
        var menus = self.menus
        menus["ext"] = MenuConfig(name: "ext", prompt: "enter", collect: CollectConfig(variable: "ext", minDigits: 3, maxDigits: 3,
                                                                                      then: .route("55${ext}#")))
        var s = IVRSession(menus: menus, schedules: [:], start: .menu("ext"))
        _ = s.handle(.started, now: now)
        _ = s.handle(.digit("1"), now: now)
        _ = s.handle(.digit("0"), now: now)
        let out = s.handle(.digit("3"), now: now)
        #expect(out.suffix(2) == [.visit("route:55103#"), .transfer(number: "55103#")], "\(out)")
        #expect(s.variables == ["ext": "103"])
        // Variables the call already carries (from an earlier session) count too; unknown ones are empty.
        let carried = IVRSession(menus: menus, schedules: [:], start: .route("9${ext}${nope}"), variables: ["ext": "42"])
        #expect(carried.expand("9${ext}${nope}") == "942")
    }

    @Test func timeoutThenInvalidExhaustsRetries() throws {
        var s = session()
        let (_, t1) = try #require(played(s.handle(.started, now: now)))
        let (timerToken, _) = try #require(timer(s.handle(.promptFinished(token: t1), now: now)))
        let timedOut = s.handle(.timer(token: timerToken), now: now)
        #expect(timedOut.first == .visit("timeout") && played(timedOut)?.0 == "timeout")
        // The timeout prompt ends: the menu again.
        let replay = s.handle(.promptFinished(token: played(timedOut)!.1), now: now)
        #expect(played(replay)?.0 == "welcome")
        // An invalid digit is the second failure with retries 1: goodbye, then hang up.
        let invalid = s.handle(.digit("7"), now: now)
        #expect(invalid.contains(.visit("invalid:7")) && invalid.contains(.visit("hangup")) && played(invalid)?.0 == "goodbye")
        #expect(s.handle(.digit("1"), now: now).isEmpty)  // the goodbye is not interrupted
        let end = s.handle(.promptFinished(token: played(invalid)!.1), now: now)
        #expect(end == [.hangup(.normalClearing)])
    }

    @Test func staleTimersAreIgnored() throws {
        var s = session()
        let (_, t1) = try #require(played(s.handle(.started, now: now)))
        let (old, _) = try #require(timer(s.handle(.promptFinished(token: t1), now: now)))
        _ = s.handle(.digit("9"), now: now)  // repeat: a new prompt; the old timer no longer counts
        #expect(s.handle(.timer(token: old), now: now).isEmpty)
    }

    @Test func collectsDigitsWithTerminatorMaximumAndTimeout() throws {
        var s = session(.menu("pin"))
        _ = s.handle(.started, now: now)
        for d in "12" { _ = s.handle(.digit(d), now: now) }
        #expect(s.handle(.digit("#"), now: now).contains(.visit("invalid:#")))  // too short
        // Six digits end the input without a terminator.
        var last: [AppCommand] = []
        for d in "123456" { last = s.handle(.digit(d), now: now) }
        #expect(last.contains(.set(variable: "pin", value: "123456")) && last.last == .transfer(number: "200"))

        var t = session(.menu("pin"))
        _ = t.handle(.started, now: now)
        var c: [AppCommand] = []
        for d in "98765" { c = t.handle(.digit(d), now: now) }
        let (token, seconds) = try #require(timer(c))
        #expect(seconds == 3)
        let done = t.handle(.timer(token: token), now: now)  // the inter-digit timeout ends a long-enough input
        #expect(done.contains(.set(variable: "pin", value: "98765")) && done.last == .transfer(number: "200"))
    }

    @Test func schedulesAndApplicationsDecideTheWay() {
        let always = ScheduleConfig(name: "always", open: [.init(days: Set(1...7), from: 0, to: 1440)])
        let never = ScheduleConfig(name: "never", open: [])
        var open = session(.schedule("always", open: .route("1"), closed: .route("2")), schedules: ["always": always])
        #expect(open.handle(.started, now: now).last == .transfer(number: "1"))
        var closed = session(.schedule("never", open: .route("1"), closed: .route("2")), schedules: ["never": never])
        #expect(closed.handle(.started, now: now).last == .transfer(number: "2"))
        var app = session(.application("queue", argument: "sales"))
        #expect(app.handle(.started, now: now) == [.handOver(.application("queue", argument: "sales"))])
    }
}
