// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneMedia
import Testing

/// A span's `dtmf:` (the in-band DTMF receiver's limits): defaults, every
/// key read, and bad values refused at file:line:column with the key.
@Suite struct DTMFConfigTests {
    static func span(_ dtmf: String) -> String {
        "spans:\n  - name: a\n    type: T1\n    role: cpe\n    switchtype: national\n" + (dtmf.isEmpty ? "" : "    dtmf: \(dtmf)\n")
    }

    @Test func defaultIsATTAtMinus25WithTheDialToneFilter() throws {
        let c = try ConfigLoader.parse(yaml: Self.span(""), file: "d.yaml")
        #expect(c.spans[0].dtmf == DTMFProfile(standard: .att, minimumLevel: -25, dialToneFilter: true))
        #expect(try ConfigLoader.parse(yaml: Self.span("{}"), file: "d.yaml").spans[0].dtmf == .att)
    }

    @Test func everyKeyRead() throws {
        let c = try ConfigLoader.parse(yaml: Self.span("{standard: ETSI, min_level: -35, dialtone_filter: false}"), file: "d.yaml")
        #expect(c.spans[0].dtmf == DTMFProfile(standard: .etsi, minimumLevel: -35, dialToneFilter: false))
        let edge = try ConfigLoader.parse(yaml: Self.span("{min_level: -44}"), file: "d.yaml")
        #expect(edge.spans[0].dtmf == DTMFProfile(minimumLevel: -44))
        #expect(try ConfigLoader.parse(yaml: Self.span("{min_level: -3}"), file: "d.yaml").spans[0].dtmf.minimumLevel == -3)
    }

    @Test(arguments: [
        ("{min_level: -45}", 23, "spans[0].dtmf.min_level", "-45 dBm0 is not a DTMF receiver's minimum level"),
        ("{min_level: -2}", 23, "spans[0].dtmf.min_level", "use -44…-3"),
        ("{min_level: low}", 23, "spans[0].dtmf.min_level", "expected an integer"),
        ("{standard: itu}", 22, "spans[0].dtmf.standard", "'itu' is not one of: att, etsi"),
        ("{dialtone_filter: maybe}", 29, "spans[0].dtmf.dialtone_filter", "expected true or false"),
        ("{min_levl: -25}", 12, "spans[0].dtmf.min_levl", "did you mean 'min_level'?"),
        ("-25", 11, "spans[0].dtmf", "expected a mapping"),
    ])
    func badValuesAreRefused(_ dtmf: String, column: Int, key: String, fragment: String) {
        do {
            let c = try ConfigLoader.parse(yaml: Self.span(dtmf), file: "d.yaml")
            Issue.record("expected an error, parsed \(c.spans)")
        } catch {
            #expect(error.file == "d.yaml" && error.line == 6 && error.column == column, "\(error)")
            #expect(error.key == key, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
        }
    }
}
