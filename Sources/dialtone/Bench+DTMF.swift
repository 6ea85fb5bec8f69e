// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSpans
import DialtoneTestKit
import Foundation

/// `dialtone bench`'s DTMF part: false digits per hour of the talk-off
/// corpus (speech and music, `make talkoff`) through ``DTMFReceiver``, and
/// the receiver's CPU per channel per 20 ms frame against SpanDSP's own
/// `dtmf_rx` fed the same audio in the same run.
extension Bench {
    func dtmf(say: (String) -> Void) {
        let corpus: TalkOffCorpus
        do { corpus = try TalkOffCorpus.load(directory: talkoff) } catch {
            say("  dtmf: not measured: \(error)")
            return
        }
        say(String(format: "Dialtone DTMF benchmark: the talk-off corpus, %.1f min of speech in %d languages (espeak-ng) and %.1f min of music (%d clips),",
                   corpus.speechSeconds / 60, corpus.languages.count, corpus.musicSeconds / 60, corpus.clips.count))
        say("played at an active level of −16 and −10 dBm0 on µ-law and A-law lines, 20 ms at a time, through DTMFReceiver.")
        let lines = [G711Law.mulaw, .alaw].flatMap { law in [-16.0, -10.0].map { corpus.line(law, level: $0) } }
        let hours = lines.reduce(0) { $0 + $1.seconds } / 3600
        let profiles: [(String, DTMFProfile)] = [("AT&T", .att), ("AT&T, −35 dBm0", DTMFProfile(minimumLevel: -35)), ("ETSI", .etsi)]
        var digits = 0
        for (name, profile) in profiles {
            let receiver = DTMFReceiver(profile: profile)
            let found = lines.flatMap { DTMFBenchmark.talkOff(receiver, line: $0) }
            digits += found.count
            var line = String(format: "  talk-off, profile %@: %d false digits in %.2f h of audio = %.1f per hour", name, found.count, hours,
                              Double(found.count) / hours)
            if !found.isEmpty { line += " (first: " + found.prefix(5).map(\.description).joined(separator: "; ") + ")" }
            say(line)
        }
        let floorDigits = lines.reduce(0) { $0 + DTMFBenchmark.floorTalkOff($1.linear()) }
        say(String(format: "  false digits per hour: %.1f (%d in %.2f h over %d profiles); SpanDSP's own receiver (floor settings) %.1f per hour (%d in %.2f h)",
                   Double(digits) / (hours * Double(profiles.count)), digits, hours * Double(profiles.count), profiles.count,
                   Double(floorDigits) / hours, floorDigits, hours))

        // Beyond the test: melodies and sweeps up to 1.8 kHz, near-pure tones in both DTMF groups at once.
        let wide = TalkOffCorpus.music(seconds: TalkOffCorpus.defaultMusicSeconds, highestHz: 1800)
        let wideLines = [G711Law.mulaw, .alaw].flatMap { law in [-16.0, -10.0].map { wide.line(law, level: $0) } }
        let wideHours = wideLines.reduce(0) { $0 + $1.seconds } / 3600
        let wideFound = wideLines.flatMap { DTMFBenchmark.talkOff(DTMFReceiver(profile: .att), line: $0) }
        let wideFloor = wideLines.reduce(0) { $0 + DTMFBenchmark.floorTalkOff($1.linear()) }
        say(String(format: "  not in the test: %.0f min of music with fundamentals up to 1.8 kHz (near-pure tones a Q.24 receiver may have to accept), same laws and levels:",
                   wide.seconds / 60))
        say(String(format: "    AT&T profile %d digits in %.2f h = %.0f per hour%@; SpanDSP's own %d = %.0f per hour", wideFound.count, wideHours,
                   Double(wideFound.count) / wideHours,
                   wideFound.isEmpty ? "" : " (first: " + wideFound.prefix(3).map(\.description).joined(separator: "; ") + ")",
                   wideFloor, Double(wideFloor) / wideHours))

        let samples = corpus.line(.alaw, level: -16).linear()
        say("  cost: \(dtmfChannels) channels, each from its own place in the corpus (A-law, −16 dBm0, decoded), \(dtmfFrames) frames of 160 samples")
        say("  per channel per round after 50 of warm-up, tones taken after every frame; CPU of the measuring thread. Floor: SpanDSP's dtmf_rx")
        say("  (dtmf_rx_parms 0, 8, 4, −99) and dtmf_rx_get, called directly on the same audio in the same loop.")
        var ours: [Double] = [], floors: [Double] = [], ratios: [Double] = []
        for round in 1...dtmfRounds {
            // Alternate which side goes first, so that neither always runs on a warmer or quieter host.
            var receiver = 0.0, floor = 0.0
            if round % 2 == 1 {
                receiver = DTMFBenchmark.receiverCost(samples: samples, channels: dtmfChannels, frames: dtmfFrames, profile: .att)
                floor = DTMFBenchmark.floorCost(samples: samples, channels: dtmfChannels, frames: dtmfFrames)
            } else {
                floor = DTMFBenchmark.floorCost(samples: samples, channels: dtmfChannels, frames: dtmfFrames)
                receiver = DTMFBenchmark.receiverCost(samples: samples, channels: dtmfChannels, frames: dtmfFrames, profile: .att)
            }
            ours.append(receiver)
            floors.append(floor)
            ratios.append(receiver / floor)
            say(String(format: "  round %d: DTMFReceiver %.0f ns per channel per 20 ms frame; floor %.0f ns; ratio %.2f", round, receiver, floor, receiver / floor))
        }
        let median = { (v: [Double]) -> Double in
            let s = v.sorted()
            return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let cost = median(ours)
        say(String(format: "  DTMFReceiver: median %.0f ns per channel per 20 ms frame (%.0f–%.0f) = %.4f %% of a core per channel; one core carries about %d channels",
                   cost, ours.min() ?? 0, ours.max() ?? 0, cost / 20_000_000 * 100, cost > 0 ? Int(20_000_000 / cost) : 0))
        say(String(format: "  floor (SpanDSP's dtmf_rx): median %.0f ns (%.0f–%.0f); ratio DTMFReceiver / floor: median %.2f of %d interleaved rounds (%@) (goal ≤ 2.0)",
                   median(floors), floors.min() ?? 0, floors.max() ?? 0, median(ratios), ratios.count,
                   ratios.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
    }
}
