// The daemon's configuration model (docs/config.md documents every key).
// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans

/// Everything `dialtone serve` needs, read from one YAML file.
public struct DialtoneConfig: Sendable, Equatable {
    public var daemon: DaemonSettings
    public var spans: [SpanConfig]
    public var routes: [RouteConfig]
    public var simulator: SimulatorConfig
    public var prompts: PromptSettings
    public var menus: [String: MenuConfig]
    public var schedules: [String: ScheduleConfig]
    public var recording: RecordingConfig
    /// Tone sets defined in the file (`tone_sets:`), besides the built-in ones.
    public var toneSets: [String: ToneSet] = [:]
    /// Applications by name (`applications:`), besides the built-in ones.
    public var applications: [String: ApplicationConfig] = [:]
    /// The ACD's agents, in the order written.
    public var agents: [AgentConfig] = []
    /// How calling numbers become customer keys (`customers:`).
    public var customers = CustomerSettings()
    /// Fax-on-demand, fax reception and fax jobs (`fax:`); nil when the section is absent.
    public var fax: FaxConfig?
    /// The file this came from (for messages), if any.
    public var sourcePath: String?

    public init(daemon: DaemonSettings = .init(), spans: [SpanConfig] = [], routes: [RouteConfig] = [],
                simulator: SimulatorConfig = .init(), prompts: PromptSettings = .init(),
                menus: [String: MenuConfig] = [:], schedules: [String: ScheduleConfig] = [:],
                recording: RecordingConfig = .init(), sourcePath: String? = nil) {
        self.recording = recording
        self.prompts = prompts
        self.menus = menus
        self.schedules = schedules
        self.daemon = daemon
        self.spans = spans
        self.routes = routes
        self.simulator = simulator
        self.sourcePath = sourcePath
    }

    public func span(named name: String) -> SpanConfig? { spans.first { $0.name == name } }

    /// The tone set a span plays.
    public func toneSet(for span: SpanConfig) -> ToneSet {
        guard let name = span.tones else { return ToneSet.default(for: span.law) }
        return toneSets[name] ?? ToneSet.builtIn[name] ?? ToneSet.default(for: span.law)
    }
}

public struct DaemonSettings: Sendable, Equatable {
    /// Unix socket for `dialtone spans`/`calls`. Default `/run/dialtone/control.sock`.
    public var controlSocket: String
    /// SQLite file for CDRs. Default `/var/lib/dialtone/dialtone.sqlite`.
    public var database: String
    /// trace, debug, info, notice, warning, error, critical. Default info.
    public var logLevel: String
    /// Optional D-channel capture file (pcap, LAPD link type 203).
    public var pcap: String?
    /// Seconds to wait for calls to clear on SIGTERM. Default 10.
    public var drainSeconds: Double
    /// Permission bits of the control socket. Default 0660.
    public var controlSocketMode: UInt32
    /// Group owning the control socket; nil is the default, `dialtone`, used
    /// when the host has it (otherwise the process's group is kept).
    public var controlSocketGroup: String?
    /// Frames (20 ms) of audio queued ahead on each B-channel as jitter slack,
    /// like chan_dahdi's `buffers=`: more rides out longer host stalls, at
    /// that much more audio delay. Nil: 10 with DAHDI spans, 3 on virtual ones.
    public var bufferFrames: Int?
    /// The Asterisk-compatible queue log (`queue_log`); nil: ``queueLogPath``'s default.
    public var queueLog: String?

    public init(controlSocket: String = "/run/dialtone/control.sock",
                database: String = "/var/lib/dialtone/dialtone.sqlite",
                logLevel: String = "info", pcap: String? = nil, drainSeconds: Double = 10,
                controlSocketMode: UInt32 = 0o660, controlSocketGroup: String? = nil) {
        self.controlSocket = controlSocket
        self.database = database
        self.logLevel = logLevel
        self.pcap = pcap
        self.drainSeconds = drainSeconds
        self.controlSocketMode = controlSocketMode
        self.controlSocketGroup = controlSocketGroup
    }

    /// The group the control socket gets by default.
    public static let defaultControlSocketGroup = "dialtone"
    /// Where the one-daemon-per-config lock lives: next to the database,
    /// which is what two daemons must never share.
    public var lockPath: String { database + ".lock" }
    /// Where queue events are appended in Asterisk's queue_log format:
    /// `queue_log`, or `queue_log` in the database's directory.
    public var queueLogPath: String {
        if let queueLog { return queueLog }
        guard let slash = database.lastIndex(of: "/") else { return "queue_log" }
        return String(database[...slash]) + "queue_log"
    }
}

public enum SpanDriverKind: String, Sendable, Equatable, CaseIterable {
    case virtual
    case dahdi
}

/// Where a span's far end is.
public enum VirtualPeer: Sendable, Equatable {
    /// The built-in line simulator (libpri in the opposite role) in this process.
    case simulator
    /// Another process attaches over this Unix socket (docs/virtual-span.md).
    case socket(path: String)
    /// A real line (the default for DAHDI spans).
    case line
    /// A DAHDI span looped to another DAHDI span (`dahdi_span`, `dahdi_base_channel`
    /// of the far end), which the built-in line simulator drives: hardware loopback tests.
    case dahdiLoop(span: Int, baseChannel: Int)

    /// True when the built-in line simulator is the far end.
    public var isSimulated: Bool {
        switch self {
        case .simulator, .dahdiLoop: true
        case .socket, .line: false
        }
    }
}

