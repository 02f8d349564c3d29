import ArgumentParser
import Blueprint
import Inventory

/// The inventory's hosts, one per line, for scripts (the lab reads it).
struct Hosts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the inventory's hosts: name, address, swarm role, roles.",
        discussion: "Tab-separated, one host per line, managers first. With --directories: host and data directory, one per line."
    )

    @OptionGroup var options: InventoryOptions

    @Flag(help: "List the data directories each host needs (host, directory) instead.")
    var directories = false

    mutating func run() async throws {
        let inventory = try options.load()
        if directories {
            for plan in HostPlan.make(MilvusBlueprint.make(inventory)) {
                for directory in plan.directories { Console.out("\(plan.host)\t\(directory)") }
            }
            return
        }
        let ordered = inventory.hosts.filter { $0.has(.manager) } + inventory.hosts.filter { !$0.has(.manager) }
        for host in ordered {
            let swarmRole = host.has(.manager) ? "manager" : "worker"
            Console.out([host.name, host.address, swarmRole, host.roles.map(\.rawValue).joined(separator: ",")].joined(separator: "\t"))
        }
    }
}
