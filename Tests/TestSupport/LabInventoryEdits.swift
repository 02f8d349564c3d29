import Foundation

/// The lab inventory as an operator would edit it on day 2, for unit and lab tests alike.
public enum LabInventoryEdits {
    public struct NotFound: Error, CustomStringConvertible {
        public var description: String
    }

    /// inventory/lab.yml with lab-node2 gone for good and its stateful members handed on under
    /// their numbers (etcd2 and zk2 to lab-node4, minio2 and bookie1 to lab-manager3), as the
    /// README's runbook has a dead host's roles given to others.
    public static func replacingNode2() throws -> String {
        let edits = [
            ("  - name: lab-node2\n    address: 10.77.0.12\n    roles: [etcd, zk, minio, bookie, broker, index]\n    size: lab\n", ""),
            ("    roles: [minio, bookie, coord, index]\n    size: lab\n",
             "    roles: [etcd, zk, minio, bookie, broker, coord, index]\n    size: lab\n    labels: {etcd2: \"true\", zk2: \"true\"}\n"),
            ("    address: 10.77.0.16\n    roles: [manager]\n    size: lab\n",
             "    address: 10.77.0.16\n    roles: [manager, minio, bookie]\n    size: lab\n    labels: {minio2: \"true\", bookie1: \"true\"}\n"),
        ]
        return try edited(edits)
    }

    /// inventory/lab.yml with lab-node2 gone for good and every role it had given to the spare
    /// `host` (a manager with no other role), the numbered ones under their numbers (etcd2, zk2,
    /// minio2, bookie1, index1): the runbook's "a host died", done whole.
    public static func handingAllOfNode2(to host: String) throws -> String {
        var lines = try edited([
            ("  - name: lab-node2\n    address: 10.77.0.12\n    roles: [etcd, zk, minio, bookie, broker, index]\n    size: lab\n", ""),
        ]).components(separatedBy: "\n")
        guard let entry = lines.firstIndex(of: "  - name: \(host)"),
              let roles = lines[entry...].firstIndex(where: { $0.hasPrefix("    roles: [") }),
              let size = lines[roles...].firstIndex(where: { $0.hasPrefix("    size: ") }) else {
            throw NotFound(description: "inventory/lab.yml has no host \(host) with roles and size")
        }
        lines[roles] = lines[roles].replacingOccurrences(of: "]", with: ", etcd, zk, minio, bookie, broker, index]")
        lines.insert("    labels: {etcd2: \"true\", zk2: \"true\", minio2: \"true\", bookie1: \"true\", index1: \"true\"}", at: size + 1)
        return lines.joined(separator: "\n")
    }

    /// inventory/lab.yml with lab-node2's etcd member handed to `host` under its number (etcd2),
    /// its other roles left where they are: what an operator does when lab-node2 is gone and etcd
    /// must be whole again (the other tiers keep running one member short).
    public static func handingNode2sEtcdMember(to host: String) throws -> String {
        let text = try edited([
            ("  - name: lab-node2\n    address: 10.77.0.12\n    roles: [etcd, zk, minio, bookie, broker, index]\n",
             "  - name: lab-node2\n    address: 10.77.0.12\n    roles: [zk, minio, bookie, broker, index]\n"),
        ])
        var lines = text.components(separatedBy: "\n")
        guard let entry = lines.firstIndex(of: "  - name: \(host)"),
              let roles = lines[entry...].firstIndex(where: { $0.hasPrefix("    roles: [") }),
              let size = lines[roles...].firstIndex(where: { $0.hasPrefix("    size: ") }) else {
            throw NotFound(description: "inventory/lab.yml has no host \(host) with roles and size")
        }
        lines[roles] = lines[roles].replacingOccurrences(of: "roles: [", with: "roles: [etcd, ")
        lines.insert("    labels: {etcd2: \"true\"}", at: size + 1)
        return lines.joined(separator: "\n")
    }

    /// inventory/lab.yml with `from`'s MinIO server (minio`number`) handed to `to` under its number,
    /// `from`'s other roles left where they are: what an operator does when `from` is gone and
    /// MinIO must have all its servers again.
    public static func handingMinioServer(_ number: Int, from: String, to: String, in text: String? = nil) throws -> String {
        try handingMember("minio", number, from: from, to: to, in: text)
    }

    /// inventory/lab.yml with `from`'s ZooKeeper server (zk`number`) handed to `to` under its number.
    public static func handingZooKeeperServer(_ number: Int, from: String, to: String, in text: String? = nil) throws -> String {
        try handingMember("zk", number, from: from, to: to, in: text)
    }

    /// inventory/lab.yml with `from`'s bookie (bookie`number`) handed to `to` under its number.
    public static func handingBookie(_ number: Int, from: String, to: String, in text: String? = nil) throws -> String {
        try handingMember("bookie", number, from: from, to: to, in: text)
    }

