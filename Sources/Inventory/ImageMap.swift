/// The images a cluster runs, by what they are for. Defaults are the seed's list
/// (seed 4.2.1); an inventory, an image file (`--images`) or `--image key=ref`
/// replaces entries, e.g. for a private registry or the lab's stand-ins.
public struct ImageMap: Sendable, Hashable {
    public enum Key: String, CaseIterable, Sendable, Hashable, Comparable {
        case milvus, etcd, minio, nginx, pulsar, cadvisor

        public static func < (lhs: Key, rhs: Key) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public private(set) var references: [Key: String]

    public static let defaults: [Key: String] = [
        .milvus: "milvusdb/milvus:2.3.0-20230920-509e7a39",
        .etcd: "quay.io/coreos/etcd:v3.5.5",
        .minio: "minio/minio:RELEASE.2023-03-20T20-16-18Z",
        // The seed used nginx:latest; 1.27.3 is the first open-source nginx whose
        // upstream `server ... resolve` the balancer configs rely on.
        .nginx: "nginx:1.27.3",
        .pulsar: "apachepulsar/pulsar:3.1.0",
        .cadvisor: "gcr.io/cadvisor/cadvisor:v0.47.2",
    ]

    public init(_ references: [Key: String] = ImageMap.defaults) {
        self.references = ImageMap.defaults.merging(references) { _, new in new }
    }

    public subscript(key: Key) -> String { references[key] ?? ImageMap.defaults[key] ?? key.rawValue }

    public func overriding(_ overrides: [Key: String]) -> ImageMap {
        ImageMap(references.merging(overrides) { _, new in new })
    }

    /// Whether `reference` looks like an image reference Docker accepts:
    /// `[registry[:port]/]path[:tag][@sha256:digest]`, lower-case path.
    public static func isValidReference(_ reference: String) -> Bool {
        guard !reference.isEmpty, reference.count <= 512 else { return false }
        var rest = Substring(reference)
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard digest.hasPrefix("sha256:"), digest.count == 71,
                  digest.dropFirst(7).allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return false }
            rest = rest[..<at]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard let last = components.popLast(), !last.isEmpty else { return false }
        var name = last
        if let colon = last.firstIndex(of: ":") {
            let tag = last[last.index(after: colon)...]
            guard !tag.isEmpty, tag.count <= 128,
                  tag.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }) else { return false }
            name = last[..<colon]
        }
        components.append(name)
        for (index, component) in components.enumerated() {
            guard !component.isEmpty else { return false }
            let isRegistry = index == 0 && components.count > 1
                && (component.contains(".") || component.contains(":") || component == "localhost")
            let allowed: (Character) -> Bool = isRegistry
                ? { $0.isLetter || $0.isNumber || ".-:".contains($0) }
                : { ($0.isLowercase || $0.isNumber || "._-".contains($0)) && $0.isASCII }
            guard component.allSatisfy(allowed) else { return false }
        }
        return true
    }
}
