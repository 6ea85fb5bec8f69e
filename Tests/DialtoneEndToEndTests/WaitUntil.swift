// SPDX-License-Identifier: GPL-2.0-or-later
import Testing

/// Waits (up to `timeout`, 10 s unless said) for a condition the daemon
/// reaches on its own; records an issue naming `what` when it does not. A
/// wait, never an assertion by time.
func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () async -> Bool,
               sourceLocation: SourceLocation = #_sourceLocation) async {
    let clock = ContinuousClock(), deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if await condition() { return }
        try? await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
}
