// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans

extension MediaEngine {
    /// One 20 ms tick: the queued commands are applied, the pipeline of every
    /// channel in use runs (slot order), every conference mixes, and each
    /// recording tap hands its complete ticks to the writer. Public for the
    /// allocation-counting tests and benchmarks; otherwise the media thread's.
    public func tick() {
        let applied = commands.drain { apply($0) }
        if applied > 0 { appliedCommands.add(UInt64(applied), ordering: .relaxed) }
        var moved: UInt64 = 0
        if slotsInUse > 0 {
            let ctx = TickContext(spans: spans, tables: tables, frame: frame, linear: linear, tones: tones,
                                  taps: taps, recorder: recorder, mixer: mixer)
            for s in 0..<spans.count {
                let base = pipelines + s * MediaEngine.slotsPerSpan
                for ch in 1..<MediaEngine.slotsPerSpan {
                    let p = base + ch
                    if p.pointee.linger == 0 { continue }  // not in use
                    moved &+= p.pointee.tick(ctx, self)
                    if p.pointee.hasWork {
                        p.pointee.linger = lingerTicks
                    } else {
                        p.pointee.linger -= 1  // idle: the slack queued to send plays out, then the channel is let go
                        if p.pointee.linger == 0 { release(p.pointee.endpoint) }
                    }
                }
            }
            for c in 0..<MediaEngine.maxConferences where mixer.size(c) > 0 {
                mixer.mix(c, spans: spans, tables: tables, out: frame)
            }
        }
        if let recorder { taps.flush(recorder) }
        framesMoved.add(moved, ordering: .relaxed)
        tickCount.add(1, ordering: .relaxed)
    }

    /// Takes a channel into use (before its work starts: the driver drops
    /// what it received meanwhile, then the slack is primed).
    @inline(__always)
    func use(_ e: Endpoint) {
        let p = pipelines + slot(e)
        if p.pointee.linger == 0 {
            slotsInUse += 1
            slotsInUseGauge.store(slotsInUse, ordering: .relaxed)
            spans[e.span].setInUse(channel: e.channel, true)
        }
        p.pointee.linger = lingerTicks
    }

    func release(_ e: Endpoint) {
        slotsInUse -= 1
        slotsInUseGauge.store(slotsInUse, ordering: .relaxed)
        spans[e.span].setInUse(channel: e.channel, false)
    }

    /// Queues `count` frames of idle to send (jitter slack).
    func primeIdle(_ e: Endpoint, count: Int) {
        let span = spans[e.span]
        frame.initializeMemory(as: UInt8.self, repeating: span.law.idleByte)
        for _ in 0..<count { _ = span.writeFrame(channel: e.channel, from: UnsafeRawBufferPointer(frame)) }
    }
}
