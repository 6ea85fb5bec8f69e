// SPDX-License-Identifier: GPL-2.0-or-later
import CALSA
import CAllocationCounter
@testable import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Synchronization
import Testing

/// A private alsa-lib configuration: a `file` plugin over a `null` slave
/// (no sound card needed), defining the device `tap`.
struct TapDevice {
    let directory: URL
    let format: String
    var path: String { directory.appendingPathComponent("tap.\(format)").path }
    var config: String {
        "pcm.tap { type file slave.pcm { type null } file \"\(path)\" format \"\(format)\" }"
    }

    init(format: String = "raw") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("alsa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.format = format
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
    func contents() throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
}

/// Interleaved tones, one frequency per channel, at −10 dBFS-ish.
func tones(_ frequencies: [Double], frames: Int) -> [Int16] {
    var out = [Int16](repeating: 0, count: frames * frequencies.count)
    for i in 0..<frames {
        for (c, f) in frequencies.enumerated() {
            out[i * frequencies.count + c] = Int16((10_000 * sin(2 * Double.pi * f * Double(i) / 8000)).rounded())
        }
    }
    return out
}

func littleEndianBytes(_ samples: [Int16]) -> [UInt8] {
    samples.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
}

func le32(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 | Int(b[at + 2]) << 16 | Int(b[at + 3]) << 24 }
func le16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }

/// Serialized: alsa-lib's error handler (and so the logger it feeds) is process-wide.
@Suite(.serialized) struct AlsaStreamTests {
    /// 3 s of stereo (1004 Hz left, 697 Hz right) pushed a tick at a time on a
    /// 20 ms clock arrive in the file exactly: alsa-lib's `file` plugin adds no
    /// padding; the WAV form only adds its 44-byte header.
    @Test(arguments: ["raw", "wav"])
    func streamsEveryPushedSampleInOrder(format: String) throws {
        let tap = try TapDevice(format: format)
        defer { tap.remove() }
        let ticks = 150
        let perTick = AlsaStream.periodFrames * 2
        let samples = tones([1004, 697], frames: ticks * AlsaStream.periodFrames)
        let stream = AlsaStream(device: "tap", configText: tap.config, channels: 2, logger: Logger(label: "test"))
        try stream.start()
        let geometry = try #require(stream.geometry)
        #expect(geometry.buffer == AlsaStream.bufferPeriods * AlsaStream.periodFrames && geometry.period == AlsaStream.periodFrames)
        let clock = VirtualClock()
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        var pushed = 0
        samples.withUnsafeBufferPointer { all in
            while pushed < ticks {
                guard waiter.wait(timeoutMs: 200) > 0 else { continue }
                stream.push(all.baseAddress! + pushed * perTick, count: perTick)
                pushed += 1
                if pushed == 100 && format == "raw" {
                    // Live: the file trails the stream by at most the device
                    // buffer (8 periods), plus generous writer-thread lag.
                    let size = (try? FileManager.default.attributesOfItem(atPath: tap.path)[.size] as? Int) ?? 0
                    #expect(size >= (pushed - AlsaStream.bufferPeriods - 25) * perTick * 2)
                }
            }
        }
        stream.stop()
        #expect(stream.framesWritten == ticks * AlsaStream.periodFrames)
        #expect(stream.dropped == 0 && stream.xruns == 0 && !stream.failed)

        let file = try tap.contents()
        let expected = littleEndianBytes(samples)
        if format == "raw" {
            #expect(file.count == expected.count)
            #expect(file == expected)
        } else {
            try #require(file.count == 44 + expected.count)
            #expect(Array(file[0..<4]) == Array("RIFF".utf8) && le32(file, 4) == 36 + expected.count)
            #expect(Array(file[8..<16]) == Array("WAVEfmt ".utf8) && le32(file, 16) == 16)
            #expect(le16(file, 20) == 1 && le16(file, 22) == 2 && le32(file, 24) == 8000)
            #expect(le32(file, 28) == 32000 && le16(file, 32) == 4 && le16(file, 34) == 16)
            #expect(Array(file[36..<40]) == Array("data".utf8) && le32(file, 40) == expected.count)
            #expect(Array(file[44...]) == expected)
        }
    }

    /// Mono, and ticks that are not whole periods, arrive in order too.
    @Test func monoAndPartialTicks() throws {
        let tap = try TapDevice()
        defer { tap.remove() }
        let samples = tones([1004], frames: 1000)
        let stream = AlsaStream(device: "tap", configText: tap.config, channels: 1, logger: Logger(label: "test"))
        try stream.start()
        samples.withUnsafeBufferPointer { all in
            stream.push(all.baseAddress!, count: 100)
            stream.push(all.baseAddress! + 100, count: 500)  // more than a period: split
            stream.push(all.baseAddress! + 600, count: 400)
        }
        stream.stop()
        #expect(try tap.contents() == littleEndianBytes(samples))
        #expect(stream.framesWritten == 1000)
    }

