import Compose
import Testing
import Yams

@Suite("Compose model")
struct ComposeFileTests {
    static func sample() -> ComposeFile {
        var service = Service(name: "etcd1", image: "quay.io/coreos/etcd:v3.5.5",
                              deploy: Deploy(mode: .replicated, replicas: 1, constraints: ["node.labels.etcd1==true"],
                                             labels: ["b": "2", "a": "1"],
                                             limits: ResourceLimits(centiCPUs: 360, memoryMiB: 7372),
                                             restartPolicy: RestartPolicy(condition: .any)))
        service.environment = ["Z": "1", "A": "2"]
        service.volumes = [BindMount(source: "/b", target: "/y"), BindMount(source: "/a", target: "/x")]
        service.healthcheck = Healthcheck(test: ["CMD", "etcdctl", "endpoint", "health"])
        service.networks = ["cluster"]
        return ComposeFile(services: [service], networks: [Network(key: "cluster", name: "lab-net", external: true)],
                           secrets: [SecretDefinition(key: "s", name: "lab_s")])
    }

    @Test func listsAreSortedSoTheOutputDoesNotDependOnBuildOrder() throws {
        let node = try #require(try Yams.compose(yaml: Self.sample().render(header: [])))
        let service = try #require(node["services"]?["etcd1"])
        #expect(service["environment"]?.mapping?.keys.compactMap(\.string) == ["A", "Z"])
        #expect(service["volumes"]?.sequence?.compactMap { $0["target"]?.string } == ["/x", "/y"])
        #expect(service["deploy"]?["labels"]?.mapping?.keys.compactMap(\.string) == ["a", "b"])
    }

    @Test func cpusAndMemoryPrintExactly() {
        #expect(ResourceLimits(centiCPUs: 360, memoryMiB: 1).cpusText == "3.6")
        #expect(ResourceLimits(centiCPUs: 11, memoryMiB: 1).cpusText == "0.11")
        #expect(ResourceLimits(centiCPUs: 5, memoryMiB: 1).cpusText == "0.05")
        #expect(ResourceLimits(centiCPUs: 1400, memoryMiB: 1).cpusText == "14")
    }

    @Test func externalSecretsAndNetworksCarryNoContent() throws {
        let node = try #require(try Yams.compose(yaml: Self.sample().render(header: ["h"])))
        #expect(node["secrets"]?["s"]?["external"]?.bool == true)
        #expect(node["secrets"]?["s"]?["file"] == nil)
        #expect(node["networks"]?["cluster"]?["external"]?.bool == true)
        #expect(node["version"]?.string == "3.12")
    }
}
