import Foundation

/// Where the probe sends requests: a service's published port on one host.
public struct ProbeTarget: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// milvus-lb: gRPC CheckHealth to the Milvus proxies behind it.
        case milvus
        /// minio-lb: MinIO's cluster health (write quorum) behind it.
        case minio
    }

    public var kind: Kind
    public var host: String
    public var port: Int

    public init(kind: Kind, host: String, port: Int) {
        self.kind = kind
        self.host = host
        self.port = port
    }

    public var description: String { "\(kind.rawValue) \(host):\(port)" }
}

/// Everything a probe run counted; pure, so the arithmetic and the wording are unit-tested.
public struct ProbeReport: Sendable, Codable, Equatable {
    public struct Failure: Sendable, Codable, Equatable {
        /// Seconds since the probe started.
        public var at: Double
        public var target: String
        public var reason: String
    }

    public struct KindTotals: Sendable, Codable, Equatable {
        public var sent = 0
        public var served = 0
        public var unhealthy = 0
        public var failed = 0
        /// Requests per answering task (when the service names it), e.g. proxy task → count.
        public var responders: [String: Int] = [:]
        public var versions: [String: Int] = [:]
    }

    /// The smallest share of a quorum family's members seen up at any sample.
    public struct QuorumLow: Sendable, Codable, Equatable {
        public var family: String
        public var members: Int
        public var lowestUp: Int
        public var needed: Int
        public var lost: Bool { lowestUp < needed }
    }

    public var seconds: Double = 0
    public var totals: [String: KindTotals] = [:]
    /// The first failures (at most `keptFailures`), in order.
    public var failures: [Failure] = []
    public var quorum: [QuorumLow] = []
    public var healthSamples = 0

    public static let keptFailures = 50

    public init() {}

    public var failed: Int { totals.values.reduce(0) { $0 + $1.failed } }
    public var unhealthy: Int { totals.values.reduce(0) { $0 + $1.unhealthy } }
    public var sent: Int { totals.values.reduce(0) { $0 + $1.sent } }
    public var quorumLost: [QuorumLow] { quorum.filter(\.lost) }

    /// True when every request was served and no quorum was lost.
    public var isClean: Bool { failed == 0 && unhealthy == 0 && quorumLost.isEmpty }

    public mutating func record(_ outcome: ProbeOutcome, target: ProbeTarget, at: Double) {
        var totals = self.totals[target.kind.rawValue] ?? KindTotals()
        totals.sent += 1
        switch outcome {
        case .served(let responder, let version):
            totals.served += 1
            if let responder { totals.responders[responder, default: 0] += 1 }
            if let version { totals.versions[version, default: 0] += 1 }
        case .unhealthy(let reason):
            totals.unhealthy += 1
            keep(Failure(at: at, target: target.description, reason: "unhealthy: \(reason)"))
        case .failed(let reason):
            totals.failed += 1
            keep(Failure(at: at, target: target.description, reason: reason))
        }
        self.totals[target.kind.rawValue] = totals
    }

    /// One sample of a quorum family (members up of members, needed for quorum).
    public mutating func sample(family: String, up: Int, members: Int, needed: Int) {
        if let index = quorum.firstIndex(where: { $0.family == family }) {
            quorum[index].lowestUp = min(quorum[index].lowestUp, up)
            quorum[index].members = max(quorum[index].members, members)
        } else {
            quorum.append(QuorumLow(family: family, members: members, lowestUp: up, needed: needed))
            quorum.sort { $0.family < $1.family }
        }
    }

    private mutating func keep(_ failure: Failure) {
        if failures.count < Self.keptFailures { failures.append(failure) }
    }

    /// The report for people.
    public var text: String {
        var lines = ["probe: \(sent) requests in \(String(format: "%.1f", seconds)) s: \(failed) failed, \(unhealthy) unhealthy"]
        for kind in ProbeTarget.Kind.allCases {
            guard let totals = totals[kind.rawValue] else { continue }
            var line = "  \(kind.rawValue): \(totals.sent) sent, \(totals.served) served, \(totals.unhealthy) unhealthy, \(totals.failed) failed"
            if !totals.responders.isEmpty {
                line += "; answered by \(totals.responders.count) tasks (" + totals.responders.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
            }
            if !totals.versions.isEmpty {
                line += "; versions " + totals.versions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            lines.append(line)
        }
        for low in quorum {
            lines.append("  \(low.family): at least \(low.lowestUp) of \(low.members) members up at every sample (quorum \(low.needed)): \(low.lost ? "QUORUM LOST" : "quorum held")")
        }
        if !quorum.isEmpty || healthSamples > 0 { lines.append("  \(healthSamples) health samples from the Engine") }
        for failure in failures {
            lines.append("  at \(String(format: "%.1f", failure.at)) s, \(failure.target): \(failure.reason)")
        }
        if failed + unhealthy > failures.count { lines.append("  (\(failed + unhealthy - failures.count) more not shown)") }
        return lines.joined(separator: "\n")
    }
}
