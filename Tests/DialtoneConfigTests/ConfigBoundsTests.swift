// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneMedia
import DialtoneSpans
import Foundation
import Testing

/// Every number, date, time and socket path has a range (docs/config.md); a
/// value outside it is refused at load with file:line:column and the key, so
/// `check-config` and `serve` agree and nothing that passes can trap later.
@Suite struct ConfigBoundsTests {
    /// A valid one-span document (5 lines); tests append to it.
    static let span = """
        spans:
          - name: a
            type: E1
            role: cpe
            switchtype: euroisdn_e1

        """

    func expectError(_ yaml: String, line: Int, column: Int, key: String, _ fragments: String...,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let c = try ConfigLoader.parse(yaml: yaml, file: "x.yaml", checkFiles: false)
            Issue.record("expected an error at \(line):\(column) \(key), parsed \(c)", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error.line):\(error.column)" == "\(line):\(column)", "\(error)", sourceLocation: sourceLocation)
            #expect(error.key == key, "\(error)", sourceLocation: sourceLocation)
            for f in fragments { #expect(error.message.contains(f), "\(error)", sourceLocation: sourceLocation) }
        }
    }

    func parse(_ yaml: String) throws -> DialtoneConfig {
        try ConfigLoader.parse(yaml: yaml, file: "x.yaml", checkFiles: false)
    }

    /// The values that trapped `serve` (SIGILL converting to Int) are refused, as are
    /// NaN, infinities and negatives; the ends of each range are accepted.
    @Test(arguments: ["1e300", ".inf", "-.inf", ".nan", "-1", "3600.5", "9223372036854775807"])
    func drainSecondsOutOfRange(value: String) {
        let expected = ["1e300", "-1", "3600.5", "9223372036854775807"].contains(value) ? "out of range 0…3600 seconds" : "expected a number"
        expectError(Self.span + "daemon:\n  drain_seconds: \(value)\n", line: 7, column: 18, key: "daemon.drain_seconds", expected)
    }

    @Test func durationEnds() throws {
        #expect(try parse(Self.span + "daemon:\n  drain_seconds: 0\n").daemon.drainSeconds == 0)
        #expect(try parse(Self.span + "daemon:\n  drain_seconds: 3600\n").daemon.drainSeconds == 3600)
        let route = Self.span + "routes:\n  - {prefix: \"1\", to: a, answer_timeout: %@}\n"
        #expect(try parse(route.replacingOccurrences(of: "%@", with: "3600")).routes[0].answerTimeout == 3600)
        #expect(try parse(route.replacingOccurrences(of: "%@", with: "1")).routes[0].answerTimeout == 1)
        expectError(route.replacingOccurrences(of: "%@", with: "1e300"), line: 7, column: 42, key: "routes[0].answer_timeout",
                    "1e+300 is out of range 1…3600 seconds")
        expectError(route.replacingOccurrences(of: "%@", with: "0.5"), line: 7, column: 42, key: "routes[0].answer_timeout",
                    "out of range 1…3600")
    }

    @Test func menuTimeouts() {
        let menu = Self.span + "menus:\n  m:\n    prompt: p\n    options: {\"1\": repeat}\n    %@\n"
        expectError(menu.replacingOccurrences(of: "%@", with: "first_digit_timeout: 1e300"), line: 10, column: 26,
                    key: "menus.m.first_digit_timeout", "out of range 0.5…3600 seconds")
        expectError(menu.replacingOccurrences(of: "%@", with: "inter_digit_timeout: .nan"), line: 10, column: 26,
                    key: "menus.m.inter_digit_timeout", "expected a number, got '.nan'")
        expectError(menu.replacingOccurrences(of: "%@", with: "retries: 21"), line: 10, column: 14, key: "menus.m.retries",
                    "21 is out of range 0…20")
    }

    @Test func percentAndSimulator() {
        expectError(Self.span + "recording:\n  calls: [{span: a, percent: 100.5}]\n", line: 7, column: 30,
                    key: "recording.calls[0].percent", "out of range 0…100 %")
        expectError(Self.span + "recording:\n  calls: [{span: a, percent: -1}]\n", line: 7, column: 30,
                    key: "recording.calls[0].percent", "out of range 0…100")
        expectError(Self.span + "simulator:\n  calls_per_second: 1e6\n", line: 7, column: 21,
                    key: "simulator.calls_per_second", "out of range 0…1000")
        expectError(Self.span + "simulator:\n  hold_seconds: 1e300\n", line: 7, column: 17,
                    key: "simulator.hold_seconds", "out of range 0…3600 seconds")
        expectError(Self.span + "simulator:\n  answer_delay: -0.1\n", line: 7, column: 17,
                    key: "simulator.answer_delay", "out of range 0…300 seconds")
        expectError(Self.span + "simulator:\n  max_calls: 9223372036854775807\n", line: 7, column: 14,
                    key: "simulator.max_calls", "out of range 1…10000")
    }

    /// Integers: beyond Int64, a float where an integer goes, libpri flags past PRI_DEBUG_ALL.
    @Test func integers() {
        expectError(Self.span + "    debug: 0x10000\n", line: 6, column: 12, key: "spans[0].debug", "65536 is out of range 0…65535")
        expectError(Self.span + "    debug: 99999999999999999999999\n", line: 6, column: 12, key: "spans[0].debug", "expected an integer")
        expectError(Self.span + "routes:\n  - {prefix: \"1\", to: a, strip: 1.5}\n", line: 7, column: 33,
                    key: "routes[0].strip", "expected an integer, got '1.5'")
        expectError(Self.span + "routes:\n  - {prefix: \"1\", to: a, strip: -1}\n", line: 7, column: 33,
                    key: "routes[0].strip", "out of range 0…32")
    }

