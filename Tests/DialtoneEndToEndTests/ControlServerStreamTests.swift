// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneDaemon
import DialtoneSwitch
import Foundation
import Glibc
import Logging
import Testing

/// The `events` stream on real Unix sockets: the server's loop with the
/// daemon's own events answer over an ``EventStream`` the test publishes to.
extension EndToEnd.ControlServerTests {
    func streamServer(_ events: EventStream, _ limits: ControlServer.Limits) throws -> ControlServer {
        try ControlServer(path: path, mode: 0o660, group: nil, limits: limits, logger: Logger(label: "test")) { request in
            if case .success(let r) = EventsRequest.parse(request) { return ControlServer.events(r, from: events) }
            return .reply(ControlReply.encode(["echo": request]))
        }
    }

    /// The next line from `fd` (blocking, within the receive timeout); nil at the end.
    func readLine(_ fd: Int32, _ pending: inout [UInt8]) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return nil }
            pending.append(contentsOf: buffer[0..<n])
        }
    }

    func object(_ line: String?) -> [String: Any]? {
        line.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func waitFor(_ timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// Events arrive in order with increasing seq, filtered by call, on a
    /// stream that stays open past the idle timeout while it is quiet (and
    /// after the client half-closes); the server answers others meanwhile;
    /// stopping the server ends the streams and their subscriptions.
    @Test func eventsStreamInOrderAndEndOnStop() async throws {
        try await onThread { [self] in
            let events = EventStream()
            events.publish(SwitchEvent(.spanUp))  // before anyone subscribed: delivered to nobody
            let s = try streamServer(events, .init(maxConnections: 4, maxRequestBytes: 64, idleTimeout: .milliseconds(400)))
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let all = try connectClient()
            sendAll(all, "events\n")
            let onlyB = try connectClient()
            sendAll(onlyB, "events call=b\n")
            shutdown(onlyB, Int32(SHUT_WR))  // it still reads
            var pa: [UInt8] = [], pb: [UInt8] = []
            #expect(readLine(all, &pa) == #"{"after":1,"events":"subscribed","ok":true}"#)
            #expect(readLine(onlyB, &pb) == #"{"after":1,"call":"b","events":"subscribed","ok":true}"#)
            usleep(1_000_000)  // 2.5 idle timeouts with nothing to send: not idle
            for i in 0..<300 {
                events.publish(SwitchEvent(i % 3 == 0 ? .legHeld : .legRetrieved, call: i % 3 == 0 ? "b" : "a", leg: 1))
            }
            let time = try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#)
            var seqs: [Int] = []
            for _ in 0..<300 {
                guard let e = object(readLine(all, &pa)) else { break }
                seqs.append(e["seq"] as? Int ?? -1)
                #expect((e["time"] as? String)?.wholeMatch(of: time) != nil, "\(e)")
                #expect(e["type"] as? String == (e["call"] as? String == "b" ? "leg.held" : "leg.retrieved"))
            }
            #expect(seqs == Array(2...301))
            var bSeqs: [Int] = []
            for _ in 0..<100 {
                guard let e = object(readLine(onlyB, &pb)) else { break }
                #expect(e["call"] as? String == "b")
                bSeqs.append(e["seq"] as? Int ?? -1)
            }
            #expect(bSeqs == Array(stride(from: 2, through: 301, by: 3)))
            #expect(error(in: try ControlClient.request("still answering", socketPath: path)) == nil)
            #expect(events.subscriberCount == 2)
            s.close()
            #expect(readLine(all, &pa) == nil && pa.isEmpty, "the stream ends after whole lines")
            #expect(readLine(onlyB, &pb) == nil && pb.isEmpty)
            #expect(waitFor { events.subscriberCount == 0 }, "the subscriptions end with the streams")
            close(all)
            close(onlyB)
        }
    }

    /// A client that never reads: once 64 KiB are waiting for it (beyond
    /// what the kernel holds), it is cut off with a line saying how many
    /// events it lost, its subscription ends, and the server answers
    /// others all along. What it reads afterwards is whole JSON lines.
    @Test func aClientThatNeverReadsIsCutOff() async throws {
        try await onThread { [self] in
            let events = EventStream()
            let backlog = 64 * 1024
            let s = try streamServer(events, .init(maxConnections: 4, maxRequestBytes: 64, idleTimeout: .seconds(5),
                                                   maxStreamBacklog: backlog))
            defer { s.close(); try? FileManager.default.removeItem(atPath: dir) }
            let stuck = try connectClient()
            sendAll(stuck, "events\n")
            #expect(waitFor { events.subscriberCount == 1 })
            var published = 0, answered = 0
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while events.subscriberCount > 0 && ContinuousClock.now < deadline {
                for _ in 0..<50 {  // 15 KB: the kernel's buffer and the backlog take many batches
                    var e = SwitchEvent(.digits, call: "c", leg: 1)
                    e.text = String(repeating: "x", count: 200)
                    events.publish(e)
                }
                published += 50
                // Another client, while the stuck one fills its buffers.
                if error(in: try ControlClient.request("hello", socketPath: path)) == nil { answered += 1 }
            }
            #expect(events.subscriberCount == 0, "cut off after \(published) events")
            #expect(answered >= 5, "\(answered) answers while the stuck client streamed")
            #expect(error(in: try ControlClient.request("hello", socketPath: path)) == nil)
            let data = readAll(stuck)
            close(stuck)
            let lines = data.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
            #expect(data.last == 0x0A)
            #expect(data.count < backlog + 1_000_000, "\(data.count) bytes")
            let last = try #require(object(lines.last))
            let message = try #require(last["error"] as? String)
            #expect(message.wholeMatch(of: try Regex(#"events: consumer fell behind; [1-9][0-9]* events dropped"#)) != nil, "\(message)")
            var previous = 0
            for line in lines.dropFirst().dropLast() {
                let seq = try #require(object(line)?["seq"] as? Int, "\(line.prefix(100))")
                #expect(seq > previous)
                previous = seq
            }
            #expect(lines.count > 10)
        }
    }
}
