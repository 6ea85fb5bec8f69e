// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneFax

/// What a transmission needs besides the documents (from `fax:`).
public struct FaxSendSettings: Sendable, Equatable {
    /// The T.30 header line on every page sent (empty: none).
    public var header: String
    /// The local identifier sent as TSI (empty: none).
    public var ident: String
    /// Seconds an outbound call may ring.
    public var answerTimeout: Double

    public init(header: String = "", ident: String = "", answerTimeout: Double = 60) {
        self.header = header
        self.ident = ident
        self.answerTimeout = answerTimeout
    }
}

/// The fax application's port to the switch's fax core: the one place it
/// touches calls and T.30. The daemon implements it over `SwitchCore`
/// (originate, `SwitchCore.fax(callID, send:)`, the `fax.*` events);
/// tests implement it with scripted far ends. Every method returns when the
/// call or the transmission is over and never throws: failures are outcomes.
public protocol FaxLine: Sendable {
    /// Places a call to `number` (routed by the dialplan), and when it is
    /// answered transmits the TIFF files `documents` in order as one T.30
    /// session (ECM on, V.17/V.29/V.27ter), then clears the call.
    /// `key` names the attempt for ``hangUp(_:)``.
    func send(_ key: FaxDestinationKey, to number: String, documents: [String], settings: FaxSendSettings) async -> FaxOutcome

    /// Transmits `documents` on a call already answered (fax-on-demand: the
    /// caller pressed start on their fax machine); the call is cleared after.
    func transmit(onCall callID: String, documents: [String], settings: FaxSendSettings) async -> FaxOutcome

    /// Receives a fax on a call (answered, or answered first) into the TIFF `path`
    /// (T.30 answering role: the far machine called); returns when T.30 has ended.
    /// The call is left up (the application clears it).
    func receive(onCall callID: String, into path: String) async -> FaxOutcome

    /// Clears the call of `key` if it is up (a cancelled job); its `send` then returns.
    func hangUp(_ key: FaxDestinationKey) async
}
