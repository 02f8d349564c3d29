import ArgumentParser
import Dispatch
import Foundation
import Inventory
import Probe
import Rollout

/// Measures availability during a change: steady requests through milvus-lb and minio-lb, and
/// the quorum families' members sampled from the Engine.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Send steady requests through milvus-lb and minio-lb and count what was not served.",
        discussion: """
        Milvus: gRPC CheckHealth (milvus.proto.milvus.MilvusService) to port 19530 of every manager, where \
        milvus-lb publishes it; an answer with isHealthy false counts as unhealthy. With authorization on, \
        the call carries MILVUS_USER and MILVUS_PASSWORD from the environment. MinIO, when the inventory \
        exposes it (expose: [minio]) or --minio names an address: GET /minio/health/cluster on port 9000 \
        of every manager (minio-lb), 200 only while MinIO has write quorum. Each request opens a new connection and has a deadline (--timeout). Meanwhile the Engine \
        is asked every 2 s how many etcd, ZooKeeper and MinIO members are up, and the lowest count is \
        reported against the quorum. Runs for --duration seconds, or until interrupted (SIGINT or \
        SIGTERM), then prints the report. \
        Exit code: 0 every request served and no quorum lost; 1 some requests failed or were answered \
        unhealthy; 2 a quorum was lost; 3 usage error; 4 Engine unreachable or not a manager.
        """
    )

    @OptionGroup var inventoryOptions: InventoryOptions
    @OptionGroup var engineOptions: EngineOptions

    @Option(help: ArgumentHelp("Seconds to run (at most a day).", valueName: "seconds"))
    var duration: Int = 60

    @Option(help: ArgumentHelp("Requests per second to each of milvus-lb and minio-lb (0.1 to 200).", valueName: "n"))
    var rate: Double = 10

    @Option(help: ArgumentHelp("Seconds a request may take, connecting included (0.1 to 60).", valueName: "seconds"))
    var timeout: Double = 2

    @Option(help: ArgumentHelp("A milvus-lb address instead of every manager's :19530 (repeatable).", valueName: "host:port"))
    var milvus: [String] = []

    @Option(help: ArgumentHelp("A minio-lb address instead of every manager's :9000 (repeatable).", valueName: "host:port"))
    var minio: [String] = []

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Print each failure as it happens (on standard error).")
    var verbose = false

    func validate() throws {
        guard (1...86_400).contains(duration) else { throw ValidationError("--duration must be 1 to 86400 seconds, not \(duration)") }
        guard (0.1...200).contains(rate) else { throw ValidationError("--rate must be 0.1 to 200 requests per second, not \(rate)") }
        guard (0.1...60).contains(timeout) else { throw ValidationError("--timeout must be 0.1 to 60 seconds, not \(timeout)") }
    }

    mutating func run() async throws {
        let inventory = try inventoryOptions.load()
        let targets = try Self.targets(inventory: inventory, milvus: milvus, minio: minio)
        let engine = try await engineOptions.connectToManager()
        var probe = AvailabilityProbe(targets: targets, rate: rate, timeout: .milliseconds(Int(timeout * 1000))) {
            guard let health = try? await ClusterHealth.read(engine, inventory: inventory) else { return nil }
            return health.quorums.map { (family: $0.family, up: $0.up, members: $0.members, needed: $0.needed) }
        }
        // Credentials come from the environment only, never from an argument.
        let environment = ProcessInfo.processInfo.environment
        if let user = environment["MILVUS_USER"], let password = environment["MILVUS_PASSWORD"] {
            probe.milvusAuthorization = Data("\(user):\(password)".utf8).base64EncodedString()
        } else if inventory.cluster.milvusAuthorization {
            Console.error("probe: Milvus checks authorization (security.milvus_authorization); set MILVUS_USER and MILVUS_PASSWORD "
                + "in the environment or its proxies may refuse the health calls")
        }
        if minio.isEmpty, !inventory.cluster.exposed.contains(.minio) {
            Console.error("probe: MinIO's 9000 is not published (the inventory's expose: does not name minio); probing Milvus only")
        }
        Console.error("probe: \(targets.map(\.description).joined(separator: ", ")) at \(rate)/s each for up to \(duration) s")
        let verbose = self.verbose
        let seconds = duration
        let running = Task {
            await probe.run(for: .seconds(seconds)) { failure in
                if verbose { Console.error("probe: at \(String(format: "%.1f", failure.at)) s, \(failure.target): \(failure.reason)") }
            }
        }
        let interrupts = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { running.cancel() }
            source.resume()
            return source
        }
        let report = await running.value
        interrupts.forEach { $0.cancel() }
        Console.out(json ? Self.json(report) : report.text)
        if !report.quorumLost.isEmpty { throw Failure(message: "", code: .failed) }
        if report.failed + report.unhealthy > 0 { throw Failure(message: "", code: .degraded) }
    }

    /// Every manager's published milvus-lb port, and minio-lb's when the inventory exposes it,
    /// unless addresses are given.
    static func targets(inventory: Inventory, milvus: [String], minio: [String]) throws -> [ProbeTarget] {
        let managers = inventory.hosts(with: .manager).map(\.address)
        func parse(_ text: String, kind: ProbeTarget.Kind, flag: String) throws -> ProbeTarget {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65_535).contains(port) else {
                throw Failure(message: "--\(flag) \(text): expected host:port with a port from 1 to 65535", code: .usage)
            }
            return ProbeTarget(kind: kind, host: String(parts[0]), port: port)
        }
        let milvusTargets = try milvus.isEmpty ? managers.map { ProbeTarget(kind: .milvus, host: $0, port: 19530) }
            : milvus.map { try parse($0, kind: .milvus, flag: "milvus") }
        let exposed = inventory.cluster.exposed.contains(.minio)
        let minioTargets = try minio.isEmpty ? (exposed ? managers.map { ProbeTarget(kind: .minio, host: $0, port: 9000) } : [])
            : minio.map { try parse($0, kind: .minio, flag: "minio") }
        return milvusTargets + minioTargets
    }

    static func json(_ report: ProbeReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(report), as: UTF8.self)) ?? "{}"
    }
}
