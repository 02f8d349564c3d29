import Blueprint
import Foundation
import Inventory
import SwarmModel

/// What one deploy applied, kept in the swarm so that `history` can list it and `rollback`
/// can apply it again: the stack files and config files as deployed (no credential is in
/// them: secrets are made from the environment), the images, and a digest of the inventory.
/// Stored as a Swarm config (`<cluster>_revision-<N>`), whose data the Engine gives back;
/// labels carry the summary so that listing reads no data. Only a deploy that wrote to the
/// Engine records one, so a no-op deploy still writes nothing.
public struct Revision: Codable, Sendable, Equatable {
    public struct StoredStage: Codable, Sendable, Equatable {
        /// The stage's name (`storage`, `pulsar`, `milvus`).
        public var stage: String
        public var stackName: String
        public var path: String
        public var text: String
        /// Config file contents by the `file:` path the stack file gives, base64.
        public var configData: [String: String]
    }

    public var number: Int
    /// RFC 3339, the Engine's clock.
    public var time: String
    public var inventoryDigest: String
    public var images: [String: String]
    public var stages: [StoredStage]
    /// What made it: "deploy", or "rollback to N".
    public var reason: String

    public init(number: Int, time: String, inventoryDigest: String, images: [String: String], stages: [StageFiles], reason: String) {
        self.number = number
        self.time = time
        self.inventoryDigest = inventoryDigest
        self.images = images
        self.reason = reason
        self.stages = stages.map { files in
            StoredStage(stage: files.stage.rawValue, stackName: files.stackName, path: files.path, text: files.text,
                        configData: files.configData.mapValues { Data($0).base64EncodedString() })
        }
    }

    /// The stack files as `StackSource.prepare` takes them.
    public var stageFiles: [StageFiles] {
        stages.compactMap { stored in
            guard let stage = Stage(rawValue: stored.stage) else { return nil }
            return StageFiles(stage: stage, stackName: stored.stackName, path: "revision \(number): \(stored.path)", text: stored.text,
                       configData: stored.configData.compactMapValues { Data(base64Encoded: $0).map { Array($0) } })
        }
    }
}

/// Reads and writes revisions in the swarm.
public struct RevisionStore: Sendable {
    public static let clusterLabel = "io.swarmstage.cluster"
    public static let numberLabel = "io.swarmstage.revision"
    public static let timeLabel = "io.swarmstage.revision.time"
    public static let digestLabel = "io.swarmstage.revision.inventory"
    public static let reasonLabel = "io.swarmstage.revision.reason"
    /// Revisions kept; older ones are removed when a new one is recorded.
    public static let kept = 10

    public struct Summary: Sendable, Equatable {
        public var number: Int
        public var time: String
        public var inventoryDigest: String
        public var reason: String
        public var configID: String
    }

    public let swarm: any SwarmAPI
    public let cluster: String

    public init(swarm: any SwarmAPI, cluster: String) {
        self.swarm = swarm
        self.cluster = cluster
    }

    /// Newest first.
    public func list() async throws -> [Summary] {
        let configs = try await swarm.configs(filters: Filters([("label", "\(Self.clusterLabel)=\(cluster)"), ("label", Self.numberLabel)]))
        return configs.compactMap { config -> Summary? in
            let labels = config.Spec.Labels ?? [:]
            guard let number = labels[Self.numberLabel].flatMap(Int.init) else { return nil }
            return Summary(number: number, time: labels[Self.timeLabel] ?? "", inventoryDigest: labels[Self.digestLabel] ?? "",
                           reason: labels[Self.reasonLabel] ?? "", configID: config.ID)
        }.sorted { $0.number > $1.number }
    }

    public func load(_ number: Int) async throws -> Revision {
        guard let summary = try await list().first(where: { $0.number == number }) else { throw RevisionMissing(number: number) }
        let config = try await swarm.config(summary.configID)
        guard let data = config.Spec.Data.flatMap({ Data(base64Encoded: $0) }) else { throw RevisionMissing(number: number) }
        return try JSONDecoder().decode(Revision.self, from: data)
    }

    /// Records what a deploy applied as the next revision; drops the oldest beyond `kept`.
    @discardableResult
    public func record(files: [StageFiles], inventory: Inventory, reason: String) async throws -> Revision {
        let existing = try await list()
        let time = try await swarm.info().SystemTime?.rfc3339 ?? ""
        let images = Dictionary(uniqueKeysWithValues: ImageMap.Key.allCases.map { ($0.rawValue, inventory.images[$0]) })
        let revision = Revision(number: (existing.first?.number ?? 0) + 1, time: time,
                                inventoryDigest: ContentHash.short(files.map(\.text).joined(separator: "\u{0}")),
                                images: images, stages: files, reason: reason)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let labels = [Self.clusterLabel: cluster, Self.numberLabel: String(revision.number), Self.timeLabel: time,
                      Self.digestLabel: revision.inventoryDigest, Self.reasonLabel: reason]
        _ = try await swarm.createConfig(name: "\(cluster)_revision-\(revision.number)", labels: labels, data: try encoder.encode(revision))
        for old in existing.dropFirst(Self.kept - 1) {
            do { try await swarm.removeConfig(old.configID) } catch let error as EngineError where error.isNotFound {}
        }
        return revision
    }
}

public struct RevisionMissing: Error, Sendable {
    public var number: Int
}
