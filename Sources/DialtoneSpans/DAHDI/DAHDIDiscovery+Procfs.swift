// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

extension DAHDIDiscovery {
    /// Spans from `/proc/dahdi/N`, the text dahdi-base.c prints:
    ///
    ///     Span 1: TE4/0/1 "T4XXP (PCI) Card 0 Span 1" B8ZS/ESF RED ClockSource
    ///     <counters>
    ///
    ///                1 TE4/0/1/1 Clear (In use)
    ///               24 TE4/0/1/24 HDLCFCS (In use)
    ///
    /// procfs names no span type and no card: the type is inferred from the
    /// line coding (HDB3/CCS/CRC4 are E1, B8ZS/ESF/D4 T1), the card is left empty.
    func procSpans() -> [DAHDISpanInfo] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "\(procfs)/dahdi") else { return [] }
        return entries.compactMap { entry -> DAHDISpanInfo? in
            guard let n = Int(entry),
                  let text = try? String(contentsOfFile: "\(procfs)/dahdi/\(entry)", encoding: .utf8) else { return nil }
            return DAHDIDiscovery.parseProcSpan(number: n, text)
        }.sorted { $0.number < $1.number }
    }

    static func parseProcSpan(number: Int, _ text: String) -> DAHDISpanInfo? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first(where: { $0.hasPrefix("Span ") }),
              let colon = header.firstIndex(of: ":") else { return nil }
        var rest = header[header.index(after: colon)...].drop { $0 == " " }
        let name = String(rest.prefix { $0 != " " })
        rest = rest.dropFirst(name.count).drop { $0 == " " }
        var description = ""
        if rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") {
            description = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
        }
        var alarms: SpanAlarms = []
        var lineConfig = ""
        var master = false
        for word in rest.split(separator: " ") {
            switch word {
            case "RED": alarms.insert(.red)
            case "YELLOW": alarms.insert(.yellow)
            case "BLUE": alarms.insert(.blue)
            case "LOOP": alarms.insert(.loopback)
            case "RECOVERING": alarms.insert(.recovering)
            case "NOTOPEN": alarms.insert(.notOpen)
            case "ClockSource": master = true
            case "(MASTER)": break
            default: if word.contains("/") || ["AMI", "B8ZS", "HDB3", "ESF", "D4", "CCS", "CAS"].contains(String(word)) {
                lineConfig = String(word)
            }
            }
        }
        // Channel lines: "<channo> <name> <signalling> …", indented.
        let channels = lines.compactMap { line -> Int? in
            guard line.first == " " || line.first == "\t" else { return nil }
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
        }
        let upper = lineConfig.uppercased()
        let type = ["HDB3", "CCS", "CRC4"].contains(where: upper.contains) ? "E1"
            : ["B8ZS", "ESF", "D4"].contains(where: upper.contains) ? "T1" : ""
        return DAHDISpanInfo(number: number, name: name, description: description, type: type, lineConfig: lineConfig,
                             alarms: alarms, baseChannel: channels.min() ?? 0, channels: channels.count,
                             isSyncMaster: master, device: "")
    }
}
