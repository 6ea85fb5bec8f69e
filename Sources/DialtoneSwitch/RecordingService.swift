// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneAlarms
import DialtoneConfig
import DialtoneMedia
import DialtoneSpans
import DialtoneSignalling
import Foundation
import Logging
import Synchronization

/// Call recording for the switch: the policy (which calls), opening a
/// recording on the writer for a bridge's two parties, and closing it —
/// the file finished on a detached task and its entry handed to the sink.
/// Lives inside the switch actor (not shared).
final class RecordingService {
    var config: RecordingConfig
    let writer: RecordingWriter?
    private let alarms: AlarmBoard
    private let sink: any CallRecordSink
    private let logger: Logger
    /// Recordings the engine is still writing to, by slot.
    private var open: [Int: (callID: String, path: String, start: Date, alsa: AlsaStream?, indexed: Bool)] = [:]
    /// Closes in progress (files being finished on detached tasks).
    private var closing: [Int: Task<Void, Never>] = [:]
    private let unfinished = Counter()

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    init(config: RecordingConfig, writer: RecordingWriter?, alarms: AlarmBoard, sink: any CallRecordSink, logger: Logger) {
        self.config = config
        self.writer = writer
        self.alarms = alarms
        self.sink = sink
        self.logger = logger
    }

    /// No recording open or closing.
    var settled: Bool { open.isEmpty && unfinished.value.load(ordering: .acquiring) == 0 }

    /// True when a recording rule covers the call (percent rules sample at random).
    func policyRecords(_ call: Call, spanName: String) -> Bool {
        for rule in config.rules {
            if let s = rule.span, s != spanName { continue }
            if let r = rule.route, r != call.routeKey { continue }
            return rule.percent >= 100 || Double.random(in: 0..<100) < rule.percent
        }
        return false
    }

    /// Opens a recording of two endpoints; the slot, or why not.
    func open(callID: String, ani: String, dnis: String, laws: (G711Law, G711Law)) -> Result<(slot: Int, path: String), CallControlError> {
        guard let writer else { return .failure(.notConfigured("recording")) }
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        day.timeZone = TimeZone(identifier: "UTC")
        let now = Date()
        let path = "\(config.directory)/\(day.string(from: now))/" +
            RecordingWriter.fileName(start: now, callID: callID, ani: ani, dnis: dnis)
        var alsa: AlsaStream?
        if let device = config.alsaDevice {
            do {
                let stream = AlsaStream(device: device, configText: config.alsaConfig, channels: config.layout.channels, logger: logger)
                try stream.start()
                alsa = stream
            } catch {
                logger.error("ALSA stream not opened; recording to the file only", metadata: ["call.id": "\(callID)", "error": "\(error)"])
            }
        }
        do {
            let slot = try writer.open(path: path, format: config.format, layout: config.layout, laws: laws, alsa: alsa)
            alarms.clear(AlarmID(.recordingFailure, config.directory))
            open[slot] = (callID, path, now, alsa, true)
            return .success((slot, path))
        } catch {
            logger.warning("recording not started; the call goes on", metadata: ["call.id": "\(callID)", "error": "\(error)"])
            raiseAlarm("\(error)")
            return .failure(.invalid("recording not started: \(error)"))
        }
    }

    /// Opens a recording of one party to a file an application chose (a
    /// voice mail message or greeting: mono, not indexed as a call recording,
    /// no ALSA stream). The slot, or why not.
    func open(callID: String, path: String, format: WAVFormat, law: G711Law) -> Result<Int, CallControlError> {
        guard let writer else { return .failure(.notConfigured("recording")) }
        do {
            let slot = try writer.open(path: path, format: format, layout: .mono, laws: (law, law), alsa: nil)
            open[slot] = (callID, path, Date(), nil, false)
            return .success(slot)
        } catch {
            logger.warning("recording not started", metadata: ["call.id": "\(callID)", "path": "\(path)", "error": "\(error)"])
            return .failure(.invalid("recording not started: \(error)"))
        }
    }

    /// Stops the call's recording, if any (the engine then reports the slot stopped).
    func stop(call id: String, calls: inout [String: Call], media: MediaEngine) {
        guard let slot = calls[id]?.recordingSlot else { return }
        calls[id]?.recordingSlot = nil
        if !media.send(.stopRecording(slot: slot)) { logger.error("stop recording not queued", metadata: ["call.id": "\(id)"]) }
    }

    /// The engine no longer writes to `slot`: the file is finished and its entry handed to the sink.
    func stopped(slot: Int, events: EventStream) {
        guard let r = open.removeValue(forKey: slot), let writer else { return }
        let sink = self.sink, logger = self.logger, format = config.format, layout = config.layout
        let alarmsBoard = alarms, directory = config.directory, counter = unfinished
        if counter.value.load(ordering: .acquiring) == 0 { closing.removeAll() }  // all finished
        counter.value.add(1, ordering: .acquiringAndReleasing)
        let task = Task.detached {
            defer { counter.value.subtract(1, ordering: .acquiringAndReleasing) }
            guard let result = writer.close(slot: slot) else { return }
            let end = Date()
            if let a = r.alsa {
                logger.log(level: a.failed || a.dropped > 0 ? .warning : .info, "ALSA stream closed", metadata: [
                    "call.id": "\(r.callID)", "alsa.device": "\(a.device)", "alsa.frames": "\(a.framesWritten)",
                    "alsa.xruns": "\(a.xruns)", "alsa.dropped": "\(a.dropped)", "alsa.failed": "\(a.failed)"])
            }
            if !result.complete {
                alarmsBoard.raise(AlarmID(.recordingFailure, directory), result.problem ?? "audio lost")
                if RecordingService.isFull(result.problem) { alarmsBoard.raise(AlarmID(.diskFull, directory), result.problem ?? "") }
                logger.warning("recording incomplete", metadata: ["call.id": "\(r.callID)", "path": "\(result.path)",
                                                                "problem": "\(result.problem ?? "-")"])
            }
            var e = SwitchEvent(.recordingStopped, call: r.callID)
            e.path = result.path
            e.text = result.problem
            guard r.indexed else {
                // An application's own file: it finishes and indexes it (the event says where it is).
                if result.dataBytes == 0 { unlink(result.path); e.path = nil }
                events.publish(e)
                return
            }
            if result.dataBytes == 0 {
                // No audio at all (it could not start, or the disk was full from the first frame): no empty file.
                unlink(result.path)
                logger.error("recording holds no audio; file removed", metadata: [
                    "call.id": "\(r.callID)", "path": "\(result.path)", "problem": "\(result.problem ?? "-")"])
                e.path = nil
                events.publish(e)
                return
            }
            sink.recording(RecordingRow(callID: r.callID, path: result.path, format: format.rawValue,
                                        layout: layout.rawValue, startTime: r.start, endTime: end,
                                        durationMs: result.frames * 20, bytes: result.dataBytes,
                                        complete: result.complete, problem: result.problem))
            events.publish(e)
        }
        closing[slot] = task
    }

    /// The closes in progress (the switch awaits them to settle).
    var closes: [Task<Void, Never>] { Array(closing.values) }

    func raiseAlarm(_ problem: String) {
        alarms.raise(AlarmID(.recordingFailure, config.directory), problem)
        if RecordingService.isFull(problem) { alarms.raise(AlarmID(.diskFull, config.directory), problem) }
    }

    static func isFull(_ problem: String?) -> Bool {
        guard let p = problem?.lowercased() else { return false }
        return p.contains("no space") || p.contains("too large") || p.contains("enospc") || p.contains("efbig") || p.contains("quota")
    }
}
