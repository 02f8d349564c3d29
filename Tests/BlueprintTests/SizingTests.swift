import Blueprint
import Compose
import Inventory
import Testing
import TestSupport

/// Limits: balancers (global, host ports, restarted stop-first) keep a fixed part of each host,
/// so a manager gaining a service does not restart them; the limits on every host still add up
/// to no more than it has.
@Suite("Sizing")
struct SizingTests {
    static func limits(_ inventory: Inventory) -> [String: ResourceLimits] {
        Dictionary(uniqueKeysWithValues: MilvusBlueprint.make(inventory).services.compactMap { planned in
            planned.service.deploy.limits.map { (planned.service.name, $0) }
        })
    }

    @Test func balancersKeepTheirLimitsWhenAManagerGainsAService() throws {
        let lab = try RepositoryPaths.inventory(RepositoryPaths.labInventory)
        // etcd5 given to lab-manager3: one more long-running service there.
        let grown = try InventoryLoader.parse(try LabInventoryEdits.growingEtcd(), file: "lab.yml")
        let before = Self.limits(lab), after = Self.limits(grown)
        for balancer in ["milvus-lb", "minio-lb"] {
            #expect(before[balancer] != nil && before[balancer] == after[balancer], "\(balancer): \(String(describing: before[balancer])) -> \(String(describing: after[balancer]))")
        }
        // The services that share lab-manager3 with etcd5 do get less.
        let proxy = try #require(before["proxy"]), proxyAfter = try #require(after["proxy"])
        #expect(proxyAfter.centiCPUs < proxy.centiCPUs, "\(proxy) -> \(proxyAfter)")
    }

    @Test(arguments: ["inventory/lab.yml", "inventory/lab-26.yml", "inventory/milvus-26.yml"])
    func theLimitsOnEveryHostAddUpToNoMoreThanItHas(file: String) throws {
        let inventory = try InventoryLoader.load(path: RepositoryPaths.path(file))
        let services = MilvusBlueprint.make(inventory).services
        for host in inventory.hosts {
            let here = services.filter { planned in planned.eligibleHosts.contains { $0.name == host.name } }
            let cpus = here.compactMap(\.service.deploy.limits?.centiCPUs).reduce(0, +)
            let memory = here.compactMap(\.service.deploy.limits?.memoryMiB).reduce(0, +)
            // Jobs (one-shot, then gone) aside: what may run at once.
            let jobs = here.filter { $0.service.deploy.mode == .replicatedJob }
            let jobCPUs = jobs.compactMap(\.service.deploy.limits?.centiCPUs).reduce(0, +)
            let jobMemory = jobs.compactMap(\.service.deploy.limits?.memoryMiB).reduce(0, +)
            #expect(cpus - jobCPUs <= Int(host.size.cpus * 100), "\(host.name): \(cpus - jobCPUs) centi-CPUs of \(host.size.cpus * 100)")
            #expect(memory - jobMemory <= host.size.memory.mebibytes, "\(host.name): \(memory - jobMemory) MiB of \(host.size.memory.mebibytes)")
        }
    }
}
