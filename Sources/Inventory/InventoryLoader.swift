import Foundation
import Yams
import YAMLSource

/// Reads and validates an inventory. Either every rule holds and an `Inventory`
/// comes back, or an `InventoryError` lists every problem with its location:
/// nothing downstream ever sees a half-valid inventory.
public enum InventoryLoader {
    public static func load(path: String) throws -> Inventory {
        try parse(try InputFiles.readText(path), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> Inventory {
        let reader = YAMLReader(file: file)
        let parser = InventoryParser(reader: reader)
        let inventory = parser.parse(text)
        if let inventory, reader.diagnostics.isEmpty { return inventory }
        throw InventoryError(reader.diagnostics.isEmpty
            ? [Diagnostic(SourceLocation(file: file, line: 1, column: 1), "inventory is not usable")]
            : reader.diagnostics)
    }

    /// An image file: a mapping of image key to reference, e.g. `milvus: registry.lab:5000/milvus@sha256:...`.
    public static func loadImageOverrides(path: String) throws -> [ImageMap.Key: String] {
        let text = try InputFiles.readText(path)
        let reader = YAMLReader(file: path)
        var result: [ImageMap.Key: String] = [:]
        if let root = reader.compose(text) {
            result = InventoryParser(reader: reader).images(root, what: "the image file")
        } else if reader.diagnostics.isEmpty {
            reader.error(at: SourceLocation(file: path, line: 1, column: 1), "the image file is empty")
        }
        guard reader.diagnostics.isEmpty else { throw InventoryError(reader.diagnostics) }
        return result
    }

    /// One `--image key=reference` flag.
    public static func parseImageFlag(_ flag: String) -> Result<(ImageMap.Key, String), InputFileError> {
        let parts = flag.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            return .failure(InputFileError(path: "--image \(flag)", reason: "expected KEY=IMAGE, e.g. milvus=registry:5000/milvus:2.3.0"))
        }
        guard let key = ImageMap.Key(rawValue: parts[0]) else {
            let keys = ImageMap.Key.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(InputFileError(path: "--image \(flag)", reason: "unknown image '\(parts[0])'; known images: \(keys)"))
        }
        guard ImageMap.isValidReference(parts[1]) else {
            return .failure(InputFileError(path: "--image \(flag)", reason: "'\(parts[1])' is not a valid image reference"))
        }
        return .success((key, parts[1]))
    }
}

/// The parsing and validation steps, in the order an operator reads the file.
struct InventoryParser {
    let reader: YAMLReader

    private struct PendingHost {
        var name: String?
        var address: String?
        var roles: [Role] = []
        var size: HostSize?
        var nodeID: String?
        var givenLabels: [(key: String, value: String, keyNode: Node, valueNode: Node)] = []
        /// `minio_pool:` as written, with where.
        var minioPool: (number: Int, node: Node)?
        var node: Node
    }

    func parse(_ text: String) -> Inventory? {
        guard let root = reader.compose(text) else {
            if reader.diagnostics.isEmpty {
                reader.error(at: SourceLocation(file: reader.file, line: 1, column: 1), "the inventory is empty",
                             hint: "start from inventory/lab.yml or inventory/milvus-26.yml")
            }
            return nil
        }
        guard let entries = reader.mapping(root, "the inventory") else { return nil }
        reader.checkKeys(entries, of: root, "the inventory", allowed: ["cluster", "images", "sizes", "hosts"], required: ["hosts"])
        let value = { (key: String) in entries.first { $0.key == key }?.value }

        let cluster = value("cluster").map(clusterSettings) ?? defaultCluster(name: "milvus")
        let imageMap = ImageMap(value("images").map { self.images($0, what: "images") } ?? [:])
        let sizes = value("sizes").map(sizeClasses) ?? SizeClasses()
        guard let hostsEntry = entries.first(where: { $0.key == "hosts" }) else { return nil }
        let hosts = self.hosts(hostsEntry.value, key: hostsEntry.keyNode, sizes: sizes, bookkeeper: cluster?.bookkeeper ?? .standard)
        guard let cluster, reader.diagnostics.isEmpty else { return nil }
        return Inventory(file: reader.file, cluster: cluster, images: imageMap, hosts: hosts)
    }

