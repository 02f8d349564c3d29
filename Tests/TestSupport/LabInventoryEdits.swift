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
        var text = try String(contentsOfFile: RepositoryPaths.path(RepositoryPaths.labInventory), encoding: .utf8)
        let edits = [
            ("  - name: lab-node2\n    address: 10.77.0.12\n    roles: [etcd, zk, minio, bookie, broker, index]\n    size: lab\n", ""),
            ("    roles: [minio, bookie, coord, index]\n    size: lab\n",
             "    roles: [etcd, zk, minio, bookie, broker, coord, index]\n    size: lab\n    labels: {etcd2: \"true\", zk2: \"true\"}\n"),
            ("    address: 10.77.0.16\n    roles: [manager]\n    size: lab\n",
             "    address: 10.77.0.16\n    roles: [manager, minio, bookie]\n    size: lab\n    labels: {minio2: \"true\", bookie1: \"true\"}\n"),
        ]
        for (old, new) in edits {
            guard text.contains(old) else { throw NotFound(description: "inventory/lab.yml no longer contains \(old.debugDescription)") }
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }
}
