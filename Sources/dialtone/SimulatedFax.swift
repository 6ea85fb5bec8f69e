// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneLineSim
import DialtoneMedia
import Foundation

/// `dialtone simulate --fax-send/--fax-receive`: one call from the simulated
/// network whose far end is a SpanDSP fax machine.
enum SimulatedFax {
    static func run(_ sim: LineSimulator, port: String, number: String, send: String?, receive: String?, json: Bool) async -> Bool {
        if let send {
            do { try FaxDocument.validateForSending(send) } catch {
                printError("dialtone simulate: \(error)")
                return false
            }
        }
        let call: LiveCall
        switch await sim.dialLive(port: port, ani: "4155550170", dnis: number, seconds: 600, timeout: .seconds(60)) {
        case .success(let c): call = c
        case .failure(let e):
            printError("dialtone simulate: the fax call to \(number) failed: \(e)")
            return false
        }
        do {
            if let send { try call.startFax(send: [send]) } else if let receive { try call.startFax(receive: receive) }
        } catch {
            printError("dialtone simulate: \(error)")
            await call.hangUp()
            return false
        }
        guard let result = await call.waitForFax(timeout: .seconds(600)) else {
            printError("dialtone simulate: no fax result within 600 s")
            await call.hangUp()
            return false
        }
        await call.hangUp()
        print(result, number: number, json: json)
        return result.succeeded
    }

    static func print(_ r: FaxResult, number: String, json: Bool) {
        if json {
            let object: [String: Any] = ["number": number, "code": r.code, "result": r.text, "pages": r.pages, "rate": r.rate,
                                         "ecm": r.ecm, "file": r.file]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                Swift.print(String(decoding: data, as: UTF8.self))
            }
        } else {
            Swift.print("fax \(number): \(r)  file \(r.file)")
        }
        fflush(nil)
    }
}