    // MARK: cluster

    private func defaultCluster(name: String) -> ClusterSettings {
        ClusterSettings(name: name, dataRoot: ClusterSettings.defaultDataRoot, network: "\(name)-net",
                        pulsarCluster: "\(name)-pulsar", stackNames: [:], bookkeeper: .standard)
    }

    private func clusterSettings(_ node: Node) -> ClusterSettings? {
        guard let entries = reader.mapping(node, "cluster") else { return nil }
        reader.checkKeys(entries, of: node, "cluster",
                         allowed: ["name", "data_root", "network", "pulsar_cluster", "stacks", "bookkeeper", "expose", "security",
                                   "update_monitor", "milvus_session_ttl"])
        var settings = defaultCluster(name: "milvus")
        if let nameNode = entries.first(where: { $0.key == "name" })?.value,
           let name = checked(nameNode, "cluster name", pattern: Patterns.stackName,
                              rule: "lower-case letters, digits, '-' and '_', starting with a letter or digit") {
            settings = defaultCluster(name: name)
        }
        for entry in entries {
            switch entry.key {
            case "data_root":
                if let path = reader.string(entry.value, "data_root") {
                    if Patterns.absolutePath.matches(path), !path.split(separator: "/").contains("..") {
                        settings.dataRoot = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
                    } else {
                        reader.error(entry.value, "data_root '\(path)' must be an absolute path without spaces or '..'",
                                     hint: "e.g. /mnt/data")
                    }
                }
            case "network":
                if let network = checked(entry.value, "network name", pattern: Patterns.objectName,
                                         rule: "letters, digits, '.', '-' and '_'") {
                    settings.network = network
                }
            case "pulsar_cluster":
                if let pulsar = checked(entry.value, "pulsar_cluster", pattern: Patterns.objectName,
                                        rule: "letters, digits, '.', '-' and '_'") {
                    settings.pulsarCluster = pulsar
                }
            case "stacks":
                settings.stackNames = stackNames(entry.value)
            case "bookkeeper":
                if let quorum = bookkeeper(entry.value) { settings.bookkeeper = quorum }
            case "expose":
                settings.exposed = exposed(entry.value)
            case "security":
                security(entry.value, into: &settings)
            case "update_monitor":
                if let seconds = seconds(entry.value, "update_monitor", range: ClusterSettings.updateMonitorRange, example: "15s") {
                    settings.updateMonitorSeconds = seconds
                }
            case "milvus_session_ttl":
                if let seconds = seconds(entry.value, "milvus_session_ttl", range: ClusterSettings.milvusSessionTTLRange, example: "30s") {
                    settings.milvusSessionTTLSeconds = seconds
                }
            default:
                break
            }
        }
        return settings
    }

    private func stackNames(_ node: Node) -> [Stage: String] {
        guard let entries = reader.mapping(node, "stacks") else { return [:] }
        reader.checkKeys(entries, of: node, "stacks", allowed: Stage.allCases.map(\.rawValue))
        var names: [Stage: String] = [:]
        var seen: [String: Node] = [:]
        for entry in entries {
            guard let stage = Stage(rawValue: entry.key),
                  let name = checked(entry.value, "stack name", pattern: Patterns.stackName,
                                     rule: "lower-case letters, digits, '-' and '_'") else { continue }
            if let first = seen[name] {
                reader.error(entry.value, "stack name '\(name)' is used for two stages (first at \(reader.location(of: first).lineColumn))",
                             hint: "give every stage its own stack name")
            }
            seen[name] = entry.value
            names[stage] = name
        }
        return names
    }

    /// `text` as one of `T`'s names; otherwise a located error with the closest name, or all of them.
    private func named<T: CaseIterable & RawRepresentable>(_ text: String, _ node: Node, unknown: String, listing: String) -> T?
    where T.RawValue == String {
        if let value = T(rawValue: text) { return value }
        let known = T.allCases.map(\.rawValue)
        let hint = Spelling.closest(to: text, among: known).map { "did you mean '\($0)'?" } ?? "\(listing): \(known.joined(separator: ", "))"
        reader.error(node, unknown, hint: hint)
        return nil
    }

