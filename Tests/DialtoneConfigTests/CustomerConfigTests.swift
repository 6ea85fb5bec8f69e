// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import Testing

/// `customers:` (number normalisation settings) and `daemon.queue_log`.
@Suite struct CustomerConfigTests {
    static let spans = """
        spans:
          - {name: a, type: E1, role: cpe, switchtype: euroisdn_e1}

        """

    func parse(_ yaml: String) throws(ConfigError) -> DialtoneConfig {
        try ConfigLoader.parse(yaml: Self.spans + yaml, file: "x.yaml")
    }

    func expectError(_ yaml: String, line: Int, key: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let c = try parse(yaml)
            Issue.record("expected an error, parsed \(c.customers)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.file == "x.yaml" && error.line == line, "\(error)", sourceLocation: sourceLocation)
            #expect(error.key == key && error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func defaultsAndValues() throws {
        let none = try parse("")
        #expect(none.customers == CustomerSettings())
        #expect(none.daemon.queueLogPath == "/var/lib/dialtone/queue_log")
        let c = try parse("""
            customers:
              country_code: 1
              area_code: 415
              national_prefix: 1
              international_prefix: "011"
              national_number_length: 10
            daemon:
              database: var/db.sqlite
            """)
        #expect(c.customers == CustomerSettings(countryCode: "1", areaCode: "415", nationalPrefix: "1",
                                                internationalPrefix: "011", nationalNumberLength: 10))
        #expect(c.daemon.queueLogPath == "var/queue_log")
        #expect(try parse("daemon:\n  queue_log: /var/log/asterisk/queue_log\n").daemon.queueLogPath == "/var/log/asterisk/queue_log")
    }

    @Test func errorsNameTheLineAndKey() {
        expectError("customers:\n  country_code: \"049\"\n", line: 4, key: "customers.country_code", "never starts with 0")
        expectError("customers:\n  country_code: 12345\n", line: 4, key: "customers.country_code", "1–3 digits")
        expectError("customers:\n  area_code: \"030\"\n", line: 4, key: "customers.area_code", "without it ('30')")
        expectError("customers:\n  international_prefix: +\n", line: 4, key: "customers.international_prefix", "not an international prefix")
        expectError("customers:\n  national_prefix: \"0\"\n  international_prefix: \"0\"\n", line: 5,
                    key: "customers.international_prefix", "is the national prefix too")
        expectError("customers:\n  contry_code: 49\n", line: 4, key: "customers.contry_code", "did you mean 'country_code'")
        expectError("customers:\n  national_number_length: 40\n", line: 4, key: "customers.national_number_length", "out of range")
    }
}
