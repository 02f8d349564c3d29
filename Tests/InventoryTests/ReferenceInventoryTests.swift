import Inventory
import TestSupport
import Testing

@Suite("The reference and lab inventories")
struct ReferenceInventoryTests {
    /// The seed's table (section 4.1), with .76 as etcd2: address -> labels.
    static let seedTable: [(String, [String])] = [
        ("29.16.21.64", ["query1"]), ("29.16.21.65", ["query2"]), ("29.16.21.66", ["query3"]),
        ("29.16.21.67", ["query4"]), ("29.16.21.68", ["query5"]),
        ("29.16.21.69", ["index1"]), ("29.16.21.70", ["index2"]), ("29.16.21.71", ["index3"]), ("29.16.21.72", ["index4"]),
        ("29.16.21.73", ["coord"]), ("29.16.21.74", ["coord"]),
        ("29.16.21.75", ["zk1", "etcd1"]), ("29.16.21.76", ["zk2", "etcd2"]), ("29.16.21.77", ["zk3", "etcd3"]),
        ("29.16.21.78", ["broker"]), ("29.16.21.79", ["broker"]),
        ("29.16.21.80", []), ("29.16.21.81", []), ("29.16.21.82", []),
        ("29.16.21.83", ["minio1"]), ("29.16.21.84", ["minio2"]), ("29.16.21.85", ["minio3"]), ("29.16.21.86", ["minio4"]),
        ("29.16.21.87", ["bookie1"]), ("29.16.21.88", ["bookie2"]), ("29.16.21.89", ["bookie3"]),
    ]

    @Test func referenceInventoryHasTheSeedsHostsAndLabels() throws {
        let inventory = try InventoryLoader.load(path: RepositoryPaths.path("inventory/milvus-26.yml"))
        #expect(inventory.hosts.count == 26)
        #expect(inventory.hosts.map(\.address) == Self.seedTable.map(\.0))
        for (address, labels) in Self.seedTable {
            let host = try #require(inventory.hosts.first { $0.address == address })
            let expected = Dictionary(uniqueKeysWithValues: labels.map { ($0, "true") })
            #expect(host.labels == expected, "labels of \(address)")
        }
        let managers = inventory.hosts(with: .manager).map(\.address)
        #expect(managers == ["29.16.21.80", "29.16.21.81", "29.16.21.82"])
        #expect(inventory.hosts(with: .minio).allSatisfy { $0.size.dataDisk == .gibibytes(1000) })
        #expect(inventory.hosts(with: .query).allSatisfy { $0.size.cpus == 16 && $0.size.memory == .gibibytes(64) })
    }

    @Test func referenceInventoryNamesTheSeedsImages() throws {
        let inventory = try InventoryLoader.load(path: RepositoryPaths.path("inventory/milvus-26.yml"))
        #expect(inventory.images[.milvus] == "milvusdb/milvus:2.3.0-20230920-509e7a39")
        #expect(inventory.images[.etcd] == "quay.io/coreos/etcd:v3.5.5")
        #expect(inventory.images[.minio] == "minio/minio:RELEASE.2023-03-20T20-16-18Z")
        #expect(inventory.images[.pulsar] == "apachepulsar/pulsar:3.1.0")
        #expect(inventory.images[.cadvisor] == "gcr.io/cadvisor/cadvisor:v0.47.2")
        #expect(inventory.cluster.stackName(for: .storage) == "milvus-storage")
        #expect(inventory.cluster.dataRoot == "/mnt/data")
    }

    @Test func labInventoryDerivesNumberedLabelsInFileOrder() throws {
        let inventory = try InventoryLoader.load(path: RepositoryPaths.path("inventory/lab.yml"))
        #expect(inventory.hosts.count == 7)
        #expect(inventory.hosts(with: .manager).map(\.name) == ["lab-manager", "lab-manager2", "lab-manager3"], "three managers, as the reference has")
        #expect(inventory.hosts(with: .etcd).map(\.name) == ["lab-node1", "lab-node2", "lab-node3"])
        let node2 = try #require(inventory.host(named: "lab-node2"))
        #expect(node2.labels == ["etcd2": "true", "zk2": "true", "minio2": "true", "bookie1": "true",
                                 "broker": "true", "index1": "true"])
        #expect(inventory.host(named: "lab-manager")?.labels == [:])
    }

    @Test func givenNumbersAreKeptAndTheRestFillTheGaps() throws {
        let text = """
        hosts:
          - {name: a, address: 10.0.0.1, roles: [manager, etcd, zk, minio, query, index, coord, broker, bookie], size: {cpus: 1, memory: 1GiB}}
          - {name: b, address: 10.0.0.2, roles: [etcd, zk, minio, bookie], size: {cpus: 1, memory: 1GiB}, labels: {etcd1: "true", zk3: "true"}}
          - {name: c, address: 10.0.0.3, roles: [etcd, zk, minio], size: {cpus: 1, memory: 1GiB}, labels: {rack: r2}}
          - {name: d, address: 10.0.0.4, roles: [minio], size: {cpus: 1, memory: 1GiB}}
        """
        let inventory = try InventoryLoader.parse(text, file: "inline.yml")
        #expect(inventory.host(named: "b")?.roleNumbers[.etcd] == 1)
        #expect(inventory.host(named: "a")?.roleNumbers[.etcd] == 2)
        #expect(inventory.host(named: "c")?.roleNumbers[.etcd] == 3)
        #expect(inventory.host(named: "a")?.roleNumbers[.zk] == 1)
        #expect(inventory.host(named: "c")?.roleNumbers[.zk] == 2)
        #expect(inventory.host(named: "b")?.roleNumbers[.zk] == 3)
        #expect(inventory.host(named: "c")?.labels["rack"] == "r2")
        #expect(inventory.hosts(with: .etcd).map(\.name) == ["b", "a", "c"])
    }
}