public struct SpanConfig: Sendable, Equatable {
    public var name: String
    public var driver: SpanDriverKind
    public var type: SpanType
    public var role: SignallingRole
    public var switchType: SwitchType
    public var law: G711Law
    /// Line framing: E1 `cas`/`ccs` (+`crc4`), T1 `esf`/`d4`. Informational for virtual spans.
    public var framing: String
    /// Line coding: E1 `hdb3`/`ami`, T1 `b8zs`/`ami`.
    public var coding: String
    /// B-channels Dialtone may use (Q.931 numbering). Default: all of the type.
    public var channels: [Int]
    /// DAHDI span number (driver dahdi).
    public var dahdiSpan: Int?
    /// DAHDI channel number of the span's first timeslot (driver dahdi).
    public var dahdiBaseChannel: Int?
    /// Far end of a virtual span.
    public var peer: VirtualPeer
    /// Accept overlap receiving (SETUP without sending-complete, then INFORMATION).
    public var overlap: Bool
    /// libpri debug flags to log (0 = none).
    public var debug: Int
    /// Call progress tones: a built-in set (us, eu, uk, de, fr, au, jp) or one
    /// from `tone_sets:`. Default: eu on A-law spans, us on µ-law spans.
    public var tones: String?
    /// The in-band DTMF receiver's limits (`dtmf:`): Q.24's AT&T or ETSI
    /// column, the lowest level accepted, the dial-tone filter. Default: att, −25 dBm0, filter on.
    public var dtmf = DTMFProfile()

    public init(name: String, driver: SpanDriverKind = .virtual, type: SpanType, role: SignallingRole,
                switchType: SwitchType, law: G711Law? = nil, framing: String? = nil, coding: String? = nil,
                channels: [Int]? = nil, dahdiSpan: Int? = nil, dahdiBaseChannel: Int? = nil,
                peer: VirtualPeer? = nil, overlap: Bool = false, debug: Int = 0) {
        self.name = name
        self.driver = driver
        self.type = type
        self.role = role
        self.switchType = switchType
        self.law = law ?? type.defaultLaw
        self.framing = framing ?? (type == .e1 ? "ccs" : "esf")
        self.coding = coding ?? (type == .e1 ? "hdb3" : "b8zs")
        self.channels = channels ?? type.bearerChannels
        self.dahdiSpan = dahdiSpan
        self.dahdiBaseChannel = dahdiBaseChannel
        self.peer = peer ?? (driver == .virtual ? .simulator : .line)
        self.overlap = overlap
        self.debug = debug
    }
}

/// DNIS routing: the first matching route wins.
public struct RouteConfig: Sendable, Equatable {
    public enum Pattern: Sendable, Equatable {
        case exact(String)
        case prefix(String)
    }
    public var pattern: Pattern
    /// Destination span names, tried in order (hunt group).
    public var spans: [String]
    /// Or: Dialtone answers and runs this (a menu, a schedule, an application).
    public var action: IVRAction?
    /// Digits removed from the front of the DNIS before dialling out.
    public var strip: Int
    /// Digits put in front after stripping.
    public var prepend: String
    /// Seconds to wait for an answer before clearing with cause 19. Default 60.
    public var answerTimeout: Double
    /// Where the caller goes when the destination is busy (cause 17) instead
    /// of hearing busy: an application (typically voice mail), a menu…
    public var onBusy: IVRAction?
    /// Where the caller goes when the destination does not answer (cause 18,
    /// 19, or `answer_timeout` running out).
    public var onNoAnswer: IVRAction?
    /// Where the route was written (for messages).
    public var line: Int?

    public init(pattern: Pattern, spans: [String], strip: Int = 0, prepend: String = "",
                answerTimeout: Double = 60, line: Int? = nil, action: IVRAction? = nil) {
        self.action = action
        self.pattern = pattern
        self.spans = spans
        self.strip = strip
        self.prepend = prepend
        self.answerTimeout = answerTimeout
        self.line = line
    }

    public func matches(_ dnis: String) -> Bool {
        switch pattern {
        case .exact(let n): dnis == n
        case .prefix(let p): dnis.hasPrefix(p)
        }
    }

    /// The number dialled out for `dnis`.
    public func translate(_ dnis: String) -> String {
        prepend + String(dnis.dropFirst(min(strip, dnis.count)))
    }
}

/// The built-in far end on virtual spans with `peer: simulator`: it plays the
/// public network toward spans where Dialtone is CPE, and agent stations
/// toward spans where Dialtone is NET.
public struct SimulatorConfig: Sendable, Equatable {
    /// New inbound calls per second the simulated network offers (0 = none; `serve --demo` raises it).
    public var callsPerSecond: Double
    /// How long a simulated call stays connected, in seconds.
    public var holdSeconds: Double
    /// Simultaneous calls the simulator keeps at most.
    public var maxCalls: Int
    /// Numbers the simulated network dials (DNIS), round robin.
    public var dialNumbers: [String]
    /// Seconds the simulated agents let a call ring before answering.
    public var answerDelay: Double

    public init(callsPerSecond: Double = 0, holdSeconds: Double = 4, maxCalls: Int = 20,
                dialNumbers: [String] = ["5551000"], answerDelay: Double = 0.2) {
        self.callsPerSecond = callsPerSecond
        self.holdSeconds = holdSeconds
        self.maxCalls = maxCalls
        self.dialNumbers = dialNumbers
        self.answerDelay = answerDelay
    }
}

/// A configuration problem with its place: `file:line:column: key: message`.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var line: Int
    public var column: Int
    /// Dotted path of the key, e.g. `spans[1].switchtype`.
    public var key: String
    public var message: String

    public init(file: String, line: Int, column: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(key): \(message)" }
}
