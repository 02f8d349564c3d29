import Engine
import Foundation
import Inventory
import Rollout
import SwarmModel
import Testing
import TestSupport

@Suite("Node label plans")
struct NodeLabelPlanTests {
    /// A node as `GET /nodes` returns it.
    static func node(_ id: String, _ hostname: String, address: String, role: String = "worker",
                     labels: [String: String] = [:], availability: String = "active", state: String = "ready") throws -> SwarmNode {
        var object: [String: Any] = [
            "ID": id, "Version": ["Index": 10],
            "Spec": ["Labels": labels, "Role": role, "Availability": availability],
            "Description": ["Hostname": hostname],
            "Status": ["State": state, "Addr": role == "manager" ? "0.0.0.0" : address],
        ]
        if role == "manager" { object["ManagerStatus"] = ["Leader": true, "Reachability": "reachable", "Addr": "\(address):2377"] }
        return try JSONDecoder().decode(SwarmNode.self, from: JSONSerialization.data(withJSONObject: object))
    }

    static func labSwarm(labels: [String: [String: String]] = [:]) throws -> [SwarmNode] {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        return try inventory.hosts.map { host in
            try node("id-\(host.name)", host.name, address: host.address, role: host.has(.manager) ? "manager" : "worker",
                     labels: labels[host.name] ?? [:])
        }
    }

    @Test func aFreshSwarmGetsEveryLabel() throws {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: try Self.labSwarm())
        #expect(plan.problems.isEmpty && plan.notices.isEmpty)
        #expect(plan.changes.count == 4)
        #expect(plan.unchanged == ["lab-manager", "lab-manager2", "lab-manager3"], "managers carry no role labels")
        let node2 = try #require(plan.updates.first { $0.host == "lab-node2" })
        #expect(node2.added == inventory.host(named: "lab-node2")?.labels)
        #expect(node2.labels == inventory.host(named: "lab-node2")?.labels)
    }

    @Test func aLabelledSwarmNeedsNothing() throws {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        let labels = Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, $0.labels) })
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: try Self.labSwarm(labels: labels))
        #expect(plan.changes.isEmpty)
        #expect(plan.unchanged.count == inventory.hosts.count)
    }

    @Test func driftIsFixedAndForeignLabelsStayUnlessPruned() throws {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        var labels = Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, $0.labels) })
        labels["lab-node2"]?["etcd2"] = "false"
        labels["lab-node2"]?["etcd3"] = "true"
        labels["lab-node2"]?["query9"] = "true"
        labels["lab-node2"]?["rack"] = "r1"
        let nodes = try Self.labSwarm(labels: labels)
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: nodes)
        let update = try #require(plan.changes.first)
        #expect(plan.changes.count == 1)
        #expect(update.changed == ["etcd2": .init(from: "false", to: "true")])
        #expect(update.removed == ["etcd3": "true", "query9": "true"])
        #expect(update.labels["rack"] == "r1")
        let pruned = NodeLabelPlan.make(inventory: inventory, nodes: nodes, prune: true)
        #expect(pruned.changes.first?.removed["rack"] == "r1")
    }

    @Test func mismatchesBlockAndStrangersAreNoted() throws {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        var nodes = try Self.labSwarm()
        nodes.removeAll { $0.hostname == "lab-node4" }
        nodes.append(try Self.node("twin-a", "lab-node3", address: "10.77.0.13"))
        nodes.append(try Self.node("stranger", "build-box", address: "10.77.0.99"))
        nodes = nodes.map { node in
            var node = node
            if node.hostname == "lab-node1" { node.Status?.Addr = "10.77.0.201" }
            return node
        }
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: nodes)
        #expect(plan.problems.contains(.noNode(host: "lab-node4")))
        #expect(plan.problems.contains(.ambiguous(host: "lab-node3", nodeIDs: ["id-lab-node3", "twin-a"])))
        #expect(plan.problems.contains(.addressMismatch(host: "lab-node1", nodeID: "id-lab-node1", expected: "10.77.0.11", actual: "10.77.0.201")))
        #expect(plan.notices.contains(.nodeWithoutHost(nodeID: "stranger", hostname: "build-box")))
    }

    @Test func rolesAndAvailabilityAreReported() throws {
        let inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        let nodes = try Self.labSwarm().map { node -> SwarmNode in
            var node = node
            if node.hostname == "lab-node1" { node.Spec.Role = "manager" }
            if node.hostname == "lab-node2" { node.Spec.Availability = "drain" }
            return node
        }
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: nodes)
        #expect(plan.problems.isEmpty)
        #expect(plan.notices.contains(.roleMismatch(host: "lab-node1", inventory: "worker", swarm: "manager")))
        #expect(plan.notices.contains(.notActive(host: "lab-node2", availability: "drain")))
    }

    @Test func nodeIDsWinOverHostnames() throws {
        var inventory = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        let index = try #require(inventory.hosts.firstIndex { $0.name == "lab-node1" })
        inventory.hosts[index].nodeID = "node9"
        let plan = NodeLabelPlan.make(inventory: inventory, nodes: try Self.labSwarm())
        #expect(plan.problems == [.unknownNodeID(host: "lab-node1", nodeID: "node9")])
    }

    @Test func managedKeysAreRoleShapedOrWanted() {
        #expect(NodeLabelPlan.isManaged("etcd7", wanted: []))
        #expect(NodeLabelPlan.isManaged("coord", wanted: []))
        #expect(NodeLabelPlan.isManaged("rack", wanted: ["rack"]))
        #expect(!NodeLabelPlan.isManaged("rack", wanted: []))
        #expect(!NodeLabelPlan.isManaged("manager", wanted: []))
        #expect(!NodeLabelPlan.isManaged("etcd", wanted: []))
    }
}
