// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import Foundation

/// The far end as a fax machine (SpanDSP's T.30 terminal on the live call's
/// B-channel): it sends TIFF pages — a calling terminal starts with CNG, as a
/// machine does when its start key is pressed — or receives them into a TIFF.
extension LiveCall {
    /// Starts sending `files` (TIFF, 1728 wide). `.calling` (default): CNG
    /// first, as a fax machine that dialled; `.answering`: CED and DIS, as one
    /// started to send on a call someone else placed (polling is not used).
    public func startFax(send files: [String], role: FaxSession.Role = .calling,
                         options: FaxSession.Options = .init(ident: "simulator", header: "Dialtone line simulator")) throws(FaxError) {
        audio.startFax(try FaxSession(role: role, direction: .send(files), options: options))
    }

    /// Starts receiving into `file`. `.answering` (default): CED and DIS, as a
    /// machine whose start key was pressed to receive; `.calling`: CNG first.
    public func startFax(receive file: String, role: FaxSession.Role = .answering,
                         options: FaxSession.Options = .init(ident: "simulator")) throws(FaxError) {
        audio.startFax(try FaxSession(role: role, direction: .receive(file), options: options))
    }

    /// True while the fax terminal runs (handed over, not yet at phase E).
    public var faxRunning: Bool { (1...2).contains(audio.faxState.load(ordering: .acquiring)) }

    /// Waits for the fax to end (phase E, or the call cleared) and closes
    /// the session: its outcome; nil when no fax was started or on timeout.
    public func waitForFax(timeout: Duration = .seconds(120)) async -> FaxResult? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            let state = audio.faxState.load(ordering: .acquiring)
            if state == 0 { return nil }
            if state == 3 { return audio.fax?.close() }
            if released {
                // The media thread lets go of the channel at its next tick.
                audio.stop()
                for _ in 0..<200 where audio.isActive { try? await Task.sleep(for: .milliseconds(5)) }
                if !audio.isActive { return audio.fax?.close() }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
