// SPDX-License-Identifier: GPL-2.0-or-later
// Voice mail on the call-control platform, end to end: a simulated caller
// and mailbox owner on the PSTN span, real libpri both ends of looped
// virtual spans, real SpanDSP DTMF, a real SQLite file and real WAV files.
import DialtoneACD
import DialtoneApps
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneMedia
import DialtoneSpans
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging
import Testing

extension EndToEnd {
@Suite(.serialized) struct VoicemailEndToEndTests {
    final class Rig: @unchecked Sendable {
        let daemon: Daemon
        let sim: LineSimulator
        let dir: String
        var vm: VoicemailApplication { daemon.voicemail["vm"]! }

        /// `group`: a sales queue with two agents on dial stations, and group mailbox 800 feeding it.
        init(_ name: String, group: Bool = false) async throws {
            dir = try EndToEnd.rigDirectory("vm-\(name)")
            // The notify command and the MTA are scripts that keep what they were given (the one mock: the local MTA).
            try "#!/bin/sh\nenv | grep '^VM_' | sort > \(dir)/notify.out\necho \"$@\" > \(dir)/notify.args\n"
                .write(toFile: "\(dir)/notify.sh", atomically: true, encoding: .utf8)
            try "#!/bin/sh\necho \"$@\" > \(dir)/sendmail.args\ncat > \(dir)/mail.eml\n"
                .write(toFile: "\(dir)/sendmail.sh", atomically: true, encoding: .utf8)
            chmod("\(dir)/notify.sh", 0o755)
            chmod("\(dir)/sendmail.sh", 0o755)
            let config = EndToEnd.loopbackConfig(dir, """
            recording:
              directory: \(dir)/recordings
            applications:
              vm:
                type: voicemail
                min_message: 1
                silence: 2
                lockout: 600
                sendmail: \(dir)/sendmail.sh
                from: vm@dialtone.example
                mailboxes:
                  "1234": {owner: Alice Example, pin: "4321", email: alice@example.com, notify: [\(dir)/notify.sh, "--message"]}
            \(group ? """
                  "800": {owner: Sales, queue: sales}
              sales: {type: queue, wrap_up: 0, announce_every: 0}
            agents:
              "1001": {station: "6001", skills: {sales: 10}, logged_in: true}
              "1002": {station: "6002", skills: {sales: 10}, logged_in: true}
            """ : """
              help: {type: queue, announce_every: 0, overflow: "application vm 1234"}
            """)
            routes:
              - {match: "7800", application: \(group ? "vm, argument: \"800\"" : "vm, argument: login")}
              - {match: "7900", application: \(group ? "sales" : "help")}
              - {match: "71234", application: vm, argument: "1234"}
              - {match: "7000", application: vm, argument: "login 1234"}
              - {match: "7001", application: vm, argument: login}
              - {prefix: "60", to: agents, answer_timeout: 3, on_busy: {application: vm, argument: "1234"},
                 on_no_answer: {application: vm, argument: "1234"}}
              - {prefix: "4", to: pstn}
            """)
            daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "vm.\(name)")
            try daemon.start()
            sim = daemon.simulator!
            if group { await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: true)) }
            #expect(await daemon.waitForLinks())
        }

        func stop() async {
            await daemon.stop(drain: .seconds(2))
            try? FileManager.default.removeItem(atPath: dir)
        }

        func prompt(_ name: String, law: G711Law) -> [Int16] {
            let library = daemon.media.prompts!
            return library.linear(library.id(name, language: "en")!, law: law)
        }

        /// The call hears the prompt (correlation); returns where it was heard.
        @discardableResult
        func expectPrompt(_ name: String, on call: LiveCall, from mark: Int = 0, timeout: Duration = .seconds(20),
                          sourceLocation: SourceLocation = #_sourceLocation) async -> Int {
            let match = await call.waitForAudio(prompt(name, law: call.law), from: mark, minimum: 4000, timeout: timeout)
            #expect(match.map { $0.correlation > 0.9 } == true, "'\(name)' not heard: \(match.map { "\($0)" } ?? "no match")",
                    sourceLocation: sourceLocation)
            return match.map { $0.offset } ?? mark
        }

        func call(dnis: String, ani: String = "4155550150") async throws -> (LiveCall, String) {
            let x = try await sim.dialLiveCall(port: "pstn-far", ani: ani, dnis: dnis)
            var id: String?
            await waitUntil("the call in voice mail") {
                id = await daemon.switchCore.activeCalls().first { $0.dnis == dnis }?.id
                return id != nil
            }
            return (x, try #require(id))
        }

        /// Leaves a message of `seconds` of a tone after the unavailable greeting; keeps it with 1.
        func leaveMessage(hz: Int = 500, seconds: Double = 3) async throws {
            let (x, id) = try await call(dnis: "71234")
            await expectPrompt("vm-person", on: x)
            await expectPrompt("vm-intro", on: x)
            await waitUntil("the message being recorded") { await daemon.switchCore.call(id)?.recording == true }
            x.startTone(hz: hz)
            try await Task.sleep(for: .seconds(seconds))  // the caller speaks this long (not an assertion)
            x.stopTone()
            x.sendDTMF("#")
            await expectPrompt("vm-review", on: x)
            x.sendDTMF("1")
            await expectPrompt("vm-saved-goodbye", on: x)
            #expect(await x.waitForRelease(timeout: .seconds(15)) != nil || x.released, "the caller is cleared after the goodbye")
        }
    }

    @Test func aCallerLeavesAMessageAndTheOwnerHearsItAndDeletesIt() async throws {
        let rig = try await Rig("leave")
        let events = rig.daemon.switchCore.events.subscribe()
        try await rig.leaveMessage()
        await waitUntil("the message indexed") { await rig.vm.messages(mailbox: "1234").count == 1 }
        let m = try #require(await rig.vm.messages(mailbox: "1234").first)
        #expect(m.caller == "4155550150" && m.folder == .new && FileManager.default.fileExists(atPath: m.path))
        #expect(m.seconds >= 2.5 && m.seconds < 4.5, "trailing silence trimmed: \(m.seconds) s")
        await waitUntil("the index in the database") { (try? rig.daemon.store.voicemailMessages(application: "vm").count) == 1 }

        // Notification: the events, the notify command with the message's details, the e-mail.
        var seen: [SwitchEvent] = []
        for await e in events where e.type == .mailboxMessage || e.type == .mailboxWaiting {
            seen.append(e)
            if e.type == .mailboxWaiting { break }
        }
        #expect(seen.map(\.type) == [.mailboxMessage, .mailboxWaiting])
        #expect(seen.first?.mailbox == "1234" && seen.first?.number == "4155550150" && seen.last?.newMessages == 1)
        await waitUntil("the notify command run") { FileManager.default.fileExists(atPath: "\(rig.dir)/notify.out") }
        let env = try String(contentsOfFile: "\(rig.dir)/notify.out", encoding: .utf8)
        for line in ["VM_MAILBOX=1234", "VM_CALLER=4155550150", "VM_PATH=\(m.path)", "VM_NEW=1", "VM_OWNER=Alice Example",
                     "VM_APPLICATION=vm"] {
            #expect(env.contains(line + "\n"), "notify environment lacks \(line): \(env)")
        }
        #expect(try String(contentsOfFile: "\(rig.dir)/notify.args", encoding: .utf8) == "--message\n")
        await waitUntil("the e-mail handed to sendmail") {
            ((try? FileManager.default.attributesOfItem(atPath: "\(rig.dir)/mail.eml"))?[.size] as? Int ?? 0) > 20_000
        }
        #expect(try String(contentsOfFile: "\(rig.dir)/sendmail.args", encoding: .utf8) == "-t\n")
        let mime = try runPython("""
            import email, sys
            m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
            parts = [p for p in m.walk() if not p.is_multipart()]
            wav = [p for p in parts if p.get_content_type() == 'audio/wav'][0]
            data = wav.get_payload(decode=True)
            print(m['To'], '|', m['Subject'], '|', wav.get_filename(), '|', data[:4].decode(), '|', len(data))
            """, "\(rig.dir)/mail.eml")
        let size = (try FileManager.default.attributesOfItem(atPath: m.path)[.size] as? Int) ?? -1
        #expect(mime == "\"Alice Example\" <alice@example.com> | New voice message from 4155550150 in mailbox 1234 | "
                + "\((m.path as NSString).lastPathComponent) | RIFF | \(size)\n", "\(mime)")

        // The owner logs in with the PIN and hears the message: the file itself (correlation) and the caller's tone.
        let (o, _) = try await rig.call(dnis: "7000", ani: "4155550999")
        await rig.expectPrompt("vm-pin", on: o)
        o.sendDTMF("4321#")
        await rig.expectPrompt("vm-main-menu", on: o)
        let mark = o.receivedSamples
        o.sendDTMF("1")
        let heard = await rig.expectPrompt("vm-received", on: o, from: mark)
        let (info, data) = try WAVFile.read(path: m.path)
        let message = Array(WAVFile.samples(of: data, info: info).prefix(16_000))
        let match = await o.waitForAudio(message, from: heard, minimum: 8000, timeout: .seconds(20))
        #expect(match.map { $0.correlation > 0.9 } == true, "the message not heard: \(match.map { "\($0)" } ?? "no match")")
        #expect(await o.waitForTones([500], among: [500, 1400], timeout: .seconds(10)) == [500], "the caller's tone")
        await rig.expectPrompt("vm-message-menu", on: o, from: heard)
        await waitUntil("the message heard is old") { await rig.vm.messages(mailbox: "1234").first?.folder == .old }
        o.sendDTMF("7")
        await rig.expectPrompt("vm-deleted", on: o, from: heard)
        await waitUntil("the message deleted") { await rig.vm.messages(mailbox: "1234").isEmpty }
        #expect(!FileManager.default.fileExists(atPath: m.path))
        await waitUntil("the index entry removed") { (try? rig.daemon.store.voicemailMessages(application: "vm").isEmpty) == true }
        await o.hangUp()
        await rig.stop()
    }

    @Test func twoSecondsOfSilenceEndTheMessageAndAreTrimmed() async throws {
        let rig = try await Rig("silence")
        let (x, id) = try await rig.call(dnis: "71234")
        await rig.expectPrompt("vm-intro", on: x)
        await waitUntil("the message being recorded") { await rig.daemon.switchCore.call(id)?.recording == true }
        x.startTone(hz: 700)
        try await Task.sleep(for: .seconds(2))  // the caller speaks this long, then says nothing (not an assertion)
        x.stopTone()
        let mark = x.receivedSamples
        await rig.expectPrompt("vm-review", on: x, from: mark)  // no key pressed: the silence ended it
        x.sendDTMF("1")
        await rig.expectPrompt("vm-saved-goodbye", on: x, from: mark)
        await waitUntil("the message indexed") { await rig.vm.messages(mailbox: "1234").count == 1 }
        let m = try #require(await rig.vm.messages(mailbox: "1234").first)
        #expect(m.seconds >= 1.5 && m.seconds < 3, "the two seconds of silence trimmed: \(m.seconds) s")
        await rig.stop()
    }

    @Test func aBusyOrUnansweredNumberSendsTheCallerToTheMailboxWithTheRightGreeting() async throws {
        let rig = try await Rig("divert")
        await rig.sim.setAgentBehaviour(.init(answerAfter: nil, rejectCause: .userBusy))
        let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550160", dnis: "6001")
        await rig.expectPrompt("vm-busy", on: x)  // "… is on the phone"
        await rig.expectPrompt("vm-intro", on: x)
        let busy = try #require(await rig.daemon.switchCore.activeCalls().first { $0.dnis == "6001" })
        #expect(busy.data["voicemail.reason"] == "busy")
        await x.hangUp()
        await rig.sim.setAgentBehaviour(.init(answerAfter: nil))  // rings until the route's 3 s answer timeout
        let y = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "4155550161", dnis: "6002")
        await rig.expectPrompt("vm-unavailable", on: y)
        await rig.expectPrompt("vm-intro", on: y)
        await y.hangUp()
        await rig.stop()
    }

    @Test func eightMessagesInAGroupMailboxAreSpreadEvenlyOverTheQueuesAgents() async throws {
        let rig = try await Rig("group", group: true)
        // Eight callers at once leave a message each in the sales group mailbox (`#` skips the greeting).
        let ids = try await withThrowingTaskGroup(of: String.self, returning: [String].self) { group in
            for k in 0..<8 {
                group.addTask {
                    let x = try await rig.sim.dialLiveCall(port: "pstn-far", ani: "41555502\(10 + k)", dnis: "7800")
                    await rig.expectPrompt("vm-person", on: x)
                    x.sendDTMF("#")
                    var id: String?
                    await waitUntil("caller \(k) recorded") {
                        id = await rig.daemon.switchCore.activeCalls().first { $0.ani == "41555502\(10 + k)" && $0.recording }?.id
                        return id != nil
                    }
                    x.startTone(hz: 500)
                    try await Task.sleep(for: .seconds(2))  // the message (not an assertion)
                    x.stopTone()
                    let mark = x.receivedSamples
                    x.sendDTMF("#")
                    await rig.expectPrompt("vm-review", on: x, from: mark)
                    x.sendDTMF("1")
                    await rig.expectPrompt("vm-saved-goodbye", on: x, from: mark)
                    return try #require(id)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(ids).count == 8)
        await waitUntil("eight messages in the group mailbox") { await rig.vm.messages(mailbox: "800").count == 8 }
        // Each message becomes a work item; the agents' stations are called and hear them one after another.
        let clock = ContinuousClock(), deadline = clock.now.advanced(by: .seconds(240))
        var connects: [QueueEvent] = []
        while clock.now < deadline {
            connects = (try? rig.daemon.store.queueEvents(queue: "sales").filter { $0.kind == .connect && ids.contains($0.callID) }) ?? []
            if connects.count == 8, await rig.daemon.acd?.queueStatus("sales")?.messages == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let perAgent = Dictionary(grouping: connects, by: \.agent).mapValues(\.count)
        #expect(connects.count == 8 && perAgent == ["1001": 4, "1002": 4], "\(perAgent)")
        let entered = Set((try? rig.daemon.store.queueEvents(queue: "sales").filter { $0.kind == .enterQueue }.map(\.callID)) ?? [])
        #expect(entered == Set(ids), "each message entered the queue as its work (the queue log)")
        // The unified inbox: each agent's four voice messages, the queue's eight.
        for agent in ["1001", "1002"] {
            let items = (try? rig.daemon.store.inbox(InboxFilter(agent: agent))) ?? []
            #expect(items.count == 4 && items.allSatisfy { $0.kind == "voice" && $0.queue == "sales" }, "\(agent): \(items)")
        }
        #expect(((try? rig.daemon.store.inbox(InboxFilter(queue: "sales"))) ?? []).count == 8)
        await rig.stop()
    }

    @Test func theOwnerLogsInWithMailboxAndPINAndCallsTheCallerBack() async throws {
        let rig = try await Rig("callback")
        try await rig.leaveMessage()
        await waitUntil("the message indexed") { await rig.vm.messages(mailbox: "1234").count == 1 }
        await rig.sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), live: true))  // the caller answers the call back
        let (o, _) = try await rig.call(dnis: "7001", ani: "4155550997")
        await rig.expectPrompt("vm-login", on: o)
        o.sendDTMF("1234#")
        await rig.expectPrompt("vm-pin", on: o)
        o.sendDTMF("4321#")
        await rig.expectPrompt("vm-main-menu", on: o)
        let mark = o.receivedSamples
        o.sendDTMF("1")
        // The envelope (some 10 s of pieces), the message, then the long message menu.
        await rig.expectPrompt("vm-message-menu", on: o, from: mark, timeout: .seconds(45))
        o.sendDTMF("8")
        let back = try #require(await rig.sim.answeredLive(dnis: "4155550150", timeout: .seconds(20)), "the caller is called back")
        o.startTone(hz: 500)
        back.startTone(hz: 1400)
        #expect(await back.waitForTones([500], among: [500, 1400], timeout: .seconds(10)) == [500], "the caller hears the owner")
        #expect(await o.waitForTones([1400], among: [500, 1400], timeout: .seconds(10)) == [1400], "the owner hears the caller")
        await o.hangUp()
        await rig.stop()
    }

    @Test func aQueueWithNoAgentOverflowsToTheMailbox() async throws {
        let rig = try await Rig("overflow")
        let (x, id) = try await rig.call(dnis: "7900", ani: "4155550170")
        await rig.expectPrompt("vm-person", on: x)  // no agent logged in: EXITEMPTY, overflow to voice mail
        await rig.expectPrompt("vm-intro", on: x)
        await waitUntil("the message being recorded") { await rig.daemon.switchCore.call(id)?.recording == true }
        x.startTone(hz: 500)
        try await Task.sleep(for: .seconds(2))  // the message (not an assertion)
        x.stopTone()
        await x.hangUp()  // hanging up keeps it
        await waitUntil("the message indexed") { await rig.vm.messages(mailbox: "1234").count == 1 }
        #expect(await rig.vm.messages(mailbox: "1234").first?.caller == "4155550170")
        let overflow = try rig.daemon.store.queueEvents(queue: "help").filter { $0.kind == .overflow }
        #expect(overflow.count == 1 && overflow.first?.data.first == "application:vm 1234", "\(overflow)")
        await rig.stop()
    }

    @Test func theOwnerRecordsAnUnavailableGreetingThatCallersThenHear() async throws {
        let rig = try await Rig("greeting")
        let (o, _) = try await rig.call(dnis: "7000", ani: "4155550996")
        await rig.expectPrompt("vm-pin", on: o)
        o.sendDTMF("4321#")
        await rig.expectPrompt("vm-main-menu", on: o)
        var mark = o.receivedSamples
        o.sendDTMF("0")
        await rig.expectPrompt("vm-options", on: o, from: mark)
        mark = o.receivedSamples
        o.sendDTMF("1")
        await rig.expectPrompt("vm-record-greeting", on: o, from: mark)
        await waitUntil("the greeting being recorded") { await rig.daemon.switchCore.activeCalls().first?.recording == true }
        o.startTone(hz: 700)
        try await Task.sleep(for: .seconds(2))  // the greeting (not an assertion)
        o.stopTone()
        mark = o.receivedSamples
        o.sendDTMF("#")
        await rig.expectPrompt("vm-review", on: o, from: mark)
        o.sendDTMF("1")
        await rig.expectPrompt("vm-greeting-saved", on: o, from: mark)
        await o.hangUp()
        let dir = "\(rig.dir)/voicemail/vm/1234"
        #expect(FileManager.default.fileExists(atPath: "\(dir)/greeting-unavailable.wav"))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir))?.contains { $0.hasPrefix("rec-") } == false)
        // A caller now hears the owner's greeting (their 700 Hz), not the spoken default, then the intro.
        let (x, _) = try await rig.call(dnis: "71234", ani: "4155550995")
        #expect(await x.waitForTones([700], among: [500, 700, 1400], timeout: .seconds(10)) == [700], "the recorded greeting")
        await rig.expectPrompt("vm-intro", on: x)
        let person = await x.waitForAudio(rig.prompt("vm-person", law: x.law), from: 0, minimum: 4000, timeout: .seconds(1))
        #expect(person.map { $0.correlation > 0.9 } != true, "the default greeting is not played")
        await x.hangUp()
        await rig.stop()
    }

    @Test func threeWrongPINsLockTheMailbox() async throws {
        let rig = try await Rig("lock")
        let (o, _) = try await rig.call(dnis: "7000", ani: "4155550998")
        await rig.expectPrompt("vm-pin", on: o)
        for attempt in 1...3 {
            let mark = o.receivedSamples
            o.sendDTMF("1111#")
            await rig.expectPrompt("vm-incorrect", on: o, from: mark)
            await waitUntil("failure \(attempt) counted") {
                let s = await rig.vm.state(mailbox: "1234")
                return attempt < 3 ? s?.failures == attempt : s?.lockedUntil != nil
            }
        }
        await rig.expectPrompt("vm-locked", on: o)
        #expect(await o.waitForRelease(timeout: .seconds(15)) != nil || o.released)
        await waitUntil("the lock in the database") {
            (try? rig.daemon.store.mailboxStates(application: "vm").first?.lockedUntil) != nil
        }
        // Even the right PIN is refused while the mailbox is locked.
        let (p, _) = try await rig.call(dnis: "7000", ani: "4155550998")
        await rig.expectPrompt("vm-pin", on: p)
        p.sendDTMF("4321#")
        await rig.expectPrompt("vm-locked", on: p)
        #expect(await p.waitForRelease(timeout: .seconds(15)) != nil || p.released)
        let stored = try #require(try rig.daemon.store.mailboxStates(application: "vm").first)
        #expect(stored.pinHash?.hasPrefix("$6$") == true && stored.pinHash?.contains("4321") == false, "the PIN is stored hashed")
        await rig.stop()
    }
}
}

/// Runs a Python 3 script with arguments; its standard output.
func runPython(_ script: String, _ args: String...) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    p.arguments = ["-c", script] + args
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
