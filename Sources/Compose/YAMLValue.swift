/// An ordered YAML tree. Mappings keep the order they are built in, so the same
/// input always prints the same bytes (Yams' encoder orders dictionaries randomly).
public indirect enum YAMLValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case list([YAMLValue])
    case map([(String, YAMLValue)])

    public static func == (lhs: YAMLValue, rhs: YAMLValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.list(a), .list(b)): return a == b
        case let (.map(a), .map(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    var isEmptyCollection: Bool {
        switch self {
        case .list(let items): return items.isEmpty
        case .map(let entries): return entries.isEmpty
        default: return false
        }
    }
}

/// Builds mappings while leaving out absent and empty values.
public struct YAMLMapBuilder {
    public private(set) var entries: [(String, YAMLValue)] = []

    public init() {}

    public mutating func add(_ key: String, _ value: YAMLValue?) {
        guard let value, !value.isEmptyCollection else { return }
        entries.append((key, value))
    }

    public mutating func add(_ key: String, _ value: String?) { add(key, value.map(YAMLValue.string)) }
    public mutating func add(_ key: String, _ value: Int?) { add(key, value.map { YAMLValue.int(Int64($0)) }) }
    public mutating func add(_ key: String, _ value: Bool?) { add(key, value.map(YAMLValue.bool)) }
    public mutating func add(_ key: String, strings: [String]?) { add(key, strings.map { .list($0.map(YAMLValue.string)) }) }

    public var value: YAMLValue { .map(entries) }
}

/// Prints a `YAMLValue` as block-style YAML, two-space indents, one value per line.
/// Strings are left plain only when they cannot be read back as anything but the
/// same string; everything else is double-quoted.
public enum YAMLWriter {
    /// - Parameter escapeDollars: compose files are interpolated by the docker CLI,
    ///   so a literal `$` must be written `$$` there (and not in config files).
    public static func render(_ value: YAMLValue, header: [String] = [], escapeDollars: Bool = false) -> String {
        var out = ""
        for line in header { out += line.isEmpty ? "#\n" : "# \(line)\n" }
        write(value, indent: 0, into: &out, escapeDollars: escapeDollars)
        return out
    }

    private static func write(_ value: YAMLValue, indent: Int, into out: inout String, escapeDollars: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .map(let entries):
            for (key, child) in entries {
                out += pad + scalar(key, escapeDollars: false) + ":"
                writeChild(child, indent: indent, into: &out, escapeDollars: escapeDollars)
            }
        case .list(let items):
            for item in items {
                out += pad + "-"
                switch item {
                case .map(let entries) where !entries.isEmpty:
                    // First key on the dash's line, the rest aligned under it.
                    var nested = ""
                    write(item, indent: indent + 2, into: &nested, escapeDollars: escapeDollars)
                    out += " " + nested.dropFirst(indent + 2)
                default:
                    writeChild(item, indent: indent, into: &out, escapeDollars: escapeDollars)
                }
            }
        default:
            out += pad + inline(value, escapeDollars: escapeDollars) + "\n"
        }
    }

    private static func writeChild(_ child: YAMLValue, indent: Int, into out: inout String, escapeDollars: Bool) {
        switch child {
        case .map(let entries) where !entries.isEmpty:
            out += "\n"
            write(child, indent: indent + 2, into: &out, escapeDollars: escapeDollars)
        case .list(let items) where !items.isEmpty:
            if let flow = flowList(items, escapeDollars: escapeDollars) {
                out += " " + flow + "\n"
            } else {
                out += "\n"
                write(child, indent: indent + 2, into: &out, escapeDollars: escapeDollars)
            }
        default:
            out += " " + inline(child, escapeDollars: escapeDollars) + "\n"
        }
    }

    /// Short lists of plain values print on one line: `[CMD, etcdctl, endpoint, health]`.
    private static func flowList(_ items: [YAMLValue], escapeDollars: Bool) -> String? {
        var parts: [String] = []
        for item in items {
            switch item {
            case .string(let text):
                let rendered = scalar(text, escapeDollars: escapeDollars)
                // Commas and brackets end a plain scalar inside [...].
                parts.append(rendered.contains(where: { ",[]{}".contains($0) }) && !rendered.hasPrefix("\"") ? quoted(text) : rendered)
            case .int, .bool:
                parts.append(inline(item, escapeDollars: escapeDollars))
            default:
                return nil
            }
        }
        let line = "[" + parts.joined(separator: ", ") + "]"
        return line.count <= 72 ? line : nil
    }

    private static func inline(_ value: YAMLValue, escapeDollars: Bool) -> String {
        switch value {
        case .string(let text): return scalar(text, escapeDollars: escapeDollars)
        case .int(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .list: return "[]"
        case .map: return "{}"
        }
    }

    /// Words YAML 1.1 or 1.2 would read as booleans or null.
    private static let reservedWords: Set<String> = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
    ]

    static func scalar(_ raw: String, escapeDollars: Bool) -> String {
        let text = escapeDollars ? raw.replacingDollars() : raw
        return isSafePlain(text) ? text : quoted(text)
    }

    static func isSafePlain(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last else { return false }
        if reservedWords.contains(text.lowercased()) { return false }
        // Anything that starts like a number could be read as one (ints, floats, 0x, 1e3, .5).
        if first.isNumber || first == "." || first == "-" || first == "+" { return false }
        guard first.isLetter || first == "/" || first == "_" else { return false }
        if last == ":" { return false }
        let allowed: (Character) -> Bool = { c in
            c.isASCII && (c.isLetter || c.isNumber || "_-./=@+:,".contains(c))
        }
        guard text.allSatisfy(allowed) else { return false }
        return !text.contains(": ") && !text.contains(" #")
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

private extension String {
    func replacingDollars() -> String {
        var out = ""
        for c in self { out += c == "$" ? "$$" : String(c) }
        return out
    }

    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
