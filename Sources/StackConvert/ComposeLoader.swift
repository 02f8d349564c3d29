import Compose
import Foundation
import Yams
import YAMLSource

/// Reads a stack file into the compose model: the keys swarmstage writes, checked
/// like the docker CLI's loader checks them (unknown keys are errors), with each
/// problem at its line and column. `$$` reads as `$`; `${VAR}` and `$VAR` take the
/// environment's value, and a variable that is not set is an error.
public struct ComposeLoader {
    let reader: YAMLReader
    let environment: [String: String]

    public init(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        reader = YAMLReader(file: file)
        self.environment = environment
    }

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ComposeFile {
        try ComposeLoader(file: path, environment: environment).parse(try InputFiles.readText(path))
    }

    public func parse(_ text: String) throws -> ComposeFile {
        let file = root(text)
        guard let file, reader.diagnostics.isEmpty else {
            throw InputError(reader.diagnostics.isEmpty
                ? [Diagnostic(SourceLocation(file: reader.file, line: 1, column: 1), "the stack file is empty")] : reader.diagnostics)
        }
        return file
    }

    // MARK: top level

    /// The compose file versions read: 3.8 (the oldest with every key swarmstage writes) to
    /// 3.13, the newest the docker CLI's loader knows (CLI 25-28: "unsupported Compose file
    /// version" beyond it). No version, "" or "3" is the newest, as in the CLI.
    static let oldestMinor = 8, newestMinor = 13

    /// The minor version of "3.N", "3" or ""; nil for anything else ("3.13.0", "4").
    static func minorVersion(_ version: String) -> Int? {
        if version.isEmpty || version == "3" { return newestMinor }
        guard version.hasPrefix("3."), let minor = Int(version.dropFirst(2)), String(minor) == version.dropFirst(2) else { return nil }
        return minor
    }

    /// `x-` keys are extension fields: the docker CLI accepts and ignores them (compose file format 3.4+).
    static func isExtension(_ key: String) -> Bool { key.hasPrefix("x-") }

    private func root(_ text: String) -> ComposeFile? {
        guard let root = reader.compose(text) else { return nil }
        guard let entries = reader.mapping(root, "the stack file") else { return nil }
        reader.checkKeys(entries.filter { !Self.isExtension($0.key) }, of: root, "the stack file",
                         allowed: ["version", "services", "networks", "configs", "secrets"], required: ["services"])
        var file = ComposeFile()
        var minor = Self.newestMinor
        if let versionNode = entries.first(where: { $0.key == "version" })?.value, let version = string(versionNode, "version") {
            if let known = Self.minorVersion(version), Self.oldestMinor...Self.newestMinor ~= known {
                minor = known
            } else {
                reader.error(versionNode, "compose file version \(version) is not supported",
                             hint: "use a version from \"3.\(Self.oldestMinor)\" to \"3.\(Self.newestMinor)\" (the newest the docker CLI reads), or \"3\"")
            }
        }
        for entry in entries {
            switch entry.key {
            case "services":
                file.services = (reader.mapping(entry.value, "services") ?? []).compactMap { service($0.key, $0.value, minor: minor) }
            case "networks":
                file.networks = (reader.mapping(entry.value, "networks") ?? []).compactMap { network($0.key, $0.value) }
            case "configs":
                file.configs = (reader.mapping(entry.value, "configs") ?? []).compactMap { config($0.key, $0.value) }
            case "secrets":
                file.secrets = (reader.mapping(entry.value, "secrets") ?? []).compactMap { secret($0.key, $0.value) }
            default:
                break
            }
        }
        checkReferences(file, root: root)
        return file.canonical
    }

    private func checkReferences(_ file: ComposeFile, root: Node) {
        let networks = Set(file.networks.map(\.key)), configs = Set(file.configs.map(\.key)), secrets = Set(file.secrets.map(\.key))
        let services = root["services"]?.mapping
        for service in file.services {
            let node = services?[Node(service.name)] ?? root
            for network in service.networks where !networks.contains(network) {
                reader.error(node, "service \(service.name) uses network '\(network)', which the file does not define under networks:")
            }
            for config in service.configs where !configs.contains(config.source) {
                reader.error(node, "service \(service.name) uses config '\(config.source)', which the file does not define under configs:")
            }
            for secret in service.secrets where !secrets.contains(secret.source) {
                reader.error(node, "service \(service.name) uses secret '\(secret.source)', which the file does not define under secrets:")
            }
        }
    }

