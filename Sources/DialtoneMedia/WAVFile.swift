// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans
import Foundation

/// Sample encodings Dialtone reads and writes in WAV files (format tags 1, 7, 6).
public enum WAVFormat: String, Sendable, CaseIterable {
    case pcm16, mulaw = "ulaw", alaw

    var tag: UInt16 { switch self { case .pcm16: 1; case .mulaw: 7; case .alaw: 6 } }
    public var bytesPerSample: Int { self == .pcm16 ? 2 : 1 }
}

public struct WAVInfo: Sendable, Equatable {
    public var format: WAVFormat
    public var sampleRate: Int
    public var channels: Int
    public var dataOffset: Int
    public var dataBytes: Int
    /// Sample frames (one sample per channel).
    public var frames: Int { dataBytes / (format.bytesPerSample * channels) }
    public var seconds: Double { Double(frames) / Double(sampleRate) }
}

public struct WAVError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// RIFF/WAVE files: reading (prompts), headers (recordings) and repair
/// after a crash. Layout written: `RIFF` size `WAVE`, `fmt ` (16 bytes for
/// PCM16; 18 with cbSize 0 for G.711, plus a 4-byte `fact` chunk), `data`.
public enum WAVFile {
    public struct RepairResult: Sendable, Equatable {
        public var path: String
        public var oldDataBytes: Int
        public var newDataBytes: Int
    }

    /// Parses the header chunks; the data chunk is where its size says (or
    /// to the end of the file when the size is larger than the file).
    public static func inspect(path: String) throws(WAVError) -> WAVInfo {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw WAVError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read (permission denied)" : "no such file")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        let fileSize = Int((try? handle.seekToEnd()) ?? 0)
        return try parse([UInt8](head), fileSize: fileSize, path: path).info
    }

