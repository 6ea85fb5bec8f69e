// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneMedia
import Foundation

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file without starting the daemon.")

    @Argument(help: "Configuration file to check.")
    var file: String

    func run() throws {
        do {
            let config = try ConfigLoader.load(path: file)
            print("\(file): OK (\(config.spans.count) spans, \(config.routes.count) routes)")
            if let device = config.recording.alsaDevice,
               let problem = AlsaStream.probe(device: device, configText: config.recording.alsaConfig,
                                              channels: config.recording.layout.channels) {
                print("warning: recording.alsa_device '\(device)' cannot be opened now: \(problem)")
            }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}
