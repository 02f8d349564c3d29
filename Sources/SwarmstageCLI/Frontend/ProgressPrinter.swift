import Foundation
import Inventory
import Rollout
#if canImport(Glibc)
import Glibc
#endif

/// Prints rollout events in one of three styles:
/// - plain: timestamped lines, one per change (the waiting line only when what it says changes);
/// - live: on a terminal, the same permanent lines plus a block per stage, redrawn in place,
///   with every service's tasks running/desired, the elapsed time and what blocks it;
/// - json: one object per event, for CI logs and scripts.
final class ProgressPrinter: RolloutObserver, @unchecked Sendable {
    enum Style: String, Sendable { case plain, live, json }

    private let lock = NSLock()
    private var lastWaiting: [Stage: String] = [:]
    private let style: Style
    private let write: @Sendable (String) -> Void
    private let terminalSize: @Sendable () -> (width: Int, height: Int)
    private let clock: @Sendable () -> Date
    private var board = LiveBoard()
    private var drawnLines = 0

    init(style: Style = .plain,
         write: @escaping @Sendable (String) -> Void = ProgressPrinter.standardOutput,
         terminalSize: @escaping @Sendable () -> (width: Int, height: Int) = ProgressPrinter.standardOutputSize,
         clock: @escaping @Sendable () -> Date = { Date() }) {
        self.style = style
        self.write = write
        self.terminalSize = terminalSize
        self.clock = clock
    }

    func report(_ event: RolloutEvent) {
        lock.withLock {
            switch style {
            case .json: jsonLine(event)
            case .plain: plain(event)
            case .live: live(event)
            }
        }
    }

    // MARK: plain

    private func plain(_ event: RolloutEvent) {
        switch event {
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
        case let .stopping(stage, tasksLeft, elapsed):
            let left = tasksLeft.values.reduce(0, +)
            let text = "\(left) task\(left == 1 ? "" : "s") stopping"
            if left > 0, lastWaiting[stage] != text {
                lastWaiting[stage] = text
                line("  [\(Self.seconds(elapsed))] \(text)")
            }
        default:
            if let text = Self.permanentText(event) { line(text) }
        }
    }

    /// The line an event leaves in the output, in plain and live style.
    static func permanentText(_ event: RolloutEvent) -> String? {
        switch event {
        case let .stageStarted(stage, stack): return "stage \(stage.number) \(stage.rawValue): applying stack \(stack)"
        case let .objectCreated(_, kind, name): return "  created \(kind) \(name)"
        case let .service(_, name, change): return "  \(name): \(describe(change))"
        case let .stageHealthy(stage, elapsed): return "stage \(stage.number) \(stage.rawValue): healthy after \(seconds(elapsed))"
        case let .serviceLeftDown(_, name, reason): return "  \(name): left down: \(reason)"
        case let .taskLeftOnDownNode(_, service, host):
            return "  \(service): its task on \(host) is not waited for: that node is down, and Swarm stops the task when the node is back"
        case let .stageSkipped(stage, reason): return "stage \(stage.number) \(stage.rawValue): skipped (\(reason))"
        case let .objectRemoved(_, kind, name): return "  removed \(kind) \(name)"
        case let .stageRemoved(stage, elapsed): return "stage \(stage.number) \(stage.rawValue): removed in \(seconds(elapsed))"
        case let .engineLost(stage, reason):
            return "stage \(stage.number) \(stage.rawValue): lost the Docker Engine (\(reason)); waiting for it to answer again"
        case let .engineBack(stage, after):
            return "stage \(stage.number) \(stage.rawValue): the Engine answers again after \(seconds(after)); applying the stage again from what it holds"
        case let .imagesPulled(stage, images, hosts, waited):
            return "stage \(stage.number) \(stage.rawValue): \(images) image\(images == 1 ? "" : "s") pulled on \(hosts) host\(hosts == 1 ? "" : "s") beforehand "
                + "(waited \(seconds(waited)))"
        case let .prePullFailed(stage, reason):
            return "stage \(stage.number) \(stage.rawValue): images not pulled beforehand (\(reason)); its tasks pull them"
        case let .zooKeeperServing(_, servers, states):
            return "  zookeeper: \(servers.count) servers serve on one list (\(states))"
        case .waiting, .stopping: return nil
        }
    }

    // MARK: live

    private func live(_ event: RolloutEvent) {
        switch event {
        case let .waiting(stage, verdict, elapsed):
            let note = board.note
            board = .waiting(stage, verdict: verdict, elapsed: elapsed)
            board.note = note
            write(erase() + draw())
        case let .stopping(stage, tasksLeft, elapsed):
            board = .stopping(stage, tasksLeft: tasksLeft, elapsed: elapsed)
            write(erase() + draw())
        case .stageStarted, .stageHealthy, .stageSkipped, .stageRemoved:
            board = LiveBoard()
            permanentLive(event)
        case .engineLost:
            board.note = "waiting for the Docker Engine to answer again"
            permanentLive(event)
        case .engineBack:
            board.note = nil
            permanentLive(event)
        case .objectCreated, .service, .objectRemoved, .serviceLeftDown, .taskLeftOnDownNode, .imagesPulled, .prePullFailed, .zooKeeperServing:
            permanentLive(event)
        }
    }

