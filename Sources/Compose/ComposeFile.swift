/// The part of the compose file format (version 3.12) that swarmstage writes and
/// `docker stack deploy` reads. Lists are kept in a fixed order so that the same
/// model always prints the same bytes. 3.12 is the first version whose healthchecks
/// take `start_interval` (docker CLI 25 and later read it).
public struct ComposeFile: Sendable, Equatable {
    public static let version = "3.12"

    public var services: [Service]
    public var networks: [Network]
    public var configs: [ConfigDefinition]
    public var secrets: [SecretDefinition]

    public init(services: [Service] = [], networks: [Network] = [], configs: [ConfigDefinition] = [], secrets: [SecretDefinition] = []) {
        self.services = services
        self.networks = networks
        self.configs = configs
        self.secrets = secrets
    }

    public func service(named name: String) -> Service? { services.first { $0.name == name } }

    /// The same file with every unordered list in the one order it is written in.
    public var canonical: ComposeFile {
        var copy = self
        copy.services = services.map(\.canonical)
        return copy
    }

    public var yamlValue: YAMLValue {
        var root = YAMLMapBuilder()
        root.add("version", ComposeFile.version)
        root.add("services", YAMLValue.map(services.map { ($0.name, $0.yamlValue) }))
        root.add("networks", YAMLValue.map(networks.map { ($0.key, $0.yamlValue) }))
        root.add("configs", YAMLValue.map(configs.map { ($0.key, $0.yamlValue) }))
        root.add("secrets", YAMLValue.map(secrets.map { ($0.key, $0.yamlValue) }))
        return root.value
    }

    /// The file's text: a header comment, then the model, with `$` escaped for
    /// the docker CLI's interpolation.
    public func render(header: [String]) -> String {
        YAMLWriter.render(yamlValue, header: header, escapeDollars: true)
    }
}

public struct Service: Sendable, Equatable {
    public var name: String
    public var image: String
    public var hostname: String?
    public var user: String?
    public var entrypoint: [String]?
    public var command: [String]?
    /// Sorted by key when rendered.
    public var environment: [String: String] = [:]
    public var configs: [ServiceFileReference] = []
    public var secrets: [ServiceFileReference] = []
    public var volumes: [BindMount] = []
    public var networks: [String] = []
    public var ports: [PublishedPort] = []
    public var healthcheck: Healthcheck?
    public var stopGracePeriodSeconds: Int?
    public var deploy: Deploy

    public init(name: String, image: String, deploy: Deploy) {
        self.name = name
        self.image = image
        self.deploy = deploy
    }

    /// The lists whose order means nothing, sorted as they are written.
    public var canonical: Service {
        var copy = self
        copy.configs.sort { $0.target < $1.target }
        copy.secrets.sort { $0.target < $1.target }
        copy.volumes.sort { $0.target < $1.target }
        copy.networks.sort()
        copy.ports.sort { ($0.target, $0.published) < ($1.target, $1.published) }
        copy.deploy.constraints.sort()
        return copy
    }

    public var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("image", image)
        map.add("hostname", hostname)
        map.add("user", user)
        map.add("entrypoint", strings: entrypoint)
        map.add("command", strings: command)
        map.add("environment", YAMLValue.map(environment.keys.sorted().map { ($0, YAMLValue.string(environment[$0] ?? "")) }))
        map.add("configs", YAMLValue.list(configs.sorted { $0.target < $1.target }.map(\.yamlValue)))
        map.add("secrets", YAMLValue.list(secrets.sorted { $0.target < $1.target }.map(\.yamlValue)))
        map.add("volumes", YAMLValue.list(volumes.sorted { $0.target < $1.target }.map(\.yamlValue)))
        map.add("networks", strings: networks.sorted())
        map.add("ports", YAMLValue.list(ports.sorted { ($0.target, $0.published) < ($1.target, $1.published) }.map(\.yamlValue)))
        map.add("healthcheck", healthcheck?.yamlValue)
        map.add("stop_grace_period", stopGracePeriodSeconds.map { "\($0)s" })
        map.add("deploy", deploy.yamlValue)
        return map.value
    }
}

/// A config or secret mounted into a service's containers.
public struct ServiceFileReference: Sendable, Equatable {
    public var source: String
    public var target: String
    public var mode: Int?

    public init(source: String, target: String, mode: Int? = nil) {
        self.source = source
        self.target = target
        self.mode = mode
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("source", source)
        map.add("target", target)
        if let mode { map.add("mode", YAMLValue.int(Int64(mode))) }
        return map.value
    }
}

