// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// A note: where it starts and how long it lasts (samples), its pitch
/// (gliding from `fromHz` to `toHz` over `glide` samples), vibrato and timbre.
struct MusicNote {
    var start: Int
    var length: Int
    var fromHz: Double
    var toHz: Double
    var glide: Int
    var vibratoHz: Double
    var vibratoDepth: Double  // fraction of the frequency
    var amplitude: Float
    var timbre: Wavetables.Timbre
}

/// Writes one piece of ``TalkOffMusic``: picks a form, key, tempo and
/// instruments with its random source, lays out the notes and renders them.
struct Composer {
    enum Form: String, CaseIterable {
        case melodyAndChords = "melody and chords"
        case duet
        case trio = "melody, bass and chords"
        case sweeps = "two sliding instruments"
    }

    var random: SplitMix64
    let tables: Wavetables
    let index: Int
    /// Semitones the melodies may rise above A#5 (932 Hz), and the sweeps' highest pitch.
    let above: Int
    let sweepTop: Double
    private var notes: [MusicNote] = []
    private var beat = 0.5  // seconds
    private var scale: [Int] = []
    private var length = 0  // samples

    init(random: SplitMix64, tables: Wavetables, index: Int, highestHz: Double) {
        above = max(0, Int((12 * log2(highestHz / Composer.hz(81))).rounded(.down)))
        sweepTop = highestHz
        self.random = random
        self.tables = tables
        self.index = index
    }

    mutating func compose(seconds: Int) -> TalkOffMusic.Piece {
        length = seconds * Int(TalkOffMusic.sampleRate)
        let bpm = random.int(70...160)
        beat = 60 / Double(bpm)
        let root = random.int(48...59)
        let mode = random.pick([("major", [0, 2, 4, 5, 7, 9, 11]), ("minor", [0, 2, 3, 5, 7, 8, 10]),
                                ("pentatonic", [0, 2, 4, 7, 9]), ("blues", [0, 3, 5, 6, 7, 10])])
        scale = (24...108).filter { mode.1.contains(($0 - root + 120) % 12) }
        let form = random.pick(Form.allCases)
        let timbres = Wavetables.Timbre.allCases
        let a = random.pick(timbres), b = random.pick(timbres), c = random.pick(timbres)
        var playing: [String]
        switch form {
        case .melodyAndChords:
            melody(range: 60...(81 + above), timbre: a, amplitude: 1)
            chords(range: 48...76, timbre: b, amplitude: 0.45)
            playing = [a, b].map(\.rawValue)
        case .duet:
            melody(range: 64...(81 + above), timbre: a, amplitude: 1)
            melody(range: 48...69, timbre: b, amplitude: 0.9)
            playing = [a, b].map(\.rawValue)
        case .trio:
            melody(range: 62...(81 + above), timbre: a, amplitude: 1)
            bass(range: 33...52, timbre: b, amplitude: 0.8)
            chords(range: 52...76, timbre: c, amplitude: 0.35)
            playing = [a, b, c].map(\.rawValue)
        case .sweeps:
            sweeps(timbre: a, amplitude: 1)
            sweeps(timbre: b, amplitude: 0.9)
            playing = [a, b].map(\.rawValue)
        }
        var out = [Float](repeating: 0, count: length)
        for note in notes { render(note, into: &out) }
        let name = String(format: "music-%02d (%@, %@ %@, %d bpm: %@)", index, form.rawValue,
                          Composer.noteNames[root % 12], mode.0, bpm, playing.joined(separator: " + "))
        return TalkOffMusic.Piece(name: name, samples: out.map { Int16(max(-32767, min(32767, $0 * 4000))) })
    }

