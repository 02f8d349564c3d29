import Foundation
import Inventory
import Rollout

/// Prints rollout events as plain timestamped lines, one per change (the waiting
/// line only when what it says changes).
final class ProgressPrinter: RolloutObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var lastWaiting: [Stage: String] = [:]
    private let json: Bool

    init(json: Bool = false) {
        self.json = json
    }

    func report(_ event: RolloutEvent) {
        lock.withLock {
            if json {
                jsonLine(event)
                return
            }
            switch event {
            case let .stageStarted(stage, stack):
                line("stage \(stage.number) \(stage.rawValue): applying stack \(stack)")
            case let .objectCreated(_, kind, name):
                line("  created \(kind) \(name)")
            case let .service(_, name, change):
                line("  \(name): \(Self.describe(change))")
            case let .waiting(stage, verdict, elapsed):
                let blocking = verdict.services.filter { !$0.isHealthy }.prefix(4).map { health -> String in
                    switch health.state {
                    case .waiting(let why), .unschedulable(let why), .failed(let why): return "\(health.name): \(why)"
                    case .healthy: return health.name
                    }
                }
                let text = "\(verdict.services.filter(\.isHealthy).count)/\(verdict.services.count) services healthy"
                    + (blocking.isEmpty ? "" : "; waiting for " + blocking.joined(separator: "; "))
                if lastWaiting[stage] != text {
                    lastWaiting[stage] = text
                    line("  [\(Self.seconds(elapsed))] \(text)")
                }
            case let .stageHealthy(stage, elapsed):
                line("stage \(stage.number) \(stage.rawValue): healthy after \(Self.seconds(elapsed))")
            case let .stageSkipped(stage, reason):
                line("stage \(stage.number) \(stage.rawValue): skipped (\(reason))")
            case let .objectRemoved(_, kind, name):
                line("  removed \(kind) \(name)")
            case let .stageRemoved(stage, elapsed):
                line("stage \(stage.number) \(stage.rawValue): removed in \(Self.seconds(elapsed))")
            }
        }
    }

    static func describe(_ change: RolloutEvent.ServiceChange) -> String {
        switch change {
        case .created: return "create"
        case .updated(let fields): return "update (\(fields.joined(separator: ", ")))"
        case .recreated(let reason): return "recreate (\(reason))"
        case .unchanged: return "unchanged"
        case .removed: return "remove"
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let total = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1fs", total)
    }

    /// One JSON object per event, for CI logs and scripts.
    private func jsonLine(_ event: RolloutEvent) {
        var fields: [String: any Sendable] = ["time": ISO8601DateFormatter().string(from: Date())]
        switch event {
        case let .stageStarted(stage, stack): fields.merge(["event": "stage-started", "stage": stage.rawValue, "stack": stack]) { $1 }
        case let .objectCreated(stage, kind, name): fields.merge(["event": "created", "stage": stage.rawValue, "kind": kind, "name": name]) { $1 }
        case let .service(stage, name, change): fields.merge(["event": "service", "stage": stage.rawValue, "service": name, "change": Self.describe(change)]) { $1 }
        case let .waiting(stage, verdict, elapsed):
            let text = verdict.services.map { "\($0.name)=\($0.running)/\($0.desired)" }.joined(separator: " ")
            if lastWaiting[stage] == text { return }
            lastWaiting[stage] = text
            fields.merge(["event": "progress", "stage": stage.rawValue, "elapsedSeconds": Self.number(elapsed), "healthy": verdict.services.filter(\.isHealthy).count,
                          "services": verdict.services.count, "running": verdict.running, "desired": verdict.desired]) { $1 }
        case let .stageHealthy(stage, elapsed): fields.merge(["event": "stage-healthy", "stage": stage.rawValue, "elapsedSeconds": Self.number(elapsed)]) { $1 }
        case let .stageSkipped(stage, reason): fields.merge(["event": "stage-skipped", "stage": stage.rawValue, "reason": reason]) { $1 }
        case let .objectRemoved(stage, kind, name): fields.merge(["event": "removed", "stage": stage.rawValue, "kind": kind, "name": name]) { $1 }
        case let .stageRemoved(stage, elapsed): fields.merge(["event": "stage-removed", "stage": stage.rawValue, "elapsedSeconds": Self.number(elapsed)]) { $1 }
        }
        if let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) {
            Console.out(String(decoding: data, as: UTF8.self))
        }
    }

    static func number(_ duration: Duration) -> Double {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return (seconds * 1000).rounded() / 1000
    }

    private func line(_ text: String) {
        let now = Date()
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        Console.out("\(formatter.string(from: now)) \(text)")
    }
}
