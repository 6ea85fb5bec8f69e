// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneLineSim
import Foundation

/// `dialtone simulate --dtmf/--keypad`: one call from the simulated network
/// that, once answered, keys digits in band (SpanDSP's DTMF generator) and
/// then as Q.931 keypad facility IEs (one INFORMATION per digit), stays
/// `hold` seconds and hangs up.
enum SimulatedDigits {
    static func run(_ sim: LineSimulator, port: String, number: String, dtmf: String, keypad: String,
                    toneMs: Int, level: Int, hold: Double) async -> Bool {
        let call: LiveCall
        switch await sim.dialLive(port: port, ani: "4155550123", dnis: number, seconds: 600, timeout: .seconds(60)) {
        case .success(let c): call = c
        case .failure(let e):
            printError("dialtone simulate: the call to \(number) failed: \(e)")
            return false
        }
        print("call answered on \(port) channel \(call.channel)")
        fflush(nil)
        if !dtmf.isEmpty {
            call.sendDTMF(dtmf, level: level, onMs: toneMs, offMs: toneMs)
            // Played out at the line's pace, with a margin for the last tone's report.
            try? await Task.sleep(for: .milliseconds(dtmf.count * 2 * toneMs + 300))
            print("in band: \(dtmf) (\(toneMs) ms tones, \(toneMs) ms pauses, \(level) dBm0)")
        }
        for d in keypad {
            call.sendKeypad(String(d))
            try? await Task.sleep(for: .milliseconds(200))
        }
        if !keypad.isEmpty { print("keypad: \(keypad)") }
        fflush(nil)
        try? await Task.sleep(for: .milliseconds(Int64(hold * 1000)))
        let cleared = call.cause
        await call.hangUp()
        if let cleared {
            printError("dialtone simulate: the daemon cleared the call early (\(cleared))")
            return false
        }
        return true
    }
}
