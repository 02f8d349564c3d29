import Compose
import Inventory
import struct Inventory.Host

/// What each host needs before a deploy: the images its services run (so hosts
/// without a registry can be pre-loaded) and the data directories its bind mounts use.
public struct HostPlan: Sendable, Equatable {
    public var host: String
    public var address: String
    public var images: [String]
    public var directories: [String]

    public static func make(_ blueprint: Blueprint) -> [HostPlan] {
        var servicesByHost: [String: [PlannedService]] = [:]
        for planned in blueprint.services {
            for host in planned.eligibleHosts { servicesByHost[host.name, default: []].append(planned) }
        }
        return blueprint.inventory.hosts.map { host in
            let services = servicesByHost[host.name] ?? []
            let images = Set(services.map(\.service.image))
            let dataRoot = blueprint.inventory.cluster.dataRoot
            let directories = Set(services.flatMap { $0.service.volumes.map(\.source) }.filter {
                $0 == dataRoot || $0.hasPrefix(dataRoot + "/")
            })
            return HostPlan(host: host.name, address: host.address, images: images.sorted(), directories: directories.sorted())
        }
    }
}