    /// `from`'s member of `role` handed to `to` under its numbered label (`role``number`).
    static func handingMember(_ role: String, _ number: Int, from: String, to: String, in text: String?) throws -> String {
        var lines = (try text ?? String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8))
            .components(separatedBy: "\n")
        func rolesLine(of host: String) throws -> Int {
            guard let entry = lines.firstIndex(of: "  - name: \(host)"),
                  let roles = lines[entry...].firstIndex(where: { $0.hasPrefix("    roles: [") }) else {
                throw NotFound(description: "inventory/lab.yml has no host \(host) with roles")
            }
            return roles
        }
        let old = try rolesLine(of: from)
        guard lines[old].contains("[\(role),") || lines[old].contains(" \(role),") || lines[old].contains(" \(role)]") else {
            throw NotFound(description: "\(from) has no \(role) role")
        }
        lines[old] = lines[old].replacingOccurrences(of: "[\(role), ", with: "[").replacingOccurrences(of: " \(role),", with: "")
            .replacingOccurrences(of: ", \(role)]", with: "]")
        let new = try rolesLine(of: to)
        lines[new] = lines[new].replacingOccurrences(of: "]", with: ", \(role)]")
        guard let size = lines[new...].firstIndex(where: { $0.hasPrefix("    size: ") }) else {
            throw NotFound(description: "inventory/lab.yml has no size for \(to)")
        }
        // One labels mapping per host: a label handed on before joins it.
        if size + 1 < lines.count, lines[size + 1].hasPrefix("    labels: {") {
            lines[size + 1] = lines[size + 1].replacingOccurrences(of: "    labels: {", with: "    labels: {\(role)\(number): \"true\", ")
        } else {
            lines.insert("    labels: {\(role)\(number): \"true\"}", at: size + 1)
        }
        return lines.joined(separator: "\n")
    }

    /// inventory/lab.yml with etcd grown from 3 members to 5: lab-node4 (etcd4, next in file
    /// order) and lab-manager3 (etcd5, given: left to the file's order it would be etcd1 and
    /// move every member's number).
    public static func growingEtcd() throws -> String {
        try edited([
            ("    roles: [minio, bookie, coord, index]\n    size: lab\n", "    roles: [etcd, minio, bookie, coord, index]\n    size: lab\n"),
            ("    address: 10.77.0.16\n    roles: [manager]\n    size: lab\n",
             "    address: 10.77.0.16\n    roles: [manager, etcd]\n    size: lab\n    labels: {etcd5: \"true\"}\n"),
        ])
    }

    /// inventory/lab.yml with ZooKeeper grown from 3 servers to 5: lab-node4 (zk4, next in file
    /// order) and lab-manager3 (zk5, given: left to the file's order it would be zk1 and move
    /// every server's number).
    public static func growingZooKeeper() throws -> String {
        try edited([
            ("    roles: [minio, bookie, coord, index]\n    size: lab\n", "    roles: [zk, minio, bookie, coord, index]\n    size: lab\n"),
            ("    address: 10.77.0.16\n    roles: [manager]\n    size: lab\n",
             "    address: 10.77.0.16\n    roles: [manager, zk]\n    size: lab\n    labels: {zk5: \"true\"}\n"),
        ])
    }

    /// inventory/lab.yml without lab-node4's bookie (bookie3, the last: the others keep their numbers).
    public static func droppingBookie3() throws -> String {
        try edited([("    roles: [minio, bookie, coord, index]\n", "    roles: [minio, coord, index]\n")])
    }

    /// inventory/lab.yml with MinIO grown by a server pool: `hosts` new hosts (lab-pool2-1, ...,
    /// 10.77.0.31 on; pool 3's from 10.77.0.41) with the role minio in `pool` (numbered minio5 on, after the running pool).
    public static func growingMinioByAPool(hosts: Int = 4, pool: Int = 2, text: String? = nil) throws -> String {
        var text = try text ?? String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        if !text.hasSuffix("\n") { text += "\n" }
        for index in 1...hosts {
            text += "  - name: lab-pool\(pool)-\(index)\n    address: 10.77.0.\(10 * pool + 10 + index)\n    roles: [minio]\n    size: lab\n    minio_pool: \(pool)\n"
        }
        return text
    }

    /// An edited inventory written where an operator keeps it: named lab.yml (the generated
    /// files' headers name the inventory's file, and another name would change every config),
    /// in a temporary folder of its own that `remove` deletes.
    public struct OperatorsFile: Sendable {
        public let folder: String
        public var path: String { folder + "/lab.yml" }

        public init(_ text: String, tag: String) throws {
            folder = NSTemporaryDirectory() + "\(tag)-\(UUID().uuidString.prefix(6))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try text.write(toFile: folder + "/lab.yml", atomically: true, encoding: .utf8)
        }

        public func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }

    static func edited(_ edits: [(String, String)]) throws -> String {
        var text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        for (old, new) in edits {
            guard text.contains(old) else { throw NotFound(description: "inventory/lab.yml no longer contains \(old.debugDescription)") }
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }
}
