// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging

/// `dialtone bench`: fax pages per CPU-second through the daemon's fax
/// stage. A media engine runs two channels of a virtual E1 loop (A-law), one
/// sending a document (T.30 calling), the other receiving it (answering),
/// each a ``FaxSession`` in its pipeline's fax stage; the engine is ticked
/// back to back (not real time), as its media thread would tick it, and the
/// ticking thread's CPU time is measured (CLOCK_THREAD_CPUTIME_ID). The C
/// floor (`bench/faxfloor.c`) is bare SpanDSP doing the same exchange.
public enum FaxBenchmark {
    public struct Figures: Sendable {
        /// Pages received (and confirmed) in the exchange.
        public var pages: Int
        /// CPU time of the thread ticking the engine, seconds.
        public var cpuSeconds: Double
        /// Line time the exchange took (ticks × 20 ms), seconds.
        public var lineSeconds: Double
        /// SpanDSP's completion code at the receiver (0 = OK).
        public var code: Int
        public var pagesPerCPUSecond: Double { cpuSeconds > 0 ? Double(pages) / cpuSeconds : 0 }
    }

    /// Sends `document` from one fax stage to another through the engine;
    /// the received file goes to `directory`.
    public static func run(document: String, directory: String) throws -> Figures {
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "bench-fax", b: "bench-fax-far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start()
        try link.b.start()
        var logger = Logger(label: "dialtone.bench.fax")
        logger.logLevel = .warning
        let engine = MediaEngine(spans: [link.a, link.b], clock: clock, logger: logger)
        let tx = MediaEngine.Endpoint(span: 0, channel: 1), rx = MediaEngine.Endpoint(span: 1, channel: 1)
        let received = "\(directory)/bench-fax-\(UUID().uuidString).tif"
        defer { try? FileManager.default.removeItem(atPath: received) }
        let sender = try FaxSession(role: .calling, direction: .send([document]),
                                    options: .init(ident: "+44 1632 960000", header: "Dialtone bench"))
        let receiver = try FaxSession(role: .answering, direction: .receive(received), options: .init(ident: "1632 960001"))
        engine.send(.startFax(tx, sender))
        engine.send(.startFax(rx, receiver))
        var finished = 0, ticks = 0
        let start = threadCPU()
        while finished < 2 && ticks < 50 * 600 {
            link.clockTick()
            engine.tick()
            ticks += 1
            while let e = engine.nextEvent() { if case .faxFinished = e { finished += 1 } }
        }
        let cpu = threadCPU() - start
        _ = sender.close()
        let r = receiver.close()
        return Figures(pages: r.pages, cpuSeconds: cpu, lineSeconds: Double(ticks) / 50, code: r.code)
    }

    /// The calling thread's CPU time, seconds.
    public static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
