import Compose
import Inventory

/// Turns host sizes into service limits. Each host keeps a tenth for the system and
/// cAdvisor; the rest is shared equally by the long-running services that may land
/// on it. A service that may run on several hosts takes its share on the smallest.
struct Sizing {
    /// Long-running services (not jobs, not cAdvisor) that may run on each host.
    let load: [String: Int]

    init(services: [PlannedService]) {
        var load: [String: Int] = [:]
        for planned in services where Sizing.countsTowardsLoad(planned) {
            for host in planned.eligibleHosts { load[host.name, default: 0] += 1 }
        }
        self.load = load
    }

    static func countsTowardsLoad(_ planned: PlannedService) -> Bool {
        planned.component != .cadvisor && planned.service.deploy.mode != .replicatedJob
    }

    func limits(for planned: PlannedService) -> ResourceLimits? {
        let shares = planned.eligibleHosts.map { host -> ResourceLimits in
            if planned.component == .cadvisor { return Sizing.systemShare(of: host.size) }
            let sharers = max(load[host.name] ?? 1, 1)
            let usable = Sizing.usable(host.size)
            return ResourceLimits(centiCPUs: max(usable.centiCPUs / sharers, 10),
                                  memoryMiB: max(usable.memoryMiB / Int64(sharers), 64))
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
