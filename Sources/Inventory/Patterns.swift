/// A whole-string match rule for names the inventory accepts.
struct Pattern: Sendable {
    let matches: @Sendable (String) -> Bool
}

/// The shapes of names, written as small matchers rather than regular expressions
/// so they cost nothing on a 5,000-host inventory.
enum Patterns {
    static func isAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }

    /// Stack names become service and network name prefixes.
    static let stackName = Pattern { text in
        guard let first = text.first, text.count <= 40, isAlnum(first), !first.isUppercase else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "_" }
    }

    static let objectName = Pattern { text in
        guard let first = text.first, text.count <= 63, isAlnum(first) else { return false }
        return text.allSatisfy { isAlnum($0) || "._-".contains($0) }
    }

    /// RFC 1123 host names, optionally dotted.
    static let hostname = Pattern { text in
        guard text.count <= 253 else { return false }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.allSatisfy { part in
            guard let first = part.first, let last = part.last, part.count <= 63 else { return false }
            return isAlnum(first) && isAlnum(last) && part.allSatisfy { isAlnum($0) || $0 == "-" }
        }
    }

    static let nodeID = Pattern { text in
        text.count == 25 && text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
    }

    static let labelKey = Pattern { text in
        guard let first = text.first, let last = text.last else { return false }
        return isAlnum(first) && isAlnum(last) && text.allSatisfy { isAlnum($0) || "._-".contains($0) }
    }

    static let absolutePath = Pattern { text in
        text.hasPrefix("/") && !text.contains(" ") && !text.contains("//")
            && text.allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != ":" && $0 != "$" }
    }

    static let reservedLabelPrefixes = ["com.docker.", "io.docker.", "org.dockerproject."]

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let value = Int(part) else { return false }
            return value <= 255 && (part.count == 1 || part.first != "0")
        }
    }

    /// `etcd2` -> (.etcd, 2) for labels that number a host within a numbered role.
    static func roleLabel(_ key: String) -> (Role, Int)? {
        let letters = key.prefix { $0.isLetter }
        let digits = key.dropFirst(letters.count)
        guard let role = Role(rawValue: String(letters)), role.isNumbered,
              !digits.isEmpty, digits.allSatisfy(\.isNumber), digits.first != "0", let number = Int(digits) else { return nil }
        return (role, number)
    }
}
