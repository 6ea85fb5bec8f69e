// SPDX-License-Identifier: GPL-2.0-or-later

/// Numbers spoken by concatenating prompts (`n-0` … `n-19`, `n-20` … `n-90`,
/// `n-hundred`), generated like every other prompt: 42 → n-40 n-2,
/// 305 → n-3 n-hundred n-5. Numbers of a thousand or more are spoken digit by digit.
public enum NumberSpeech {
    public static func prompts(_ n: Int) -> [String] {
        guard n >= 0 else { return prompts(0) }
        if n >= 1000 { return String(n).map { "n-\($0)" } }
        var out: [String] = []
        var rest = n
        if rest >= 100 {
            out += ["n-\(rest / 100)", "n-hundred"]
            rest %= 100
            if rest == 0 { return out }
        }
        if rest < 20 { return out + ["n-\(rest)"] }
        out.append("n-\(rest / 10 * 10)")
        if rest % 10 != 0 { out.append("n-\(rest % 10)") }
        return out
    }

    /// Every prompt a number may need (the announcements check they exist).
    public static let all: [String] = (0...19).map { "n-\($0)" } + stride(from: 20, through: 90, by: 10).map { "n-\($0)" } + ["n-hundred"]

    /// "You are number N in line. Your expected waiting time is about M minutes."
    public static func announcement(position: Int?, expectedWait: Double?) -> [String] {
        var out: [String] = []
        if let position { out += ["queue-position"] + prompts(position) + ["queue-in-line"] }
        if let wait = expectedWait {
            out.append("queue-wait")
            let minutes = Int((wait / 60).rounded())
            if minutes < 1 { out.append("queue-less-than-a-minute") }
            else { out += prompts(minutes) + [minutes == 1 ? "queue-minute" : "queue-minutes"] }
        }
        return out
    }
}
