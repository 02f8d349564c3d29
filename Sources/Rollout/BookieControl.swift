import Blueprint
import Foundation
import SwarmModel

/// What deploy asks of BookKeeper while it decommissions a bookie (BookKeeper docs,
/// "Decommission Bookies": https://bookkeeper.apache.org/docs/admin/decomission).
public protocol BookieControl: Sendable {
    /// `bookkeeper shell listbookies -rw`: the bookie IDs (`bookie1:3181`) that take writes.
    func writableBookies() async throws -> [String]
    /// `bookkeeper shell listledgers -bookieid ID`: the ledgers whose ensemble names the bookie.
    func ledgers(on bookie: String) async throws -> [String]
    /// `bookkeeper shell decommissionbookie -bookieid ID`: its ledgers re-replicated to the
    /// other bookies, then its cookie removed. Run only once the bookie has stopped.
    func decommission(_ bookie: String) async throws
}

/// A bookkeeper shell command that failed, with what it said.
public typealias BookieCommandError = MemberCommandError<BookKeeperShell>

/// BookKeeper's administration shell, `bin/bookkeeper shell`.
public enum BookKeeperShell: MemberCommandTool {
    public static let name = "bookkeeper shell"
}

/// Runs `bin/bookkeeper shell` where a bookie runs: a one-shot Swarm job from a staying bookie's
/// image, placed where that bookie runs (the image is there without a registry), on the stack's
/// network, with the bookie's metadata-store addresses as its environment (the image's
/// `apply-config-from-env.py` writes them to conf/bookkeeper.conf, as the bookie's own command does).
public struct JobBookieControl: BookieControl {
    public let job: SwarmJob

    public init(job: SwarmJob) {
        self.job = job
    }

    /// The control run from `bookie`'s image, placement, network and metadata-store settings.
    public static func from(_ bookie: SwarmService, swarm: any SwarmAPI, timeout: Duration = .seconds(300)) -> JobBookieControl? {
        guard let image = bookie.Spec.TaskTemplate.ContainerSpec?.Image,
              let network = bookie.Spec.TaskTemplate.Networks?.first?.Target else { return nil }
        let environment = (bookie.Spec.TaskTemplate.ContainerSpec?.Env ?? []).filter { entry in
            ["zkServers=", "metadataServiceUri="].contains { entry.hasPrefix($0) }
        }
        return JobBookieControl(job: SwarmJob(swarm: swarm, image: image, network: network,
                                              constraints: bookie.Spec.TaskTemplate.Placement?.Constraints ?? [], timeout: timeout,
                                              namePrefix: "swarmstage-bookkeeper", environment: environment))
    }

    public func writableBookies() async throws -> [String] {
        Self.bookieIDs(try await run(["listbookies", "-rw"]))
    }

    /// The IDs in `listbookies` output: "BookieID:bookie1:3181, IP:10.0.1.7, Port:3181, Hostname:bookie1"
    /// lines (BookKeeper 4.14+), or bare IDs.
    static func bookieIDs(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { raw -> String? in
            var line = raw.trimmingCharacters(in: .whitespaces)
            if let start = line.range(of: "BookieID:") {
                line = String(line[start.upperBound...].prefix { $0 != "," && $0 != " " })
            }
            return line.range(of: #"^[A-Za-z0-9._-]+:[0-9]+$"#, options: .regularExpression) != nil ? line : nil
        }
    }

    public func ledgers(on bookie: String) async throws -> [String] {
        try await run(["listledgers", "-bookieid", bookie]).split(separator: "\n").compactMap { line in
            line.range(of: "ledgerID: ").map { String(line[$0.upperBound...]).trimmingCharacters(in: .whitespaces) }
        }
    }

    public func decommission(_ bookie: String) async throws {
        _ = try await run(["decommissionbookie", "-bookieid", bookie])
    }

    /// One shell command; what it printed, or the error with its output when it failed.
    func run(_ arguments: [String]) async throws -> String {
        let script = "bin/apply-config-from-env.py conf/bookkeeper.conf >/dev/null && exec bin/bookkeeper shell \"$@\""
        do {
            let (succeeded, output) = try await job.run(command: ["bash", "-c", script, "bookkeeper"], args: arguments,
                                                        label: "bookkeeper shell \(arguments.first ?? "")")
            guard succeeded else { throw BookieCommandError(command: arguments.joined(separator: " "), output: output) }
            return output
        } catch is SwarmJob.NotEnded {
            throw BookieCommandError(command: arguments.joined(separator: " "), output: "did not end within \(job.timeout)")
        }
    }
}
