import Compose
import SwarmModel

/// Compose model -> Engine specs with the docker CLI's semantics (docker/cli's
/// `cli/compose/convert`): names scoped `<stack>_<key>` unless the file names them,
/// the namespace label on everything, the service key as a network alias, durations
/// in nanoseconds, and every list sorted, because the Engine restarts tasks whenever
/// the task spec differs, so an unsorted spec would redeploy on every run.
public enum StackConverter {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - configData: the contents of each config file, by the `file:` path the compose file gives.
    ///   - configIDs, secretIDs: IDs of existing objects by name; unknown ones are left empty
    ///     (fill them with `resolvingReferences` once the objects exist).
    public static func convert(_ file: ComposeFile, stack: String, configData: [String: [UInt8]]) throws -> StackSpec {
        let namespace = [StackLabels.namespace: stack]
        let networks = file.networks.map { network in
            NetworkSpec(name: network.name, external: network.external, labels: namespace, attachable: true,
                        encrypted: network.encrypted)
        }
        var configs: [FileObjectSpec] = []
        for config in file.configs {
            guard let data = configData[config.file] else {
                throw Failure(description: "config \(config.key): no file \(config.file) next to the stack file")
            }
            configs.append(FileObjectSpec(name: config.name, labels: namespace, data: data))
        }
        let networkNames = Dictionary(uniqueKeysWithValues: file.networks.map { ($0.key, $0.name) })
        let configNames = Dictionary(uniqueKeysWithValues: file.configs.map { ($0.key, $0.name) })
        let secretNames = Dictionary(uniqueKeysWithValues: file.secrets.map { ($0.key, $0.name) })
        let services = try file.services.map { service in
            try convert(service, stack: stack, networks: networkNames, configs: configNames, secrets: secretNames)
        }
        return StackSpec(name: stack, networks: networks, configs: configs, secrets: file.secrets.map(\.name).sorted(), services: services)
    }

