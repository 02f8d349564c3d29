import Foundation
import Yams

/// Reads a composed YAML node tree and records problems with their exact location,
/// so that every mistake becomes one `file:line:column` line instead of a thrown
/// decoding error with only a coding path.
public final class YAMLReader {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: String) {
        self.file = file
    }

    public func location(of node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    public func error(_ node: Node, _ message: String, hint: String? = nil) {
        record(Diagnostic(location(of: node), message, hint: hint))
    }

    public func error(at location: SourceLocation, _ message: String, hint: String? = nil) {
        record(Diagnostic(location, message, hint: hint))
    }

    /// Each problem once: an alias used many times points at one node, whose mistake is one mistake.
    /// Values the message quotes are cut to a readable length.
    private func record(_ diagnostic: Diagnostic) {
        var diagnostic = diagnostic
        diagnostic.message = Self.cappingQuotes(diagnostic.message)
        if diagnostics.contains(where: { $0.location == diagnostic.location && $0.message == diagnostic.message }) { return }
        diagnostics.append(diagnostic)
    }

    /// Parses text into a node tree, turning libyaml's errors into diagnostics.
    public func compose(_ text: String) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            diagnostics.append(diagnostic(for: error, text: text))
            return nil
        } catch {
            diagnostics.append(Diagnostic(SourceLocation(file: file, line: 1, column: 1), "cannot parse YAML: \(error)"))
            return nil
        }
    }

    private func diagnostic(for error: YamlError, text: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            if problem.contains("nesting level") {
                // libyaml's own wording names its C API ("set with yaml_set_max_nest_level()").
                return Diagnostic(at(mark), "YAML nested more deeply than libyaml allows (1000 levels by default)",
                                  hint: "an inventory or stack file needs a few levels; look for runaway brackets")
            }
            let detail = context.map { context in
                let started = context.mark.line > 0 ? " (started at \(context.mark.line):\(context.mark.column))" : ""
                return "\(problem) \(context.text)\(started)"
            } ?? problem
            return Diagnostic(at(mark), "YAML syntax: \(detail)", hint: "fix the indentation or quoting at this place")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\(Self.capped($0))'" }.joined(separator: ", ")
            // libyaml marks the first occurrence; the mistake is the repeat, so point there.
            let first = at(context.mark)
            let location = duplicates.first.flatMap { Self.repeatedKey($0, after: first, in: text) } ?? first
            let earlier = location == first ? "" : " (first at line \(first.line))"
            return Diagnostic(location, "key \(keys) appears more than once in the same mapping\(earlier)",
                              hint: "keep one of them")
        case let .reader(problem, _, _, _):
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "cannot read YAML: \(problem)",
                              hint: "save the file as UTF-8")
        default:
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "cannot parse YAML: \(error)")
        }
    }

    /// Where `key` appears again in the mapping whose first `key` is at `first`: a later line
    /// at the same column (block style) or later on the same line (flow style).
    public static func repeatedKey(_ key: String, after first: SourceLocation, in text: String) -> SourceLocation? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func keyStarts(_ line: Substring, at column: Int) -> Bool {
            let characters = Array(line)
            guard column >= 1, column - 1 + key.count <= characters.count,
                  String(characters[(column - 1)..<(column - 1 + key.count)]) == key else { return false }
            let rest = characters[(column - 1 + key.count)...].drop { $0 == " " || $0 == "\"" || $0 == "'" }
            return rest.first == ":"
        }
        guard first.line >= 1, first.line <= lines.count else { return nil }
        // Flow style: later on the same line, after ", " or "{".
        let line = lines[first.line - 1]
        let characters = Array(line)
        var column = first.column + key.count
        while column <= characters.count {
            if keyStarts(line, at: column), column >= 2, [",", "{", " "].contains(characters[column - 2]) {
                return SourceLocation(file: first.file, line: first.line, column: column)
            }
            column += 1
        }
        // Block style: a later line whose text starts at the same column, before the mapping ends
        // (a line indented less than the key).
        for index in first.line..<lines.count {
            let candidate = lines[index]
            let indent = candidate.prefix { $0 == " " || $0 == "-" }.count
            if candidate.trimmingCharacters(in: .whitespaces).isEmpty || candidate.trimmingCharacters(in: .whitespaces).hasPrefix("#") { continue }
            if indent < first.column - 1 || candidate.prefix(indent).contains("-") { return nil }  // the mapping ended
            if indent == first.column - 1, keyStarts(candidate, at: first.column) {
                return SourceLocation(file: first.file, line: index + 1, column: first.column)
            }
        }
        return nil
    }

    /// Every 'quoted' value of a message, capped.
    static func cappingQuotes(_ message: String) -> String {
        guard message.count > 80 else { return message }
        var result = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "'") {
            result += rest[...open]
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "'") else {
                rest = after
                continue
            }
            result += capped(String(after[..<close])) + "'"
            rest = after[after.index(after: close)...]
        }
        return result + rest
    }

    /// A value as a message quotes it: long values are cut, so a message stays one readable line.
    public static func capped(_ value: String, limit: Int = 60) -> String {
        guard value.count > limit else { return value }
        return "\(value.prefix(limit))… (\(value.count) characters)"
    }

    // MARK: Shapes

    public struct Entry {
        public var key: String
        public var keyNode: Node
        public var value: Node
    }

    /// The entries of a mapping, or nil (with a diagnostic) if the node is something else.
    public func mapping(_ node: Node, _ what: String) -> [Entry]? {
        guard let map = node.mapping else {
            error(node, "\(what) must be a mapping (key: value lines), found \(describe(node))")
            return nil
        }
        var entries: [Entry] = []
        for (key, value) in map {
            guard let name = key.scalar?.string else {
                error(key, "\(what) has a key that is not a plain name")
                continue
            }
            entries.append(Entry(key: name, keyNode: key, value: value))
        }
        return entries
    }

    public func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard let seq = node.sequence else {
            error(node, "\(what) must be a list (lines starting with '- '), found \(describe(node))")
            return nil
        }
        return Array(seq)
    }

    /// Reports keys outside `allowed` (with a spelling suggestion) and missing `required` keys.
    public func checkKeys(_ entries: [Entry], of node: Node, _ what: String, allowed: [String], required: [String] = []) {
        for entry in entries where !allowed.contains(entry.key) {
            let suggestion = Spelling.closest(to: entry.key, among: allowed)
            let hint = suggestion.map { "did you mean '\($0)'?" } ?? "allowed keys: \(allowed.joined(separator: ", "))"
            error(entry.keyNode, "unknown key '\(entry.key)' in \(what)", hint: hint)
        }
        let present = Set(entries.map(\.key))
        for key in required where !present.contains(key) {
            error(node, "\(what) is missing the required key '\(key)'")
        }
    }

    // MARK: Scalars

    public func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else {
            error(node, "\(what) must be a single value, found \(describe(node))")
            return nil
        }
        if isNull(scalar) {
            error(node, "\(what) is empty")
            return nil
        }
        return scalar.string
    }

    public func integer(_ node: Node, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text) else {
            error(node, "\(what) must be a whole number, found '\(text)'")
            return nil
        }
        return value
    }

    /// A whole number within `range`; outside it, a located error that names the range.
    public func integer(_ node: Node, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = integer(node, what) else { return nil }
        guard range.contains(value) else {
            let upper = range.upperBound == Int(Int32.max) ? "" : " to \(range.upperBound)"
            error(node, "\(what) must be \(range.lowerBound)\(upper.isEmpty ? " or more" : upper), found \(value)")
            return nil
        }
        return value
    }

    public func number(_ node: Node, _ what: String) -> Double? {
        guard let text = string(node, what) else { return nil }
        guard let value = Double(text), value.isFinite else {
            error(node, "\(what) must be a number, found '\(text)'")
            return nil
        }
        return value
    }

    public func stringList(_ node: Node, _ what: String) -> [(String, Node)]? {
        if node.scalar != nil, let single = string(node, what) {
            return [(single, node)]
        }
        guard let items = sequence(node, what) else { return nil }
        return items.compactMap { item in string(item, "an item of \(what)").map { ($0, item) } }
    }

    /// A plain empty, `~` or `null` scalar: YAML's "nothing here".
    public func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.string.isEmpty || (scalar.style == .plain && ["~", "null", "Null", "NULL"].contains(scalar.string))
    }

    public func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            if isNull(scalar) { return "nothing" }
            return "'\(Self.capped(scalar.string))'"
        case .alias: return "an alias"
        }
    }
}

/// Spelling suggestions for unknown names.
public enum Spelling {
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let lower = word.lowercased()
        let scored = candidates.map { ($0, distance(lower, $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let limit = max(2, word.count / 3)
        return best.1 <= limit ? best.0 : nil
    }

    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return previous[b.count]
    }
}
