// SPDX-License-Identifier: GPL-2.0-or-later
// The fax-on-demand dialogue as a pure state machine: keys in, prompts and
// orders out.
import DialtoneApps
import DialtoneConfig
import Testing

@Suite struct FaxOnDemandSessionTests {
    typealias S = FaxOnDemandSession
    static var config: FaxConfig {
        var c = FaxConfig()
        c.documents = [FaxConfig.Document(number: "1", name: "Prices", file: "/p.pdf", tiff: "/p.tif", pages: 3),
                       FaxConfig.Document(number: "12", name: "Terms", file: "/t.tif", tiff: "/t.tif", pages: 1)]
        c.personal = [FaxConfig.PersonalDocument(number: "9", name: "Statement", template: "/s.txt", text: "", key: .callingNumber, freeFields: []),
                      FaxConfig.PersonalDocument(number: "8", name: "Contract", template: "/c.txt", text: "", key: .digits(field: "account"), freeFields: [])]
        return c
    }

    func session(maxDocuments: Int = 5, callback: Bool = true) -> S {
        var settings = ApplicationConfig.FaxOnDemandSettings()
        settings.maxDocuments = maxDocuments
        settings.callback = callback
        return S(config: Self.config, settings: settings)
    }

    func keys(_ s: inout S, _ text: String) -> [S.Command] {
        text.flatMap { s.handle(.digit($0)) }
    }

    @Test func documentsThenThisCall() {
        var s = session()
        #expect(s.handle(.started) == [.play(["fax-welcome"])])
        #expect(keys(&s, "1#") == [.startTimer, .play(["fax-added"])])
        #expect(keys(&s, "12#") == [.startTimer, .startTimer, .play(["fax-added"])])
        #expect(keys(&s, "#") == [.play(["fax-delivery"])])
        #expect(keys(&s, "1") == [.order(.onThisCall(documents: ["1", "12"], keyed: [:]))])
        #expect(s.state == .done && keys(&s, "1#").isEmpty)
    }

    @Test func personalDocumentByKeyedDigitsThenAFaxNumber() {
        var s = session()
        _ = s.handle(.started)
        #expect(keys(&s, "8#") == [.startTimer, .play(["enter-account"])])
        #expect(keys(&s, "4711#") == [.startTimer, .startTimer, .startTimer, .startTimer, .play(["fax-added"])])
        _ = keys(&s, "9#")
        #expect(keys(&s, "#2") == [.play(["fax-delivery"]), .play(["fax-enter-number"])])
        #expect(keys(&s, "0301234567#").last == .order(.toNumber("0301234567", documents: ["8", "9"], keyed: ["8": "4711"])))
    }

    @Test func wrongNumbersTimeoutsAndTheLimit() {
        var s = session(maxDocuments: 2, callback: false)
        _ = s.handle(.started)
        #expect(keys(&s, "#") == [.play(["invalid", "fax-welcome"])])  // nothing chosen yet
        #expect(keys(&s, "55#") == [.startTimer, .startTimer, .play(["fax-no-document"])])
        _ = keys(&s, "1#")  // a success resets the misses
        #expect(s.misses == 0)
        // The second document reaches the limit: straight to delivery (no callback here).
        #expect(keys(&s, "12#").last == .play(["fax-added", "fax-delivery-here"]))
        #expect(keys(&s, "2") == [.play(["invalid", "fax-delivery-here"])])
        #expect(s.handle(.timeout) == [.play(["timeout", "fax-delivery-here"])])
        #expect(s.handle(.timeout) == [.goodbye])
        #expect(s.state == .done)
    }

    @Test func aShortFaxNumberIsRefused() {
        var s = session()
        _ = s.handle(.started)
        _ = keys(&s, "1##2")
        #expect(keys(&s, "12#").last == .play(["invalid", "fax-enter-number"]))
        #expect(s.state == .enteringNumber(digits: ""))
    }

    @Test func thePromptsAreTheOnesTheConfigurationChecks() {
        #expect(Set(S.Prompt.all).isSubset(of: Set(ApplicationConfig.FaxOnDemandSettings.prompts)))
        #expect(Set([S.Prompt.invalid, S.Prompt.timeout, "goodbye"]).isSubset(of: Set(ApplicationConfig.FaxOnDemandSettings.prompts)))
    }
}