    /// Channels within the span type; DAHDI numbers within the kernel's.
    @Test func channelsAndDAHDINumbers() {
        expectError(Self.span + "    channels: 17-9223372036854775807\n", line: 6, column: 15, key: "spans[0].channels",
                    "channel 32 is not a B-channel of a E1 span")
        expectError(Self.span + "    channels: 16\n", line: 6, column: 15, key: "spans[0].channels", "channel 16 is not a B-channel")
        expectError("""
            spans:
              - {name: a, driver: dahdi, dahdi_span: 1, dahdi_base_channel: 1, type: T1, role: cpe,
                 switchtype: national, peer: "dahdi:2:9000"}

            """, line: 3, column: 34, key: "spans[0].peer", "BASE_CHANNEL 1-8192")
    }

    /// Real dates in 1970…2200: no 31 February, no month 13, no year 9223372036854775807.
    @Test func holidays() throws {
        func schedule(_ date: String) -> String {
            Self.span + "schedules:\n  s:\n    open: [\"mon-fri 08:00-18:00\"]\n    holidays: [\"\(date)\"]\n"
        }
        for (date, message) in [("2026-02-31", "month 2 of 2026 has 28 days"), ("2026-13-01", "no month 13"),
                                ("2026-00-10", "no month 0"), ("2026-04-31", "has 30 days"), ("2027-02-29", "has 28 days"),
                                ("2026-01-00", "has 31 days"), ("1969-12-31", "year is out of range 1970…2200"),
                                ("2201-01-01", "year is out of range"), ("9223372036854775807-01-01", "is not a date"),
                                ("2026-1-1", "is not a date"), ("2026-01-01-01", "is not a date"), ("+2026-01-01", "is not a date")] {
            expectError(schedule(date), line: 9, column: 16, key: "schedules.s.holidays[0]", message)
        }
        let leap = try parse(schedule("2028-02-29")).schedules["s"]?.holidays
        #expect(leap == [DateComponents(year: 2028, month: 2, day: 29)])
        #expect(try parse(schedule("2000-02-29")).schedules["s"]?.holidays.count == 1)
        expectError(schedule("2100-02-29"), line: 9, column: 16, key: "schedules.s.holidays[0]", "has 28 days")
    }

    /// Times are HH:MM from 00:00 to 24:00, start before end.
    @Test func openingTimes() throws {
        func schedule(_ interval: String) -> String { Self.span + "schedules:\n  s:\n    open: [\"\(interval)\"]\n" }
        for bad in ["mon 25:00-26:00", "mon 08:60-09:00", "mon 00:00-24:01", "mon 8:00-9:00", "mon 08:00-08:00",
                    "mon 18:00-08:00", "mon 08:0-09:00", "mon +8:00-09:00", "mon 99999999999999999999:00-10:00"] {
            expectError(schedule(bad), line: 8, column: 12, key: "schedules.s.open[0]", "not an opening interval")
        }
        let day = try parse(schedule("sun 00:00-24:00")).schedules["s"]?.open
        #expect(day == [.init(days: [7], from: 0, to: 1440)])
    }

    /// Unix socket paths fit sockaddr_un.sun_path (107 bytes and the NUL), never cut short.
    @Test func socketPaths() throws {
        #expect(SocketSpan.maxPathBytes == 107)
        let fits = "/tmp/" + String(repeating: "s", count: 102)
        let long = fits + "x"
        #expect(try parse(Self.span + "daemon:\n  control_socket: \(fits)\n").daemon.controlSocket == fits)
        expectError(Self.span + "daemon:\n  control_socket: \(long)\n", line: 7, column: 19, key: "daemon.control_socket",
                    "at most 107 bytes (sockaddr_un), this one has 108")
        // Bytes, not characters: 54 two-byte letters are 108 bytes.
        expectError(Self.span + "daemon:\n  control_socket: \(String(repeating: "é", count: 54))\n", line: 7, column: 19,
                    key: "daemon.control_socket", "this one has 108")
        #expect(try parse(Self.span + "    peer: socket:\(fits)\n").spans[0].peer == .socket(path: fits))
        expectError(Self.span + "    peer: socket:\(long)\n", line: 6, column: 11, key: "spans[0].peer", "at most 107 bytes")
    }

    /// At most `maxSpans` spans, which the media engine's bridge table holds;
    /// the error is at the first span past the limit.
    @Test func spanCount() throws {
        func spans(_ n: Int) -> String {
            "spans:\n" + (0..<n).map { "  - {name: s\($0), type: E1, role: cpe, switchtype: euroisdn_e1}\n" }.joined()
        }
        #expect(ConfigLoader.maxSpans == 64)
        #expect(ConfigLoader.maxSpans * SpanType.e1.bearerChannels.count <= 2 * MediaEngine.maxBridges)
        #expect(try parse(spans(64)).spans.count == 64)
        expectError(spans(65), line: 66, column: 5, key: "spans[64]", "too many spans: at most 64")
        expectError(spans(5000), line: 66, column: 5, key: "spans[64]", "too many spans")
    }

    /// The conversion timers use: a value that got past the loader cannot trap.
    @Test func clampedDurations() {
        #expect(Duration.seconds(clamping: 1.5) == .milliseconds(1500))
        #expect(Duration.seconds(clamping: 0) == .zero)
        #expect(Duration.seconds(clamping: -1) == .zero)
        #expect(Duration.seconds(clamping: .nan) == .zero)
        #expect(Duration.seconds(clamping: -.infinity) == .zero)
        let limit = Duration.seconds(Int64(Duration.clampingLimitSeconds))
        #expect(Duration.seconds(clamping: 1e300) == limit)
        #expect(Duration.seconds(clamping: .infinity) == limit)
        #expect(Duration.seconds(clamping: Double(Int.max)) == limit)
    }
}