/// A host directory bind-mounted into a container (long syntax, so nothing is guessed).
public struct BindMount: Sendable, Equatable {
    public var source: String
    public var target: String
    public var readOnly: Bool

    public init(source: String, target: String, readOnly: Bool = false) {
        self.source = source
        self.target = target
        self.readOnly = readOnly
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("type", "bind")
        map.add("source", source)
        map.add("target", target)
        if readOnly { map.add("read_only", true) }
        return map.value
    }
}

public struct PublishedPort: Sendable, Equatable {
    public enum Mode: String, Sendable { case host, ingress }

    public var target: Int
    public var published: Int
    public var mode: Mode

    public init(target: Int, published: Int, mode: Mode = .host) {
        self.target = target
        self.published = published
        self.mode = mode
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("target", target)
        map.add("published", published)
        map.add("protocol", "tcp")
        map.add("mode", mode.rawValue)
        return map.value
    }
}

public struct Healthcheck: Sendable, Equatable {
    /// `["CMD", ...]` or `["CMD-SHELL", "..."]`.
    public var test: [String]
    /// Each field left out (nil) is the Engine's default, as the docker CLI leaves it out.
    public var intervalSeconds: Int?
    public var timeoutSeconds: Int?
    public var retries: Int?
    public var startPeriodSeconds: Int?
    /// The cadence while the task is starting (compose file 3.12+, Engine API 1.44+).
    public var startIntervalSeconds: Int?

    public init(test: [String], intervalSeconds: Int? = nil, timeoutSeconds: Int? = nil, retries: Int? = nil,
                startPeriodSeconds: Int? = nil, startIntervalSeconds: Int? = nil) {
        self.test = test
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
        self.retries = retries
        self.startPeriodSeconds = startPeriodSeconds
        self.startIntervalSeconds = startIntervalSeconds
    }

    /// No container healthcheck (also overrides one the image declares).
    public static let disabled = Healthcheck(test: ["NONE"])

    public var isDisabled: Bool { test == ["NONE"] }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        if isDisabled {
            map.add("disable", true)
            return map.value
        }
        map.add("test", strings: test)
        if let intervalSeconds { map.add("interval", "\(intervalSeconds)s") }
        if let timeoutSeconds { map.add("timeout", "\(timeoutSeconds)s") }
        if let retries { map.add("retries", retries) }
        if let startPeriodSeconds { map.add("start_period", "\(startPeriodSeconds)s") }
        if let startIntervalSeconds { map.add("start_interval", "\(startIntervalSeconds)s") }
        return map.value
    }
}

public struct Deploy: Sendable, Equatable {
    public enum Mode: String, Sendable {
        case replicated, global
        /// Runs to completion once (Swarm jobs, API 1.41+).
        case replicatedJob = "replicated-job"
    }

    public enum EndpointMode: String, Sendable { case vip, dnsrr }

    public var mode: Mode
    public var replicas: Int?
    public var maxReplicasPerNode: Int?
    public var constraints: [String]
    public var endpointMode: EndpointMode
    public var labels: [String: String]
    public var limits: ResourceLimits?
    public var restartPolicy: RestartPolicy
    public var updateConfig: UpdateConfig?
    public var rollbackConfig: UpdateConfig?

    public init(mode: Mode, replicas: Int? = nil, maxReplicasPerNode: Int? = nil, constraints: [String] = [],
                endpointMode: EndpointMode = .dnsrr, labels: [String: String] = [:], limits: ResourceLimits? = nil,
                restartPolicy: RestartPolicy, updateConfig: UpdateConfig? = nil, rollbackConfig: UpdateConfig? = nil) {
        self.mode = mode
        self.replicas = replicas
        self.maxReplicasPerNode = maxReplicasPerNode
        self.constraints = constraints
        self.endpointMode = endpointMode
        self.labels = labels
        self.limits = limits
        self.restartPolicy = restartPolicy
        self.updateConfig = updateConfig
        self.rollbackConfig = rollbackConfig
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("mode", mode.rawValue)
        map.add("replicas", replicas)
        map.add("endpoint_mode", endpointMode.rawValue)
        map.add("labels", YAMLValue.map(labels.keys.sorted().map { ($0, YAMLValue.string(labels[$0] ?? "")) }))
        var placement = YAMLMapBuilder()
        placement.add("constraints", strings: constraints.sorted())
        placement.add("max_replicas_per_node", maxReplicasPerNode)
        map.add("placement", placement.value)
        if let limits {
            var resources = YAMLMapBuilder()
            resources.add("limits", limits.yamlValue)
            map.add("resources", resources.value)
        }
        map.add("restart_policy", restartPolicy.yamlValue)
        map.add("update_config", updateConfig?.yamlValue)
        map.add("rollback_config", rollbackConfig?.yamlValue)
        return map.value
    }
}

