import Inventory
import Rollout

/// The block of lines a terminal shows for the stage under way: one header line
/// (stage, elapsed, services healthy) and one line per service (tasks running of
/// desired, and what it waits for). Pure: the printer redraws it in place.
struct LiveBoard: Equatable {
    struct Row: Equatable {
        enum Mark: String { case done = "ok", busy = "..", stuck = "!!" }
        var mark: Mark
        var service: String
        var detail: String
    }

    var title = ""
    var rows: [Row] = []
    var note: String?

    var isEmpty: Bool { title.isEmpty }

    /// A deploy's stage while it is waited on.
    static func waiting(_ stage: Stage, verdict: StageVerdict, elapsed: Duration) -> LiveBoard {
        let healthy = verdict.services.filter(\.isHealthy).count
        let rows = verdict.services.map { health -> Row in
            let counts = "\(health.running)/\(health.desired)"
            switch health.state {
            case .healthy: return Row(mark: .done, service: health.name, detail: "\(counts) running")
            case .waiting(let why): return Row(mark: .busy, service: health.name, detail: why)
            case .unschedulable(let why), .failed(let why): return Row(mark: .stuck, service: health.name, detail: why)
            }
        }
        return LiveBoard(title: "stage \(stage.number) \(stage.rawValue)  [\(ProgressPrinter.seconds(elapsed))]  "
            + "\(healthy)/\(verdict.services.count) services healthy, \(verdict.running)/\(verdict.desired) tasks running",
            rows: rows)
    }

    /// A teardown's stage while its tasks stop.
    static func stopping(_ stage: Stage, tasksLeft: [String: Int], elapsed: Duration) -> LiveBoard {
        let left = tasksLeft.values.reduce(0, +)
        let rows = tasksLeft.sorted { $0.key < $1.key }.map { name, count in
            Row(mark: .busy, service: name, detail: "\(count) task\(count == 1 ? "" : "s") stopping")
        }
        return LiveBoard(title: "stage \(stage.number) \(stage.rawValue)  [\(ProgressPrinter.seconds(elapsed))]  removing, \(left) task\(left == 1 ? "" : "s") left",
                         rows: rows)
    }

    /// The lines to draw, at most `height` of them and none wider than `width`:
    /// with too many services the healthy ones fold into one line.
    func lines(width: Int, height: Int) -> [String] {
        guard !isEmpty else { return [] }
        let nameWidth = min(rows.map(\.service.count).max() ?? 0, 40)
        var shown = rows
        let room = max(height - 1 - (note == nil ? 0 : 1), 2)
        if rows.count > room {
            // What blocks the stage stays in view; healthy services fill what room is left.
            let pending = rows.indices.filter { rows[$0].mark != .done }.prefix(room - 1)
            let done = rows.indices.filter { rows[$0].mark == .done }.prefix(room - 1 - pending.count)
            shown = Set(pending).union(done).sorted().map { rows[$0] }
        }
        let folded = rows.count - shown.count
        var lines = [title]
        if let note { lines.append("  " + note) }
        for row in shown {
            let padded = row.service.padding(toLength: max(nameWidth, row.service.count), withPad: " ", startingAt: 0)
            lines.append("  [\(row.mark.rawValue)] \(padded)  \(row.detail)")
        }
        if folded > 0 { lines.append("  ... and \(folded) more (\(rows.filter { $0.mark == .done }.count) healthy in all)") }
        return lines.map { Self.fit($0, width: width) }
    }

    static func fit(_ line: String, width: Int) -> String {
        guard width > 1, line.count > width else { return line }
        return String(line.prefix(width - 1)) + "…"
    }
}
