import Foundation
import Inventory
import Rollout
import StackConvert
import SwarmModel
import Testing
import TestSupport

/// Later stages' images pulled while an earlier stage waits for its gate (`ImagePrePull`),
/// against an in-memory swarm that records which task pulled which image where. The lab test
/// `LabPrePullTests` shows the same from a real Engine's events.
@Suite("Pre-pull of later stages' images")
struct ImagePrePullTests {
    typealias Cluster = FakeSwarmDeployTests.Cluster

    static let jobPrefix = "swarmstage-pull-"

    /// Stack services (not pre-pull jobs) that pulled an image, with where.
    static func pullsByStackServices(_ swarm: FakeSwarm) async -> [(host: String, image: String, service: String)] {
        await swarm.pulls.filter { !$0.service.hasPrefix(jobPrefix) }
    }

    /// The cluster with `image` for the services of `stage` whose current image `which` picks.
    static func upgrading(_ cluster: Cluster, _ stage: Stage, to image: String, which: (String) -> Bool) -> Cluster {
        var upgraded = cluster
        for index in upgraded.stages.indices where upgraded.stages[index].stage == stage {
            for service in upgraded.stages[index].spec.services.indices
            where which(upgraded.stages[index].spec.services[service].TaskTemplate.ContainerSpec?.Image ?? "") {
                upgraded.stages[index].spec.services[service].TaskTemplate.ContainerSpec?.Image = image
            }
        }
        return upgraded
    }

    /// The lab deployed on a fake swarm, and the same cluster with every Pulsar image upgraded.
    static func deployedLabWithAPulsarUpgrade() async throws -> (cluster: Cluster, swarm: FakeSwarm, upgraded: Cluster, image: String) {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let newer = "apachepulsar/pulsar:3.1.9"
        return (cluster, swarm, Self.upgrading(cluster, .pulsar, to: newer) { _ in true }, newer)
    }

    @Test func laterStagesFindTheirImagesOnTheirHostsAndTheJobsAreGone() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let firstStage = Set(try #require(cluster.stages.first { $0.stage == .storage }).spec.services.map(\.Name))
        // Only stage 1's tasks pulled anything; stages 2 and 3 started where their images were.
        let stackPulls = await Self.pullsByStackServices(swarm)
        #expect(!stackPulls.isEmpty)
        #expect(stackPulls.filter { !firstStage.contains($0.service) }.map { "\($0.service) on \($0.host)" } == [])
        // The jobs pulled the later stages' images on every host that runs them, and are removed.
        let jobPulls = await swarm.pulls.filter { $0.service.hasPrefix(Self.jobPrefix) }
        let later = cluster.stages.filter { $0.stage != .storage }.flatMap(\.spec.services)
        let tasks = try await swarm.tasks()
        let services = try await swarm.services()
        let nodes = try await swarm.nodes()
        for spec in later {
            guard let id = services.first(where: { $0.Spec.Name == spec.Name })?.ID else { continue }
            for task in tasks where task.ServiceID == id {
                let host = nodes.first { $0.ID == task.NodeID }?.hostname ?? "?"
                let image = spec.TaskTemplate.ContainerSpec?.Image ?? ""
                let pulledBefore = jobPulls.contains { $0.host == host && $0.image == image }
                    || stackPulls.contains { $0.host == host && $0.image == image }
                #expect(pulledBefore, "\(spec.Name) on \(host): \(image) was not there")
            }
        }
        #expect(try await swarm.services().filter { $0.Spec.Name.hasPrefix(Self.jobPrefix) }.isEmpty)
        let log = await swarm.writeLog
        #expect(log.filter { $0.hasPrefix("create service \(Self.jobPrefix)") }.count
            == log.filter { $0.hasPrefix("remove service \(Self.jobPrefix)") }.count)
        // A pre-pull job for each later stage was created after stage 1's first service.
        let firstService = try #require(log.firstIndex { $0.hasPrefix("create service lab-storage_") })
        let firstJob = try #require(log.firstIndex { $0.hasPrefix("create service \(Self.jobPrefix)") })
        #expect(firstService < firstJob)
        #expect(log.contains { $0.hasPrefix("create service \(Self.jobPrefix)pulsar-") })
        #expect(log.contains { $0.hasPrefix("create service \(Self.jobPrefix)milvus-") })

