import Foundation

/// What this binary is. The version is the source's; the commit is written next to a packaged
/// binary by `scripts/package` (`share/swarmstage/build-info` beside `bin/`), so a build from
/// the tree says it is a development build instead of guessing.
enum BuildInfo {
    static let version = "0.6.0"

    /// `commit=...` and `built=...` lines of the package's build-info file, if this binary has one.
    static func packaged(executable: String = CommandLine.arguments.first ?? "") -> [String: String]? {
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? executable
        let prefix = ((resolved as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        guard let text = try? String(contentsOfFile: prefix + "/share/swarmstage/build-info", encoding: .utf8) else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }
}
