// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig

/// The routing table as a pure function of the number: which route takes
/// it, whether more digits could still change that, and the number to dial.
public struct Dialplan: Sendable, Equatable {
    public var routes: [RouteConfig]
    /// Seconds without a further digit after which an overlap-received number is routed as it is.
    public var interdigitTimeout: Double

    public init(routes: [RouteConfig], interdigitTimeout: Double = 5) {
        self.routes = routes
        self.interdigitTimeout = interdigitTimeout
    }

    /// The first route that matches `number`.
    public func route(_ number: String) -> RouteConfig? { routes.first { $0.matches(number) } }

    /// True when no further digit can change the route: an exact route
    /// matches and no other exact route is longer with this prefix. A number
    /// ending in `#` is complete by the caller's word.
    public func isComplete(_ number: String) -> Bool {
        if number.hasSuffix("#") { return true }
        guard let r = route(number), case .exact = r.pattern else { return false }
        return !routes.contains { if case .exact(let n) = $0.pattern { n != number && n.hasPrefix(number) } else { false } }
    }

    /// What the dialplan does with `number`.
    public enum Decision: Sendable, Equatable {
        /// Dial `number` on the first of `spans` with a free circuit.
        case dial(number: String, spans: [String], answerTimeout: Double, routeKey: String)
        /// Answer and run an application.
        case application(IVRAction)
        case noRoute
    }

    public func decide(_ number: String) -> Decision {
        guard let r = route(number) else { return .noRoute }
        if let action = r.action { return .application(action) }
        let key: String
        switch r.pattern { case .exact(let t), .prefix(let t): key = t }
        return .dial(number: r.translate(number), spans: r.spans, answerTimeout: r.answerTimeout, routeKey: key)
    }
}