    static let noteNames = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]

    static func hz(_ midi: Int) -> Double { 440 * pow(2, Double(midi - 69) / 12) }

    /// A random walk over the scale within `range`: notes of ¼ to 2 beats,
    /// some gliding from the previous pitch, vibrato on the longer ones.
    private mutating func melody(range: ClosedRange<Int>, timbre: Wavetables.Timbre, amplitude: Float) {
        let allowed = scale.filter { range.contains($0) }
        var at = 0, position = allowed.count / 2
        var previous: Double?
        while at < length {
            let beats = random.pick([0.25, 0.5, 0.5, 1, 1, 1.5, 2])
            let samples = Int(beats * beat * TalkOffMusic.sampleRate)
            if random.chance(0.1) { at += samples; previous = nil; continue }  // a rest
            position = min(max(position + random.pick([-3, -2, -1, -1, 0, 1, 1, 2, 3]), 0), allowed.count - 1)
            let hz = Composer.hz(allowed[position])
            let glides = previous != nil && random.chance(0.3)
            notes.append(MusicNote(start: at, length: Int(Double(samples) * 0.92), fromHz: glides ? previous! : hz, toHz: hz,
                                   glide: glides ? Int(random.range(0.04...0.15) * TalkOffMusic.sampleRate) : 0,
                                   vibratoHz: random.range(4.5...6.5),
                                   vibratoDepth: beats >= 1 ? random.range(0.003...0.015) : 0,
                                   amplitude: amplitude * Float(random.range(0.7...1)), timbre: timbre))
            previous = hz
            at += samples
        }
    }

    /// Triads and sevenths on scale degrees, 2 or 4 beats each.
    private mutating func chords(range: ClosedRange<Int>, timbre: Wavetables.Timbre, amplitude: Float) {
        let allowed = scale.filter { range.contains($0) }
        var at = 0
        while at < length {
            let samples = Int(random.pick([2.0, 4.0]) * beat * TalkOffMusic.sampleRate)
            let base = random.int(0...max(0, allowed.count - 7))
            let voices = random.chance(0.3) ? [0, 2, 4, 6] : [0, 2, 4]
            for v in voices where base + v < allowed.count {
                let hz = Composer.hz(allowed[base + v])
                notes.append(MusicNote(start: at, length: Int(Double(samples) * 0.97), fromHz: hz, toHz: hz, glide: 0,
                                       vibratoHz: 5, vibratoDepth: timbre == .strings ? 0.006 : 0, amplitude: amplitude, timbre: timbre))
            }
            at += samples
        }
    }

    /// Roots and fifths, one or two beats each.
    private mutating func bass(range: ClosedRange<Int>, timbre: Wavetables.Timbre, amplitude: Float) {
        let allowed = scale.filter { range.contains($0) }
        var at = 0
        while at < length {
            let samples = Int(random.pick([1.0, 1.0, 2.0]) * beat * TalkOffMusic.sampleRate)
            let hz = Composer.hz(random.pick(allowed))
            notes.append(MusicNote(start: at, length: Int(Double(samples) * 0.85), fromHz: hz, toHz: hz, glide: 0,
                                   vibratoHz: 5, vibratoDepth: 0, amplitude: amplitude, timbre: timbre))
            at += samples
        }
    }

    /// Slow slides between random pitches (150 Hz to `sweepTop`), 1 to 3 s each, the
    /// whole note gliding: partials sweep through every DTMF frequency.
    private mutating func sweeps(timbre: Wavetables.Timbre, amplitude: Float) {
        var at = 0
        var hz = random.range(150...sweepTop)
        while at < length {
            let samples = Int(random.range(1...3) * TalkOffMusic.sampleRate)
            let to = random.range(150...sweepTop)
            notes.append(MusicNote(start: at, length: samples, fromHz: hz, toHz: to, glide: samples,
                                   vibratoHz: random.range(4...7), vibratoDepth: random.range(0...0.01),
                                   amplitude: amplitude, timbre: timbre))
            hz = to
            at += samples
        }
    }

    /// Adds `note` to `out`: wavetable oscillator, glide in log frequency,
    /// vibrato fading in over 150 ms, attack 15 ms, decay to 0.75 by 100 ms, release 30 ms.
    private func render(_ note: MusicNote, into out: inout [Float]) {
        let rate = TalkOffMusic.sampleRate
        let cycle = tables.cycle(note.timbre, highestHz: max(note.fromHz, note.toHz) * (1 + note.vibratoDepth))
        let count = min(note.length, out.count - note.start)
        guard count > 0 else { return }
        let attack = 0.015 * rate, decay = 0.1 * rate, release = 0.03 * rate, fadeIn = 0.15 * rate
        let ratio = log(note.toHz / note.fromHz)
        let size = Double(Wavetables.size)
        var phase = 0.0
        cycle.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress! + note.start
                for n in 0..<count {
                    let t = Double(n)
                    var hz = n < note.glide ? note.fromHz * exp(ratio * t / Double(note.glide)) : note.toHz
                    if note.vibratoDepth > 0 {
                        hz *= 1 + note.vibratoDepth * min(1, t / fadeIn) * sin(2 * .pi * note.vibratoHz * t / rate)
                    }
                    let envelope = t < attack ? t / attack
                        : t < decay ? 1 - 0.25 * (t - attack) / (decay - attack)
                        : 0.75
                    let tail = min(1, Double(count - n) / release)
                    let x = phase * size
                    let i = Int(x), f = Float(x - Double(i))
                    let s = table[i] + f * (table[(i + 1) & (Wavetables.size - 1)] - table[i])
                    base[n] += note.amplitude * Float(envelope * tail) * s
                    phase += hz / rate
                    if phase >= 1 { phase -= 1 }
                }
            }
        }
    }
}
