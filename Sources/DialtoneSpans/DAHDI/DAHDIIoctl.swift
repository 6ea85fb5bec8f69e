// SPDX-License-Identifier: GPL-2.0-or-later
import CDAHDI

/// Every DAHDI ioctl Dialtone issues, in one table (STYLE §7; FreeTDM keeps
/// its list in ftmod_zt.c). Values come from dahdi/user.h through CDAHDI.
public enum DAHDIIoctl: Sendable, CaseIterable, CustomStringConvertible {
    case specify, setBlocksize, getParams, setBufinfo, spanstat, getEvent, maint, setLaw, audioMode,
         hdlcFCSMode, flush, timerConfig, timerAck

    public var request: UInt {
        switch self {
        case .specify: CDAHDI_IOC_SPECIFY
        case .setBlocksize: CDAHDI_IOC_SET_BLOCKSIZE
        case .getParams: CDAHDI_IOC_GET_PARAMS
        case .setBufinfo: CDAHDI_IOC_SET_BUFINFO
        case .spanstat: CDAHDI_IOC_SPANSTAT
        case .getEvent: CDAHDI_IOC_GETEVENT
        case .maint: CDAHDI_IOC_MAINT
        case .setLaw: CDAHDI_IOC_SETLAW
        case .audioMode: CDAHDI_IOC_AUDIOMODE
        case .hdlcFCSMode: CDAHDI_IOC_HDLCFCSMODE
        case .flush: CDAHDI_IOC_FLUSH
        case .timerConfig: CDAHDI_IOC_TIMERCONFIG
        case .timerAck: CDAHDI_IOC_TIMERACK
        }
    }

    public init?(request: UInt) {
        guard let c = DAHDIIoctl.allCases.first(where: { $0.request == request }) else { return nil }
        self = c
    }

    public var description: String {
        switch self {
        case .specify: "DAHDI_SPECIFY"
        case .setBlocksize: "DAHDI_SET_BLOCKSIZE"
        case .getParams: "DAHDI_GET_PARAMS"
        case .setBufinfo: "DAHDI_SET_BUFINFO"
        case .spanstat: "DAHDI_SPANSTAT"
        case .getEvent: "DAHDI_GETEVENT"
        case .maint: "DAHDI_MAINT"
        case .setLaw: "DAHDI_SETLAW"
        case .audioMode: "DAHDI_AUDIOMODE"
        case .hdlcFCSMode: "DAHDI_HDLCFCSMODE"
        case .flush: "DAHDI_FLUSH"
        case .timerConfig: "DAHDI_TIMERCONFIG"
        case .timerAck: "DAHDI_TIMERACK"
        }
    }
}

/// Constants from dahdi/user.h used by the driver.
enum DAHDIConst {
    static let lawMulaw: Int32 = DAHDI_LAW_MULAW
    static let lawAlaw: Int32 = DAHDI_LAW_ALAW
    static let policyImmediate: Int32 = DAHDI_POLICY_IMMEDIATE
    static let flushRead: Int32 = DAHDI_FLUSH_READ
    static let sigClear: Int32 = CDAHDI_SIG_CLEAR
    static let sigHDLCFCS: Int32 = CDAHDI_SIG_HDLCFCS
    static let sigHardHDLC: Int32 = CDAHDI_SIG_HARDHDLC
    static let eventAlarm: Int32 = DAHDI_EVENT_ALARM
    static let eventNoAlarm: Int32 = DAHDI_EVENT_NOALARM
    static let eventAbort: Int32 = DAHDI_EVENT_ABORT
    static let eventBadFCS: Int32 = DAHDI_EVENT_BADFCS
    static let maintNone: Int32 = DAHDI_MAINT_NONE
    static let maintLocalLoop: Int32 = DAHDI_MAINT_LOCALLOOP
    static let maintNetworkLineLoop: Int32 = DAHDI_MAINT_NETWORKLINELOOP
    /// DAHDI_TIMERACK argument: acknowledge one expiry.
    static let timerAckOne: Int32 = 1
}

extension SpanAlarms {
    /// The `alarms` word of DAHDI_SPANSTAT (or sysfs `alarms`), bit by bit.
    /// The six DAHDI_ALARM_* bits Dialtone reports happen to have the same
    /// values as ``SpanAlarms``, but they are mapped by name so a change on
    /// either side cannot pass silently. DAHDI_ALARM_LOS/LFA/LMFA (bits 8–10)
    /// are details that drivers raise together with RED; they are dropped.
    public init(dahdi word: Int32) {
        var a: SpanAlarms = []
        if word & DAHDI_ALARM_RECOVER != 0 { a.insert(.recovering) }
        if word & DAHDI_ALARM_LOOPBACK != 0 { a.insert(.loopback) }
        if word & DAHDI_ALARM_YELLOW != 0 { a.insert(.yellow) }
        if word & DAHDI_ALARM_RED != 0 { a.insert(.red) }
        if word & DAHDI_ALARM_BLUE != 0 { a.insert(.blue) }
        if word & DAHDI_ALARM_NOTOPEN != 0 { a.insert(.notOpen) }
        self = a
    }
}
