import ArgumentParser
import Blueprint
import Foundation
import Inventory
import Rollout

/// Applies what an earlier deploy applied, through the same ordered gates.
struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply an earlier revision again (see `history`), one service at a time in the rolling order.",
        discussion: """
        Without REV: the newest revision, which is what the last whole deploy applied: after an upgrade \
        that failed half way, that puts back the services it changed. To go further back, name the \
        revision. The stack files come from the revision, the \
        credentials from the environment or --secrets-file as for deploy. It is planned and gated like \
        deploy, and recorded as a new revision.
        """
    )

    @OptionGroup var inventoryOptions: InventoryOptions
    @OptionGroup var engineOptions: EngineOptions
    @OptionGroup var progress: ProgressOptions

    @Argument(help: ArgumentHelp("The revision to apply.", valueName: "rev"))
    var revision: Int?

    @Option(help: ArgumentHelp("A file of MINIO_ROOT_USER=... and MINIO_ROOT_PASSWORD=... lines (mode 600).", valueName: "file"))
    var secretsFile: String?

    @Flag(help: "Show the actions and write nothing.")
    var plan = false

    func validate() throws {
        if let revision, revision < 1 { throw ValidationError("a revision is a number from 1 on (see `swarmstage history`)") }
    }

    mutating func run() async throws {
        let inventory = try inventoryOptions.load()
        let values = try SecretValues(environment: ProcessInfo.processInfo.environment, secretsFile: secretsFile)
        let engine = try await engineOptions.connectToManager()
        let store = RevisionStore(swarm: engine, cluster: inventory.cluster.name)
        let revisions = try await store.list()
        guard !revisions.isEmpty else {
            throw Failure(message: "error: cluster \(inventory.cluster.name) has no recorded revision to go back to", code: .usage)
        }
        let blueprint = MilvusBlueprint.make(inventory)
        func application(_ target: Revision) throws -> StackApplication {
            let files = target.stageFiles
            return StackApplication(inventory: inventory, files: files, prepared: try StackSource.prepare(files), secrets: blueprint.secrets,
                                    values: values, selected: Set(Stage.allCases), options: Deployer.Options(), style: progress.style,
                                    reason: "rollback to \(target.number)")
        }
        let number = revision ?? revisions[0].number
        guard revisions.contains(where: { $0.number == number }) else {
            throw Failure(message: "error: no revision \(number); recorded: \(revisions.map { String($0.number) }.joined(separator: ", "))",
                          code: .usage)
        }
        let target = try await store.load(number)
        let chosen = try application(target)
        if plan {
            Console.out("rollback to revision \(target.number) (\(target.time)):\n" + PlanText.render(try await chosen.plan(engine)))
            return
        }
        try chosen.checkSecrets()
        let lock = try OperationLock(cluster: inventory.cluster.name, operation: "rollback")
        defer { withExtendedLifetime(lock) {} }
        if try await chosen.plan(engine).allSatisfy(\.isNoOp) {
            Console.out("the services are at revision \(target.number) already (to go further back, name an earlier revision: "
                + "swarmstage history); waiting for every stage to be healthy")
        } else {
            Console.out("rolling back to revision \(target.number) (\(target.time), \(target.reason))")
        }
        try await chosen.apply(engine)
    }
}
