/// A place in an input file, 1-based, as editors and compilers print it.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    /// Short form used inside messages that already name the file.
    public var lineColumn: String { "\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem in an input file: where, what, and what to do about it.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    /// What the operator should do; printed after the message.
    public var hint: String?

    public init(_ location: SourceLocation, _ message: String, hint: String? = nil) {
        self.location = location
        self.message = message
        self.hint = hint
    }

    /// `file:line:column: error: message (hint)`, one line.
    public var description: String {
        var text = "\(location): error: \(message)"
        if let hint { text += "; \(hint)" }
        return text
    }
}

/// An input file (inventory, stack file, image file) could not be used.
/// Carries every problem found, in file order.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sorted { $0.location < $1.location }
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// A file that could not be read at all (missing, unreadable, not UTF-8).
public struct InputFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): error: \(reason)" }
}
