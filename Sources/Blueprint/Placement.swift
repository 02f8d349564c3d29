import Inventory
import SwarmModel
import struct Inventory.Host

extension Host {
    /// The swarm node this host becomes once `label` has run: what placement constraints see.
    public var nodeFacts: NodeFacts {
        NodeFacts(id: nodeID, hostname: name, role: has(.manager) ? .manager : .worker, labels: labels)
    }
}

extension PlacementConstraint {
    /// Whether the node set up from `host` (labels as the inventory manages them) satisfies this.
    public func isSatisfied(by host: Host) -> Bool { isSatisfied(by: host.nodeFacts) }

    /// Pins a service to exactly one host: by node ID when the inventory knows it, else by hostname.
    public static func pinned(to host: Host) -> PlacementConstraint {
        host.nodeID.map(PlacementConstraint.nodeID) ?? .hostname(host.name)
    }
}
