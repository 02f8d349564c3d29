import SwarmModel
import Foundation

/// Says which unavailable nodes keep a service from running: the nodes its tasks were
/// on, or the nodes its placement constraints allow when none of them is up. Swarm's
/// own message ("no suitable node (1 node not available for new tasks)") names none.
public enum NodeOutage {
    public static func explain(_ service: SwarmService, tasks: [SwarmTask], nodes: [SwarmNode]) -> String? {
        let unavailable = nodes.filter(\.state.isUnavailable)
        guard !unavailable.isEmpty else { return nil }
        let constraints = service.Spec.TaskTemplate.constraints
        let allowed = nodes.filter { PlacementConstraint.allSatisfied(constraints, by: $0.facts) }
        if !allowed.isEmpty, allowed.allSatisfy(\.state.isUnavailable) {
            let names = allowed.map(describe).joined(separator: ", ")
            return allowed.count == 1
                ? "the only node its constraints allow is down: \(names)"
                : "every node its constraints allow is down: \(names)"
        }
        // A task on a node that went down still reads as running: Swarm cannot hear from it.
        let live = tasks.filter { $0.DesiredState == .running || !$0.Status.State.isTerminal }
        let lostNodeIDs = Set(live.compactMap(\.NodeID))
        let lost = unavailable.filter { lostNodeIDs.contains($0.ID) }
        guard !lost.isEmpty else { return nil }
        return "its task\(lost.count == 1 ? " was" : "s were") on a node that is down: \(lost.map(describe).joined(separator: ", "))"
    }

    static func describe(_ node: SwarmNode) -> String {
        let name = node.hostname.isEmpty ? node.ID : node.hostname
        let state = node.state
        if let message = node.Status?.Message, !message.isEmpty { return "\(name) (\(state): \(message))" }
        return "\(name) (\(state))"
    }
}
