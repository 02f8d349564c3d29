/// The command-line tool of a tier's members that deploy and label run (in a one-shot Swarm job).
public protocol MemberCommandTool {
    /// How the tool is called, as an operator would type it.
    static var name: String { get }
}

/// A member tool's command that failed, with what it said: one type per tool (`EtcdCommandError`,
/// `BookieCommandError`), so a caller catches only the tool it ran.
public struct MemberCommandError<Tool: MemberCommandTool>: Error, Sendable, CustomStringConvertible {
    public var command: String
    public var output: String
    public var description: String { "\(Tool.name) \(command) failed: \(output.isEmpty ? "no output" : output)" }

    public init(command: String, output: String) {
        self.command = command
        self.output = output
    }
}