    /// The header and the data bytes.
    public static func read(path: String) throws(WAVError) -> (WAVInfo, [UInt8]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WAVError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read (permission denied)" : "no such file")
        }
        let bytes = [UInt8](data)
        let (info, declared) = try parse(bytes, fileSize: bytes.count, path: path)
        // 0xFFFFFFFF: written to a pipe, the size never filled in (sox, ffmpeg).
        if declared > info.dataBytes + info.format.bytesPerSample * info.channels && declared != 0xFFFF_FFFF {
            throw WAVError(path: path, reason: "the data chunk says \(declared) bytes but the file holds \(bytes.count - info.dataOffset) (truncated file)")
        }
        return (info, Array(bytes[info.dataOffset..<(info.dataOffset + info.dataBytes)]))
    }

    private static func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ i: Int) -> Int { u16(b, i) | u16(b, i + 2) << 16 }

    /// `declared`: the data size the header claims (may exceed the file after a crash).
    static func parse(_ b: [UInt8], fileSize: Int, path: String) throws(WAVError) -> (info: WAVInfo, declared: Int) {
        guard b.count >= 12, b[0..<4].elementsEqual("RIFF".utf8), b[8..<12].elementsEqual("WAVE".utf8) else {
            throw WAVError(path: path, reason: "not a WAV file (no RIFF/WAVE header)")
        }
        var i = 12
        var fmt: (tag: Int, channels: Int, rate: Int, bits: Int)?
        while i + 8 <= b.count {
            let id = String(decoding: b[i..<(i + 4)], as: UTF8.self)
            let size = u32(b, i + 4)
            let body = i + 8
            if id == "fmt " {
                guard size >= 16, body + 16 <= b.count else { throw WAVError(path: path, reason: "truncated fmt chunk") }
                var tag = u16(b, body)
                if tag == 0xFFFE, size >= 40, body + 26 <= b.count { tag = u16(b, body + 24) }  // WAVE_FORMAT_EXTENSIBLE
                fmt = (tag, u16(b, body + 2), u32(b, body + 4), u16(b, body + 14))
            } else if id == "data" {
                guard let fmt else { throw WAVError(path: path, reason: "data chunk before the fmt chunk") }
                let format: WAVFormat
                switch (fmt.tag, fmt.bits) {
                case (1, 16): format = .pcm16
                case (7, 8): format = .mulaw
                case (6, 8): format = .alaw
                case (1, let bits): throw WAVError(path: path, reason: "\(bits)-bit PCM; Dialtone reads 16-bit PCM, µ-law or A-law")
                default: throw WAVError(path: path, reason: "encoding \(fmt.tag) (\(fmt.bits) bits) is not 16-bit PCM, µ-law or A-law")
                }
                guard fmt.channels >= 1 else { throw WAVError(path: path, reason: "0 channels") }
                let available = max(0, fileSize - body)
                let bytes = min(size, available)
                let frame = format.bytesPerSample * fmt.channels
                return (WAVInfo(format: format, sampleRate: fmt.rate, channels: fmt.channels, dataOffset: body,
                                dataBytes: bytes - bytes % frame), size)
            }
            i = body + size + (size & 1)  // chunks are word-aligned
        }
        throw WAVError(path: path, reason: fmt == nil ? "no fmt chunk (truncated header)" : "no data chunk")
    }

    /// The size of the header ``header(format:channels:sampleRate:dataBytes:)`` writes.
    public static func headerSize(_ format: WAVFormat) -> Int { format == .pcm16 ? 44 : 58 }

    /// A header for `dataBytes` of audio (44 bytes for PCM16, 58 for G.711).
    public static func header(format: WAVFormat, channels: Int, sampleRate: Int = 8000, dataBytes: Int) -> [UInt8] {
        var h: [UInt8] = []
        func put16(_ v: Int) { h += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func put32(_ v: Int) { put16(v & 0xFFFF); put16(v >> 16 & 0xFFFF) }
        let g711 = format != .pcm16
        let headerBytes = headerSize(format)
        h += Array("RIFF".utf8); put32(headerBytes - 8 + dataBytes); h += Array("WAVE".utf8)
        h += Array("fmt ".utf8); put32(g711 ? 18 : 16)
        put16(Int(format.tag)); put16(channels); put32(sampleRate)
        put32(sampleRate * channels * format.bytesPerSample); put16(channels * format.bytesPerSample)
        put16(format.bytesPerSample * 8)
        if g711 {
            put16(0)  // cbSize
            h += Array("fact".utf8); put32(4); put32(dataBytes / channels)
        }
        h += Array("data".utf8); put32(dataBytes)
        return h
    }

    /// Makes the header agree with the file (after a crash): the data chunk
    /// (the last chunk, as Dialtone writes it) runs to the end of the file, a
    /// partial trailing sample frame is cut off.
    /// Nil when the file was already consistent.
    @discardableResult
    public static func repair(path: String) throws(WAVError) -> RepairResult? {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw WAVError(path: path, reason: "cannot be opened for repair") }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
        let fileSize = Int((try? handle.seekToEnd()) ?? 0)
        var (info, declared) = try parse(head, fileSize: fileSize, path: path)
        // Dialtone's recordings end with their data chunk: everything after
        // its header is audio, whatever size the header had got to.
        let frame = info.format.bytesPerSample * info.channels
        info.dataBytes = (fileSize - info.dataOffset) - (fileSize - info.dataOffset) % frame
        let riffDeclared = u32(head, 4)
        let end = info.dataOffset + info.dataBytes
        if declared == info.dataBytes && riffDeclared == end - 8 && end == fileSize { return nil }
        do {
            if end < fileSize { try handle.truncate(atOffset: UInt64(end)) }
            var riff = [UInt8](); var data = [UInt8]()
            for k in 0..<4 { riff.append(UInt8((end - 8) >> (8 * k) & 0xFF)); data.append(UInt8(info.dataBytes >> (8 * k) & 0xFF)) }
            try handle.seek(toOffset: 4)
            try handle.write(contentsOf: riff)
            try handle.seek(toOffset: UInt64(info.dataOffset - 4))
            try handle.write(contentsOf: data)
            if info.format != .pcm16, let fact = findChunk("fact", in: head), fact + 12 <= head.count {
                var frames = [UInt8]()
                for k in 0..<4 { frames.append(UInt8(info.frames >> (8 * k) & 0xFF)) }
                try handle.seek(toOffset: UInt64(fact + 8))
                try handle.write(contentsOf: frames)
            }
            try handle.synchronize()
        } catch {
            throw WAVError(path: path, reason: "repair failed: \(error)")
        }
        return RepairResult(path: path, oldDataBytes: declared, newDataBytes: info.dataBytes)
    }

    private static func findChunk(_ id: String, in b: [UInt8]) -> Int? {
        var i = 12
        while i + 8 <= b.count {
            if String(decoding: b[i..<(i + 4)], as: UTF8.self) == id { return i }
            let size = u32(b, i + 4)
            i += 8 + size + (size & 1)
        }
        return nil
    }

    /// Data as linear samples (interleaved when several channels).
    public static func samples(of data: [UInt8], info: WAVInfo) -> [Int16] {
        switch info.format {
        case .pcm16: (0..<(data.count / 2)).map { Int16(bitPattern: UInt16(data[2 * $0]) | UInt16(data[2 * $0 + 1]) << 8) }
        case .mulaw: data.map { CSpanDSP_ulaw_to_linear($0) }
        case .alaw: data.map { CSpanDSP_alaw_to_linear($0) }
        }
    }

    /// Data as G.711 bytes of `law` (the first channel only).
    public static func g711(of data: [UInt8], info: WAVInfo, law: G711Law) -> [UInt8] {
        if info.channels == 1 {
            if info.format == .mulaw && law == .mulaw { return data }
            if info.format == .alaw && law == .alaw { return data }
        }
        let s = samples(of: data, info: info)
        return stride(from: 0, to: s.count, by: info.channels).map { G711.encode(s[$0], law) }
    }
}
