import ArgumentParser
import Foundation
import Rollout
import StackConvert
import SwarmModel
@testable import SwarmstageCLI
import Testing
import TestSupport

/// One place decides every exit code; what nobody classified is a bug, never "usage".
@Suite("Exit codes")
struct ExitCodeTests {
    struct SomethingNobodyExpected: Error {}

    @Test func anUnclassifiedErrorIsAnInternalErrorWithItsOwnCode() {
        #expect(SwarmstageCommand.report(SomethingNobodyExpected()) == 5)
        let decoding = DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "garbage"))
        #expect(SwarmstageCommand.report(decoding) == 5)
        #expect(Failure.internal(SomethingNobodyExpected()).message.contains("this is a bug in swarmstage"))
    }

    @Test func anOutputFolderThatCannotBeMadeNamesWhatIsInTheWay() throws {
        let file = NSTemporaryDirectory() + "swarmstage-in-the-way-\(UUID().uuidString.prefix(8))"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(Failure.obstacle(to: file) == "\(file) is a file, not a folder")
        #expect(Failure.obstacle(to: file + "/deeper/still") == "\(file) is a file, not a folder")
        #expect(Failure.obstacle(to: "/proc/nope/x") == "no folder can be made inside /proc")
        let error = NSError(domain: NSCocoaErrorDomain, code: 516)
        let failure = Failure.writing(error, to: file)
        #expect(failure.code == .usage)
        #expect(failure.message == "error: cannot write \(file): \(file) is a file, not a folder")
        #expect(!failure.message.contains("NSCocoaErrorDomain") && !failure.message.contains("operation could not be completed"))
    }

    @Test func argumentParserOutcomesKeepTheirMeaning() {
        #expect(SwarmstageCommand.report(ValidationError("use --from or --only, not both")) == 3)
        #expect(SwarmstageCommand.report(CleanExit.message("help")) == 0)
    }

    @Test func engineErrorsAreSortedByKind() {
        let unreachable = EngineError(unanswered: "GET", path: "/_ping", kind: .unreachable, message: "no Docker socket at /x")
        #expect(Failure.classify(unreachable)?.code == .engine)
        #expect(Failure.classify(unreachable)?.message == "error: no Docker socket at /x")
        let notManager = EngineError(method: "GET", path: "/nodes", status: 503, message: "This node is not a swarm manager.")
        #expect(Failure.classify(notManager)?.code == .engine)
        let refused = EngineError(method: "POST", path: "/services/create", status: 400, message: "invalid mount config")
        #expect(Failure.classify(refused)?.code == .failed)
        let lost = EngineLost(stage: .pulsar, window: .seconds(180), lastError: "refused", operation: .teardown)
        #expect(Failure.classify(lost)?.message.contains("run teardown again") == true)
    }

    @Test func etcdRefusingAMembershipStepIsAFailureInEtcdsWordsNotABug() {
        let refused = EtcdCommandError(command: "member add etcd4", output: "etcdserver: unhealthy cluster")
        let failure = Failure.classify(refused)
        #expect(failure?.code == .failed)
        #expect(failure?.message.hasPrefix("error: etcdctl member add etcd4 failed: etcdserver: unhealthy cluster;") == true, "\(failure?.message ?? "")")
    }

    @Test func aTeardownThatGivesUpListsWhatItWaitedFor() {
        let timeout = TeardownTimeout(stage: .pulsar, waitingFor: "the tasks of lab-pulsar to stop", timeout: .seconds(300),
                                      still: ["lab-pulsar_zk1 on lab-node1 (node ready): task running"])
        let failure = Failure.classify(timeout)
        #expect(failure?.code == .engine)
        #expect(failure?.message.hasSuffix("run teardown again once it has happened\n  lab-pulsar_zk1 on lab-node1 (node ready): task running") == true,
                "\(failure?.message ?? "")")
    }

    @Test func aNetworkHeldByAServiceOutsideTheStackIsNamedAsAFailure() {
        let failure = Failure.classify(NetworkInUse(stage: .storage, network: "lab-net", services: ["sstest-etcdctl-7e06bd2c"]))
        #expect(failure?.code == .failed)
        #expect(failure?.message == "error: teardown of stage 1 storage: network lab-net is used by service outside the stack "
            + "(sstest-etcdctl-7e06bd2c); remove it (`docker service rm`), then run teardown again", "\(failure?.message ?? "")")
    }

    @Test func stageFailuresAreWordedByTheCommandLine() {
        let failure = StageFailure(stage: .storage, reason: .timedOut(.seconds(600)),
                                   services: [.init(service: "lab-storage_minio4", reason: "0/1 running", logLines: ["boom"])])
        let text = Failure.describe(failure)
        #expect(text.hasPrefix("error: stage storage did not become healthy within 600.0 seconds\n  lab-storage_minio4: 0/1 running\n    | boom"))
        #expect(text.hasSuffix("later stages (pulsar, milvus) were not touched; fix the cause and run deploy again"))
        #expect(Failure.classify(SecretValues.Problem.passwordTooShort)?.code == .usage)
    }

    @Test func anOutputFolderThatCannotBeWrittenIsAUsageErrorInPlainWords() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("swarmstage-file-\(UUID().uuidString)").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = FileManager.default.changeCurrentDirectoryPath(RepositoryPaths.root.path)
        #expect(await SwarmstageCommand.run(arguments: ["generate", "-o", "\(file)/stacks"]) == 3)
        let failure = Failure.writing(CocoaError(.fileWriteUnknown, userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: 20)]),
                                      to: "\(file)/stacks")
        #expect(failure.message == "error: cannot write \(file)/stacks: not a directory")
    }
}

/// `deploy --plan` prints the planner's actions, one line each.
@Suite("Plan text")
struct PlanTextTests {
    @Test func everyWriteHasALineAndRollingStepsSayTheyWait() {
        let spec = ServiceSpec(Name: "lab-milvus_proxy", TaskTemplate: TaskSpec())
        let plan = StagePlan(stage: .milvus, stack: "lab-milvus", actions: [
            .createConfig(FileObjectSpec(name: "lab_milvus-yaml-1", labels: [:], data: [])),
            .leaveService(name: "lab-milvus_rootcoord"),
            .updateService(id: "x", spec: spec, fields: ["TaskTemplate.ContainerSpec.Image"]),
            .waitForService(.milvus, name: "lab-milvus_proxy"),
            .waitForGate(.milvus),
            .removeConfig(id: "y", name: "lab_milvus-yaml-0"),
        ])
        let blocked = StagePlan(stage: .pulsar, stack: "lab-pulsar", actions: [.waitForGate(.pulsar)], problems: [.missingExternalNetwork("lab-net")])
        #expect(PlanText.render([blocked, plan]) == """
            stage 2 pulsar (stack lab-pulsar)
              cannot apply: the network lab-net does not exist; it is created by stage storage: deploy that stage first
            stage 3 milvus (stack lab-milvus)
              create config lab_milvus-yaml-1
              lab-milvus_rootcoord: unchanged
              lab-milvus_proxy: update (TaskTemplate.ContainerSpec.Image)
                then wait until lab-milvus_proxy is healthy, before the next change
              remove config lab_milvus-yaml-0 (no longer used), once the stage is healthy
            plan only: nothing was written
            """)
    }
}