    private func exposed(_ node: Node) -> Set<ExposedEndpoint> {
        if case .scalar(let scalar) = node, reader.isNull(scalar) { return [] }
        guard let items = reader.stringList(node, "expose") else { return [] }
        var result: Set<ExposedEndpoint> = []
        for (text, itemNode) in items {
            guard let endpoint: ExposedEndpoint = named(text, itemNode, unknown: "unknown endpoint '\(text)' in expose",
                                                        listing: "endpoints that can be exposed (Milvus's 19530 always is)") else { continue }
            result.insert(endpoint)
        }
        return result
    }

    private func security(_ node: Node, into settings: inout ClusterSettings) {
        guard let entries = reader.mapping(node, "security") else { return }
        reader.checkKeys(entries, of: node, "security", allowed: ["milvus_authorization", "encrypted_network"])
        for entry in entries {
            guard let value = boolean(entry.value, "security \(entry.key)") else { continue }
            switch entry.key {
            case "milvus_authorization": settings.milvusAuthorization = value
            case "encrypted_network": settings.encryptedNetwork = value
            default: break
            }
        }
    }

    /// A duration key (`update_monitor:`, `milvus_session_ttl:`) as whole seconds: "5s", "2m" (Go
    /// duration units, as a compose file takes them for `monitor`; whole seconds or minutes only,
    /// as the generated files write seconds).
    private func seconds(_ node: Node, _ key: String, range: ClosedRange<Int>, example: String) -> Int? {
        guard let text = reader.string(node, key) else { return nil }
        let rule = "a whole number of seconds or minutes from \(range.lowerBound)s to \(range.upperBound / 60)m"
        guard let unit = text.last, unit == "s" || unit == "m", let number = Int(text.dropLast()), number >= 0,
              text.dropLast().allSatisfy(\.isASCII) else {
            reader.error(node, "\(key) '\(YAMLReader.capped(text))' is not a duration", hint: "\(rule), e.g. \(example)")
            return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: unit == "m" ? 60 : 1)
        guard !overflow, range.contains(seconds) else {
            reader.error(node, "\(key) '\(YAMLReader.capped(text))' is out of range", hint: rule)
            return nil
        }
        return seconds
    }

    /// `true` or `false` (YAML 1.2's spellings); yes/no/on/off are refused, as YAML 1.2 reads them as strings.
    private func boolean(_ node: Node, _ what: String) -> Bool? {
        guard let text = reader.string(node, what) else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            reader.error(node, "\(what) must be true or false, found '\(YAMLReader.capped(text))'")
            return nil
        }
    }

    private func bookkeeper(_ node: Node) -> BookKeeperQuorum? {
        guard let entries = reader.mapping(node, "bookkeeper") else { return nil }
        reader.checkKeys(entries, of: node, "bookkeeper", allowed: ["ensemble", "write_quorum", "ack_quorum"])
        var quorum = BookKeeperQuorum.standard
        for entry in entries {
            guard let value = reader.integer(entry.value, "bookkeeper \(entry.key)") else { continue }
            guard value >= 1 else {
                reader.error(entry.value, "bookkeeper \(entry.key) must be at least 1")
                continue
            }
            switch entry.key {
            case "ensemble": quorum.ensemble = value
            case "write_quorum": quorum.writeQuorum = value
            case "ack_quorum": quorum.ackQuorum = value
            default: break
            }
        }
        if !(quorum.ackQuorum <= quorum.writeQuorum && quorum.writeQuorum <= quorum.ensemble) {
            reader.error(node, "bookkeeper needs ack_quorum <= write_quorum <= ensemble, found \(quorum.ackQuorum) / \(quorum.writeQuorum) / \(quorum.ensemble)")
        }
        return quorum
    }

    // MARK: images and sizes

    func images(_ node: Node, what: String) -> [ImageMap.Key: String] {
        guard let entries = reader.mapping(node, what) else { return [:] }
        var result: [ImageMap.Key: String] = [:]
        for entry in entries {
            guard let key: ImageMap.Key = named(entry.key, entry.keyNode, unknown: "unknown image '\(entry.key)' in \(what)",
                                                listing: "known images") else { continue }
            guard let reference = reader.string(entry.value, "image \(entry.key)") else { continue }
            guard ImageMap.isValidReference(reference) else {
                reader.error(entry.value, "'\(reference)' is not a valid image reference",
                             hint: "use [registry/]name[:tag][@sha256:digest] with a lower-case name")
                continue
            }
            result[key] = reference
        }
        return result
    }

