// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import Testing

/// `daemon.control_socket_mode` and `daemon.control_socket_group`.
@Suite struct ControlSocketConfigTests {
    static let spans = """
        spans:
          - {name: a, type: E1, role: cpe, switchtype: euroisdn_e1}

        """

    func daemon(_ lines: String) throws(ConfigError) -> DaemonSettings {
        try ConfigLoader.parse(yaml: Self.spans + "daemon:\n" + lines, file: "x.yaml").daemon
    }

    func expectError(_ lines: String, column: Int, key: String, _ fragment: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let d = try daemon(lines)
            Issue.record("expected an error, parsed \(d)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.file == "x.yaml" && error.line == 4 && error.column == column, "\(error)", sourceLocation: sourceLocation)
            #expect(error.key == key && error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func defaults() throws {
        let d = try daemon("  log_level: info\n")
        #expect(d.controlSocketMode == 0o660 && d.controlSocketGroup == nil)
        #expect(DaemonSettings.defaultControlSocketGroup == "dialtone")
        #expect(d.lockPath == "/var/lib/dialtone/dialtone.sqlite.lock")
    }

    @Test func modeIsOctal() throws {
        #expect(try daemon("  control_socket_mode: \"0600\"\n").controlSocketMode == 0o600)
        #expect(try daemon("  control_socket_mode: \"0o666\"\n").controlSocketMode == 0o666)
        #expect(try daemon("  control_socket_mode: 0660\n").controlSocketMode == 0o660)  // unquoted: still read as written
        #expect(try daemon("  control_socket_mode: 770\n").controlSocketMode == 0o770)
        expectError("  control_socket_mode: \"0880\"\n", column: 24, key: "daemon.control_socket_mode", "not an octal mode")
        expectError("  control_socket_mode: \"04660\"\n", column: 24, key: "daemon.control_socket_mode", "not an octal mode")
        expectError("  control_socket_mode: rw\n", column: 24, key: "daemon.control_socket_mode", "not an octal mode")
        expectError("  control_socket_mode: \"0060\"\n", column: 24, key: "daemon.control_socket_mode", "daemon's own user")
        #expect(ConfigLoader.parseOctalMode("") == nil && ConfigLoader.parseOctalMode("1000") == nil)
    }

    @Test func groupMustExist() throws {
        #expect(try daemon("  control_socket_group: root\n").controlSocketGroup == "root")
        #expect(try daemon("  control_socket_group: \"0\"\n").controlSocketGroup == "0")
        expectError("  control_socket_group: no-such-group-here\n", column: 25, key: "daemon.control_socket_group",
                    "no group 'no-such-group-here' on this host")
        #expect(HostGroup.id(of: "root") == 0)
        #expect(HostGroup.id(of: "no-such-group-here") == nil)
    }
}
