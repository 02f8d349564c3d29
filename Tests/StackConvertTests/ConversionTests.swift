import Blueprint
import Compose
import Foundation
import StackConvert
import SwarmModel
import Testing
import TestSupport

@Suite("Conversion with the docker CLI's semantics")
struct ConversionTests {
    static func labStack(_ stage: Int) throws -> (StackSpec, ComposeFile) {
        let blueprint = MilvusBlueprint.make(try RepositoryPaths.inventory(RepositoryPaths.labInventory))
        let stack = blueprint.stacks[stage]
        let files = StackFiles.render(blueprint)
        var data: [String: [UInt8]] = [:]
        for config in stack.compose.configs {
            data[config.file] = Array((files.first { "./" + $0.path == config.file }?.contents ?? "").utf8)
        }
        return (try StackConverter.convert(stack.compose, stack: stack.stackName, configData: data), stack.compose)
    }

    @Test func namesLabelsAndAliasesAreTheStackConventions() throws {
        let (spec, _) = try Self.labStack(0)
        let etcd = try #require(spec.service(named: "lab-storage_etcd1"))
        #expect(etcd.Labels?["com.docker.stack.namespace"] == "lab-storage")
        #expect(etcd.Labels?["com.docker.stack.image"] == "quay.io/coreos/etcd:v3.5.5")
        #expect(etcd.TaskTemplate.ContainerSpec?.Labels == ["com.docker.stack.namespace": "lab-storage"])
        #expect(etcd.TaskTemplate.Networks == [NetworkAttachment(Target: "lab-net", Aliases: ["etcd1"])])
        #expect(spec.networks == [NetworkSpec(name: "lab-net", external: false, labels: ["com.docker.stack.namespace": "lab-storage"], attachable: true)])
        #expect(spec.configs.allSatisfy { $0.labels["com.docker.stack.namespace"] == "lab-storage" && !$0.data.isEmpty })
        #expect(spec.secrets == ["lab_minio_root_password", "lab_minio_root_user"])
    }

    @Test func durationsAreNanosecondsAndCommandsMapLikeTheCLI() throws {
        let (spec, _) = try Self.labStack(2)
        let querynode = try #require(spec.service(named: "lab-milvus_querynode1"))
        let container = try #require(querynode.TaskTemplate.ContainerSpec)
        #expect(container.Command == nil, "compose command is the container's Args, entrypoint its Command")
        #expect(container.Args == ["milvus", "run", "querynode"])
        #expect(container.Healthcheck == HealthConfig(Test: ["CMD", "curl", "-f", "http://localhost:9091/healthz"],
                                                     Interval: 30_000_000_000, Timeout: 10_000_000_000, Retries: 3, StartPeriod: 90_000_000_000,
                                                     StartInterval: 1_000_000_000))
        #expect(container.StopGracePeriod == 120_000_000_000, "a query node hands off its segments (GracefulStop)")
        #expect(container.Env == container.Env?.sorted())
        #expect(container.Env?.contains("MINIO_ADDRESS=minio-lb:9000") == true)
        #expect(container.Secrets?.first?.File?.Name == "/milvus/configs/user.yaml")
        #expect(container.Configs?.first?.File == FileTarget(Name: "/milvus/configs/milvus.yaml", Mode: 0o444))
        #expect(querynode.TaskTemplate.Placement?.Constraints == ["node.labels.query1==true"])
        #expect(querynode.TaskTemplate.RestartPolicy == RestartPolicy(Condition: "any", Delay: 5_000_000_000, MaxAttempts: nil, Window: nil))
        #expect(querynode.EndpointSpec?.Mode == "dnsrr")
    }

    @Test func modesResourcesAndPorts() throws {
        let (storage, _) = try Self.labStack(0)
        let cadvisor = try #require(storage.service(named: "lab-storage_cadvisor"))
        #expect(cadvisor.Mode == ServiceMode(Global: .init()))
        let quorum = try #require(storage.service(named: "lab-storage_etcd-quorum"))
        #expect(quorum.Mode == ServiceMode(ReplicatedJob: .init(MaxConcurrent: 1, TotalCompletions: 1)))
        #expect(quorum.UpdateConfig == nil)
        let etcd = try #require(storage.service(named: "lab-storage_etcd1"))
        #expect(etcd.TaskTemplate.ContainerSpec?.Healthcheck == HealthConfig(Test: ["NONE"]))
        let minioLB = try #require(storage.service(named: "lab-storage_minio-lb"))
        // The lab inventory exposes nothing: MinIO stays on the overlay; only milvus-lb publishes.
        #expect(minioLB.EndpointSpec?.Ports ?? [] == [])
        let (milvus, _) = try Self.labStack(2)
        let milvusLB = try #require(milvus.service(named: "lab-milvus_milvus-lb"))
        #expect(milvusLB.EndpointSpec?.Ports == [PortConfig(TargetPort: 19530, PublishedPort: 19530, PublishMode: "host")])
        let minio = try #require(storage.service(named: "lab-storage_minio1"))
        let limits = try #require(minio.TaskTemplate.Resources?.Limits)
        #expect(limits.NanoCPUs.map { $0 % 10_000_000 } == 0)
        #expect(limits.MemoryBytes.map { $0 % (1 << 20) } == 0)
        #expect(minio.TaskTemplate.ContainerSpec?.Mounts?.map(\.Target) == ["/disk1", "/disk2"])
    }

    @Test func conversionIsDeterministic() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for stage in 0..<3 {
            let first = try encoder.encode(try Self.labStack(stage).0.services)
            let second = try encoder.encode(try Self.labStack(stage).0.services)
            #expect(first == second)
        }
    }

    @Test func aMissingConfigFileIsAnError() throws {
        let (_, compose) = try Self.labStack(2)
        #expect(throws: StackConverter.Failure.self) { try StackConverter.convert(compose, stack: "x", configData: [:]) }
    }
}