    /// Named sizes; `invalid` remembers names whose definition had errors, so hosts
    /// that use them are not reported a second time.
    struct SizeClasses {
        var valid: [String: HostSize] = [:]
        var invalid: Set<String> = []
    }

    private func sizeClasses(_ node: Node) -> SizeClasses {
        guard let entries = reader.mapping(node, "sizes") else { return SizeClasses() }
        var result = SizeClasses()
        for entry in entries {
            if let size = hostSize(entry.value, what: "size '\(entry.key)'") {
                result.valid[entry.key] = size
            } else {
                result.invalid.insert(entry.key)
            }
        }
        return result
    }

    private func hostSize(_ node: Node, what: String) -> HostSize? {
        guard let entries = reader.mapping(node, what) else { return nil }
        reader.checkKeys(entries, of: node, what, allowed: ["cpus", "memory", "disk", "data_disk"], required: ["cpus", "memory"])
        var cpus: Double?
        var memory: ByteSize?
        var dataDisk: ByteSize?
        for entry in entries {
            switch entry.key {
            case "cpus":
                if let value = reader.number(entry.value, "cpus") {
                    if HostSize.cpuRange.contains(value) {
                        cpus = value
                    } else {
                        reader.error(entry.value, "cpus must be from \(HostSize.cpuRange.lowerBound) to \(Int(HostSize.cpuRange.upperBound)) (a host's CPUs), found \(value)")
                    }
                }
            case "memory", "disk", "data_disk":
                if let text = reader.string(entry.value, entry.key) {
                    if let bytes = ByteSize(parsing: text), bytes.bytes > 0 {
                        if entry.key == "memory", !HostSize.memoryRange.contains(bytes.bytes) {
                            reader.error(entry.value, "memory must be from \(ByteSize(bytes: HostSize.memoryRange.lowerBound)) to "
                                + "\(ByteSize(bytes: HostSize.memoryRange.upperBound)) (a host's memory), found \(text.count > 40 ? String(text.prefix(40)) + "..." : text)")
                            continue
                        }
                        if entry.key == "memory" { memory = bytes }
                        if entry.key == "data_disk" { dataDisk = bytes }
                    } else {
                        reader.error(entry.value, "\(entry.key) '\(text)' is not a size", hint: "write it like 64GiB, 16G or 512MiB")
                    }
                }
            default:
                break
            }
        }
        guard let cpus, let memory else { return nil }
        return HostSize(cpus: cpus, memory: memory, dataDisk: dataDisk)
    }

    // MARK: hosts

    private func hosts(_ node: Node, key: Node, sizes: SizeClasses, bookkeeper: BookKeeperQuorum) -> [Host] {
        guard let items = reader.sequence(node, "hosts") else { return [] }
        if items.isEmpty {
            reader.error(node, "hosts is empty", hint: "list every machine of the cluster with its roles")
            return []
        }
        let pending = items.compactMap { pendingHost($0, sizes: sizes) }
        checkUnique(pending)
        let numbers = assignRoleNumbers(pending)
        checkRoleCounts(pending, at: key, ensemble: bookkeeper.ensemble)
        checkMinioPools(pending, numbers: numbers, at: key)
        return pending.enumerated().compactMap { index, host in
            guard let name = host.name, let address = host.address, let size = host.size, !host.roles.isEmpty else { return nil }
            var labels: [String: String] = [:]
            for role in host.roles {
                if let plain = role.plainLabel { labels[plain] = "true" }
                if let number = numbers[index][role] { labels[role.numberedLabel(number)] = "true" }
            }
            for given in host.givenLabels { labels[given.key] = given.value }
            return Host(name: name, address: address, roles: host.roles, size: size, nodeID: host.nodeID,
                        roleNumbers: numbers[index], labels: labels, location: reader.location(of: host.node),
                        minioPool: host.roles.contains(.minio) ? host.minioPool?.number ?? 1 : nil)
        }
    }

