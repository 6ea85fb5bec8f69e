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

    @Test func absentDriverIsAReasonNotAnError() {
        let d = DAHDIDiscovery(sysfs: "/nonexistent")
        #expect(d.spans().isEmpty)
        #expect(d.absentReason?.contains("not loaded") == true)
    }
}
