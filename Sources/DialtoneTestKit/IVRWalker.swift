// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneDaemon
import DialtoneConfig
import DialtoneLineSim
import DialtoneMedia
import Foundation

/// A far-end caller that walks the configured IVR: dials a menu's number,
/// listens for each prompt (found by correlation with the prompt file),
/// answers it with an in-band DTMF digit, and checks it reaches the agent the
/// menus lead to, with the agent's audio bit-exact through the bridge.
public struct IVRWalker: Sendable {
    /// One way through the menus: the number dialled, then (prompt heard, digit sent) steps, to a number.
    public struct Path: Sendable, CustomStringConvertible {
        public var dnis: String
        public var steps: [(prompt: String, digit: Character)]
        public var destination: String
        public var description: String {
            "\(dnis) " + steps.map { "\($0.prompt)→\($0.digit)" }.joined(separator: " ") + " ⇒ \(destination)"
        }
    }

    public let paths: [Path]
    let prompts: PromptLibrary
    let language: String

    /// Every way from a route's menu to a `route` action through option digits
    /// (up to four menus deep), whose destination is routed to agent spans.
    public init?(config: DialtoneConfig, prompts: PromptLibrary?) {
        guard let prompts else { return nil }
        self.prompts = prompts
        language = config.prompts.language
        let agents = Set(config.spans.filter { $0.role == .net }.map(\.name))
        func reachesAgents(_ number: String) -> Bool {
            guard let r = config.routes.first(where: { $0.matches(number) }) else { return false }
            return r.action == nil && r.spans.contains(where: agents.contains)
        }
        var found: [Path] = []
        func walk(_ menu: String, _ dnis: String, _ steps: [(String, Character)], _ seen: Set<String>) {
            guard let m = config.menus[menu], m.collect == nil, steps.count < 4, !seen.contains(menu) else { return }
            for (digit, action) in m.options.sorted(by: { $0.key < $1.key }) {
                switch action {
                case .route(let n, _) where reachesAgents(n):
                    found.append(Path(dnis: dnis, steps: steps + [(m.prompt, digit)], destination: n))
                case .menu(let next):
                    walk(next, dnis, steps + [(m.prompt, digit)], seen.union([menu]))
                default:
                    break
                }
            }
        }
        for route in config.routes {
            guard case .exact(let dnis) = route.pattern, case .menu(let menu) = route.action else { continue }
            walk(menu, dnis, [], [])
        }
        guard !found.isEmpty else { return nil }
        paths = found
    }

    /// Walks path `n % paths.count` as caller `ani` on `port`; nil when everything checked out.
    public func walk(_ n: Int, simulator sim: LineSimulator, port: String, ani: String) async -> String? {
        let path = paths[n % paths.count]
        let call: LiveCall
        switch await sim.dialLive(port: port, ani: ani, dnis: path.dnis) {
        case .success(let c): call = c
        case .failure(let e): return "\(ani) IVR \(path.dnis): \(e)"
        }
        var mark = 0
        for step in path.steps {
            guard let id = prompts.id(step.prompt, language: language) else { return "\(ani): no prompt \(step.prompt)" }
            guard let heard = await call.waitForAudio(prompts.linear(id, law: call.law), from: mark, minimum: 4000,
                                                     timeout: .seconds(15)) else {
                await call.hangUp()
                return "\(ani) IVR \(path): prompt '\(step.prompt)' not heard"
            }
            guard heard.correlation > 0.95 else {
                await call.hangUp()
                return "\(ani) IVR \(path): prompt '\(step.prompt)' \(heard)"
            }
            mark = call.receivedSamples
            call.sendDTMF(String(step.digit), level: -20, twist: 2)
        }
        // The agent behind the destination answers; its pattern reaches the caller.
        var agent: LineSimulator.AgentRecord?
        for _ in 0..<150 {
            agent = await sim.agentRecord(ani: ani)
            if agent?.answered == true { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        guard let agent, agent.answered, agent.dnis == path.destination else {
            await call.hangUp()
            return "\(ani) IVR \(path): agent \(agent.map { "got \($0.dnis), answered \($0.answered)" } ?? "never called")"
        }
        try? await Task.sleep(for: await sim.audioWindow())
        let pattern = TestPattern.bytes(seed: TestPattern.seed(ani + "/bwd"), count: 25 * 160)
        let check = call.received(from: mark).withUnsafeBufferPointer { PatternCheck.check(pattern: pattern, in: $0) }
        await call.hangUp()
        return check.bitExact ? nil : "\(ani) IVR \(path): agent→caller audio \(check)"
    }
}