    private func pendingHost(_ node: Node, sizes: SizeClasses) -> PendingHost? {
        guard let entries = reader.mapping(node, "a host") else { return nil }
        reader.checkKeys(entries, of: node, "a host", allowed: ["name", "address", "roles", "size", "labels", "node_id", "minio_pool"],
                         required: ["name", "address", "roles", "size"])
        var host = PendingHost(node: node)
        for entry in entries {
            switch entry.key {
            case "name":
                host.name = checked(entry.value, "host name", pattern: Patterns.hostname,
                                    rule: "a hostname: letters, digits and '-', dot-separated")
            case "address":
                if let address = reader.string(entry.value, "address") {
                    if Patterns.isIPv4(address) { host.address = address } else {
                        reader.error(entry.value, "address '\(address)' is not an IPv4 address", hint: "write it like 29.16.21.64")
                    }
                }
            case "roles":
                host.roles = roles(entry.value)
            case "size":
                host.size = size(entry.value, sizes: sizes)
            case "node_id":
                host.nodeID = checked(entry.value, "node_id", pattern: Patterns.nodeID,
                                      rule: "a Swarm node ID as `docker node ls` shows it (25 lower-case letters and digits)")
            case "labels":
                host.givenLabels = labels(entry.value)
            case "minio_pool":
                guard let number = reader.integer(entry.value, "minio_pool") else { break }
                if number >= 1 { host.minioPool = (number, entry.value) } else {
                    reader.error(entry.value, "minio_pool must be at least 1, found \(number)", hint: "the first pool is 1")
                }
            default:
                break
            }
        }
        return host
    }

    private func roles(_ node: Node) -> [Role] {
        guard let items = reader.stringList(node, "roles") else { return [] }
        if items.isEmpty { reader.error(node, "roles is empty", hint: "give the host at least one role") }
        var roles: [Role] = []
        for (text, itemNode) in items {
            guard let role: Role = named(text, itemNode, unknown: "unknown role '\(text)'", listing: "known roles") else { continue }
            if roles.contains(role) {
                reader.error(itemNode, "role '\(text)' is listed twice for this host", hint: "remove one")
                continue
            }
            roles.append(role)
        }
        return roles
    }

    private func size(_ node: Node, sizes: SizeClasses) -> HostSize? {
        if node.mapping != nil { return hostSize(node, what: "size") }
        guard let name = reader.string(node, "size") else { return nil }
        if sizes.invalid.contains(name) { return nil }
        guard let size = sizes.valid[name] else {
            let known = sizes.valid.keys.sorted()
            let hint = Spelling.closest(to: name, among: known).map { "did you mean '\($0)'?" }
                ?? (known.isEmpty ? "define it under 'sizes:' or write {cpus: 8, memory: 16GiB}"
                    : "defined sizes: \(known.joined(separator: ", "))")
            reader.error(node, "unknown size '\(name)'", hint: hint)
            return nil
        }
        return size
    }

