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

    /// The nodes with the addresses the inventory gives their hosts (the fake numbers its own;
    /// a real swarm's are the inventory's), as `label` cross-checks them.
    public func nodes(addressedAs inventory: Inventory) async throws -> [SwarmNode] {
        try await nodes().map { node in
            let address = inventory.host(named: node.hostname)?.address
            var node = node
            node.Status?.Addr = address
            if node.ManagerStatus != nil { node.ManagerStatus?.Addr = address.map { "\($0):2377" } }
            return node
        }
    }

    static func nodes(of inventory: Inventory) -> [(hostname: String, role: NodeRole, labels: [String: String])] {
        inventory.hosts.map { host in (hostname: host.name, role: host.has(.manager) ? NodeRole.manager : .worker, labels: host.labels) }
    }
}
