/// An Engine API version, `1.41`. What a daemon keeps of a spec depends on it (fields newer
/// than the negotiated version are dropped), so planning needs it as well as the client.
public struct APIVersion: Sendable, Comparable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    /// The newest version swarmstage speaks (Engine 27/28).
    public static let newestSpoken = APIVersion(1, 47)

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.init(major, minor)
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: APIVersion, rhs: APIVersion) -> Bool { (lhs.major, lhs.minor) < (rhs.major, rhs.minor) }
}
