import Blueprint
import Dispatch
import Foundation
import SecretDigest
import SwarmModel

/// Which Swarm secret serves each secret a stack file names, decided before planning.
///
/// Swarm secrets cannot change and cannot be read back, so a credential the operator rotates is
/// noticed by comparing it with a fingerprint kept on the secret (`SecretDigest`, scrypt with a
/// salt of its own, in a label), and served by a new secret under a new name, the next
/// generation: `lab_minio_root_password`, then `lab_minio_root_password.v2`, ... The services
/// that mount it move to the new name in the order their component needs, and older
/// generations are removed once the stage is healthy on the new one.
///
/// Why a fingerprint in a label: anyone who can read a secret's labels holds the Engine API,
/// and with it can start a task that mounts the secret and read the value itself; the label
/// adds nothing for them, and scrypt keeps a leaked `docker secret inspect` from being a cheap
/// guessing target. A secret without a fingerprint (made by hand, or by an older swarmstage)
/// cannot be compared, so it is replaced once by one that has one.
public struct SecretChoice: Sendable, Equatable {
    /// The name the stack file uses (the first generation's name).
    public var family: String
    /// The Swarm secret the services are to use.
    public var name: String
    /// Labels for the secret when it has to be made (generation and fingerprint).
    public var labels: [String: String]
    /// Secrets of the family this one replaces (empty: the first of its family, or unchanged).
    public var replacing: [String]
    /// Why a new generation is made, when it is.
    public var reason: String?
    /// What moving the services to it costs, when it replaces another.
    public var cost: String?

    public init(family: String, name: String, labels: [String: String] = [:], replacing: [String] = [], reason: String? = nil,
                cost: String? = nil) {
        self.family = family
        self.name = name
        self.labels = labels
        self.replacing = replacing
        self.reason = reason
        self.cost = cost
    }

    /// A new generation that replaces older ones.
    public var isRotation: Bool { !replacing.isEmpty }
}

public enum SecretRotation {
    public static let familyLabel = "io.swarmstage.secret.family"
    public static let generationLabel = "io.swarmstage.secret.generation"
    public static let digestLabel = "io.swarmstage.secret.scrypt"

    /// The name of a family's `generation`th secret.
    public static func name(family: String, generation: Int) -> String {
        generation <= 1 ? family : "\(family).v\(generation)"
    }

    /// The secrets of `family` among `existing`, with their generation (a secret named like the
    /// family without labels is its first).
    public static func members(of family: String, in existing: [SwarmFileObject]) -> [(secret: SwarmFileObject, generation: Int)] {
        existing.compactMap { secret in
            if secret.Spec.Labels?[familyLabel] == family {
                return (secret, secret.Spec.Labels?[generationLabel].flatMap(Int.init) ?? 1)
            }
            return secret.Spec.Name == family ? (secret, 1) : nil
        }.sorted { $0.generation < $1.generation }
    }

    /// For every secret: the one to use, made anew when the value differs from what the newest
    /// existing one was made from. Without values (a `--plan` with no credentials at hand) the
    /// newest existing secret is kept.
    /// scrypt is CPU work by design (a fifth of a second per fingerprint): it runs on a thread of its
    /// own, off Swift's cooperative pool, so waits elsewhere (an outage's retries) are not held up.
    public static func choose(_ secrets: [SecretSpec], values: SecretValues, existing: [SwarmFileObject]) async throws -> [String: SecretChoice] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try chooseNow(secrets, values: values, existing: existing) })
            }
        }
    }

    static func chooseNow(_ secrets: [SecretSpec], values: SecretValues, existing: [SwarmFileObject]) throws -> [String: SecretChoice] {
        var choices: [String: SecretChoice] = [:]
        for secret in secrets {
            let members = members(of: secret.name, in: existing)
            let value = values.isComplete ? [UInt8](values.data(for: secret.content)) : nil
            func fresh(_ generation: Int, reason: String?) throws -> SecretChoice {
                var labels = [familyLabel: secret.name, generationLabel: String(generation)]
                if let value { labels[digestLabel] = try SecretDigest.make(for: value) }
                return SecretChoice(family: secret.name, name: name(family: secret.name, generation: generation), labels: labels,
                                    replacing: members.map(\.secret.Spec.Name), reason: reason,
                                    cost: members.isEmpty ? nil : cost(of: secret.content))
            }
            guard let newest = members.last else {
                choices[secret.name] = try fresh(1, reason: nil)
                continue
            }
            guard let value else {
                choices[secret.name] = SecretChoice(family: secret.name, name: newest.secret.Spec.Name)
                continue
            }
            // The newest generation made from this value (an operator going back to an earlier value
            // gets the generation that still holds it).
            if let match = members.reversed().first(where: { member in
                member.secret.Spec.Labels?[digestLabel].map { SecretDigest.matches($0, value: value) } ?? false
            }) {
                choices[secret.name] = SecretChoice(family: secret.name, name: match.secret.Spec.Name)
                continue
            }
            let known = newest.secret.Spec.Labels?[digestLabel] != nil
            choices[secret.name] = try fresh(newest.generation + 1, reason: known
                ? "the value differs from the one \(newest.secret.Spec.Name) was made from"
                : "\(newest.secret.Spec.Name) has no fingerprint, so what it holds cannot be compared")
        }
        return choices
    }

    /// `service` with every secret it mounts renamed to the generation chosen for it (mount
    /// target and file mode unchanged).
    public static func renaming(_ service: ServiceSpec, to choices: [String: SecretChoice]) -> ServiceSpec {
        var service = service
        let renamed = service.TaskTemplate.ContainerSpec?.Secrets?.map { reference in
            var reference = reference
            if let choice = choices[reference.SecretName] { reference.SecretName = choice.name }
            return reference
        }
        service.TaskTemplate.ContainerSpec?.Secrets = renamed
        return service
    }

    /// What moving to a new generation of `content` costs, for the plan.
    public static func cost(of content: SecretSpec.Content) -> String {
        switch content {
        case .minioRootUser, .minioRootPassword:
            return "every MinIO server restarts at once, since MinIO needs the same root credentials on all servers "
                + "(MinIO docs: root credential rotation restarts all servers together): MinIO does not serve until they are back, "
                + "and Milvus cannot reach it until its own credentials follow in the milvus stage"
        case .milvusMinioCredentials:
            return "the Milvus services move to it one at a time, in the rolling order"
        }
    }
}
