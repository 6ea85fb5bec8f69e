// SPDX-License-Identifier: GPL-2.0-or-later

extension Duration {
    /// The longest wait a configured number of seconds becomes: a week.
    public static let clampingLimitSeconds: Double = 7 * 86_400

    /// `seconds` as a duration without a trap: NaN and negatives are zero, more
    /// than ``clampingLimitSeconds`` is that. The loader bounds every key
    /// (docs/config.md); this is for the arithmetic that turns one into a timer.
    public static func seconds(clamping seconds: Double) -> Duration {
        guard seconds > 0 else { return .zero }  // also NaN
        return .milliseconds(Int64((Swift.min(seconds, clampingLimitSeconds) * 1000).rounded()))
    }
}
