// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging

/// At start-up, after the headers are repaired: every recording file on
/// disk that is not indexed (the daemon died while it was being written) is
/// indexed against its call — the call id is in its name,
/// `YYYYMMDD-HHMMSS_<call>_<ani>_<dnis>.wav` — or removed if it holds no audio.
struct RecordingRecovery {
    let directory: String
    let store: Store
    let sink: StoreWriter
    let logger: Logger

    func run() {
        guard let files = FileManager.default.enumerator(atPath: directory) else { return }
        var indexed = 0, removed = 0
        for case let file as String in files where file.hasSuffix(".wav") {
            let path = "\(directory)/\(file)"
            guard (try? store.isIndexed(recording: path)) == false else { continue }
            guard let info = try? WAVFile.inspect(path: path), info.dataBytes > 0 else {
                unlink(path)
                removed += 1
                logger.notice("recording without audio removed", metadata: ["path": "\(path)"])
                continue
            }
            let parsed = RecordingWriter.parseFileName((file as NSString).lastPathComponent)
            let callID = parsed.callID ?? "unknown"
            let start = parsed.start ?? Date()
            let frameBytes = info.format.bytesPerSample * info.channels
            let frames = info.dataBytes / max(1, frameBytes * 160)
            sink.recording(RecordingRow(callID: callID, path: path, format: info.format.rawValue,
                                        layout: info.channels == 2 ? "stereo" : "mono", startTime: start,
                                        endTime: start.addingTimeInterval(Double(frames) / 50), durationMs: frames * 20,
                                        bytes: info.dataBytes, complete: false,
                                        problem: "recovered after the daemon stopped uncleanly"))
            indexed += 1
        }
        if indexed + removed > 0 {
            logger.notice("recordings recovered", metadata: ["indexed": "\(indexed)", "removed": "\(removed)"])
        }
    }
}
