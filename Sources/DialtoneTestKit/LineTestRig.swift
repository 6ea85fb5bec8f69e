// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneDaemon
import DialtoneConfig
import DialtoneSpans
import Foundation

/// Opens a configured span (and its looped far end, where there is one) for
/// the line test tools, outside the daemon. Run them with the daemon stopped:
/// a DAHDI channel has one owner.
public struct LineTestRig {
    public let near: any SpanDriver
    public let far: (any SpanDriver)?
    public let clock: any FrameClock
    public let config: SpanConfig
    private let link: VirtualLink?

    public init(config: DialtoneConfig, span name: String) throws {
        guard let s = config.span(named: name) else {
            throw DaemonError("no span named '\(name)' in the config (spans: \(config.spans.map(\.name).joined(separator: ", ")))")
        }
        self.config = s
        switch (s.driver, s.peer) {
        case (.virtual, .simulator):
            let l = try VirtualLink(a: s.name, b: "\(s.name)-far", type: s.type, law: s.law)
            link = l
            near = l.a
            far = l.b
            clock = VirtualClock.shared
        case (.virtual, _):
            throw DaemonError("span \(name): line tests on socket-attached spans run from the far end's equipment")
        case (.dahdi, let peer):
            guard let n = s.dahdiSpan, let base = s.dahdiBaseChannel else { throw DaemonError("span \(name): dahdi_span missing") }
            near = DAHDISpan(name: s.name, type: s.type, law: s.law, spanNumber: n, baseChannel: base,
                             bearerChannels: s.type.bearerChannels, dchannel: s.type.dchannelTimeslot)
            if case .dahdiLoop(let fn, let fb) = peer {
                far = DAHDISpan(name: "\(s.name)-far", type: s.type, law: s.law, spanNumber: fn, baseChannel: fb,
                                bearerChannels: s.type.bearerChannels, dchannel: s.type.dchannelTimeslot)
            } else {
                far = nil
            }
            link = nil
            clock = VirtualClock.shared
        }
    }

    public func start() throws {
        try near.start()
        try far?.start()
    }

    public func stop() {
        near.stop()
        far?.stop()
        link?.close()
    }
}
