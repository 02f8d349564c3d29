import ArgumentParser
import Blueprint
import Foundation
import Inventory
import Rollout
import SwarmModel

/// Applies the stages in order, each once the one before it is healthy.
struct Deploy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy the stages in order through the Engine API, gated on real health.",
        discussion: """
        Every stack file, the inventory and the secrets are checked before the first write. Each stage \
        is applied (networks, secrets, configs, services) and must become healthy (every task of the \
        current spec running, healthchecks passed; jobs completed) before the next one starts. A stage \
        that fails or times out stops the deploy with the reasons and the last log lines (exit 2); later \
        stages are not touched, and running deploy again continues from where it stands. If the Engine \
        goes away during a stage (a daemon restart), deploy waits up to 180 s for it to answer as a \
        manager again and applies the stage again from what it holds; otherwise it stops with exit 4. An unchanged \
        deploy writes nothing. MinIO credentials come from MINIO_ROOT_USER and MINIO_ROOT_PASSWORD or \
        --secrets-file.
        """
    )

    @OptionGroup var inventoryOptions: InventoryOptions
    @OptionGroup var engineOptions: EngineOptions
    @OptionGroup var stages: StageSelection

    @Option(help: ArgumentHelp("Deploy the stack files in this folder (as `generate` wrote them) instead of generating them in memory.",
                               valueName: "dir"))
    var stacks: String?

    @Option(help: ArgumentHelp("Seconds each stage may take to become healthy; STAGE=SECONDS for one stage (repeatable).",
                               valueName: "seconds"))
    var timeout: [String] = []

    @Option(help: ArgumentHelp("A file of MINIO_ROOT_USER=... and MINIO_ROOT_PASSWORD=... lines (mode 600).", valueName: "file"))
    var secretsFile: String?

    @Flag(help: "Show what would be created, updated (which fields) or left unchanged, and write nothing.")
    var plan = false

    @Flag(name: .customLong("no-pre-pull"),
          help: "Do not pull later stages' images on their hosts while an earlier stage waits for its gate; each task pulls its image when Swarm starts it.")
    var noPrePull = false

    @OptionGroup var progress: ProgressOptions

    mutating func run() async throws {
        let inventory = try inventoryOptions.load()
        let blueprint = MilvusBlueprint.make(inventory)
        let files = try stacks.map { try StackSource.directory($0, blueprint: blueprint) }
            ?? StackSource.rendered(blueprint, folder: inventoryOptions.defaultOutputDirectory)
        let timeouts = try StageTimeouts(timeout)
        var options = Deployer.Options()
        options.stageTimeout = timeouts.default
        options.stageTimeouts = timeouts.perStage
        options.prePull = !noPrePull
        let application = StackApplication(
            inventory: inventory, files: files, prepared: try StackSource.prepare(files), secrets: blueprint.secrets,
            values: try SecretValues(environment: ProcessInfo.processInfo.environment, secretsFile: secretsFile),
            selected: stages.selected, options: options, style: progress.style, reason: "deploy")
        if !plan { try application.checkSecrets() }

        let engine = try await engineOptions.connectToManager()
        if plan {
            let (plans, prePulls) = try await application.planWithPrePulls(engine)
            Console.out(PlanText.render(plans, published: PlanText.published(application.prepared), prePulls: prePulls))
            return
        }
        let lock = try OperationLock(cluster: inventory.cluster.name, operation: "deploy")
        defer { withExtendedLifetime(lock) {} }
        try await application.apply(engine)
    }
}

/// `--timeout 600` and `--timeout pulsar=900`.
struct StageTimeouts {
    var `default`: Duration = .seconds(600)
    var perStage: [Stage: Duration] = [:]

    init(_ values: [String]) throws {
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 1, let seconds = Int(parts[0]), seconds > 0 {
                self.default = .seconds(seconds)
            } else if parts.count == 2, let stage = Stage(rawValue: parts[0]), let seconds = Int(parts[1]), seconds > 0 {
                perStage[stage] = .seconds(seconds)
            } else {
                throw Failure(message: "error: --timeout \(value): expected SECONDS or STAGE=SECONDS (stages: \(Stage.allCases.map(\.rawValue).joined(separator: ", ")))",
                              code: .usage)
            }
        }
    }
}

/// `deploy --plan`: the actions deploy would execute, stage by stage, from the same planner.
enum PlanText {
    /// What the stacks publish, and where: host-mode ports listen on every address of each node
    /// that runs a task of the service.
    static func published(_ stages: [PreparedStage]) -> [String] {
        stages.flatMap(\.spec.services).flatMap { service in
            (service.EndpointSpec?.Ports ?? []).map { port in
                let placement = service.TaskTemplate.Placement?.Constraints ?? []
                let where_ = placement.contains("node.role==manager") ? "every manager" : "the nodes that run it"
                return "published: \(port.PublishedPort ?? port.TargetPort) by \(service.Name), on \(where_)"
            }
        }
    }

    static func render(_ plans: [StagePlan], published: [String] = [], prePulls: [Stage: [ImagePrePull.Request]] = [:]) -> String {
        var lines: [String] = []
        for plan in plans {
            lines.append("stage \(plan.stage.number) \(plan.stage.rawValue) (stack \(plan.stack))\(plan.isNoOp ? ": nothing to do" : "")")
            for problem in plan.problems { lines.append("  cannot apply: \(Failure.summary(problem, stage: plan.stage))") }
            // Pulled by a global job while an earlier stage waits for its gate, before this stage is touched.
            for request in prePulls[plan.stage] ?? [] {
                let hosts = request.constraints.isEmpty ? "every node" : "the nodes with \(request.constraints.joined(separator: " and "))"
                lines.append("  pull \(request.image) ahead on \(hosts) (for \(request.services.joined(separator: ", ")))")
            }
            for action in plan.actions {
                if let line = describe(action) { lines.append("  " + line) }
            }
        }
        lines += published
        lines.append("plan only: nothing was written")
        return lines.joined(separator: "\n")
    }

    /// One line per action; nil for what a no-op stage would only repeat (its gate).
    static func describe(_ action: DeployAction) -> String? {
        switch action {
        case .createNetwork(let network): return "create network \(network.name)"
        case .createSecret(let name, _): return "create secret \(name)"
        case .rotateSecret(let choice, _):
            return "rotate secret \(choice.family): create \(choice.name)\(choice.reason.map { " (\($0))" } ?? ""); "
                + "the services that mount it move to it: \(choice.cost ?? "one at a time")"
        case .removeSecret(_, let name): return "remove secret \(name) (replaced), once the stage is healthy"
        case .createConfig(let config): return "create config \(config.name)"
        case .removeConfig(_, let name): return "remove config \(name) (no longer used), once the stage is healthy"
        case .waitForService(_, let name): return "  then wait until \(name) is healthy, before the next change"
        case .stopForSessionExpiry(_, let name, let seconds):
            return "\(name): stop, then wait \(seconds) s for its etcd session to expire before it starts again"
        case .deferService(let name, let fields, let hosts):
            return "\(name): update deferred (\(fields.joined(separator: ", "))): every host it may run on is down "
                + "(\(hosts.joined(separator: ", "))); the first deploy after one returns makes it"
        case .waitForGate: return nil
        case .waitForZooKeeper(_, let servers):
            return "  then wait until ZooKeeper's \(servers.count) servers (\(servers.joined(separator: ", "))) serve with one leader, "
                + "each listing exactly these (srvr, conf), before the next round"
        default:
            guard let name = action.serviceName, let change = action.serviceChange else { return nil }
            return "\(name): \(ProgressPrinter.describe(change))"
        }
    }
}
