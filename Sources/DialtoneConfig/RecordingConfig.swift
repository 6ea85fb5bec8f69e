// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia

/// Call recording (docs/config.md §Recording).
public struct RecordingConfig: Sendable, Equatable {
    /// Which calls are recorded: those arriving on a span or leaving by a
    /// route (its match/prefix text), all of them or a percentage sample.
    public struct Rule: Sendable, Equatable {
        public var span: String?
        public var route: String?
        public var percent: Double
        public init(span: String? = nil, route: String? = nil, percent: Double = 100) {
            self.span = span
            self.route = route
            self.percent = percent
        }
    }
    /// Relative to the working directory (like the database). Files go in `YYYY-MM-DD/` below it.
    public var directory: String
    public var format: WAVFormat
    public var layout: RecordingLayout
    public var rules: [Rule]
    /// Also stream every recording live to this ALSA PCM device.
    public var alsaDevice: String?
    /// A private alsa-lib configuration defining the device (instead of the system's).
    public var alsaConfig: String?
    /// DTMF code the caller dials during a connected call to have it recorded (e.g. `*1`).
    public var onDemandCode: String?

    public init(directory: String = "/var/lib/dialtone/recordings", format: WAVFormat = .pcm16, layout: RecordingLayout = .stereo,
                rules: [Rule] = [], alsaDevice: String? = nil, alsaConfig: String? = nil, onDemandCode: String? = nil) {
        self.onDemandCode = onDemandCode
        self.directory = directory
        self.format = format
        self.layout = layout
        self.rules = rules
        self.alsaDevice = alsaDevice
        self.alsaConfig = alsaConfig
    }
}
