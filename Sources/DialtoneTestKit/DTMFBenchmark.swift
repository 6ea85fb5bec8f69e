// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneMedia
import DialtoneSpans
import Foundation

/// The DTMF receiver against the talk-off corpus (``TalkOffCorpus``): the
/// digits it reports in speech and music (none is the goal), and its CPU
/// cost per channel against a floor, SpanDSP's own `dtmf_rx` fed the same
/// audio in the same run.
public enum DTMFBenchmark {
    /// A digit reported where there is none: the key, the clip and the time into it.
    public struct FalseDigit: Sendable, CustomStringConvertible {
        public var key: Character
        public var clip: String
        public var seconds: Double
        /// The tone's length as the receiver measured it, ms.
        public var durationMs: Int
        public var description: String { String(format: "'%@' in %@ at %.2f s, %d ms", String(key), clip, seconds, durationMs) }
    }

    /// Feeds `line` to `receiver` (after a reset) 20 ms at a time, as the
    /// media thread does, then 200 ms of silence so that a tone still in
    /// progress ends; every tone it reports, placed in the corpus where it began.
    public static func talkOff(_ receiver: DTMFReceiver, line: TalkOffLine) -> [FalseDigit] {
        receiver.reset()
        var found: [FalseDigit] = []
        let tones = UnsafeMutablePointer<DTMFTone>.allocate(capacity: 16)
        defer { tones.deallocate() }
        func take(at end: Int) {
            let n = receiver.takeTones(into: tones, capacity: 16)
            for k in 0..<n {
                let begun = max(0, min(line.bytes.count - 1, end - Int(tones[k].ageMs) * 8))
                let place = line.place(begun)
                found.append(FalseDigit(key: tones[k].character, clip: place.clip, seconds: place.seconds, durationMs: Int(tones[k].durationMs)))
            }
        }
        line.bytes.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let n = min(frameBytes, raw.count - at)
                receiver.receive(g711: UnsafeRawBufferPointer(rebasing: raw[at..<(at + n)]), law: line.law)
                at += n
                take(at: at)
            }
        }
        let silence = [UInt8](repeating: G711.encode(0, line.law), count: frameBytes)
        for _ in 0..<10 {
            silence.withUnsafeBytes { receiver.receive(g711: $0, law: line.law) }
            take(at: line.bytes.count)
        }
        return found
    }

    /// Digits SpanDSP's own receiver (the floor's settings) reports over `samples`, for reference.
    public static func floorTalkOff(_ samples: [Int16]) -> Int {
        guard let state = dtmf_rx_init(nil, nil, nil) else { return -1 }
        defer { _ = dtmf_rx_free(state) }
        dtmf_rx_parms(state, 0, 8, 4, -99)
        var digits = [CChar](repeating: 0, count: 130)
        var total = 0
        samples.withUnsafeBufferPointer { s in
            var at = 0
            while at < s.count {
                let n = min(frameBytes, s.count - at)
                _ = dtmf_rx(state, s.baseAddress! + at, Int32(n))
                total += Int(dtmf_rx_get(state, &digits, 128))
                at += n
            }
        }
        return total
    }

    /// CPU (ns) per 20 ms frame per channel: `channels` receivers each fed
    /// `frames` frames of `samples` by ``feed(_:samples:frames:from:tones:)``,
    /// after `warmUp` frames unmeasured.
    public static func receiverCost(samples: [Int16], channels: Int, frames: Int, warmUp: Int = 50, profile: DTMFProfile) -> Double {
        let receivers = (0..<channels).map { _ in DTMFReceiver(profile: profile) }
        let tones = UnsafeMutablePointer<DTMFTone>.allocate(capacity: 16)
        defer { tones.deallocate() }
        return samples.withUnsafeBufferPointer { s in
            var found = feed(receivers, samples: s, frames: warmUp, from: 0, tones: tones)
            let cpu0 = FaxBenchmark.threadCPU()
            found &+= feed(receivers, samples: s, frames: frames, from: warmUp, tones: tones)
            let cpu = FaxBenchmark.threadCPU() - cpu0
            withExtendedLifetime(found) {}
            return cpu * 1e9 / Double(frames * receivers.count)
        }
    }

    /// The measured loop: frames `from ..< from + frames` to every receiver,
    /// each channel from its own place in `samples` (wrapping round), frame
    /// by frame across the channels as the media thread runs them, the
    /// tones taken into `tones` (16) after every frame. Allocates nothing;
    /// returns how many tones were taken.
    public static func feed(_ receivers: [DTMFReceiver], samples s: UnsafeBufferPointer<Int16>, frames: Int, from: Int,
                            tones: UnsafeMutablePointer<DTMFTone>) -> Int {
        let total = s.count / frameBytes, channels = receivers.count
        var found = 0
        for f in from..<(from + frames) {
            for c in 0..<channels {
                let frame = (f + c * total / channels) % total
                receivers[c].receive(s.baseAddress! + frame * frameBytes, count: frameBytes)
                found &+= receivers[c].takeTones(into: tones, capacity: 16)
            }
        }
        return found
    }

    /// The floor: the same loop over SpanDSP's `dtmf_rx` called directly
    /// (`dtmf_rx_parms(s, 0, 8, 4, -99)`), its digits taken with `dtmf_rx_get` after every frame.
    public static func floorCost(samples: [Int16], channels: Int, frames: Int, warmUp: Int = 50) -> Double {
        let states = (0..<channels).compactMap { _ in dtmf_rx_init(nil, nil, nil) }
        defer { for s in states { _ = dtmf_rx_free(s) } }
        for s in states { dtmf_rx_parms(s, 0, 8, 4, -99) }
        let digits = UnsafeMutablePointer<CChar>.allocate(capacity: 20)
        defer { digits.deallocate() }
        return samples.withUnsafeBufferPointer { s in
            let total = s.count / frameBytes
            var found = 0
            var cpu0 = FaxBenchmark.threadCPU()
            for f in 0..<(warmUp + frames) {
                if f == warmUp { cpu0 = FaxBenchmark.threadCPU() }
                for c in 0..<states.count {
                    let frame = (f + c * total / channels) % total
                    _ = dtmf_rx(states[c], s.baseAddress! + frame * frameBytes, Int32(frameBytes))
                    found &+= Int(dtmf_rx_get(states[c], digits, 16))
                }
            }
            let cpu = FaxBenchmark.threadCPU() - cpu0
            withExtendedLifetime(found) {}
            return cpu * 1e9 / Double(frames * channels)
        }
    }
}
