// SPDX-License-Identifier: GPL-2.0-or-later
import CSystem

/// Mailbox PINs as crypt(3) hashes (libxcrypt: SHA-512 `$6$` with a random
/// salt). Only hashes are stored; a PIN is checked by hashing it with the
/// stored hash as the setting.
public enum PINHash {
    /// The hash of `pin` with a fresh salt (nil if libxcrypt refuses).
    public static func make(_ pin: String) -> String? {
        var setting = [CChar](repeating: 0, count: 192)
        guard CSystem_crypt_gensalt("$6$", &setting, Int32(setting.count)) == 0 else { return nil }
        return hash(pin, setting: String(cString: setting))
    }

    /// True when `pin` hashes to `stored`.
    public static func verify(_ pin: String, against stored: String) -> Bool {
        guard let h = hash(pin, setting: stored) else { return false }
        // Compare without an early exit (the hashes are public-length strings).
        let a = Array(h.utf8), b = Array(stored.utf8)
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    static func hash(_ pin: String, setting: String) -> String? {
        var out = [CChar](repeating: 0, count: 384)
        guard CSystem_crypt(pin, setting, &out, Int32(out.count)) == 0 else { return nil }
        return String(cString: out)
    }
}