    private func labels(_ node: Node) -> [(key: String, value: String, keyNode: Node, valueNode: Node)] {
        guard let entries = reader.mapping(node, "labels") else { return [] }
        var result: [(key: String, value: String, keyNode: Node, valueNode: Node)] = []
        for entry in entries {
            guard Patterns.labelKey.matches(entry.key), entry.key.count <= 128 else {
                reader.error(entry.keyNode, "label key '\(entry.key)' is not valid",
                             hint: "use letters, digits, '.', '-' and '_', starting and ending with a letter or digit")
                continue
            }
            if Patterns.reservedLabelPrefixes.contains(where: entry.key.hasPrefix) {
                reader.error(entry.keyNode, "label key '\(entry.key)' uses a prefix reserved by Docker", hint: "choose another key")
                continue
            }
            guard let scalar = entry.value.scalar else {
                reader.error(entry.value, "label '\(entry.key)' must have a single value, found \(reader.describe(entry.value))")
                continue
            }
            let value = scalar.string
            if value.count > 256 || value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                reader.error(entry.value, "label '\(entry.key)' has a value that is too long or has control characters")
                continue
            }
            result.append((entry.key, value, entry.keyNode, entry.value))
        }
        return result
    }

    // MARK: rules across hosts

    private func checkUnique(_ hosts: [PendingHost]) {
        var names: [String: Node] = [:]
        var addresses: [String: Node] = [:]
        var nodeIDs: [String: Node] = [:]
        for host in hosts {
            if let name = host.name {
                if let first = names[name.lowercased()] {
                    reader.error(host.node, "host name '\(name)' is used twice (first at \(reader.location(of: first).lineColumn))",
                                 hint: "every host needs its own name")
                } else { names[name.lowercased()] = host.node }
            }
            if let address = host.address {
                if let first = addresses[address] {
                    reader.error(host.node, "address \(address) is used twice (first at \(reader.location(of: first).lineColumn))",
                                 hint: "every host needs its own address")
                } else { addresses[address] = host.node }
            }
            if let nodeID = host.nodeID {
                if let first = nodeIDs[nodeID] {
                    reader.error(host.node, "node_id \(nodeID) is used twice (first at \(reader.location(of: first).lineColumn))")
                } else { nodeIDs[nodeID] = host.node }
            }
        }
    }

    /// Numbers hosts within each numbered role. Numbers given as labels (`etcd2: "true"`)
    /// are kept; the rest get the lowest free numbers in file order. Every role's
    /// numbers must end up exactly 1...count, each used once.
    private func assignRoleNumbers(_ hosts: [PendingHost]) -> [[Role: Int]] {
        var numbers = Array(repeating: [Role: Int](), count: hosts.count)
        var claimedBy: [String: Node] = [:]
        for (index, host) in hosts.enumerated() {
            for label in host.givenLabels {
                guard let (role, number) = Patterns.roleLabel(label.key) else {
                    if let role = Role(rawValue: label.key), role.plainLabel != nil {
                        checkRoleLabel(label.key, label.value, label.valueNode, keyNode: label.keyNode, role: role, host: host)
                    }
                    continue
                }
                guard checkRoleLabel(label.key, label.value, label.valueNode, keyNode: label.keyNode, role: role, host: host) else { continue }
                if let first = claimedBy[label.key] {
                    reader.error(label.keyNode, "label '\(label.key)' is already on another host (at \(reader.location(of: first).lineColumn))",
                                 hint: "number the \(role.rawValue) hosts \(role.rawValue)1, \(role.rawValue)2, ... once each")
                    continue
                }
                if let existing = numbers[index][role] {
                    reader.error(label.keyNode, "host has two \(role.rawValue) labels (\(role.numberedLabel(existing)) and \(label.key))",
                                 hint: "keep one")
                    continue
                }
                claimedBy[label.key] = label.keyNode
                numbers[index][role] = number
            }
        }
        for role in Role.allCases where role.isNumbered {
            let members = hosts.indices.filter { hosts[$0].roles.contains(role) }
            var used = Set(members.compactMap { numbers[$0][role] })
            var next = 1
            for index in members where numbers[index][role] == nil {
                while used.contains(next) { next += 1 }
                numbers[index][role] = next
                used.insert(next)
            }
            for index in members {
                guard let number = numbers[index][role], number > members.count else { continue }
                let node = hosts[index].givenLabels.first { $0.key == role.numberedLabel(number) }?.keyNode ?? hosts[index].node
                reader.error(node, "label '\(role.numberedLabel(number))' is out of range: there are \(members.count) \(role.rawValue) hosts",
                             hint: "number them \(role.rawValue)1 to \(role.rawValue)\(members.count)")
            }
        }
        return numbers
    }

    @discardableResult
    private func checkRoleLabel(_ key: String, _ value: String, _ valueNode: Node, keyNode: Node, role: Role, host: PendingHost) -> Bool {
        guard host.roles.contains(role) else {
            reader.error(keyNode, "label '\(key)' belongs to role '\(role.rawValue)', which this host does not have",
                         hint: "add '\(role.rawValue)' to its roles or remove the label")
            return false
        }
        guard value == "true" else {
            reader.error(valueNode, "role label '\(key)' must be \"true\", found '\(value)'")
            return false
        }
        return true
    }

    private func checkRoleCounts(_ hosts: [PendingHost], at node: Node, ensemble: Int) {
        let count = { (role: Role) in hosts.filter { $0.roles.contains(role) }.count }
        func require(_ ok: Bool, _ message: String, _ hint: String) {
            if !ok { reader.error(node, message, hint: hint) }
        }
        for role in [Role.etcd, .zk] {
            let n = count(role)
            require(n >= 3 && n % 2 == 1, "\(role.rawValue) needs an odd number of hosts, at least 3, for a quorum; found \(n)",
                    "give 3 or 5 hosts the role '\(role.rawValue)'")
        }
        let minio = count(.minio)
        require(minio >= 4, "minio needs at least 4 hosts for erasure coding; found \(minio)", "give 4 or more hosts the role 'minio'")
        let managers = count(.manager)
        // Docker's admin guide: an odd number for the Raft quorum, and no more than seven.
        require(managers >= 1 && managers % 2 == 1 && managers <= 7,
                "Swarm needs an odd number of managers, at most 7 (Docker recommends no more), for its Raft quorum; found \(managers)",
                "give 1, 3, 5 or 7 hosts the role 'manager'")
        for role in [Role.query, .index, .coord, .broker] {
            let n = count(role)
            require(n >= 1, "at least one host needs the role '\(role.rawValue)' (\(role.summary)); found none",
                    "add '\(role.rawValue)' to a host's roles")
        }
        let bookies = count(.bookie)
        require(bookies >= ensemble, "bookie needs at least as many hosts as the BookKeeper ensemble (\(ensemble)); found \(bookies)",
                "give at least \(ensemble) hosts the role 'bookie'")
    }

    /// MinIO's server pools (`minio_pool:`, 1 when not given): each pool is its own erasure set,
    /// named on every server's command line as one ellipsis range (`http://minio{5...8}/disk{1...2}`),
    /// so a pool's servers carry consecutive minio numbers, after the pool before it's, and it needs
    /// the 4 servers an erasure set needs (MinIO docs, "Expand a MinIO deployment": a new pool must
    /// meet the same erasure coding requirements as the original deployment).
    private func checkMinioPools(_ hosts: [PendingHost], numbers: [[Role: Int]], at node: Node) {
        for host in hosts where host.minioPool != nil && !host.roles.contains(.minio) {
            if let given = host.minioPool {
                reader.error(given.node, "minio_pool is set on a host without the role 'minio'", hint: "add 'minio' to its roles or remove minio_pool")
            }
        }
        let servers = hosts.indices.filter { hosts[$0].roles.contains(.minio) }
            .compactMap { index in numbers[index][.minio].map { (number: $0, pool: hosts[index].minioPool?.number ?? 1, host: hosts[index]) } }
            .sorted { $0.number < $1.number }
        let pools = Set(servers.map(\.pool)).sorted()
        guard pools.count > 1 || pools.first.map({ $0 != 1 }) == true else { return }
        if pools != Array(1...pools.count) {
            let missing = Array(1...(pools.last ?? 1)).filter { !pools.contains($0) }
            reader.error(node, "minio pools must be numbered 1, 2, ... without gaps; no host is in pool \(missing.map(String.init).joined(separator: ", "))",
                         hint: "give each new pool the next number")
            return
        }
        for (previous, server) in zip(servers, servers.dropFirst()) where server.pool < previous.pool {
            let at = server.host.minioPool?.node ?? server.host.node
            reader.error(at, "minio\(server.number) is in pool \(server.pool) but minio\(previous.number) is in pool \(previous.pool): "
                            + "a pool's servers are numbered after the pool before it's (each pool is one range, minio{a...b})",
                         hint: "number the new pool's hosts after the last server of the pools before it")
            return
        }
        for pool in pools {
            let members = servers.filter { $0.pool == pool }
            if members.count < 4 {
                reader.error(node, "minio pool \(pool) has \(members.count) server\(members.count == 1 ? "" : "s") (\(members.map { "minio\($0.number)" }.joined(separator: ", "))): "
                                + "a pool is an erasure set of its own and needs at least 4",
                             hint: "give the pool at least 4 hosts")
            }
        }
    }

    // MARK: helpers

    private func checked(_ node: Node, _ what: String, pattern: Pattern, rule: String) -> String? {
        guard let text = reader.string(node, what) else { return nil }
        guard pattern.matches(text) else {
            reader.error(node, "\(what) '\(text)' is not valid", hint: "use \(rule)")
            return nil
        }
        return text
    }
}
