import Compose
import Inventory

/// Turns host sizes into service limits. Each host keeps a tenth for the system and
/// cAdvisor. A balancer (milvus-lb, minio-lb: global, publishing host ports on the managers)
/// takes a fixed quarter of what is left on each host it runs on; the other long-running
/// services that may land on a host share the rest equally. A service that may run on several
/// hosts takes its share on the smallest.
///
/// Why balancers are not an equal share: Swarm replaces a global task that publishes a host port
/// stop-first (the port is held by the old one), so each change to a balancer's limits refuses
/// clients on every manager for a moment. An equal share changes whenever a manager gains or
/// loses a service (an etcd member handed to it, found by the probe during a replacement); a
/// fixed part does not, and the limits on a host still add up to no more than it has.
struct Sizing {
    /// Long-running services (not jobs, not cAdvisor) that may run on each host, balancers included.
    let load: [String: Int]
    /// Balancers that may run on each host.
    let balancers: [String: Int]

    /// The part of a host's usable resources each balancer on it takes.
    static let balancerDivisor = 4

    init(services: [PlannedService]) {
        var load: [String: Int] = [:], balancers: [String: Int] = [:]
        for planned in services where Sizing.countsTowardsLoad(planned) {
            for host in planned.eligibleHosts {
                load[host.name, default: 0] += 1
                if Sizing.isBalancer(planned) { balancers[host.name, default: 0] += 1 }
            }
        }
        self.load = load
        self.balancers = balancers
    }

    static func countsTowardsLoad(_ planned: PlannedService) -> Bool {
        planned.component != .cadvisor && planned.service.deploy.mode != .replicatedJob
    }

    static func isBalancer(_ planned: PlannedService) -> Bool { [.minioLB, .milvusLB].contains(planned.component) }

    /// What a balancer takes on a host of `size`.
    static func balancerShare(of size: HostSize) -> ResourceLimits {
        let usable = usable(size)
        return ResourceLimits(centiCPUs: usable.centiCPUs / balancerDivisor, memoryMiB: usable.memoryMiB / Int64(balancerDivisor))
    }

    /// What the services other than balancers share on `host`, and how many they are.
    func shared(on host: Host) -> (limits: ResourceLimits, services: Int) {
        let usable = Sizing.usable(host.size), taken = Sizing.balancerShare(of: host.size)
        let count = balancers[host.name] ?? 0
        return (ResourceLimits(centiCPUs: max(usable.centiCPUs - taken.centiCPUs * count, 0),
                               memoryMiB: max(usable.memoryMiB - taken.memoryMiB * Int64(count), 0)),
                (load[host.name] ?? 0) - count)
    }

    func limits(for planned: PlannedService) -> ResourceLimits? {
        let shares = planned.eligibleHosts.map { host -> ResourceLimits in
            if planned.component == .cadvisor { return Sizing.systemShare(of: host.size) }
            if Sizing.isBalancer(planned) { return Sizing.balancerShare(of: host.size) }
            let (shared, services) = self.shared(on: host)
            let sharers = max(services, 1)
            return ResourceLimits(centiCPUs: max(shared.centiCPUs / sharers, 10),
                                  memoryMiB: max(shared.memoryMiB / Int64(sharers), 64))
        }
        guard let first = shares.first else { return nil }
        return shares.dropFirst().reduce(first) { smallest, share in
            ResourceLimits(centiCPUs: min(smallest.centiCPUs, share.centiCPUs),
                           memoryMiB: min(smallest.memoryMiB, share.memoryMiB))
        }
    }

    static func usable(_ size: HostSize) -> ResourceLimits {
        ResourceLimits(centiCPUs: Int(size.cpus * 90), memoryMiB: size.memory.mebibytes * 9 / 10)
    }

    /// The tenth left for the system, of which cAdvisor may use up to half.
    static func systemShare(of size: HostSize) -> ResourceLimits {
        ResourceLimits(centiCPUs: max(Int(size.cpus * 5), 10), memoryMiB: max(size.memory.mebibytes / 20, 64))
    }

    /// `PULSAR_MEM` for a JVM inside `limits`: heap and direct memory as fractions
    /// of the limit (a 32 GiB bookie host gets about the seed's 8g heap, 16g direct).
    static func jvmOptions(_ limits: ResourceLimits?, heapFraction: Int64, directFraction: Int64, heapCapMiB: Int64 = .max) -> String {
        let memory = limits?.memoryMiB ?? 1024
        let heap = max(min(memory / heapFraction, heapCapMiB), 64)
        let direct = max(memory / directFraction, 64)
        return "-Xms\(heap)m -Xmx\(heap)m -XX:MaxDirectMemorySize=\(direct)m"
    }
}