    /// A full ring drops the newest tick: what was queued plays, in order.
    @Test func fullRingDropsTheNewestTick() throws {
        let tap = try TapDevice()
        defer { tap.remove() }
        let ring = 10
        let samples = tones([1004], frames: (ring + 5) * AlsaStream.periodFrames)
        let stream = AlsaStream(device: "tap", configText: tap.config, channels: 1, logger: Logger(label: "test"), ringFrames: ring)
        try stream.open()
        samples.withUnsafeBufferPointer { all in
            for t in 0..<(ring + 5) {  // writer not started yet: the ring fills
                stream.push(all.baseAddress! + t * AlsaStream.periodFrames, count: AlsaStream.periodFrames)
            }
        }
        #expect(stream.dropped == 5 * AlsaStream.periodFrames)
        try stream.start()
        stream.stop()
        #expect(try tap.contents() == littleEndianBytes(Array(samples[0..<(ring * AlsaStream.periodFrames)])))
    }

    /// An unknown device gives the typed error naming it, with alsa-lib's
    /// text; alsa-lib's own message goes to the logger, not stderr.
    @Test func unknownDeviceThrowsTypedError() throws {
        let log = LogRecords()
        let stream = AlsaStream(device: "hw:5,0", channels: 1, logger: log.logger)
        let error = #expect(throws: AlsaError.self) { try stream.open() }
        #expect(error?.device == "hw:5,0")
        #expect(error?.code == -ENOENT)
        #expect(error?.description == "ALSA device 'hw:5,0': No such file or directory")
        #expect(log.count(containing: "alsa-lib:") > 0)

        let tap = try TapDevice()
        defer { tap.remove() }
        let other = AlsaStream(device: "nosuch", configText: tap.config, channels: 1, logger: log.logger)
        let undefined = #expect(throws: AlsaError.self) { try other.start() }
        #expect(undefined?.device == "nosuch")
        #expect(undefined?.description.hasPrefix("ALSA device 'nosuch': ") == true)
    }

    /// No plugin available without a card can be made to xrun (the `null`
    /// slave never leaves RUNNING), so the recovery path is driven directly:
    /// -EPIPE and -ESTRPIPE on an open device are counted and leave it
    /// PREPARED and writable; the stream then goes on writing.
    @Test func recoversFromXrunAndSuspend() throws {
        let tap = try TapDevice()
        defer { tap.remove() }
        let samples = tones([1004], frames: 2 * AlsaStream.periodFrames)
        let stream = AlsaStream(device: "tap", configText: tap.config, channels: 1, logger: Logger(label: "test"))
        try stream.open()
        let pcm = try #require(stream.handle)
        // Get it RUNNING first, as a card would be when it underruns.
        #expect(samples.withUnsafeBufferPointer { snd_pcm_writei(pcm, $0.baseAddress!, 160) } == 160)
        #expect(snd_pcm_start(pcm) == 0 && stream.state == SND_PCM_STATE_RUNNING)
        #expect(stream.recover(pcm, error: -EPIPE))
        #expect(stream.state == SND_PCM_STATE_PREPARED)
        #expect(stream.recover(pcm, error: -ESTRPIPE))
        #expect(stream.state == SND_PCM_STATE_PREPARED)
        #expect(stream.xruns == 2 && !stream.failed)
        try stream.start()
        samples.withUnsafeBufferPointer { stream.push($0.baseAddress! + 160, count: 160) }
        stream.stop()
        #expect(stream.framesWritten == 160 && !stream.failed)
        // The file plugin keeps what was written before the recovery, then the rest.
        #expect(try tap.contents() == littleEndianBytes(samples))
    }

    /// A device error other than an xrun is logged once and stops the stream;
    /// the producer goes on pushing without blocking, nothing crashes.
    @Test func deviceErrorMarksFailedAndLogsOnce() throws {
        let tap = try TapDevice()
        defer { tap.remove() }
        let log = LogRecords()
        let stream = AlsaStream(device: "tap", configText: tap.config, channels: 1, logger: log.logger)
        try stream.open()
        let pcm = try #require(stream.handle)
        #expect(snd_pcm_drop(pcm) == 0)  // SETUP: writes now fail with EBADFD
        try stream.start()
        let samples = tones([1004], frames: AlsaStream.periodFrames)
        let begin = ContinuousClock.now
        samples.withUnsafeBufferPointer { s in
            for _ in 0..<200 {
                stream.push(s.baseAddress!, count: 160)
                usleep(500)
            }
        }
        #expect(ContinuousClock.now - begin < .seconds(2))
        stream.stop()
        #expect(stream.failed && stream.framesWritten == 0 && stream.xruns == 0)
        #expect(log.count(containing: "ALSA stream stopped") == 1)
        #expect(log.all.first { $0.message.contains("ALSA stream stopped") }?.level == .error)
    }

    /// 500 pushes allocate nothing (the writer thread running meanwhile).
    @Test func pushDoesNotAllocate() throws {
        let tap = try TapDevice()
        defer { tap.remove() }
        let stream = AlsaStream(device: "tap", configText: tap.config, channels: 2, logger: Logger(label: "test"))
        try stream.start()
        let samples = tones([1004, 697], frames: AlsaStream.periodFrames)
        var allocations = 0
        samples.withUnsafeBufferPointer { s in
            stream.push(s.baseAddress!, count: s.count)  // warm up
            CAllocationCounter_start()
            for _ in 0..<500 { stream.push(s.baseAddress!, count: s.count) }
            allocations = CAllocationCounter_stop()
        }
        stream.stop()
        #expect(allocations == 0)
        #expect(stream.framesWritten + stream.dropped == 501 * AlsaStream.periodFrames)
    }
}
