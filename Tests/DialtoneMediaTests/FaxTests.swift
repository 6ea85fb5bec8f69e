// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
@testable import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Testing

/// Fax documents (libtiff, ghostscript) and SpanDSP's T.30 terminal as a
/// media pipeline stage: two stages back to back in virtual time.
@Suite(.serialized) struct FaxTests {
    static func scratch() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-fax-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func testDocumentHasThreeFaxPages() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FaxDocument.makeTestDocument("\(dir)/doc.tif")
        let pages = try FaxDocument.validateForSending("\(dir)/doc.tif")
        #expect(pages.count == 3)
        #expect(pages.allSatisfy { $0.width == 1728 && $0.yResolution == 196 && $0.xResolution == 204 })
        // Each page has its own text: no two pages alike, none blank.
        let bitmaps = try FaxDocument.bitmaps("\(dir)/doc.tif")
        #expect(bitmaps[0].bits != bitmaps[1].bits && bitmaps[1].bits != bitmaps[2].bits)
        #expect(bitmaps.allSatisfy { $0.blackPixels(rows: 0..<$0.height) > 1000 })
        // A document compared with itself is identical; with another, not.
        #expect(try FaxDocument.compare(sent: "\(dir)/doc.tif", received: "\(dir)/doc.tif").identical)
        try FaxDocument.makeTestDocument("\(dir)/other.tif", title: "Another")
        #expect(try !FaxDocument.compare(sent: "\(dir)/doc.tif", received: "\(dir)/other.tif").identical)
        // PDF both ways.
        try FaxDocument.convert(tiff: "\(dir)/doc.tif", toPDF: "\(dir)/doc.pdf")
        try FaxDocument.convert(pdf: "\(dir)/doc.pdf", to: "\(dir)/back.tif")
        #expect(try FaxDocument.validateForSending("\(dir)/back.tif").count == 3)
    }

    @Test func badDocumentsAreNamed() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: FaxError.invalid("\(dir)/none.tif: no such file or not readable")) {
            try FaxDocument.validateForSending("\(dir)/none.tif")
        }
        try Data("not a tiff".utf8).write(to: URL(fileURLWithPath: "\(dir)/text.tif"))
        #expect(throws: FaxError.invalid("\(dir)/text.tif: not a readable TIFF file")) {
            try FaxDocument.validateForSending("\(dir)/text.tif")
        }
        let gs = Process()
        gs.executableURL = URL(fileURLWithPath: "/usr/bin/gs")
        gs.arguments = ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg4", "-dAdjustWidth=0", "-r200", "-g1700x200",
                        "-o", "\(dir)/narrow.tif", "-c", "showpage"]
        try gs.run()
        gs.waitUntilExit()
        #expect(throws: FaxError.invalid("\(dir)/narrow.tif: page 1 is 1700 pixels wide, a fax page is 1728")) {
            try FaxDocument.validateForSending("\(dir)/narrow.tif")
        }
        #expect(throws: FaxError.self) { try FaxSession(role: .calling, direction: .send(["\(dir)/narrow.tif"])) }
        #expect(throws: FaxError.self) { try FaxSession(role: .answering, direction: .receive("\(dir)/no/such/dir/x.tif")) }
    }

    /// Several files are sent as one document: their pages in order.
    @Test func severalFilesAreOneDocument() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FaxDocument.makeTestDocument("\(dir)/a.tif", pages: 2, title: "First file")
        try FaxDocument.makeTestDocument("\(dir)/b.tif", pages: 1, title: "Second file")
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a, link.b], clock: clock, logger: Logger(label: "test"))
        let sender = try FaxSession(role: .calling, direction: .send(["\(dir)/a.tif", "\(dir)/b.tif"]))
        #expect(try FaxDocument.pages(sender.file).count == 3)
        let receiver = try FaxSession(role: .answering, direction: .receive("\(dir)/in.tif"))
        engine.send(.startFax(.init(span: 0, channel: 5), sender))
        engine.send(.startFax(.init(span: 1, channel: 5), receiver))
        var finished = 0, ticks = 0
        while finished < 2 && ticks < 50 * 300 {
            link.clockTick()
            engine.tick()
            ticks += 1
            while let e = engine.nextEvent() { if case .faxFinished = e { finished += 1 } }
        }
        let joined = sender.file
        #expect(sender.close().succeeded && receiver.close().pages == 3)
        #expect(try FaxDocument.compare(sent: joined, received: "\(dir)/in.tif").identical)
    }

    /// A fax sent to a line where no fax machine answers (a voice line: only
    /// idle comes back) fails by T.30's own timer (T0, 60 s of line time, in
    /// virtual time) and reports SpanDSP's code and text; nothing was sent.
    @Test func noFaxMachineFailsWithTheT30Code() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FaxDocument.makeTestDocument("\(dir)/doc.tif", pages: 1)
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"))
        let e = MediaEngine.Endpoint(span: 0, channel: 1)
        let sender = try FaxSession(role: .calling, direction: .send(["\(dir)/doc.tif"]))
        engine.send(.startFax(e, sender))
        var handedBack: FaxSession?
        var ticks = 0
        while handedBack == nil && ticks < 50 * 120 {
            link.clockTick()
            engine.tick()
            ticks += 1
            while let ev = engine.nextEvent() { if case .faxFinished(_, let s) = ev { handedBack = s } }
        }
        #expect(handedBack === sender)
        let r = sender.close()
        #expect(!r.succeeded && r.pages == 0 && r.rate == 0 && !r.ecm)
        #expect(r.text == FaxResult.text(r.code) && !r.text.isEmpty)
        #expect(ticks > 50 * 30, "T.30's timer: \(ticks) ticks")  // not before T.30's timer
        print("no fax machine: \(r) after \(Double(ticks) / 50) s of line time")
    }

    /// A 3-page document from one channel's fax stage to another's, through
    /// a virtual E1 loop, tick by tick: T.30 completes on both sides with
    /// ECM at 14400, the pages arrive intact below the header line, and the
    /// ticks of the training and the pages' middles allocate nothing.
    @Test func threePagesBackToBack() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FaxDocument.makeTestDocument("\(dir)/doc.tif")
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a, link.b], clock: clock, logger: Logger(label: "test"))
        let tx = MediaEngine.Endpoint(span: 0, channel: 1), rx = MediaEngine.Endpoint(span: 1, channel: 1)
        var options = FaxSession.Options(ident: "+44 1632 960000", header: "Dialtone test")
        options.ecm = true
        let sender = try FaxSession(role: .calling, direction: .send(["\(dir)/doc.tif"]), options: options)
        let receiver = try FaxSession(role: .answering, direction: .receive("\(dir)/in.tif"), options: .init(ident: "1632 960001"))
        // Each side also listens for fax tones: the caller hears CED (or the
        // V.21 preamble), the answerer CNG.
        engine.send(.detectFaxTones(tx, true))
        engine.send(.detectFaxTones(rx, true))
        engine.send(.startFax(tx, sender))
        engine.send(.startFax(rx, receiver))
        var tones: [MediaEngine.Endpoint: FaxTone] = [:]
        var finished: [MediaEngine.Endpoint: FaxSession] = [:]
        var pages: [MediaEngine.Endpoint: Int] = [:]
        var negotiated: [MediaEngine.Endpoint: (Int, Bool)] = [:]
        var allocatingTicks = 0
        var ticks = 0
        while finished.count < 2 && ticks < 100 * 60 * 5 {
            link.clockTick()
            CAllocationCounter_start()
            engine.tick()
            if CAllocationCounter_stop() > 0 { allocatingTicks += 1 }
            ticks += 1
            while let e = engine.nextEvent() {
                switch e {
                case .faxFinished(let at, let s): finished[at] = s
                case .faxPage(let at, let n): pages[at] = n
                case .faxNegotiated(let at, let rate, let ecm): negotiated[at] = (rate, ecm)
                case .faxTone(let at, let tone): if tones[at] == nil { tones[at] = tone }
                default: break
                }
            }
        }
        #expect(finished.count == 2)
        let sent = sender.close(), received = receiver.close()
        #expect(sent.succeeded, "sender: \(sent)")
        #expect(received.succeeded, "receiver: \(received)")
        #expect(sent.pages == 3 && received.pages == 3)
        #expect(sent.rate == 14400 && sent.ecm)
        #expect(pages[tx] == 3 && pages[rx] == 3)
        #expect(negotiated[rx]?.1 == true)
        #expect(tones == [tx: .ced, rx: .cng])
        let comparison = try FaxDocument.compare(sent: "\(dir)/doc.tif", received: "\(dir)/in.tif")
        #expect(comparison.identical, "\(comparison)")
        #expect(comparison.blackPixels.allSatisfy { $0 > 1000 })
        // SpanDSP reads and writes the TIFF at page boundaries (its own file
        // I/O); every other tick — training, the pages' data — allocates nothing.
        #expect(allocatingTicks < ticks / 20, "\(allocatingTicks) of \(ticks) ticks allocated")
        print("fax back to back: \(ticks) ticks (\(Double(ticks) / 50) s of line time), \(allocatingTicks) allocating; \(sent)")
    }
}
