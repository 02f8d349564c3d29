import Foundation

/// Engine list filters: `{"label": {"a=b": true}}`, JSON and then URL-encoded,
/// never spliced into a query string by hand.
public struct Filters: Sendable, Equatable {
    private var values: [String: Set<String>] = [:]

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (key, value) in pairs { add(key, value) }
    }

    public mutating func add(_ key: String, _ value: String) {
        values[key, default: []].insert(value)
    }

    public var isEmpty: Bool { values.isEmpty }

    /// The values given for one key (empty when the key is not filtered on).
    public func values(_ key: String) -> Set<String> { values[key] ?? [] }

    /// Deterministic JSON (sorted keys).
    public var json: String {
        let object = values.mapValues { Dictionary(uniqueKeysWithValues: $0.map { ($0, true) }) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

public enum Query {
    /// Characters allowed unescaped in a query value (RFC 3986 unreserved).
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// `?a=1&b=2` from ordered pairs; empty when there are none.
    public static func string(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}

extension Filters {
    /// Everything of one stack, as `docker stack ls/ps/rm` find it: the namespace label.
    public static func stack(_ name: String) -> Filters {
        Filters([("label", "\(StackLabels.namespace)=\(name)")])
    }

    public static func service(_ id: String) -> Filters {
        Filters([("service", id)])
    }
}

/// The labels that make objects a stack to the docker CLI.
public enum StackLabels {
    public static let namespace = "com.docker.stack.namespace"
    public static let image = "com.docker.stack.image"
}
