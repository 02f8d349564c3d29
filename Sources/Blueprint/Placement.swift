import Inventory
import struct Inventory.Host

/// One Swarm placement constraint, kept typed so the blueprint's own tests can
/// evaluate it against the inventory (which hosts may run this service?).
public enum PlacementConstraint: Sendable, Hashable, CustomStringConvertible {
    case label(String, equals: String)
    case manager
    case hostname(String)
    case nodeID(String)

    /// The text Swarm reads, e.g. `node.labels.etcd1==true`.
    public var description: String {
        switch self {
        case let .label(key, value): return "node.labels.\(key)==\(value)"
        case .manager: return "node.role==manager"
        case let .hostname(name): return "node.hostname==\(name)"
        case let .nodeID(id): return "node.id==\(id)"
        }
    }

    /// Parses the subset of Swarm's constraint syntax that the blueprint writes.
    public init?(parsing text: String) {
        let parts = text.components(separatedBy: "==")
        guard parts.count == 2 else { return nil }
        let field = parts[0].trimmingCharacters(in: .whitespaces)
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        switch field {
        case "node.role" where value == "manager": self = .manager
        case "node.hostname": self = .hostname(value)
        case "node.id": self = .nodeID(value)
        default:
            guard field.hasPrefix("node.labels.") else { return nil }
            self = .label(String(field.dropFirst("node.labels.".count)), equals: value)
        }
    }

    /// Whether a node set up from `host` (labels as the inventory manages them) satisfies this.
    public func isSatisfied(by host: Host) -> Bool {
        switch self {
        case let .label(key, value): return host.labels[key] == value
        case .manager: return host.has(.manager)
        case let .hostname(name): return host.name == name
        case let .nodeID(id): return host.nodeID == id
        }
    }

    /// Pins a service to exactly one host: by node ID when the inventory knows it,
    /// else by hostname.
    public static func pinned(to host: Host) -> PlacementConstraint {
        host.nodeID.map(PlacementConstraint.nodeID) ?? .hostname(host.name)
    }
}

import Foundation
