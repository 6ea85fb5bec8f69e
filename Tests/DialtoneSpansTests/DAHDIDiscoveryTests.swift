// SPDX-License-Identifier: GPL-2.0-or-later
// Discovery reads the sysfs layout dahdi-sysfs.c creates; here a copy of
// that layout in a temporary directory (the real one is read in the VM suite).
import DialtoneSpans
import Foundation
import Testing

@Suite struct DAHDIDiscoveryTests {
    func makeTree() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sysfs-\(UUID().uuidString)").path
        let device = "\(root)/devices/pci0000:00/0000:00:0a.0/pci:0000:00:0a.0"
        func write(_ path: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write("\(device)/manufacturer", "Digium")
        try write("\(device)/type", "Wildcard TE420 (4th Gen)")
        try write("\(device)/hardware_id", "1234ABCD")
        try write("\(device)/location", "PCI Express Bus 02 Slot 01")
        for (n, name, type, line, alarms, base) in [(1, "TE4/0/1", "T1", "ESF/B8ZS", "0x0", 1), (2, "TE4/0/2", "E1", "CCS/HDB3/CRC4", "0x8", 25)] {
            let span = "\(device)/span-\(n)"
            try write("\(span)/name", name)
            try write("\(span)/desc", "T4XXP (PCI) Card 0 Span \(n)")
            try write("\(span)/spantype", type)
            try write("\(span)/lineconfig", line)
            try write("\(span)/alarms", alarms)
            try write("\(span)/basechan", "\(base)")
            try write("\(span)/channels", type == "T1" ? "24" : "31")
            try write("\(span)/is_sync_master", n == 1 ? "1" : "0")
            try FileManager.default.createDirectory(atPath: "\(root)/bus/dahdi_spans/devices", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: "\(root)/bus/dahdi_spans/devices/span-\(n)",
                                                       withDestinationPath: "../../../devices/pci0000:00/0000:00:0a.0/pci:0000:00:0a.0/span-\(n)")
        }
        return root
    }

    @Test func readsSpansAndTheirCard() throws {
        let root = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spans = DAHDIDiscovery(sysfs: root).spans()
        #expect(spans.map(\.number) == [1, 2])
        #expect(spans[0].name == "TE4/0/1" && spans[0].type == "T1" && spans[0].lineConfig == "ESF/B8ZS")
        #expect(spans[0].channelRange == 1...24 && spans[0].isSyncMaster && spans[0].alarms == .none)
        #expect(spans[1].alarms == .red && spans[1].channelRange == 25...55)
        #expect(spans[1].device == "Digium Wildcard TE420 (4th Gen) 1234ABCD PCI Express Bus 02 Slot 01")
        #expect(DAHDIDiscovery(sysfs: root).absentReason == nil)
    }

    /// The watcher's cheap check: it changes when a span's alarms change or a span goes.
    @Test func fingerprintFollowsAlarmsAndSpans() throws {
        let root = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let d = DAHDIDiscovery(sysfs: root)
        let before = try #require(d.fingerprint())
        #expect(d.fingerprint() == before)
        let device = "\(root)/devices/pci0000:00/0000:00:0a.0/pci:0000:00:0a.0"
        try "0x0\n".write(toFile: "\(device)/span-2/alarms", atomically: true, encoding: .utf8)
        let cleared = try #require(d.fingerprint())
        #expect(cleared != before)
        try FileManager.default.removeItem(atPath: "\(root)/bus/dahdi_spans/devices/span-2")
        #expect(d.fingerprint() != cleared)
        #expect(DAHDIDiscovery(sysfs: "/nonexistent", procfs: "/nonexistent").fingerprint() == "")
    }

    @Test func absentDriverIsAReasonNotAnError() {
        let d = DAHDIDiscovery(sysfs: "/nonexistent", procfs: "/nonexistent")
        #expect(d.spans().isEmpty)
        #expect(d.absentReason == "the DAHDI kernel driver is not loaded (neither /nonexistent/bus/dahdi_spans/devices nor /nonexistent/dahdi exists)")
    }

    @Test func driverWithoutSpansSaysSo() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/dahdi", withIntermediateDirectories: true)
        let d = DAHDIDiscovery(sysfs: "/nonexistent", procfs: root)
        #expect(d.spans().isEmpty)
        #expect(d.absentReason?.contains("no spans") == true)
    }

    /// /proc/dahdi/N as dahdi-base.c prints it, for kernels without the sysfs bus.
    @Test func readsSpansFromProcfs() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/dahdi", withIntermediateDirectories: true)
        var e1 = "Span 2: TE2/0/2 \"T2XXP (PCI) Card 0 Span 2\" HDB3/CCS/CRC4 RED \n\n\tIRQ misses: 0\n\tCRC4 error count: 0\n\n"
        for ch in 32...62 { e1 += "\t\(String(repeating: " ", count: 4 - "\(ch)".count))\(ch) TE2/0/2/\(ch - 31) \(ch == 47 ? "HDLCFCS" : "Clear") (In use) \n" }
        var t1 = "Span 1: TE2/0/1 \"T2XXP (PCI) Card 0 Span 1\" (MASTER) B8ZS/ESF ClockSource \n\n\tIRQ misses: 0\n\n"
        for ch in 1...24 { t1 += "\t\(String(repeating: " ", count: 4 - "\(ch)".count))\(ch) TE2/0/1/\(ch) Clear \n" }
        try e1.write(toFile: "\(root)/dahdi/2", atomically: true, encoding: .utf8)
        try t1.write(toFile: "\(root)/dahdi/1", atomically: true, encoding: .utf8)
        let spans = DAHDIDiscovery(sysfs: "/nonexistent", procfs: root).spans()
        try #require(spans.count == 2)
        #expect(spans[0] == DAHDISpanInfo(number: 1, name: "TE2/0/1", description: "T2XXP (PCI) Card 0 Span 1", type: "T1",
                                          lineConfig: "B8ZS/ESF", alarms: .none, baseChannel: 1, channels: 24,
                                          isSyncMaster: true, device: ""))
        #expect(spans[1] == DAHDISpanInfo(number: 2, name: "TE2/0/2", description: "T2XXP (PCI) Card 0 Span 2", type: "E1",
                                          lineConfig: "HDB3/CCS/CRC4", alarms: .red, baseChannel: 32, channels: 31,
                                          isSyncMaster: false, device: ""))
    }
}