public struct ResourceLimits: Sendable, Equatable {
    /// Hundredths of a CPU, so the value prints exactly (`cpus: "7.2"`).
    public var centiCPUs: Int
    public var memoryMiB: Int64

    public init(centiCPUs: Int, memoryMiB: Int64) {
        self.centiCPUs = centiCPUs
        self.memoryMiB = memoryMiB
    }

    public var cpusText: String {
        let whole = centiCPUs / 100, fraction = centiCPUs % 100
        if fraction == 0 { return "\(whole)" }
        let digits = fraction % 10 == 0 ? "\(fraction / 10)" : (fraction < 10 ? "0\(fraction)" : "\(fraction)")
        return "\(whole).\(digits)"
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("cpus", cpusText)
        map.add("memory", "\(memoryMiB)M")
        return map.value
    }
}

public struct RestartPolicy: Sendable, Equatable {
    public enum Condition: String, Sendable { case none, onFailure = "on-failure", any }

    public var condition: Condition
    public var delaySeconds: Int
    public var maxAttempts: Int?
    public var windowSeconds: Int?

    public init(condition: Condition, delaySeconds: Int = 5, maxAttempts: Int? = nil, windowSeconds: Int? = nil) {
        self.condition = condition
        self.delaySeconds = delaySeconds
        self.maxAttempts = maxAttempts
        self.windowSeconds = windowSeconds
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("condition", condition.rawValue)
        map.add("delay", "\(delaySeconds)s")
        map.add("max_attempts", maxAttempts)
        map.add("window", windowSeconds.map { "\($0)s" })
        return map.value
    }
}

public struct UpdateConfig: Sendable, Equatable {
    public enum Order: String, Sendable { case stopFirst = "stop-first", startFirst = "start-first" }
    public enum FailureAction: String, Sendable { case pause, rollback, `continue` }

    public var parallelism: Int
    public var delaySeconds: Int
    public var order: Order
    public var failureAction: FailureAction
    public var monitorSeconds: Int

    public init(parallelism: Int = 1, delaySeconds: Int = 10, order: Order = .stopFirst,
                failureAction: FailureAction = .rollback, monitorSeconds: Int = 15) {
        self.parallelism = parallelism
        self.delaySeconds = delaySeconds
        self.order = order
        self.failureAction = failureAction
        self.monitorSeconds = monitorSeconds
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("parallelism", parallelism)
        map.add("delay", "\(delaySeconds)s")
        map.add("order", order.rawValue)
        map.add("failure_action", failureAction.rawValue)
        map.add("monitor", "\(monitorSeconds)s")
        return map.value
    }
}

public struct Network: Sendable, Equatable {
    public var key: String
    /// The network's real name, shared by all stacks.
    public var name: String
    public var external: Bool
    /// Overlay traffic between hosts goes through IPsec (`driver_opts: {encrypted: ""}`).
    public var encrypted: Bool

    public init(key: String, name: String, external: Bool, encrypted: Bool = false) {
        self.key = key
        self.name = name
        self.external = external
        self.encrypted = encrypted
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("name", name)
        if external {
            map.add("external", true)
        } else {
            map.add("driver", "overlay")
            if encrypted {
                var options = YAMLMapBuilder()
                options.add("encrypted", "")
                map.add("driver_opts", options.value)
            }
            map.add("attachable", true)
        }
        return map.value
    }
}

/// A Swarm config made from a file next to the stack file. `name` carries a content
/// hash: configs are immutable in Swarm, so new content means a new config.
public struct ConfigDefinition: Sendable, Equatable {
    public var key: String
    public var name: String
    /// Relative to the stack file.
    public var file: String

    public init(key: String, name: String, file: String) {
        self.key = key
        self.name = name
        self.file = file
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("name", name)
        map.add("file", file)
        return map.value
    }
}

/// A secret the deployer creates from the operator's environment; the stack file
/// only names it, so no credential is ever written into a generated file.
public struct SecretDefinition: Sendable, Equatable {
    public var key: String
    public var name: String

    public init(key: String, name: String) {
        self.key = key
        self.name = name
    }

    var yamlValue: YAMLValue {
        var map = YAMLMapBuilder()
        map.add("name", name)
        map.add("external", true)
        return map.value
    }
}
