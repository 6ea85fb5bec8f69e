// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans

extension MediaEngine {
    /// Builds or tears down pipeline stages (media thread, start of a tick).
    /// A command that does not fit the channels' state is refused and counted
    /// (``commandsRefused``); nothing is half applied.
    func apply(_ command: Command) {
        switch command {
        case .bridge(let id, let a, let b):
            guard id >= 0, id < bridges.capacity, !bridges.contains(id), isValid(a), isValid(b), a != b,
                  !pipelines[slot(a)].route.isRouted, !pipelines[slot(b)].route.isRouted,
                  !pipelines[slot(a)].fax.isActive, !pipelines[slot(b)].fax.isActive else { return refuse() }
            use(a)
            use(b)
            bridges.open(id, a, b)
            let lawA = spans[a.span].law, lawB = spans[b.span].law
            spans[a.span].flush(channel: a.channel)
            spans[b.span].flush(channel: b.channel)  // stale received idle; transmit keeps the prime
            connect(a, to: b, bridge: id, table: bridges.translation(from: lawA, to: lawB))
            connect(b, to: a, bridge: id, table: bridges.translation(from: lawB, to: lawA))
            activeBridges.add(1, ordering: .relaxed)
        case .unbridge(let id):
            guard bridges.contains(id) else { return refuse() }
            let bridge = bridges[id]
            bridges.close(id)
            disconnect(bridge.a, bridge: id)
            disconnect(bridge.b, bridge: id)
            activeBridges.subtract(1, ordering: .relaxed)
        case .playTone(let e, let tone):
            guard isValid(e), !pipelines[slot(e)].route.isRouted, !pipelines[slot(e)].fax.isActive,
                  let descriptor = toneDescriptors[e.span * Tone.count + tone.rawValue] else { return refuse() }
            use(e)
            let p = pipelines + slot(e)
            if !p.pointee.tone.isActive && !p.pointee.prompt.isActive { primeIdle(e, count: 3) }
            p.pointee.prompt.stop()
            p.pointee.tone.start(descriptor)
        case .stopTone(let e):
            guard isValid(e) else { return refuse() }
            pipelines[slot(e)].tone.stop()
        case .usePrompts(let library):
            playing = library  // the old one stays retained: nothing is freed here
        case .playPrompt(let e, let id, let token, let loop):
            guard isValid(e), !pipelines[slot(e)].route.isRouted, !pipelines[slot(e)].fax.isActive, let prompts = playing, id >= 0, id < prompts.count
            else { return refuse() }
            use(e)
            let p = pipelines + slot(e)
            if !p.pointee.tone.isActive && !p.pointee.prompt.isActive { primeIdle(e, count: 3) }
            p.pointee.tone.stop()
            p.pointee.prompt.start(prompts.audio(id, p.pointee.law), token: token, loop: loop)
        case .playClip(let e, let clip, let token):
            guard isValid(e), !pipelines[slot(e)].route.isRouted, !pipelines[slot(e)].fax.isActive else { return refuse() }
            use(e)
            let p = pipelines + slot(e)
            if !p.pointee.tone.isActive && !p.pointee.prompt.isActive { primeIdle(e, count: 3) }
            p.pointee.tone.stop()
            clips[slot(e)] = clip  // retains it while it plays (the switch keeps its own reference too)
            p.pointee.prompt.start(clip.audio(p.pointee.law), token: token, loop: false)
        case .stopPrompt(let e):
            guard isValid(e) else { return refuse() }
            pipelines[slot(e)].prompt.stop()
        case .record(let r, let first, let second):
            guard r >= 0, r < taps.count, !taps.isActive(r), isValid(first) else { return refuse() }
            // `if let` only: Optional's generic helpers would make the runtime build metadata (malloc) here.
            var secondIdle = spans[first.span].law.idleByte
            if let second {
                guard isValid(second) else { return refuse() }
                secondIdle = spans[second.span].law.idleByte
            }
            taps.open(r, first: first, idle: spans[first.span].law.idleByte, second: second, idle: secondIdle)
            use(first)
            pipelines[slot(first)].tap.start(slot: r, side: 0)
            if let second {
                use(second)
                pipelines[slot(second)].tap.start(slot: r, side: 1)
            }
        case .stopRecording(let r):
            guard taps.isActive(r) else { return refuse() }
            let first = taps.first(r), second = taps.second(r)
            if pipelines[slot(first)].tap.slot == r { pipelines[slot(first)].tap.stop() }
            if let second, pipelines[slot(second)].tap.slot == r { pipelines[slot(second)].tap.stop() }
            taps.close(r, recorder)
            push(.recordingStopped(slot: r))
        case .joinConference(let c, let e):
            guard c >= 0, c < MediaEngine.maxConferences, isValid(e), !pipelines[slot(e)].route.isRouted, !pipelines[slot(e)].fax.isActive,
                  let seat = mixer.join(c, e, law: pipelines[slot(e)].law) else { return refuse() }
            use(e)
            let p = pipelines + slot(e)
            p.pointee.route = .conference(id: c, seat: seat)
            p.pointee.stopPlayers()
            spans[e.span].flush(channel: e.channel)
            primeIdle(e, count: primeFrames)
        case .leaveConference(let c, let e):
            guard isValid(e), case .conference(c, let seat) = pipelines[slot(e)].route else { return refuse() }
            if mixer.leave(c, seat: seat) { pipelines[slot(mixer.member(c, seat))].route = .conference(id: c, seat: seat) }
            pipelines[slot(e)].route = .sink
        case .startFax(let e, let session):
            guard isValid(e), !pipelines[slot(e)].route.isRouted, !pipelines[slot(e)].fax.isActive else {
                push(.faxFinished(e, session))  // handed back at once: nothing to free here
                return refuse()
            }
            use(e)
            let p = pipelines + slot(e)
            if !p.pointee.tone.isActive && !p.pointee.prompt.isActive { primeIdle(e, count: 3) }
            p.pointee.stopPlayers()
            p.pointee.fax.start(session)
        case .stopFax(let e):
            guard isValid(e), pipelines[slot(e)].fax.isActive else { return refuse() }
            pipelines[slot(e)].fax.stop(e, self)
        case .detectFaxTones(let e, let on):
            guard isValid(e) else { return refuse() }
            if on {
                use(e)
                pipelines[slot(e)].faxTones.start()
            } else {
                pipelines[slot(e)].faxTones.stop()
            }
        case .detectDigits(let e, let on):
            guard isValid(e) else { return refuse() }
            if on {
                use(e)
                pipelines[slot(e)].detector.start()
            } else {
                pipelines[slot(e)].detector.stop()
            }
        case .detectSilence(let e, let samples):
            guard isValid(e) else { return refuse() }
            if samples > 0 { use(e) }
            pipelines[slot(e)].silence.start(samples: samples)
        }
    }

    /// Routes `e`'s frames to `peer` (one side of a bridge): slack first, the players stop.
    private func connect(_ e: Endpoint, to peer: Endpoint, bridge id: Int, table: UnsafePointer<UInt8>?) {
        let p = pipelines + slot(e)
        // A channel playing a tone or prompt has its 3 frames of slack queued already.
        let playing = p.pointee.tone.isActive || p.pointee.prompt.isActive
        primeIdle(e, count: playing ? max(0, primeFrames - 3) : primeFrames)
        p.pointee.stopPlayers()  // a bridge replaces any tone or prompt
        p.pointee.route = .bridge(id: id, peer: peer, table: table)
    }

    private func disconnect(_ e: Endpoint, bridge id: Int) {
        if case .bridge(id, _, _) = pipelines[slot(e)].route { pipelines[slot(e)].route = .sink }
    }

    /// An endpoint the engine has a pipeline for (a span it drives, timeslot 1–31).
    @inline(__always)
    func isValid(_ e: Endpoint) -> Bool {
        e.span >= 0 && e.span < spans.count && e.channel >= 1 && e.channel < MediaEngine.slotsPerSpan
    }

    private func refuse() { refusedCommands.add(1, ordering: .relaxed) }
}
