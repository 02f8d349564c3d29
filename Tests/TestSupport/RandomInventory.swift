import Inventory

/// Valid inventories of random shape, for property tests: the rules' minimums and odd counts
/// kept, roles spread over the hosts at random by a seeded generator (so a failure repeats).
public struct RandomInventory {
    public var generator: SeededGenerator

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    public mutating func make(name: String = "prop") throws -> Inventory {
        let managers = [1, 3].randomElement(using: &generator) ?? 1
        let workers = Int.random(in: 8...11, using: &generator)
        var roles: [[String]] = Array(repeating: [], count: workers)
        func spread(_ role: String, _ count: Int) {
            for index in Array(0..<workers).shuffled(using: &generator).prefix(count) { roles[index].append(role) }
        }
        spread("etcd", [3, 5].randomElement(using: &generator) ?? 3)
        spread("zk", [3, 5].randomElement(using: &generator) ?? 3)
        spread("minio", Int.random(in: 4...8, using: &generator))
        spread("bookie", Int.random(in: 2...4, using: &generator))
        spread("broker", Int.random(in: 1...3, using: &generator))
        spread("query", Int.random(in: 1...4, using: &generator))
        spread("index", Int.random(in: 1...3, using: &generator))
        spread("coord", Int.random(in: 1...2, using: &generator))
        var lines = ["cluster: {name: \(name), network: \(name)-net}", "sizes:", "  big: {cpus: 32, memory: 128GiB}", "hosts:"]
        for index in 0..<managers {
            lines += ["  - name: \(name)-m\(index)", "    address: 10.78.1.\(index + 1)", "    roles: [manager]", "    size: big"]
        }
        for (index, hostRoles) in roles.filter({ !$0.isEmpty }).enumerated() {
            lines += ["  - name: \(name)-w\(index)", "    address: 10.78.2.\(index + 1)", "    roles: [\(hostRoles.joined(separator: ", "))]", "    size: big"]
        }
        return try InventoryLoader.parse(lines.joined(separator: "\n") + "\n", file: "\(name).yml")
    }
}

/// SplitMix64: small, fast and the same on every machine.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
