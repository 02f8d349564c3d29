import Inventory
import YAMLSource

/// Whether each host can hold the services the blueprint may place on it. Every long-running
/// service gets at least 0.1 CPU and 64 MiB (`Sizing`; a balancer a quarter of the host); a host too small for that many would get
/// limits that add up to more than it has, and Swarm would overcommit it. Refused with the
/// host's location and the size it needs.
public enum Capacity {
    public static let minimumCentiCPUs = 10
    public static let minimumMemoryMiB: Int64 = 64

    public static func problems(_ blueprint: Blueprint) -> [Diagnostic] {
        let sizing = Sizing(services: blueprint.services)
        var problems: [Diagnostic] = []
        for host in blueprint.inventory.hosts {
            let services = sizing.load[host.name] ?? 0
            guard services > 0 else { continue }
            // Balancers take a fixed quarter each (at least the minimum); the others share the rest, at least the minimum each.
            let balancers = sizing.balancers[host.name] ?? 0, others = services - balancers
            let quarters = Sizing.balancerDivisor
            let left = quarters - balancers
            let usable = Sizing.usable(host.size)
            func needed(_ minimum: Int64) -> Int64 {
                guard left > 0 else { return .max }
                let forOthers = (Int64(others) * minimum * Int64(quarters) + Int64(left) - 1) / Int64(left)
                return max(forOthers, balancers > 0 ? minimum * Int64(quarters) : 0)
            }
            let what = balancers > 0 ? "after the tenth kept for the system and the quarter each of its \(balancers) balancers takes" : "after the tenth kept for the system"
            let neededCentiCPUs = needed(Int64(minimumCentiCPUs)), neededMemory = needed(minimumMemoryMiB)
            if Int64(usable.centiCPUs) < neededCentiCPUs {
                // usable = cpus × 0.9, so the host needs needed / 90 CPUs, rounded up to a tenth.
                let cpus = neededCentiCPUs == .max ? "a size for fewer balancers" : "a size with at least \(Double((neededCentiCPUs * 10 + 89) / 90) / 10) cpus"
                problems.append(Diagnostic(host.location,
                    "host \(host.name) has \(host.size.cpus) cpus for \(services) services that may run on it; each needs at least 0.1 CPU \(what)",
                    hint: "give it \(cpus), or fewer roles"))
            }
            if usable.memoryMiB < neededMemory {
                let memory = neededMemory == .max ? "a size for fewer balancers" : "a size with at least \((neededMemory * 10 + 8) / 9) MiB"
                problems.append(Diagnostic(host.location,
                    "host \(host.name) has \(host.size.memory.mebibytes) MiB of memory for \(services) services that may run on it; each needs at least 64 MiB \(what)",
                    hint: "give it \(memory), or fewer roles"))
            }
        }
        return problems
    }
}
