import Inventory
import YAMLSource

/// Whether each host can hold the services the blueprint may place on it. Every long-running
/// service gets at least 0.1 CPU and 64 MiB (`Sizing`); a host too small for that many would get
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
            let usable = Sizing.usable(host.size)
            let neededCentiCPUs = services * minimumCentiCPUs
            let neededMemory = Int64(services) * minimumMemoryMiB
            if usable.centiCPUs < neededCentiCPUs {
                // usable = cpus × 0.9, so the host needs needed / 90 CPUs, rounded up to a tenth.
                let cpus = Double((neededCentiCPUs * 10 + 89) / 90) / 10
                problems.append(Diagnostic(host.location,
                    "host \(host.name) has \(host.size.cpus) cpus for \(services) services that may run on it; each needs at least 0.1 CPU after the tenth kept for the system",
                    hint: "give it a size with at least \(cpus) cpus, or fewer roles"))
            }
            if usable.memoryMiB < neededMemory {
                let mebibytes = (neededMemory * 10 + 8) / 9
                problems.append(Diagnostic(host.location,
                    "host \(host.name) has \(host.size.memory.mebibytes) MiB of memory for \(services) services that may run on it; each needs at least 64 MiB after the tenth kept for the system",
                    hint: "give it a size with at least \(mebibytes) MiB, or fewer roles"))
            }
        }
        return problems
    }
}
