// SPDX-License-Identifier: GPL-2.0-or-later
import CPRI

/// The ISDN variant spoken on a D-channel (libpri's switchtype).
public enum SwitchType: String, Sendable, CaseIterable, Codable {
    case national        // National ISDN 2 (NI2)
    case ni1
    case dms100
    case att4ess = "4ess"
    case lucent5e = "5ess"
    case euroisdnE1 = "euroisdn_e1"
    case euroisdnT1 = "euroisdn_t1"
    case qsig

    var libpriValue: Int32 {
        switch self {
        case .national: PRI_SWITCH_NI2
        case .ni1: PRI_SWITCH_NI1
        case .dms100: PRI_SWITCH_DMS100
        case .att4ess: PRI_SWITCH_ATT4ESS
        case .lucent5e: PRI_SWITCH_LUCENT5E
        case .euroisdnE1: PRI_SWITCH_EUROISDN_E1
        case .euroisdnT1: PRI_SWITCH_EUROISDN_T1
        case .qsig: PRI_SWITCH_QSIG
        }
    }
}

/// Which side of the user–network interface this D-channel plays.
public enum SignallingRole: String, Sendable, CaseIterable, Codable {
    /// The network side (NT): chooses B-channels, like a central office.
    case net
    /// The user side (TE), like a PBX attached to the PSTN.
    case cpe

    var libpriValue: Int32 { self == .net ? PRI_NETWORK : PRI_CPE }
    public var opposite: SignallingRole { self == .net ? .cpe : .net }
}
