/// One Swarm placement constraint (`node.labels.etcd1==true`, `node.role!=manager`), typed,
/// and evaluated the way swarmkit's `manager/constraint` does it: values compare without
/// regard to case, and a label a node lacks reads as the empty string (so `!=` holds).
/// The blueprint evaluates it against inventory hosts, health and the node-down diagnosis
/// against swarm nodes: one parser, one rule.
public struct PlacementConstraint: Sendable, Hashable, CustomStringConvertible {
    public enum Field: Sendable, Hashable {
        case nodeID
        case hostname
        case role
        case label(String)
        /// What swarmstage does not evaluate (`engine.labels.*`, `node.platform.*`): taken as
        /// satisfied, so a diagnosis names fewer nodes, never a wrong one.
        case other(String)
    }

    public var field: Field
    /// `==` when true, `!=` when false.
    public var equals: Bool
    public var value: String

    public init(_ field: Field, equals: Bool = true, _ value: String) {
        self.field = field
        self.equals = equals
        self.value = value
    }

    public static func label(_ key: String, equals value: String) -> PlacementConstraint { .init(.label(key), value) }
    public static let manager = PlacementConstraint(.role, NodeRole.manager.rawValue)
    public static func hostname(_ name: String) -> PlacementConstraint { .init(.hostname, name) }
    public static func nodeID(_ id: String) -> PlacementConstraint { .init(.nodeID, id) }

    /// Swarm's syntax: `KEY==VALUE` or `KEY!=VALUE`, spaces around either side allowed.
    public init?(parsing text: String) {
        let equals: Bool
        let separator: String
        if text.contains("!=") {
            equals = false
            separator = "!="
        } else if text.contains("==") {
            equals = true
            separator = "=="
        } else {
            return nil
        }
        let parts = text.components(separatedBy: separator)
        guard parts.count == 2 else { return nil }
        let key = parts[0].trimmingCharacters(in: .whitespaces), value = parts[1].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, !value.isEmpty else { return nil }
        let field: Field
        switch key.lowercased() {
        case "node.id": field = .nodeID
        case "node.hostname": field = .hostname
        case "node.role": field = .role
        default:
            if key.lowercased().hasPrefix("node.labels."), key.count > "node.labels.".count {
                field = .label(String(key.dropFirst("node.labels.".count)))
            } else {
                field = .other(key)
            }
        }
        self.init(field, equals: equals, value)
    }

    /// The text Swarm reads, e.g. `node.labels.etcd1==true`.
    public var description: String {
        let key: String
        switch field {
        case .nodeID: key = "node.id"
        case .hostname: key = "node.hostname"
        case .role: key = "node.role"
        case .label(let name): key = "node.labels.\(name)"
        case .other(let name): key = name
        }
        return "\(key)\(equals ? "==" : "!=")\(value)"
    }

    public func isSatisfied(by node: NodeFacts) -> Bool {
        let actual: String?
        switch field {
        case .nodeID: actual = node.id
        case .hostname: actual = node.hostname
        case .role: actual = node.role.rawValue
        case .label(let name): actual = node.labels[name] ?? ""
        case .other: return true
        }
        // A host whose node ID is not known yet cannot be said to have or lack it.
        guard let actual else { return true }
        return (actual.lowercased() == value.lowercased()) == equals
    }

    /// Whether a node satisfies every constraint (Swarm's rule: all must hold).
    public static func allSatisfied(_ constraints: [PlacementConstraint], by node: NodeFacts) -> Bool {
        constraints.allSatisfy { $0.isSatisfied(by: node) }
    }
}

/// What placement constraints are evaluated against: a swarm node, or an inventory host
/// as the node it will be once labelled.
public struct NodeFacts: Sendable, Hashable {
    /// nil for an inventory host without a pinned node ID.
    public var id: String?
    public var hostname: String
    public var role: NodeRole
    public var labels: [String: String]

    public init(id: String?, hostname: String, role: NodeRole, labels: [String: String]) {
        self.id = id
        self.hostname = hostname
        self.role = role
        self.labels = labels
    }
}

extension SwarmNode {
    public var facts: NodeFacts {
        NodeFacts(id: ID, hostname: hostname, role: Spec.Role ?? .worker, labels: Spec.Labels ?? [:])
    }
}

extension TaskSpec {
    /// The service's placement constraints, parsed; what does not parse is Swarm's to refuse.
    public var constraints: [PlacementConstraint] {
        (Placement?.Constraints ?? []).compactMap(PlacementConstraint.init(parsing:))
    }
}

import Foundation
