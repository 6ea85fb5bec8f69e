// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneTestKit
import Foundation

/// `dialtone bench`'s fax part: pages per CPU-second through the daemon's
/// fax stage against bare SpanDSP in C (`bench/faxfloor.c`), same document
/// (3 sparse fine pages), same options, rounds alternating the two.
extension Bench {
    func fax(dir: String, say: (String) -> Void) throws {
        let document = "\(dir)/fax-bench.tif"
        try FaxDocument.makeTestDocument(document, title: "Dialtone fax benchmark")
        say("Dialtone fax benchmark: a 3-page document (fine, sparse) sent from one fax stage of the media engine to another")
        say("through a virtual E1 (A-law), ECM, V.17/V.29/V.27ter, T.6 allowed, ticked back to back; CPU of the ticking thread.")
        var ratios: [Double] = [], ours: [Double] = []
        for round in 1...faxRounds {
            let f = try FaxBenchmark.run(document: document, directory: dir)
            ours.append(f.pagesPerCPUSecond)
            var line = String(format: "  round %d: Dialtone %d pages in %.1f s of line time, %.3f s CPU = %.0f pages per CPU-second%@",
                              round, f.pages, f.lineSeconds, f.cpuSeconds, f.pagesPerCPUSecond,
                              f.code == 0 ? "" : " (T.30 code \(f.code): \(FaxResult.text(f.code)))")
            if let faxFloor, let floor = runFaxFloor(faxFloor, document: document, dir: dir) {
                let floorRate = Double(floor.pages) / floor.cpu
                ratios.append(f.pagesPerCPUSecond / floorRate)
                line += String(format: "; C floor %d pages, %.3f s CPU = %.0f pages per CPU-second; ratio %.2f",
                               floor.pages, floor.cpu, floorRate, f.pagesPerCPUSecond / floorRate)
            } else if faxFloor != nil {
                line += "; C floor failed"
            }
            say(line)
        }
        let median = { (v: [Double]) -> Double in
            let s = v.sorted()
            return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        var summary = String(format: "  fax: median %.0f pages per CPU-second over %d rounds", median(ours), ours.count)
        if !ratios.isEmpty {
            summary += String(format: "; ratio to the C floor median %.2f (rounds %@); goal ≥ 0.9", median(ratios),
                              ratios.map { String(format: "%.2f", $0) }.joined(separator: ", "))
        }
        say(summary)
    }

    /// Runs `faxfloor DOC DIR 1`: pages and CPU seconds, nil when it fails.
    private func runFaxFloor(_ floor: String, document: String, dir: String) -> (pages: Int, cpu: Double)? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: floor)
        p.arguments = [document, dir, "1"]
        let out = Pipe()
        p.standardOutput = out
        do { try p.run() } catch { return nil }
        let text = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let fields = String(decoding: text, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard p.terminationStatus == 0, fields.count >= 4, let pages = Int(fields[0]), let cpu = Double(fields[1]), cpu > 0,
              fields[3] == "0" else { return nil }
        return (pages, cpu)
    }
}
