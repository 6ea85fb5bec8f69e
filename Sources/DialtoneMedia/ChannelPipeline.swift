// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans

/// A step of a channel's pipeline. Each stage owns its state (allocated with
/// the engine, re-initialised in place when started) and is on or off; the
/// pipeline calls the stages that are on, in a fixed order.
protocol MediaStage {
    var isActive: Bool { get }
}

/// Where a pipeline's events go (the engine's event queue).
protocol MediaEventSink {
    func emit(_ event: MediaEngine.Event)
}

/// What the pipelines share during a tick: the spans, the codec tables and
/// the engine's scratch buffers, taps and mixer (all allocated with the engine).
struct TickContext {
    let spans: [any SpanDriver]
    let tables: G711Tables
    /// The frame being received or transmitted (one at a time: the tick is sequential).
    let frame: UnsafeMutableRawBufferPointer
    /// Its samples, when a stage needs them.
    let linear: UnsafeMutablePointer<Int16>
    /// Room for the tones a frame completes (``DTMFDetector/maxDigitsPerFrame``).
    let tones: UnsafeMutablePointer<DTMFTone>
    let taps: RecordingTaps
    let recorder: RecordingWriter?
    let mixer: ConferenceMixer
}

/// One B-channel's media, as a pipeline of stages in a fixed order:
///
///     receive:   line → 1 DTMF detector, fax tone detector, 1b silence detector → 2 recording tap → 3 fax → 4 route
///     route:     sink | bridge peer's line | conference seat (mixed after every channel ran)
///     transmit:  line ← fax modem | prompt player | tone player   (when not routed)
///                line ← bridge peer | conference mixer  (when routed)
///
/// Stage 3 is SpanDSP's T.30 fax terminal (``FaxStage``): it sees each
/// received frame's samples after the tap and, as a transmit source, sends
/// its modem audio instead of the players. Frames are decoded to linear
/// once, when a stage works on samples (the detectors, a conference seat,
/// the fax modem).
///
/// Commands build and tear the pipeline down (``MediaEngine/Command``); the
/// tick runs it. A routed channel has no player (a route replaces them and
/// play commands are refused while routed).
struct ChannelPipeline {
    let endpoint: MediaEngine.Endpoint
    let law: G711Law
    var detector: DTMFDetector
    var faxTones = FaxToneDetector()
    var silence = SilenceDetector()
    var tap = TapPoint()
    var fax = FaxStage()
    var route = Route.sink
    var prompt = PromptPlayer()
    var tone = TonePlayer()
    /// Ticks the channel stays in use once its work is done, its transmit
    /// slack playing out (0: not in use).
    var linger: UInt8 = 0

    init(endpoint: MediaEngine.Endpoint, law: G711Law, dtmf: DTMFProfile = .att) {
        self.endpoint = endpoint
        self.law = law
        detector = DTMFDetector(profile: dtmf)
    }

    /// The channel has work: it is kept in use.
    var hasWork: Bool { route.isRouted || prompt.isActive || tone.isActive || detector.isActive || tap.isActive || receives }
    /// Its received frames are read (otherwise the driver keeps or drops them).
    var receives: Bool { route.isRouted || detector.isActive || silence.isActive || tap.isActive || fax.isActive || faxTones.isActive }

    /// Stops the players (a route or another player takes over the transmit).
    mutating func stopPlayers() {
        prompt.stop()
        tone.stop()
    }

    /// One tick: the player's frame out, then every frame received through
    /// the receive stages. Returns the frames sent on to a bridge peer.
    @inline(__always)
    mutating func tick<Sink: MediaEventSink>(_ ctx: TickContext, _ sink: Sink) -> UInt64 {
        let span = ctx.spans[endpoint.span]
        let out = ctx.frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if fax.isActive {
            fax.fill(out, law: law, scratch: ctx.linear, tables: ctx.tables)
            _ = span.writeFrame(channel: endpoint.channel, from: UnsafeRawBufferPointer(ctx.frame))
        } else if prompt.isActive {
            let token = prompt.token
            let finished = prompt.fill(out, idle: law.idleByte)
            _ = span.writeFrame(channel: endpoint.channel, from: UnsafeRawBufferPointer(ctx.frame))
            if finished { sink.emit(.promptFinished(endpoint, token: token)) }
        } else if tone.isActive {
            tone.fill(out, law: law, scratch: ctx.linear, tables: ctx.tables)
            _ = span.writeFrame(channel: endpoint.channel, from: UnsafeRawBufferPointer(ctx.frame))
        }
        guard receives else { return 0 }
        var forwarded: UInt64 = 0
        while true {
            let got = span.readFrame(channel: endpoint.channel, into: ctx.frame)
            if got == 0 { break }
            forwarded &+= receive(count: got, ctx, sink)
        }
        return forwarded
    }

    /// The receive stages, in order, for one frame in `ctx.frame`. (Mutating
    /// so that the pipeline is used in place: taken by value it would be
    /// copied, and its references retained, for every frame.)
    @inline(__always)
    private mutating func receive<Sink: MediaEventSink>(count: Int, _ ctx: TickContext, _ sink: Sink) -> UInt64 {
        let bytes = ctx.frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var samples = ctx.linear
        if case .conference(let c, let seat) = route {
            samples = ctx.mixer.buffer(c, seat)  // decoded straight into the seat
            ctx.tables.decode(bytes, count: count, law, into: samples)
        } else if detector.isActive || fax.isActive || faxTones.isActive || silence.isActive {
            ctx.tables.decode(bytes, count: count, law, into: samples)
        }
        // 1. DTMF detector.
        if detector.isActive {
            let n = detector.receive(samples, count: count, tones: ctx.tones)
            for k in 0..<n { sink.emit(.digit(endpoint, ctx.tones[k])) }
        }
        if faxTones.isActive { faxTones.receive(samples, count: count, endpoint, sink) }
        // 1b. Silence detector.
        if silence.isActive, silence.receive(samples, count: count) { sink.emit(.silence(endpoint)) }
        // 2. Recording tap.
        if tap.isActive { ctx.taps.push(tap.slot, side: tap.side, bytes, count: count, ctx.recorder) }
        // 3. Fax terminal.
        if fax.isActive { fax.receive(samples, count: count, endpoint, sink) }
        // 4. Route.
        switch route {
        case .sink:
            return 0
        case .bridge(_, let peer, let table):
            BridgeTable.forward(ctx.frame, count: count, table: table, to: peer, spans: ctx.spans)
            return 1
        case .conference(let c, let seat):
            ctx.mixer.received(c, seat, count: count)
            return 0
        }
    }
}