    private func network(_ key: String, _ node: Node) -> Network? {
        guard let entries = reader.mapping(node, "network \(key)") else { return nil }
        reader.checkKeys(entries.filter { !Self.isExtension($0.key) }, of: node, "network \(key)", allowed: ["name", "external", "driver", "driver_opts", "attachable"])
        let value = { (name: String) in entries.first { $0.key == name }?.value }
        let external = value("external").flatMap { boolean($0, "external") } ?? false
        if let driver = value("driver").flatMap({ string($0, "driver") }), driver != "overlay" {
            reader.error(value("driver") ?? node, "network \(key): driver '\(driver)' cannot span a swarm", hint: "use overlay")
        }
        let name = value("name").flatMap { string($0, "network name") } ?? key
        var encrypted = false
        if let optionsNode = value("driver_opts"), let options = reader.mapping(optionsNode, "network \(key) driver_opts") {
            for option in options {
                guard option.key == "encrypted" else {
                    reader.error(option.keyNode, "network \(key): driver option '\(option.key)' is not supported", hint: "the overlay driver's 'encrypted' is")
                    continue
                }
                encrypted = true
            }
        }
        return Network(key: key, name: name, external: external, encrypted: encrypted)
    }

    private func config(_ key: String, _ node: Node) -> ConfigDefinition? {
        guard let entries = reader.mapping(node, "config \(key)") else { return nil }
        reader.checkKeys(entries.filter { !Self.isExtension($0.key) }, of: node, "config \(key)", allowed: ["name", "file"], required: ["file"])
        guard let file = entries.first(where: { $0.key == "file" }).flatMap({ string($0.value, "file") }) else { return nil }
        let name = entries.first { $0.key == "name" }.flatMap { string($0.value, "config name") } ?? key
        return ConfigDefinition(key: key, name: name, file: file)
    }

    private func secret(_ key: String, _ node: Node) -> SecretDefinition? {
        guard let entries = reader.mapping(node, "secret \(key)") else { return nil }
        reader.checkKeys(entries, of: node, "secret \(key)", allowed: ["name", "external"], required: ["external"])
        if let external = entries.first(where: { $0.key == "external" }), boolean(external.value, "external") != true {
            reader.error(external.value, "secret \(key) must be external: swarmstage creates secrets from the environment, never from files")
        }
        let name = entries.first { $0.key == "name" }.flatMap { string($0.value, "secret name") } ?? key
        return SecretDefinition(key: key, name: name)
    }

    // MARK: services

    static let serviceKeys = ["image", "hostname", "user", "entrypoint", "command", "environment", "configs", "secrets",
                              "volumes", "networks", "ports", "healthcheck", "stop_grace_period", "deploy"]

    private func service(_ name: String, _ node: Node, minor: Int) -> Service? {
        guard let entries = reader.mapping(node, "service \(name)") else { return nil }
        reader.checkKeys(entries.filter { !Self.isExtension($0.key) }, of: node, "service \(name)", allowed: Self.serviceKeys,
                         required: ["image", "deploy"])
        guard let imageNode = entries.first(where: { $0.key == "image" })?.value, let image = string(imageNode, "image"),
              let deployNode = entries.first(where: { $0.key == "deploy" })?.value, let deploy = deploy(deployNode, service: name)
        else { return nil }
        var service = Service(name: name, image: image, deploy: deploy)
        for entry in entries {
            let what = "\(name): \(entry.key)"
            switch entry.key {
            case "hostname": service.hostname = string(entry.value, what)
            case "user": service.user = string(entry.value, what)
            case "entrypoint": service.entrypoint = commandLine(entry.value, what)
            case "command": service.command = commandLine(entry.value, what)
            case "environment": service.environment = environment(entry.value, what)
            case "configs": service.configs = fileReferences(entry.value, what)
            case "secrets": service.secrets = fileReferences(entry.value, what)
            case "volumes": service.volumes = (reader.sequence(entry.value, what) ?? []).compactMap { volume($0, what) }
            case "networks":
                if entry.value.mapping != nil {
                    service.networks = (reader.mapping(entry.value, what) ?? []).map(\.key)
                } else {
                    service.networks = (reader.stringList(entry.value, what) ?? []).map { interpolate($0.0, $0.1) }
                }
            case "ports": service.ports = (reader.sequence(entry.value, what) ?? []).compactMap { port($0, what) }
            case "healthcheck": service.healthcheck = healthcheck(entry.value, what, minor: minor)
            case "stop_grace_period": service.stopGracePeriodSeconds = seconds(entry.value, what)
            default: break
            }
        }
        // An update Swarm could never finish is refused here, not found stuck later.
        if let blocker = UpdateProgress.blocker(service, eligibleNodes: nil) {
            reader.error(deployNode, "service \(name): \(blocker)")
        }
        return service
    }

