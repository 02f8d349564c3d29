import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Colour only when stdout is a terminal, TERM is not dumb, and NO_COLOR is unset.
enum Terminal {
    static let isInteractive: Bool = isatty(STDOUT_FILENO) == 1

    static let usesColour: Bool = {
        let environment = ProcessInfo.processInfo.environment
        guard environment["NO_COLOR"] == nil, environment["TERM"] != "dumb" else { return false }
        return isInteractive
    }()

    enum Colour: String {
        case green = "32", yellow = "33", red = "31", dim = "2", bold = "1"
    }

    static func paint(_ text: String, _ colour: Colour) -> String {
        usesColour ? "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m" : text
    }

    static let clearScreen = "\u{1B}[H\u{1B}[2J"
}