        // Nothing to pull, nothing written: the second deploy makes no job.
        let writes = await swarm.writes
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        #expect(await swarm.writes == writes)
    }

    /// `deploy --no-pre-pull`: no job is made, and each later stage's tasks pull their own images
    /// when Swarm starts them (as `docker stack deploy` leaves it); the deploy ends the same.
    @Test func withoutThePrePullNoJobIsMadeAndLaterStagesPullForThemselves() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        var options = FakeSwarmDeployTests.fast()
        options.prePull = false
        let report = try await Deployer(swarm: swarm, options: options, observer: SilentObserver())
            .deploy(cluster.stages, secrets: cluster.blueprint.secrets, values: cluster.values, stagesToApply: Set(Stage.allCases))
        #expect(report.leftDown.isEmpty)
        #expect(await swarm.writeLog.filter { $0.contains(Self.jobPrefix) } == [])
        #expect(await swarm.pulls.filter { $0.service.hasPrefix(Self.jobPrefix) }.isEmpty)
        // Stage 3's tasks pulled Milvus's image themselves (with the pre-pull, none does), on their own hosts.
        let milvus = try #require(cluster.stages.first { $0.stage == .milvus })
        let querynode = try #require(milvus.spec.services.first { $0.Name.contains("_querynode") })
        let image = try #require(querynode.TaskTemplate.ContainerSpec?.Image)
        let queryHosts = Set(cluster.inventory.hosts.filter { $0.has(.query) }.map(\.name))
        let milvusPulls = await Self.pullsByStackServices(swarm).filter { $0.image == image }
        #expect(queryHosts.isSubset(of: Set(milvusPulls.map(\.host))), "\(milvusPulls)")
        #expect(milvusPulls.allSatisfy { milvus.spec.services.map(\.Name).contains($0.service) }, "\(milvusPulls)")
    }

    @Test func aHostThatCannotPullAnImageStopsTheDeployBeforeItsStageIsTouched() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        let milvus = try #require(cluster.stages.first { $0.stage == .milvus })
        let querynode = try #require(milvus.spec.services.first { $0.Name.contains("_querynode") })
        let image = try #require(querynode.TaskTemplate.ContainerSpec?.Image)
        let host = try #require(cluster.inventory.hosts.first { $0.has(.query) }).name
        await swarm.failPulls(of: image, on: host)
        let failure = await #expect(throws: StageFailure.self) { try await FakeSwarmDeployTests.deploy(cluster, on: swarm) }
        #expect(failure?.stage == .milvus)
        #expect(failure?.reason == .imagesNotPulled(hosts: 1))
        #expect(failure?.services.map(\.service) == [host])
        let said = failure?.services.first?.reason ?? ""
        #expect(said.contains("No such image: \(image)") && said.contains("querynode") && said.contains("dockerd log"), "\(said)")
        // Stage 2 is deployed; nothing of stage 3 was written; the jobs are gone.
        let log = await swarm.writeLog
        #expect(log.contains { $0.hasPrefix("create service lab-pulsar_") })
        #expect(!log.contains { $0.contains("lab-milvus_") })
        #expect(try await swarm.services().filter { $0.Spec.Name.hasPrefix(Self.jobPrefix) }.isEmpty)
    }

    @Test func anUpgradedImageIsPulledEverywhereBeforeTheFirstMemberChanges() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        let newer = "milvusdb/milvus:v2.3.99"
        let upgraded = Self.upgrading(cluster, .milvus, to: newer) { $0.contains("milvus") }
        // One host cannot pull it: no Milvus service is touched.
        let host = try #require(cluster.inventory.hosts.first { $0.has(.index) }).name
        await swarm.failPulls(of: newer, on: host)
        let before = await swarm.writeLog.count
        let failure = await #expect(throws: StageFailure.self) { try await FakeSwarmDeployTests.deploy(upgraded, on: swarm) }
        #expect(failure?.reason == .imagesNotPulled(hosts: 1))
        let written = await swarm.writeLog.dropFirst(before)
        #expect(!written.contains { $0.hasPrefix("update service") || $0.hasPrefix("create service lab-") })
        #expect(written.allSatisfy { $0.contains(Self.jobPrefix) || $0.hasPrefix("remove service") }, "\(Array(written))")
    }

    /// Through the deploy, not only the planner: the pre-pull asks for what the stage's plan
    /// updates, so the init job that has done its work (placed on zk1's host, like zk1) is not
    /// pulled for. Comparing every prepared service with what runs would name it here.
    @Test func aPulsarUpgradeIsPulledForItsMembersAndNotForTheCompletedInitJob() async throws {
        let (cluster, swarm, upgraded, newer) = try await Self.deployedLabWithAPulsarUpgrade()
        let host = try #require(cluster.inventory.hosts.first { $0.has(.zk) }).name
        await swarm.failPulls(of: newer, on: host)
        let before = await swarm.writeLog.count
        let failure = await #expect(throws: StageFailure.self) { try await FakeSwarmDeployTests.deploy(upgraded, on: swarm) }
        #expect(failure?.stage == .pulsar)
        #expect(failure?.reason == .imagesNotPulled(hosts: 1))
        #expect(failure?.services.map(\.service) == [host])
        let said = failure?.services.first?.reason ?? ""
        #expect(said.contains("lab-pulsar_zk1") && said.contains(newer), "\(said)")
        #expect(!said.contains("pulsar-init"), "\(said)")
        let written = await swarm.writeLog.dropFirst(before)
        #expect(!written.contains { $0.hasPrefix("update service") || $0.hasPrefix("create service lab-") }, "\(Array(written))")
    }

    @Test func aJobADeployCouldNotRemoveGoesWithTheTeardown() async throws {
        let cluster = try FakeSwarmDeployTests.lab()
        let swarm = FakeSwarm(inventory: cluster.inventory)
        try await FakeSwarmDeployTests.deploy(cluster, on: swarm)
        // As a deploy whose Engine was lost for good leaves one.
        _ = try await swarm.createService(ServiceSpec(
            Name: "swarmstage-pull-milvus-0a1b2c3d-1", Labels: [ImagePrePull.jobLabel: ImagePrePull.jobKind],
            TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: "milvusdb/milvus:v2.3.99", Command: ["true"]),
                                   RestartPolicy: RestartPolicy(Condition: "none")),
            Mode: ServiceMode(GlobalJob: .init())))
        let teardown = FakeSwarmDeployTests.teardown(on: swarm)
        try await teardown.remove(cluster.stages.map { ($0.stage, $0.spec.name) })
        #expect(try await swarm.services().isEmpty)
        let writes = await swarm.writes
        try await teardown.remove(cluster.stages.map { ($0.stage, $0.spec.name) })
        #expect(await swarm.writes == writes)
    }

    @Test func whatThePlanLeavesAloneNeedsNoPullNotEvenACompletedJobWithANewImage() async throws {
        let (cluster, swarm, upgraded, newer) = try await Self.deployedLabWithAPulsarUpgrade()
        let plans = try await FakeSwarmDeployTests.plan(upgraded, on: swarm)
        let pulsar = try #require(plans.first { $0.stage == .pulsar })
        let requests = ImagePrePull.requests(for: pulsar, running: try await swarm.services(filters: .stack("lab-pulsar")))
        let services = Set(requests.flatMap(\.services))
        // Every long-running Pulsar service is updated, so pulled for; the completed init job is left.
        #expect(requests.allSatisfy { $0.image == newer })
        #expect(services.contains("lab-pulsar_broker1") && services.contains("lab-pulsar_zk1"))
        #expect(!services.contains("lab-pulsar_pulsar-init"), "\(services.sorted())")
        // A plan with nothing to do needs nothing.
        let unchanged = try #require(try await FakeSwarmDeployTests.plan(cluster, on: swarm).first { $0.stage == .pulsar })
        #expect(ImagePrePull.requests(for: unchanged, running: try await swarm.services(filters: .stack("lab-pulsar"))).isEmpty)
    }

    @Test func aServiceThatKeepsItsImageAndPlacementNeedsNoPull() throws {
        func spec(_ name: String, _ image: String, _ constraints: [String]) -> ServiceSpec {
            ServiceSpec(Name: name, TaskTemplate: TaskSpec(ContainerSpec: ContainerSpec(Image: image),
                                                           Placement: Placement(Constraints: constraints)))
        }
        func running(_ spec: ServiceSpec) -> SwarmService {
            SwarmService(ID: "id-" + spec.Name, Version: ObjectVersion(Index: 1), Spec: spec)
        }
        let kept = spec("a", "img:1", ["node.labels.a==true"])
        let moved = spec("b", "img:1", ["node.labels.b2==true"])
        let upgraded = spec("c", "img:2", ["node.labels.c==true"])
        let new1 = spec("d", "img:3", ["node.labels.x==true", "node.role==worker"])
        let new2 = spec("e", "img:3", ["node.role==worker", "node.labels.x==true"])
        let requests = ImagePrePull.requests(
            for: [kept, moved, upgraded, new1, new2],
            running: [running(kept), running(spec("b", "img:1", ["node.labels.b==true"])), running(spec("c", "img:1", ["node.labels.c==true"]))])
        #expect(requests == [
            ImagePrePull.Request(image: "img:1", constraints: ["node.labels.b2==true"], services: ["b"]),
            ImagePrePull.Request(image: "img:2", constraints: ["node.labels.c==true"], services: ["c"]),
            // Same image, same constraints in another order: one job for both.
            ImagePrePull.Request(image: "img:3", constraints: ["node.labels.x==true", "node.role==worker"], services: ["d", "e"]),
        ])
    }

    @Test func aRequestWhoseHostsAnotherReachesNeedsNoJobOfItsOwn() async throws {
        let swarm = FakeSwarm(nodes: [("n1", .manager, ["coord": "true"]), ("n2", .worker, ["coord": "true"]), ("n3", .worker, ["query": "true"])])
        let nodes = try await swarm.nodes()
        let requests = [
            ImagePrePull.Request(image: "m", constraints: ["node.hostname==n1", "node.labels.coord==true"], services: ["datanode1"]),
            ImagePrePull.Request(image: "m", constraints: ["node.labels.coord==true"], services: ["rootcoord"]),
            ImagePrePull.Request(image: "m", constraints: ["node.labels.query==true"], services: ["querynode"]),
            ImagePrePull.Request(image: "other", constraints: ["node.hostname==n1"], services: ["lb"]),
            ImagePrePull.Request(image: "m", constraints: ["node.labels.none==true"], services: ["nowhere"]),
        ]
        let covering = ImagePrePull.covering(requests, nodes: nodes)
        let summary = covering.map { "\($0.request.image) \($0.request.services.sorted()) \($0.hosts.map(\.hostname).sorted())" }.sorted()
        #expect(summary == [
            "m [\"datanode1\", \"rootcoord\"] [\"n1\", \"n2\"]",
            "m [\"querynode\"] [\"n3\"]",
            "other [\"lb\"] [\"n1\"]",
        ])
    }

    @Test func aTaskPastPreparingHadItsImageAndARejectedOneDidNot() {
        func task(_ state: TaskState) -> SwarmTask {
            SwarmTask(ID: "t", ServiceID: "s", NodeID: "n", Status: TaskStatus(State: state), DesiredState: .complete)
        }
        #expect(ImagePrePull.hadImage(task(.rejected)) == false)
        for state: TaskState in [.ready, .starting, .running, .complete, .failed] { #expect(ImagePrePull.hadImage(task(state)) == true) }
        for state: TaskState in [.new, .pending, .assigned, .accepted, .preparing] { #expect(ImagePrePull.hadImage(task(state)) == nil) }
    }
}
