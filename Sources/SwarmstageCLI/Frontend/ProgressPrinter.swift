import Foundation
import Inventory
import Rollout

/// Prints rollout events as plain timestamped lines, one per change (the waiting
/// line only when what it says changes).
final class ProgressPrinter: RolloutObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var lastWaiting: [Stage: String] = [:]

    func report(_ event: RolloutEvent) {
        lock.withLock {
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

    private func line(_ text: String) {
        let now = Date()
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        Console.out("\(formatter.string(from: now)) \(text)")
    }
}
