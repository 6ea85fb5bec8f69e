// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc
import Yams

extension ConfigLoader {
    /// `daemon.control_socket_mode`: an octal string of permission bits, like
    /// "0660". The owner keeps read and write (the daemon checks a socket it
    /// finds at the path by connecting to it); no setuid, setgid or sticky bits.
    static func socketMode(_ node: Node, _ key: String, _ r: YAMLReader) throws(ConfigError) -> UInt32 {
        let text = try r.string(node, key)
        guard let mode = parseOctalMode(text) else {
            throw r.error(node, key, "'\(text)' is not an octal mode like \"0660\" (quote it: digits 0-7, at most 0777)")
        }
        guard mode & 0o600 == 0o600 else {
            throw r.error(node, key, "'\(text)' takes read or write away from the daemon's own user; use e.g. \"0600\" or \"0660\"")
        }
        return mode
    }

    /// "0660", "660" or "0o660" → 0o660; nil when not octal or above 0777.
    public static func parseOctalMode(_ text: String) -> UInt32? {
        var digits = Substring(text)
        if digits.hasPrefix("0o") || digits.hasPrefix("0O") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 4, let mode = UInt32(digits, radix: 8), mode <= 0o777 else { return nil }
        return mode
    }

    /// `daemon.control_socket_group`: a group that exists on this host (a name
    /// or a numeric id).
    static func socketGroup(_ node: Node, _ key: String, _ r: YAMLReader) throws(ConfigError) -> String {
        let name = try r.string(node, key)
        guard HostGroup.id(of: name) != nil else {
            throw r.error(node, key, "no group '\(name)' on this host (`getent group \(name)`); create it, or leave the key out to keep the daemon's own group")
        }
        return name
    }
}

/// The host's groups (NSS: /etc/group, LDAP, …).
public enum HostGroup {
    /// The id of the group named `name` (or `name` itself when it is a number), nil when the host has no such group.
    public static func id(of name: String) -> gid_t? {
        if !name.isEmpty, name.allSatisfy(\.isASCII), let n = gid_t(name) { return n }
        var group = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        while true {
            let rc = getgrnam_r(name, &group, &buffer, buffer.count, &result)
            if rc == ERANGE, buffer.count < 1 << 20 { buffer = [CChar](repeating: 0, count: buffer.count * 4); continue }
            if rc == EINTR { continue }
            guard rc == 0, let result else { return nil }
            return result.pointee.gr_gid
        }
    }
}