    private func commandLine(_ node: Node, _ what: String) -> [String]? {
        if node.scalar != nil, let text = string(node, what) {
            return text.split(separator: " ").map(String.init)
        }
        return reader.stringList(node, what)?.map { interpolate($0.0, $0.1) }
    }

    private func environment(_ node: Node, _ what: String) -> [String: String] {
        var result: [String: String] = [:]
        if node.sequence != nil {
            for (item, itemNode) in reader.stringList(node, what) ?? [] {
                let parts = interpolate(item, itemNode).split(separator: "=", maxSplits: 1).map(String.init)
                result[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            return result
        }
        for entry in reader.mapping(node, what) ?? [] {
            guard let scalar = entry.value.scalar else {
                reader.error(entry.value, "\(what): \(entry.key) must be a single value")
                continue
            }
            result[entry.key] = interpolate(scalar.string, entry.value)
        }
        return result
    }

    private func fileReferences(_ node: Node, _ what: String) -> [ServiceFileReference] {
        (reader.sequence(node, what) ?? []).compactMap { item in
            if item.scalar != nil, let source = string(item, what) { return ServiceFileReference(source: source, target: source) }
            guard let entries = reader.mapping(item, what) else { return nil }
            reader.checkKeys(entries, of: item, what, allowed: ["source", "target", "mode", "uid", "gid"], required: ["source"])
            guard let source = entries.first(where: { $0.key == "source" }).flatMap({ string($0.value, "source") }) else { return nil }
            let target = entries.first { $0.key == "target" }.flatMap { string($0.value, "target") } ?? source
            let mode = entries.first { $0.key == "mode" }.flatMap { reader.integer($0.value, "mode", in: 0...0o7777) }
            return ServiceFileReference(source: source, target: target, mode: mode)
        }
    }

    private func volume(_ node: Node, _ what: String) -> BindMount? {
        if node.scalar != nil, let text = string(node, what) {
            let parts = text.split(separator: ":").map(String.init)
            guard parts.count >= 2, parts[0].hasPrefix("/") else {
                reader.error(node, "\(what): '\(text)' is not a bind mount of an absolute host path",
                             hint: "named volumes and relative paths are not used by swarmstage; write /host/path:/container/path")
                return nil
            }
            return BindMount(source: parts[0], target: parts[1], readOnly: parts.count > 2 && parts[2] == "ro")
        }
        guard let entries = reader.mapping(node, what) else { return nil }
        reader.checkKeys(entries, of: node, what, allowed: ["type", "source", "target", "read_only"], required: ["type", "source", "target"])
        let value = { (name: String) in entries.first { $0.key == name }?.value }
        guard let type = value("type").flatMap({ string($0, "type") }) else { return nil }
        guard type == "bind" else {
            reader.error(value("type") ?? node, "\(what): volume type '\(type)' is not supported", hint: "use type: bind with an absolute source")
            return nil
        }
        guard let source = value("source").flatMap({ string($0, "source") }), let target = value("target").flatMap({ string($0, "target") })
        else { return nil }
        if !source.hasPrefix("/"), let sourceNode = value("source") {
            reader.error(sourceNode, "\(what): bind source '\(source)' must be an absolute path",
                         hint: "relative bind mounts need a copy on every host; use a config instead")
        }
        return BindMount(source: source, target: target, readOnly: value("read_only").flatMap { boolean($0, "read_only") } ?? false)
    }

    private func port(_ node: Node, _ what: String) -> PublishedPort? {
        guard let entries = reader.mapping(node, what) else { return nil }
        reader.checkKeys(entries, of: node, what, allowed: ["target", "published", "protocol", "mode"], required: ["target", "published"])
        let value = { (name: String) in entries.first { $0.key == name }?.value }
        guard let target = value("target").flatMap({ reader.integer($0, "target", in: 1...65535) }),
              let published = value("published").flatMap({ reader.integer($0, "published", in: 1...65535) }) else { return nil }
        var mode = PublishedPort.Mode.ingress
        if let modeNode = value("mode"), let text = string(modeNode, "mode") {
            guard let parsed = PublishedPort.Mode(rawValue: text) else {
                reader.error(modeNode, "\(what): port mode '\(text)' is not host or ingress")
                return nil
            }
            mode = parsed
        }
        if let protocolNode = value("protocol"), let text = string(protocolNode, "protocol"), text != "tcp" {
            reader.error(protocolNode, "\(what): only tcp ports are used by swarmstage")
        }
        return PublishedPort(target: target, published: published, mode: mode)
    }

    private func healthcheck(_ node: Node, _ what: String, minor: Int) -> Healthcheck? {
        guard let entries = reader.mapping(node, what) else { return nil }
        // `start_interval` came with compose file 3.12; the CLI's schema for older versions refuses it.
        let allowed = ["test", "interval", "timeout", "retries", "start_period", "disable", "start_interval"]
        reader.checkKeys(entries, of: node, what, allowed: allowed)
        if minor < 12, let early = entries.first(where: { $0.key == "start_interval" }) {
            reader.error(early.keyNode, "\(what): start_interval needs compose file version 3.12 or later (this file says 3.\(minor))",
                         hint: "set version: \"3.12\", or remove start_interval")
        }
        var check = Healthcheck(test: [])
        for entry in entries {
            switch entry.key {
            case "test":
                if entry.value.scalar != nil, let text = string(entry.value, "test") {
                    check.test = ["CMD-SHELL", text]
                } else {
                    check.test = (reader.stringList(entry.value, "test") ?? []).map { interpolate($0.0, $0.1) }
                }
            case "disable":
                if boolean(entry.value, "disable") == true { check.test = ["NONE"] }
            case "interval": check.intervalSeconds = seconds(entry.value, "interval")
            case "timeout": check.timeoutSeconds = seconds(entry.value, "timeout")
            case "start_period": check.startPeriodSeconds = seconds(entry.value, "start_period")
            case "start_interval": check.startIntervalSeconds = seconds(entry.value, "start_interval")
            case "retries": check.retries = reader.integer(entry.value, "retries", in: Self.count)
            default: break
            }
        }
        if check.test == ["NONE"] { return .disabled }
        if let first = check.test.first, !["CMD", "CMD-SHELL", "NONE"].contains(first) {
            reader.error(node, "\(what): test must start with CMD, CMD-SHELL or NONE, found '\(first)'")
        }
        return check
    }

    // MARK: deploy

    private func deploy(_ node: Node, service: String) -> Deploy? {
        let what = "\(service): deploy"
        guard let entries = reader.mapping(node, what) else { return nil }
        reader.checkKeys(entries, of: node, what, allowed: ["mode", "replicas", "endpoint_mode", "labels", "placement", "resources",
                                                            "restart_policy", "update_config", "rollback_config"])
        var deploy = Deploy(mode: .replicated, endpointMode: .vip, restartPolicy: RestartPolicy(condition: .any, delaySeconds: 5))
        for entry in entries {
            switch entry.key {
            case "mode":
                if let text = string(entry.value, "mode") {
                    if let mode = Deploy.Mode(rawValue: text) { deploy.mode = mode } else {
                        reader.error(entry.value, "\(what): mode '\(text)' is not replicated, global or replicated-job")
                    }
                }
            case "replicas": deploy.replicas = reader.integer(entry.value, "replicas", in: Self.count)
            case "endpoint_mode":
                if let text = string(entry.value, "endpoint_mode") {
                    if let mode = Deploy.EndpointMode(rawValue: text) { deploy.endpointMode = mode } else {
                        reader.error(entry.value, "\(what): endpoint_mode '\(text)' is not vip or dnsrr")
                    }
                }
            case "labels": deploy.labels = environment(entry.value, "\(what): labels")
            case "placement":
                guard let placement = reader.mapping(entry.value, "\(what): placement") else { continue }
                reader.checkKeys(placement, of: entry.value, "\(what): placement", allowed: ["constraints", "max_replicas_per_node"])
                for item in placement {
                    if item.key == "constraints" {
                        deploy.constraints = (reader.stringList(item.value, "constraints") ?? []).map { interpolate($0.0, $0.1) }
                    } else {
                        deploy.maxReplicasPerNode = reader.integer(item.value, "max_replicas_per_node", in: Self.count)
                    }
                }
            case "resources":
                guard let resources = reader.mapping(entry.value, "\(what): resources") else { continue }
                reader.checkKeys(resources, of: entry.value, "\(what): resources", allowed: ["limits"])
                if let limits = resources.first(where: { $0.key == "limits" }) { deploy.limits = self.limits(limits.value, what) }
            case "restart_policy":
                if let policy = restartPolicy(entry.value, what) { deploy.restartPolicy = policy }
            case "update_config": deploy.updateConfig = updateConfig(entry.value, "\(what): update_config")
            case "rollback_config": deploy.rollbackConfig = updateConfig(entry.value, "\(what): rollback_config")
            default: break
            }
        }
        if deploy.mode == .global, deploy.replicas != nil {
            reader.error(node, "\(what): a global service cannot have replicas")
        }
        return deploy
    }

    private func limits(_ node: Node, _ what: String) -> ResourceLimits? {
        guard let entries = reader.mapping(node, "\(what): limits") else { return nil }
        reader.checkKeys(entries, of: node, "\(what): limits", allowed: ["cpus", "memory"], required: ["cpus", "memory"])
        guard let cpusNode = entries.first(where: { $0.key == "cpus" })?.value, let cpusText = string(cpusNode, "cpus"),
              let memoryNode = entries.first(where: { $0.key == "memory" })?.value, let memoryText = string(memoryNode, "memory")
        else { return nil }
        guard let centi = Units.centiCPUs(cpusText) else {
            reader.error(cpusNode, "cpus '\(Self.capped(cpusText))' is not a number of CPUs with at most two decimals, at most \(Units.maxCPUs)")
            return nil
        }
        guard let mebibytes = Units.mebibytes(memoryText) else {
            reader.error(memoryNode, "memory '\(Self.capped(memoryText))' is not a whole number of MiB (e.g. 512M, 8G) of at most \(Units.maxMebibytes)M")
            return nil
        }
        return ResourceLimits(centiCPUs: centi, memoryMiB: mebibytes)
    }

    private func restartPolicy(_ node: Node, _ what: String) -> RestartPolicy? {
        guard let entries = reader.mapping(node, "\(what): restart_policy") else { return nil }
        reader.checkKeys(entries, of: node, "\(what): restart_policy", allowed: ["condition", "delay", "max_attempts", "window"])
        var policy = RestartPolicy(condition: .any, delaySeconds: 5)
        for entry in entries {
            switch entry.key {
            case "condition":
                if let text = string(entry.value, "condition") {
                    if let condition = RestartPolicy.Condition(rawValue: text) { policy.condition = condition } else {
                        reader.error(entry.value, "restart condition '\(text)' is not none, on-failure or any")
                    }
                }
            case "delay": policy.delaySeconds = seconds(entry.value, "delay") ?? policy.delaySeconds
            case "max_attempts": policy.maxAttempts = reader.integer(entry.value, "max_attempts", in: Self.count)
            case "window": policy.windowSeconds = seconds(entry.value, "window")
            default: break
            }
        }
        return policy
    }

    private func updateConfig(_ node: Node, _ what: String) -> UpdateConfig? {
        guard let entries = reader.mapping(node, what) else { return nil }
        reader.checkKeys(entries, of: node, what, allowed: ["parallelism", "delay", "order", "failure_action", "monitor"])
        var config = UpdateConfig()
        for entry in entries {
            switch entry.key {
            case "parallelism": config.parallelism = reader.integer(entry.value, "parallelism", in: Self.count) ?? config.parallelism
            case "delay": config.delaySeconds = seconds(entry.value, "delay") ?? config.delaySeconds
            case "monitor": config.monitorSeconds = seconds(entry.value, "monitor") ?? config.monitorSeconds
            case "order":
                if let text = string(entry.value, "order") {
                    if let order = UpdateConfig.Order(rawValue: text) { config.order = order } else {
                        reader.error(entry.value, "order '\(text)' is not stop-first or start-first")
                    }
                }
            case "failure_action":
                if let text = string(entry.value, "failure_action") {
                    if let action = UpdateConfig.FailureAction(rawValue: text) { config.failureAction = action } else {
                        reader.error(entry.value, "failure_action '\(text)' is not pause, rollback or continue")
                    }
                }
            default: break
            }
        }
        return config
    }

    // MARK: scalars

    private func string(_ node: Node, _ what: String) -> String? {
        reader.string(node, what).map { interpolate($0, node) }
    }

    private func boolean(_ node: Node, _ what: String) -> Bool? {
        guard let text = reader.string(node, what) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            reader.error(node, "\(what) must be true or false, found '\(text)'")
            return nil
        }
    }

    /// Counts (replicas, retries, attempts, parallelism): never negative, and small enough for any
    /// arithmetic on them.
    static let count = 0...Int(Int32.max)

    /// A value quoted in a message, cut short when it is long.
    static func capped(_ text: String) -> String { text.count > 40 ? String(text.prefix(40)) + "..." : text }

    private func seconds(_ node: Node, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Units.seconds(text) else {
            reader.error(node, "\(what) '\(Self.capped(text))' is not a duration in whole seconds of at most \(Units.maxSeconds)",
                         hint: "write it like 10s, 1m30s or 2h")
            return nil
        }
        return value
    }

    /// `$$` -> `$`; `${NAME}`, `${NAME:-default}` and `$NAME` from the environment.
    func interpolate(_ text: String, _ node: Node) -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else {
                out.append(character)
                index = text.index(after: index)
                continue
            }
            let next = text.index(after: index)
            if next < text.endIndex, text[next] == "$" {
                out.append("$")
                index = text.index(after: next)
                continue
            }
            var name = ""
            var end = next
            if next < text.endIndex, text[next] == "{" {
                guard let close = text[next...].firstIndex(of: "}") else {
                    reader.error(node, "unclosed ${ in '\(text)'", hint: "write $$ for a literal $")
                    return text
                }
                let inner = String(text[text.index(after: next)..<close])
                // The docker CLI's forms (cli/compose/template): ${VAR:-default} (unset or empty),
                // ${VAR-default} (unset), ${VAR:?message} (unset or empty: refused), ${VAR?message} (unset: refused).
                let forms: [(String, Bool, Bool)] = [(":-", true, false), (":?", true, true), ("-", false, false), ("?", false, true)]
                var parsed: (name: String, operand: String, emptyCounts: Bool, required: Bool)?
                for (separator, emptyCounts, required) in forms {
                    if let range = inner.range(of: separator), !inner[..<range.lowerBound].contains(where: { !($0.isLetter || $0.isNumber || $0 == "_") }) {
                        parsed = (String(inner[..<range.lowerBound]), String(inner[range.upperBound...]), emptyCounts, required)
                        break
                    }
                }
                end = text.index(after: close)
                if let parsed {
                    let value = environment[parsed.name]
                    let missing = value == nil || (parsed.emptyCounts && value?.isEmpty == true)
                    if !missing, let value {
                        out += value
                    } else if parsed.required {
                        let message = parsed.operand.isEmpty ? "variable \(parsed.name) is not set" : "variable \(parsed.name): \(parsed.operand)"
                        reader.error(node, message.count > 200 ? String(message.prefix(200)) + "..." : message)
                    } else {
                        out += parsed.operand
                    }
                    index = end
                    continue
                }
                name = inner
            } else {
                while end < text.endIndex, text[end].isLetter || text[end].isNumber || text[end] == "_" { end = text.index(after: end) }
                name = String(text[next..<end])
            }
            if name.isEmpty {
                reader.error(node, "a lone $ in '\(text)'", hint: "write $$ for a literal $")
                return text
            }
            if let value = environment[name] {
                out += value
            } else {
                reader.error(node, "variable \(name) is not set", hint: "set it in the environment, or write $$ for a literal $")
            }
            index = end
        }
        return out
    }
}