    /// A permanent line goes above the board, which is drawn again below it.
    private func permanentLive(_ event: RolloutEvent) {
        guard let text = Self.permanentText(event) else { return }
        write(erase() + timestamped(text) + "\n" + draw())
    }

    /// Moves the cursor back to the board's first line and clears to the end of the screen.
    private func erase() -> String {
        defer { drawnLines = 0 }
        return drawnLines > 0 ? "\u{1B}[\(drawnLines)F\u{1B}[J" : ""
    }

    private func draw() -> String {
        let size = terminalSize()
        let lines = board.lines(width: size.width, height: max(size.height - 2, 3))
        drawnLines = lines.count
        return lines.map { $0 + "\n" }.joined()
    }

    // MARK: output

    /// Through `print`, as every other line of stdout goes, flushed at once: a redraw must not wait for a newline.
    static let standardOutput: @Sendable (String) -> Void = { text in
        print(text, terminator: "")
        fflush(nil)
    }

    static let standardOutputSize: @Sendable () -> (width: Int, height: Int) = {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
            return (Int(size.ws_col), Int(size.ws_row))
        }
        return (120, 40)
    }

    static func describe(_ change: RolloutEvent.ServiceChange) -> String {
        switch change {
        case .created: return "create"
        case .updated(let fields): return "update (\(fields.joined(separator: ", ")))"
        case .recreated(let reason): return "recreate (\(reason))"
        case .restarted(let reason): return "restart (\(reason))"
        case .unchanged: return "unchanged"
        case .removed: return "remove"
        case .memberAdded:
            return "add an etcd member: member add --learner, start with --initial-cluster-state existing, member promote once it has caught up"
        case .memberRemoved:
            return "remove the etcd member: member remove (with every member that stays healthy), then its service"
        case .bookieDecommissioned(let bookie):
            return "decommission bookie \(bookie): stop it (with every bookie that stays writable), bookkeeper shell decommissionbookie "
                + "(its ledgers re-replicated to the bookies that stay, its cookie removed), check no ledger names it, then remove its service"
        case .memberReplaced(let from, let to, let dataLost?):
            return "replace the etcd member: its data on \(from) is lost (etcd: \(dataLost)); member remove, member add, "
                + "start again on \(to) with --initial-cluster-state existing in an empty data directory"
        case .memberReplaced(let from, let to, nil):
            return "replace the etcd member: member remove (its data was on \(from)), member add, start on \(to) with --initial-cluster-state existing"
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let total = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1fs", total)
    }

    /// One JSON object per event, for CI logs and scripts.
    private func jsonLine(_ event: RolloutEvent) {
        var fields: [String: any Sendable] = ["time": ISO8601DateFormatter().string(from: clock())]
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
        case let .serviceLeftDown(stage, name, reason):
            fields.merge(["event": "left-down", "stage": stage.rawValue, "service": name, "reason": reason]) { $1 }
        case let .taskLeftOnDownNode(stage, service, host):
            fields.merge(["event": "left-on-down-node", "stage": stage.rawValue, "service": service, "host": host]) { $1 }
        case let .objectRemoved(stage, kind, name): fields.merge(["event": "removed", "stage": stage.rawValue, "kind": kind, "name": name]) { $1 }
        case let .stageRemoved(stage, elapsed): fields.merge(["event": "stage-removed", "stage": stage.rawValue, "elapsedSeconds": Self.number(elapsed)]) { $1 }
        case let .stopping(stage, tasksLeft, elapsed):
            let text = tasksLeft.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            if lastWaiting[stage] == text { return }
            lastWaiting[stage] = text
            fields.merge(["event": "stopping", "stage": stage.rawValue, "elapsedSeconds": Self.number(elapsed),
                          "tasksLeft": tasksLeft.values.reduce(0, +)]) { $1 }
        case let .engineLost(stage, reason): fields.merge(["event": "engine-lost", "stage": stage.rawValue, "reason": reason]) { $1 }
        case let .engineBack(stage, after): fields.merge(["event": "engine-back", "stage": stage.rawValue, "afterSeconds": Self.number(after)]) { $1 }
        case let .imagesPulled(stage, images, hosts, waited):
            fields.merge(["event": "images-pulled", "stage": stage.rawValue, "images": images, "hosts": hosts, "waitedSeconds": Self.number(waited)]) { $1 }
        case let .prePullFailed(stage, reason): fields.merge(["event": "pre-pull-failed", "stage": stage.rawValue, "reason": reason]) { $1 }
        case let .zooKeeperServing(stage, servers, states):
            fields.merge(["event": "zookeeper-serving", "stage": stage.rawValue, "servers": servers, "states": states]) { $1 }
        }
        if let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) {
            write(String(decoding: data, as: UTF8.self) + "\n")
        }
    }

    static func number(_ duration: Duration) -> Double {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return (seconds * 1000).rounded() / 1000
    }

    private func line(_ text: String) {
        write(timestamped(text) + "\n")
    }

    private func timestamped(_ text: String) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "\(formatter.string(from: clock())) \(text)"
    }
}
