import Foundation

/// The lab swarm that `scripts/lab up` started, found through `scripts/lab env`'s
/// variables. Integration tests need it; `scripts/test` starts it and sets
/// SWARMSTAGE_REQUIRE_LAB=1 so that a missing lab fails instead of skipping.
public struct Lab: Sendable {
    public var directory: String
    public var managerSocket: String

    public static let current: Lab? = {
        let environment = ProcessInfo.processInfo.environment
        let directory = environment["SWARMSTAGE_LAB_DIR"] ?? "/var/lib/swarmstage-lab"
        guard let socket = try? String(contentsOfFile: directory + "/manager-socket", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), FileManager.default.fileExists(atPath: socket) else { return nil }
        return Lab(directory: directory, managerSocket: socket)
    }()

    /// Whether lab tests run: when a lab is up, or when it must be (then they fail without one).
    public static var enabled: Bool {
        let environment = ProcessInfo.processInfo.environment
        if environment["SWARMSTAGE_NO_LAB"] == "1" { return false }
        return current != nil || environment["SWARMSTAGE_REQUIRE_LAB"] == "1"
    }

    public static func require() throws -> Lab {
        guard let lab = current else { throw LabMissing() }
        return lab
    }

    public func nodeSocket(_ host: String) -> String { "\(directory)/nodes/\(host)/docker.sock" }

    /// The Engine generation the lab's daemons run (`scripts/lab up --engine`): 26 (Debian 13's
    /// 26.1, API 1.45) or 20 (Debian 12's 20.10, API 1.41).
    public var engine: Int {
        (try? String(contentsOfFile: directory + "/engine", encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 20
    }

    /// The newest API version the lab's Engine speaks.
    public var engineAPI: (major: Int, minor: Int) { engine >= 26 ? (1, 45) : (1, 41) }

    /// The lab's image for an image key of images.yml (`etcd`, `milvus`, ...), pinned by digest.
    public func image(_ key: String) throws -> String {
        let text = try String(contentsOfFile: directory + "/images.yml", encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix("\(key): ") {
            return line.dropFirst(key.count + 2).trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        }
        throw LabMissing()
    }

    public var probeImage: String {
        get throws {
            try String(contentsOfFile: directory + "/probe-image", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

public struct LabMissing: Error, CustomStringConvertible {
    public var description: String { "no lab swarm is running: start one with `scripts/lab up`" }
}
