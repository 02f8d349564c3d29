import ArgumentParser
import Blueprint
import Foundation
import Inventory

/// Which images and data directories each host needs, derived from where the
/// blueprint places services (seed 4.2.2 by construction).
struct Images: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, per host, the images it needs and the data directories to create.",
        discussion: "Use it to pre-load images with `docker save`/`docker load` on hosts without a registry."
    )

    @OptionGroup var options: InventoryOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    mutating func run() async throws {
        let inventory = try options.load()
        let plans = HostPlan.make(MilvusBlueprint.make(inventory))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Console.out(String(decoding: try encoder.encode(plans.map(Row.init)), as: UTF8.self))
            return
        }
        let width = plans.map(\.host.count).max() ?? 4
        for plan in plans {
            Console.out("\(plan.host.padded(width))  \(plan.address.padded(15))  images: \(plan.images.joined(separator: " "))")
            if !plan.directories.isEmpty {
                Console.out("\("".padded(width))  \("".padded(15))  mkdir -p \(plan.directories.joined(separator: " "))")
            }
        }
    }

    private struct Row: Encodable {
        var host: String
        var address: String
        var images: [String]
        var directories: [String]

        init(_ plan: HostPlan) {
            host = plan.host
            address = plan.address
            images = plan.images
            directories = plan.directories
        }
    }
}
