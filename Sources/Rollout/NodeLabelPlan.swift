import Blueprint
import SwarmModel
import Inventory
import struct Inventory.Host

/// What `label` would do: which inventory host is which Swarm node, and which
/// labels to add, change and remove on each. Pure: a function of the inventory
/// and the node list, so it is tested without a daemon.
public struct NodeLabelPlan: Sendable {
    public struct Update: Sendable, Equatable {
        public var nodeID: String
        public var host: String
        public var added: [String: String]
        /// key -> (from, to)
        public var changed: [String: LabelChange]
        public var removed: [String: String]
        /// The node's full label set after the update (foreign labels kept unless pruning).
        public var labels: [String: String]

        public var isEmpty: Bool { added.isEmpty && changed.isEmpty && removed.isEmpty }
    }

    public struct LabelChange: Sendable, Equatable {
        public var from: String
        public var to: String

        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    /// Mismatches between inventory and swarm that make labelling unsafe: nothing is written.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        case noNode(host: String)
        case unknownNodeID(host: String, nodeID: String)
        case ambiguous(host: String, nodeIDs: [String])
        case addressMismatch(host: String, nodeID: String, expected: String, actual: String)
        case nodeClaimedTwice(nodeID: String, hosts: [String])

        public var description: String {
            switch self {
            case let .noNode(host):
                return "host \(host): no swarm node has this hostname; join the machine to the swarm or fix its name in the inventory"
            case let .unknownNodeID(host, nodeID):
                return "host \(host): node_id \(nodeID) is not in the swarm (see `docker node ls`)"
            case let .ambiguous(host, nodeIDs):
                return "host \(host): \(nodeIDs.count) nodes have this hostname (\(nodeIDs.joined(separator: ", "))); give the host a node_id in the inventory"
            case let .addressMismatch(host, nodeID, expected, actual):
                return "host \(host): node \(nodeID) has address \(actual), the inventory says \(expected); is this the right machine?"
            case let .nodeClaimedTwice(nodeID, hosts):
                return "node \(nodeID) is claimed by several hosts: \(hosts.joined(separator: ", "))"
            }
        }
    }

    /// Worth telling, not blocking.
    public enum Notice: Sendable, Equatable, CustomStringConvertible {
        case nodeWithoutHost(nodeID: String, hostname: String)
        case roleMismatch(host: String, inventory: String, swarm: String)
        case notActive(host: String, availability: String)
        case notReady(host: String, state: String)

        public var description: String {
            switch self {
            case let .nodeWithoutHost(nodeID, hostname):
                return "node \(nodeID) (\(hostname)) is not in the inventory; its labels are left alone"
            case let .roleMismatch(host, inventory, swarm):
                return "host \(host) is a \(inventory) in the inventory but a \(swarm) in the swarm; run `docker node \(inventory == "manager" ? "promote" : "demote") \(host)`"
            case let .notActive(host, availability):
                return "host \(host) has availability \(availability): Swarm will not place tasks on it"
            case let .notReady(host, state):
                return "host \(host) is \(state), not ready"
            }
        }
    }

    public var updates: [Update]
    public var unchanged: [String]
    public var problems: [Problem]
    public var notices: [Notice]

    public var changes: [Update] { updates.filter { !$0.isEmpty } }

    /// Label keys the inventory manages: every key some host wants, and every key
    /// shaped like a role label (`coord`, `etcd4`), so a renumbered host loses its old number.
    public static func isManaged(_ key: String, wanted: Set<String>) -> Bool {
        if wanted.contains(key) { return true }
        if let role = Role(rawValue: key), role.plainLabel != nil { return true }
        let letters = key.prefix { $0.isLetter }
        let digits = key.dropFirst(letters.count)
        guard let role = Role(rawValue: String(letters)), role.isNumbered else { return false }
        return !digits.isEmpty && digits.allSatisfy(\.isNumber)
    }

    public static func make(inventory: Inventory, nodes: [SwarmNode], prune: Bool = false) -> NodeLabelPlan {
        var plan = NodeLabelPlan(updates: [], unchanged: [], problems: [], notices: [])
        let wanted = Set(inventory.hosts.flatMap(\.labels.keys))
        var claimed: [String: [String]] = [:]
        var matches: [(Host, SwarmNode)] = []

        for host in inventory.hosts {
            let node: SwarmNode
            if let id = host.nodeID {
                guard let byID = nodes.first(where: { $0.ID == id }) else {
                    plan.problems.append(.unknownNodeID(host: host.name, nodeID: id))
                    continue
                }
                node = byID
            } else {
                let named = nodes.filter { $0.hostname == host.name }
                guard let first = named.first else {
                    plan.problems.append(.noNode(host: host.name))
                    continue
                }
                guard named.count == 1 else {
                    plan.problems.append(.ambiguous(host: host.name, nodeIDs: named.map(\.ID).sorted()))
                    continue
                }
                node = first
            }
            if let actual = address(of: node), actual != host.address {
                plan.problems.append(.addressMismatch(host: host.name, nodeID: node.ID, expected: host.address, actual: actual))
                continue
            }
            claimed[node.ID, default: []].append(host.name)
            matches.append((host, node))
        }
        for (nodeID, hosts) in claimed where hosts.count > 1 {
            plan.problems.append(.nodeClaimedTwice(nodeID: nodeID, hosts: hosts))
        }
        let matchedIDs = Set(matches.map(\.1.ID))
        for node in nodes where !matchedIDs.contains(node.ID) {
            plan.notices.append(.nodeWithoutHost(nodeID: node.ID, hostname: node.hostname))
        }

        for (host, node) in matches {
            let inventoryRole = host.nodeFacts.role
            let swarmRole = node.Spec.Role ?? .worker
            if inventoryRole != swarmRole {
                plan.notices.append(.roleMismatch(host: host.name, inventory: inventoryRole.rawValue, swarm: swarmRole.rawValue))
            }
            if let availability = node.Spec.Availability, availability != "active" {
                plan.notices.append(.notActive(host: host.name, availability: availability))
            }
            if let state = node.Status?.State, state != .ready {
                plan.notices.append(.notReady(host: host.name, state: state.rawValue))
            }
            let update = labelUpdate(host: host, node: node, wanted: wanted, prune: prune)
            if update.isEmpty { plan.unchanged.append(host.name) }
            plan.updates.append(update)
        }
        return plan
    }

    /// The labels `node` should carry for `host`, keeping labels the inventory does not manage.
    public static func labelUpdate(host: Host, node: SwarmNode, wanted: Set<String>, prune: Bool) -> Update {
        let current = node.Spec.Labels ?? [:]
        var next = current.filter { key, _ in !prune && !isManaged(key, wanted: wanted) }
        for (key, value) in host.labels { next[key] = value }
        var update = Update(nodeID: node.ID, host: host.name, added: [:], changed: [:], removed: [:], labels: next)
        for (key, value) in next {
            if let old = current[key] {
                if old != value { update.changed[key] = LabelChange(from: old, to: value) }
            } else {
                update.added[key] = value
            }
        }
        for (key, value) in current where next[key] == nil { update.removed[key] = value }
        return update
    }

    /// The node's address as Swarm knows it; nil when it cannot be trusted.
    static func address(of node: SwarmNode) -> String? {
        let raw = node.ManagerStatus?.Addr ?? node.Status?.Addr ?? ""
        let host = raw.split(separator: ":").first.map(String.init) ?? ""
        return ["", "0.0.0.0", "127.0.0.1"].contains(host) ? nil : host
    }
}
