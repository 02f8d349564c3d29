import SwarmModel
import Inventory

/// Applies a label plan: each node's whole spec, at the version it was read at.
public struct NodeLabeler: Sendable {
    public let engine: any SwarmAPI

    public init(engine: any SwarmAPI) {
        self.engine = engine
    }

    /// Reads the nodes and plans.
    public func plan(_ inventory: Inventory, prune: Bool) async throws -> NodeLabelPlan {
        NodeLabelPlan.make(inventory: inventory, nodes: try await engine.nodes(), prune: prune)
    }

    /// Writes only the nodes whose labels differ. Returns how many nodes were updated.
    /// "update out of sequence" (the node changed meanwhile) is retried with a fresh read.
    @discardableResult
    public func apply(_ plan: NodeLabelPlan, inventory: Inventory, prune: Bool) async throws -> Int {
        let wanted = Set(inventory.hosts.flatMap(\.labels.keys))
        var updated = 0
        for planned in plan.changes {
            guard let host = inventory.host(named: planned.host) else { continue }
            var attempt = 0
            while true {
                attempt += 1
                let node = try await engine.node(planned.nodeID)
                let update = NodeLabelPlan.labelUpdate(host: host, node: node, wanted: wanted, prune: prune)
                if update.isEmpty { break }
                var spec = node.Spec
                spec.Labels = update.labels
                do {
                    try await engine.updateNode(node.ID, version: node.Version, spec: spec)
                    updated += 1
                    break
                } catch let error as EngineError where error.isOutOfSequence && attempt < 5 {
                    continue
                }
            }
        }
        return updated
    }
}
