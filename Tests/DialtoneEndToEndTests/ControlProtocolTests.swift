// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneDaemon
import Foundation
import Logging
import Testing

/// The control socket's framing and replies as pure functions.
@Suite struct ControlProtocolTests {
    @Test func aLineIsARequest() {
        var f = ControlRequestFramer(limit: 16)
        #expect(f.feed(Array("sta".utf8)) == .needMore)
        #expect(f.feed(Array("ts\r\nextra".utf8)) == .request("stats"))
        var g = ControlRequestFramer(limit: 16)
        #expect(g.feed(Array("  calls \t\n".utf8)) == .request("calls"))
        var empty = ControlRequestFramer(limit: 16)
        #expect(empty.feed([0x0A]) == .request(""))
    }

    @Test func theLengthLimit() {
        var exact = ControlRequestFramer(limit: 8)
        #expect(exact.feed(Array("12345678\n".utf8)) == .request("12345678"))
        var over = ControlRequestFramer(limit: 8)
        #expect(over.feed(Array("123456789\n".utf8)) == .tooLong)
        var noNewline = ControlRequestFramer(limit: 8)
        #expect(noNewline.feed(Array("12345678".utf8)) == .needMore)
        #expect(noNewline.feed(Array("9".utf8)) == .tooLong)
    }

    @Test func endOfInputWithoutNewline() {
        var f = ControlRequestFramer(limit: 16)
        #expect(f.endOfInput() == nil)
        _ = f.feed(Array("spans".utf8))
        #expect(f.endOfInput() == "spans")
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        var f = ControlRequestFramer(limit: 16)
        #expect(f.feed([0x61, 0xFF, 0xC3, 0x28, 0x0A]) == .request("a\u{FFFD}\u{FFFD}("))
    }

    /// Each reply parses as JSON, ends in a newline, and carries the request back intact.
    @Test(arguments: ["\"quoted\"", "back\\slash", "ctl\u{01}\u{1B}[31m", "nul\u{0}", "\u{FFFD}", "{\"a\": [1]}", "</script>", "tab\there"])
    func errorsAreValidJSON(_ request: String) throws {
        let data = ControlReply.unknown(request)
        #expect(data.last == 0x0A)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: String]
        let message = try #require(object?["error"])
        #expect(message.contains("'\(request)'"), "\(message)")
    }

    @Test func longRequestsAreShortenedInTheError() throws {
        let data = ControlReply.unknown(String(repeating: "x", count: 500))
        let message = try #require((try JSONSerialization.jsonObject(with: data) as? [String: String])?["error"])
        #expect(message.contains(String(repeating: "x", count: 80) + "…'") && !message.contains(String(repeating: "x", count: 81)))
        #expect((try JSONSerialization.jsonObject(with: ControlReply.unknown("")) as? [String: String])?["error"]?.hasPrefix("empty request") == true)
    }

    @Test func valuesAreEncodedWithANewline() throws {
        let data = ControlReply.encode(["recording": "c\"1"])
        #expect(data.last == 0x0A)
        #expect(try JSONDecoder().decode([String: String].self, from: data) == ["recording": "c\"1"])
    }
}
