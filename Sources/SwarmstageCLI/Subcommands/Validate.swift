import ArgumentParser
import Blueprint
import Inventory

/// Checks an inventory and summarises it; writes nothing.
struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an inventory and summarise its hosts per role.",
        discussion: "Every problem is reported as file:line:column with what to do. Exit code 3 when the inventory is invalid."
    )

    @OptionGroup var options: InventoryOptions

    @Argument(help: ArgumentHelp("The inventory file (same as -i).", valueName: "file"))
    var file: String?

    mutating func run() async throws {
        if let file { options.inventory = file }
        let inventory = try options.load()
        let blueprint = MilvusBlueprint.make(inventory)
        Console.out(InventorySummary.render(inventory, blueprint: blueprint))
    }
}

/// The human summary `validate` prints.
enum InventorySummary {
    static func render(_ inventory: Inventory, blueprint: Blueprint) -> String {
        var lines = ["\(inventory.file): valid, \(inventory.hosts.count) hosts, cluster '\(inventory.cluster.name)'", ""]
        let width = Role.allCases.map(\.rawValue.count).max() ?? 8
        lines.append("role".padded(width) + "  hosts  members")
        for role in Role.allCases {
            let hosts = inventory.hosts(with: role)
            let members = hosts.map { host -> String in
                let label = role.isNumbered ? host.roleNumbers[role].map { role.numberedLabel($0) } : role.plainLabel
                return label.map { "\(host.name) [\($0)]" } ?? host.name
            }
            lines.append(role.rawValue.padded(width) + "  " + String(hosts.count).padded(5) + "  " + members.joined(separator: ", "))
        }
        lines.append("")
        for stack in blueprint.stacks {
            lines.append("stage \(stack.stage.number) \(stack.stage.rawValue.padded(8)) stack \(stack.stackName): "
                + "\(stack.services.count) services (\(stack.services.map(\.service.name).joined(separator: ", ")))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
