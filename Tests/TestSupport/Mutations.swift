import Foundation

/// Random damage to a text file, line by line, for tests that feed inputs nobody wrote: numbers
/// pushed to their limits, values of the wrong type, keys deleted or repeated, indentation moved,
/// random bytes.
public enum Mutations {
    public static let extremes = ["-1", "0", "-9223372036854775808", "9223372036854775807", "99999999999999999999", "1e30", "-0.5",
                           "4294967296", "65536", "\"abc\"", "[]", "{}", "null", "2562047h", "106751991167300d", "999999999999h",
                           "9223372036854775807s", "1.005", "18446744073709551616M", "8796093022208T", "0.001"]

    /// One mutation of one line.
    /// - Parameter values: what a value may be replaced with (default: `extremes`).
    public static func mutate(_ lines: [String], values: [String] = extremes, using generator: inout SeededGenerator) -> [String] {
        var lines = lines
        guard let index = lines.indices.randomElement(using: &generator) else { return lines }
        let line = lines[index]
        switch Int.random(in: 0...5, using: &generator) {
        case 0, 1:
            // A value replaced by an extreme (numbers and durations, where the line has a value).
            if let colon = line.firstIndex(of: ":"), line.index(after: colon) < line.endIndex {
                lines[index] = String(line[...colon]) + " " + (values.randomElement(using: &generator) ?? "0")
            } else if line.trimmingCharacters(in: .whitespaces).hasPrefix("- ") {
                lines[index] = line.prefix { $0 == " " } + "- " + (values.randomElement(using: &generator) ?? "0")
            }
        case 2:
            lines.remove(at: index)
        case 3:
            lines.insert(line, at: index)
        case 4:
            // Indentation moved: a value under the wrong key.
            lines[index] = "  " + line
        default:
            let bytes = (0..<Int.random(in: 1...8, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            lines[index] = line + String(decoding: bytes, as: UTF8.self)
        }
        return lines
    }

}