    static func convert(_ service: Service, stack: String, networks: [String: String], configs: [String: String],
                        secrets: [String: String]) throws -> ServiceSpec {
        let deploy = service.deploy
        var labels = deploy.labels
        labels[StackLabels.namespace] = stack
        labels[StackLabels.image] = service.image

        let attachments = try (service.networks.isEmpty ? ["default"] : service.networks).map { key -> NetworkAttachment in
            guard let name = networks[key] ?? (key == "default" ? "\(stack)_default" : nil) else {
                throw Failure(description: "service \(service.name): network \(key) is not defined")
            }
            return NetworkAttachment(Target: name, Aliases: [service.name])
        }.sorted { $0.Target < $1.Target }

        let configReferences = try service.configs.map { reference -> ConfigReference in
            guard let name = configs[reference.source] else { throw Failure(description: "service \(service.name): config \(reference.source) is not defined") }
            return ConfigReference(File: FileTarget(Name: reference.target, Mode: UInt32(reference.mode ?? 0o444)), ConfigID: "", ConfigName: name)
        }.sorted { $0.File?.Name ?? "" < $1.File?.Name ?? "" }
        let secretReferences = try service.secrets.map { reference -> SecretReference in
            guard let name = secrets[reference.source] else { throw Failure(description: "service \(service.name): secret \(reference.source) is not defined") }
            return SecretReference(File: FileTarget(Name: reference.target, Mode: UInt32(reference.mode ?? 0o444)), SecretID: "", SecretName: name)
        }.sorted { $0.File?.Name ?? "" < $1.File?.Name ?? "" }

        let container = ContainerSpec(
            Image: service.image,
            Labels: [StackLabels.namespace: stack],
            Command: service.entrypoint,
            Args: service.command,
            Hostname: service.hostname,
            Env: service.environment.keys.sorted().map { "\($0)=\(service.environment[$0] ?? "")" },
            User: service.user,
            Mounts: service.volumes.sorted { $0.target < $1.target }.map {
                Mount(Type: "bind", Source: $0.source, Target: $0.target, ReadOnly: $0.readOnly ? true : nil)
            },
            StopGracePeriod: service.stopGracePeriodSeconds.map(nanoseconds),
            Healthcheck: service.healthcheck.map {
                $0.isDisabled ? HealthConfig(Test: ["NONE"])
                    : HealthConfig(Test: $0.test, Interval: $0.intervalSeconds.map(nanoseconds), Timeout: $0.timeoutSeconds.map(nanoseconds),
                                   Retries: $0.retries, StartPeriod: $0.startPeriodSeconds.map(nanoseconds),
                                   StartInterval: $0.startIntervalSeconds.map(nanoseconds))
            },
            Configs: configReferences,
            Secrets: secretReferences)

        let mode: ServiceMode
        switch deploy.mode {
        case .replicated: mode = ServiceMode(Replicated: .init(Replicas: UInt64(deploy.replicas ?? 1)))
        case .global: mode = ServiceMode(Global: .init())
        case .replicatedJob:
            let count = UInt64(deploy.replicas ?? 1)
            mode = ServiceMode(ReplicatedJob: .init(MaxConcurrent: count, TotalCompletions: count))
        }

        return ServiceSpec(
            Name: "\(stack)_\(service.name)",
            Labels: labels,
            TaskTemplate: TaskSpec(
                ContainerSpec: container,
                Resources: deploy.limits.map {
                    ResourceRequirements(Limits: Resources(NanoCPUs: Int64($0.centiCPUs) * 10_000_000, MemoryBytes: $0.memoryMiB << 20))
                },
                RestartPolicy: SwarmModel.RestartPolicy(
                    Condition: deploy.restartPolicy.condition.rawValue,
                    Delay: nanoseconds(deploy.restartPolicy.delaySeconds),
                    MaxAttempts: deploy.restartPolicy.maxAttempts.map(UInt64.init),
                    Window: deploy.restartPolicy.windowSeconds.map(nanoseconds)),
                Placement: Placement(Constraints: deploy.constraints.sorted(), MaxReplicas: deploy.maxReplicasPerNode.map(UInt64.init)),
                Networks: attachments),
            Mode: mode,
            UpdateConfig: deploy.updateConfig.map(convert),
            RollbackConfig: deploy.rollbackConfig.map(convert),
            EndpointSpec: EndpointSpec(
                Mode: deploy.endpointMode.rawValue,
                Ports: service.ports.sorted { ($0.target, $0.published) < ($1.target, $1.published) }.map {
                    PortConfig(Protocol: "tcp", TargetPort: UInt32($0.target), PublishedPort: UInt32($0.published), PublishMode: $0.mode.rawValue)
                }))
    }

    static func convert(_ config: Compose.UpdateConfig) -> SwarmModel.UpdateConfig {
        SwarmModel.UpdateConfig(Parallelism: UInt64(config.parallelism), Delay: nanoseconds(config.delaySeconds),
                            FailureAction: config.failureAction.rawValue, Monitor: nanoseconds(config.monitorSeconds),
                            MaxFailureRatio: 0, Order: config.order.rawValue)
    }

    static func nanoseconds(_ seconds: Int) -> Int64 { Int64(seconds) * 1_000_000_000 }

    /// Fills config, secret and network IDs from the names the Engine knows (the
    /// Engine stores network attachments by ID, whatever name they were created with).
    public static func resolvingReferences(_ spec: ServiceSpec, configIDs: [String: String], secretIDs: [String: String],
                                           networkIDs: [String: String] = [:]) -> ServiceSpec {
        var spec = spec
        spec.TaskTemplate.Networks = spec.TaskTemplate.Networks?.map {
            var attachment = $0
            // An empty ID is a network a plan creates and the Engine has not named yet.
            if let id = networkIDs[attachment.Target], !id.isEmpty { attachment.Target = id }
            return attachment
        }.sorted { $0.Target < $1.Target }
        guard var container = spec.TaskTemplate.ContainerSpec else { return spec }
        container.Configs = container.Configs?.map {
            var reference = $0
            reference.ConfigID = configIDs[reference.ConfigName] ?? ""
            return reference
        }
        container.Secrets = container.Secrets?.map {
            var reference = $0
            reference.SecretID = secretIDs[reference.SecretName] ?? ""
            return reference
        }
        spec.TaskTemplate.ContainerSpec = container
        return spec
    }
}
