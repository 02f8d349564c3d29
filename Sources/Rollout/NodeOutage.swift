import Engine
import Foundation

/// Says which unavailable nodes keep a service from running: the nodes its tasks were
/// on, or the nodes its placement constraints allow when none of them is up. Swarm's
/// own message ("no suitable node (1 node not available for new tasks)") names none.
public enum NodeOutage {
    /// States in which a node runs nothing new.
    static let unavailableStates: Set<String> = ["down", "disconnected", "unknown"]

    public static func explain(_ service: SwarmService, tasks: [SwarmTask], nodes: [SwarmNode]) -> String? {
        let unavailable = nodes.filter { unavailableStates.contains($0.Status?.State ?? "unknown") }
        guard !unavailable.isEmpty else { return nil }
        let constraints = service.Spec.TaskTemplate.Placement?.Constraints ?? []
        let allowed = nodes.filter { node in constraints.allSatisfy { satisfied($0, by: node) } }
        if !allowed.isEmpty, allowed.allSatisfy({ unavailableStates.contains($0.Status?.State ?? "unknown") }) {
            let names = allowed.map(describe).joined(separator: ", ")
            return allowed.count == 1
                ? "the only node its constraints allow is down: \(names)"
                : "every node its constraints allow is down: \(names)"
        }
        // A task on a node that went down still reads as running: Swarm cannot hear from it.
        let live = tasks.filter { $0.DesiredState == "running" || !StageHealth.terminalStates.contains($0.Status.State) }
        let lostNodeIDs = Set(live.compactMap(\.NodeID))
        let lost = unavailable.filter { lostNodeIDs.contains($0.ID) }
        guard !lost.isEmpty else { return nil }
        return "its task\(lost.count == 1 ? " was" : "s were") on a node that is down: \(lost.map(describe).joined(separator: ", "))"
    }

    static func describe(_ node: SwarmNode) -> String {
        let name = node.hostname.isEmpty ? node.ID : node.hostname
        let state = node.Status?.State ?? "unknown"
        if let message = node.Status?.Message, !message.isEmpty { return "\(name) (\(state): \(message))" }
        return "\(name) (\(state))"
    }

    /// One constraint as Swarm reads it (`node.labels.x == y`, `node.hostname != h`, ...).
    /// What this does not know (engine labels, platform) counts as satisfied: the
    /// diagnosis then names fewer nodes, never a wrong one.
    public static func satisfied(_ constraint: String, by node: SwarmNode) -> Bool {
        let negated: Bool
        let parts: [String]
        if constraint.contains("!=") {
            negated = true
            parts = constraint.components(separatedBy: "!=")
        } else if constraint.contains("==") {
            negated = false
            parts = constraint.components(separatedBy: "==")
        } else {
            return true
        }
        guard parts.count == 2 else { return true }
        let key = parts[0].trimmingCharacters(in: .whitespaces), wanted = parts[1].trimmingCharacters(in: .whitespaces)
        let actual: String?
        switch key {
        case "node.id": actual = node.ID
        case "node.hostname": actual = node.hostname
        case "node.role": actual = node.Spec.Role
        default:
            guard key.hasPrefix("node.labels.") else { return true }
            actual = node.Spec.Labels?[String(key.dropFirst("node.labels.".count))]
        }
        let equal = actual.map { $0.lowercased() == wanted.lowercased() } ?? false
        return negated ? !equal : equal
    }
}
