import Inventory
import SwarmModel

extension FakeSwarm {
    /// A swarm whose nodes are the inventory's hosts, labelled as `swarmstage label` leaves them.
    public init(inventory: Inventory, apiVersion: APIVersion = FakeSwarm.engine20API) {
        self.init(nodes: Self.nodes(of: inventory), apiVersion: apiVersion)
    }

    /// Runs what `swarmstage label` does for this inventory.
    public func label(_ inventory: Inventory) {
        label(Self.nodes(of: inventory))
    }

    static func nodes(of inventory: Inventory) -> [(hostname: String, role: NodeRole, labels: [String: String])] {
        inventory.hosts.map { host in (hostname: host.name, role: host.has(.manager) ? NodeRole.manager : .worker, labels: host.labels) }
    }
}
