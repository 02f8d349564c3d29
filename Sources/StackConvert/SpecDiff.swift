import SwarmModel
import Foundation

/// Which fields of a service spec differ, ignoring what the Engine fills in by
/// itself (zero values, empty lists, fields swarmstage does not set). An unchanged
/// file gives no differences, so a redeploy writes nothing.
public enum SpecDiff {
    /// Dotted paths of the fields that differ, e.g. `TaskTemplate.ContainerSpec.Image`.
    public static func changedFields(desired: ServiceSpec, current: ServiceSpec) -> [String] {
        // ForceUpdate is the cluster's restart counter (`docker service update --force`), not
        // part of what a stack file says: the docker CLI keeps the current one, and so do we.
        var desired = desired
        desired.TaskTemplate.ForceUpdate = current.TaskTemplate.ForceUpdate
        let a = normalized(json(desired)), b = normalized(json(current))
        var paths: [String] = []
        collect(a, b, path: "", into: &paths)
        return paths.sorted()
    }

    /// Whether an update with these changed fields (`changedFields`) makes Swarm replace the
    /// service's tasks: its updater replaces a task whose task template or endpoint spec differs
    /// from the service's (swarmkit `manager/orchestrator/task.go`, `IsTaskDirty`); a label,
    /// update config or replica count changes the service alone.
    public static func replacesTasks(_ fields: [String]) -> Bool {
        fields.contains { $0.hasPrefix("TaskTemplate") || $0.hasPrefix("EndpointSpec") }
    }

    /// Whether a task was made from this task template, as Swarm's updater decides
    /// whether a task is out of date (a task carries a copy of the template it came from).
    public static func sameTaskSpec(_ a: TaskSpec?, _ b: TaskSpec?) -> Bool {
        func canonical(_ spec: TaskSpec?) -> Data? {
            guard let spec, let data = try? JSONEncoder().encode(spec), let object = try? JSONSerialization.jsonObject(with: data),
                  let kept = normalized(object) else { return nil }
            return try? JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys])
        }
        return canonical(a) == canonical(b)
    }

    /// Replicated and global services cannot be turned into each other: they are removed and created again.
    public static func modeKind(_ spec: ServiceSpec) -> String {
        if spec.Mode?.Global != nil { return "global" }
        if spec.Mode?.ReplicatedJob != nil { return "replicated-job" }
        if spec.Mode?.GlobalJob != nil { return "global-job" }
        return "replicated"
    }

    static func json(_ spec: ServiceSpec) -> Any {
        guard let data = try? JSONEncoder().encode(spec), let object = try? JSONSerialization.jsonObject(with: data) else { return [:] as [String: Any] }
        return object
    }

    /// Drops nulls, zeros, false, empty strings, lists and objects, recursively.
    static func normalized(_ value: Any) -> Any? {
        switch value {
        case let object as [String: Any]:
            var result: [String: Any] = [:]
            for (key, child) in object { if let kept = normalized(child) { result[key] = kept } }
            return result.isEmpty ? nil : result
        case let list as [Any]:
            let kept = list.map { normalized($0) ?? NSNull() }
            return kept.isEmpty ? nil : kept
        case let number as NSNumber:
            return number.doubleValue == 0 ? nil : number
        case let text as String:
            return text.isEmpty ? nil : text
        case is NSNull:
            return nil
        default:
            return value
        }
    }

    static func collect(_ a: Any?, _ b: Any?, path: String, into paths: inout [String]) {
        switch (a, b) {
        case (nil, nil):
            return
        case let (left as [String: Any], right as [String: Any]):
            for key in Set(left.keys).union(right.keys) {
                collect(left[key], right[key], path: path.isEmpty ? key : "\(path).\(key)", into: &paths)
            }
        default:
            if !same(a, b) { paths.append(path) }
        }
    }

    static func same(_ a: Any?, _ b: Any?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        guard let left = try? JSONSerialization.data(withJSONObject: ["v": a], options: [.sortedKeys]),
              let right = try? JSONSerialization.data(withJSONObject: ["v": b], options: [.sortedKeys]) else { return false }
        return left == right
    }
}
