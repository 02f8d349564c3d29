import Blueprint
import Compose
import Foundation
import Inventory
import StackConvert
import YAMLSource

/// One stage's stack file and the config files it references, as text.
public struct StageFiles: Sendable {
    public var stage: Stage
    public var stackName: String
    /// Where the stack file is (or would be written), for messages.
    public var path: String
    public var text: String
    /// Config file contents by the `file:` path the stack file gives.
    public var configData: [String: [UInt8]]
}

/// A stage ready to apply: its Engine specs, checked before anything is written.
public struct PreparedStage: Sendable {
    public var stage: Stage
    public var spec: StackSpec
    public var compose: ComposeFile
}

public enum StackSource {
    /// The stack files `generate` would write for this blueprint, without writing them.
    public static func rendered(_ blueprint: Blueprint, folder: String) -> [StageFiles] {
        let files = StackFiles.render(blueprint)
        return blueprint.stacks.map { stack in
            let text = files.first { $0.path == stack.stage.fileName }?.contents ?? ""
            var configs: [String: [UInt8]] = [:]
            for config in stack.compose.configs {
                let relative = config.file.hasPrefix("./") ? String(config.file.dropFirst(2)) : config.file
                configs[config.file] = Array((files.first { $0.path == relative }?.contents ?? "").utf8)
            }
            return StageFiles(stage: stack.stage, stackName: stack.stackName, path: "\(folder)/\(stack.stage.fileName)",
                              text: text, configData: configs)
        }
    }

    /// Stack files on disk (as `generate` wrote them, possibly edited), config files next to them.
    public static func directory(_ folder: String, blueprint: Blueprint) throws -> [StageFiles] {
        var problems: [Diagnostic] = []
        var stages: [StageFiles] = []
        for stack in blueprint.stacks {
            let path = (folder as NSString).appendingPathComponent(stack.stage.fileName)
            let text = try InputFiles.readText(path)
            var configs: [String: [UInt8]] = [:]
            if let compose = try? ComposeLoader(file: path).parse(text) {
                for config in compose.configs {
                    // An absolute `file:` is taken as it is, as the docker CLI does; a relative one is beside the stack file.
                    let configPath = config.file.hasPrefix("/") ? config.file : (folder as NSString).appendingPathComponent(config.file)
                    if let data = FileManager.default.contents(atPath: configPath) {
                        configs[config.file] = Array(data)
                    } else {
                        problems.append(Diagnostic(SourceLocation(file: path, line: 1, column: 1),
                                                   "config \(config.key): cannot read \(configPath)"))
                    }
                }
            }
            stages.append(StageFiles(stage: stack.stage, stackName: stack.stackName, path: path, text: text, configData: configs))
        }
        if !problems.isEmpty { throw InputError(problems) }
        return stages
    }

    /// Loads and converts every stage; collects the problems of all files before failing,
    /// so that nothing is written when any file is wrong.
    public static func prepare(_ files: [StageFiles]) throws -> [PreparedStage] {
        var problems: [Diagnostic] = []
        var prepared: [PreparedStage] = []
        for file in files {
            do {
                let compose = try ComposeLoader(file: file.path).parse(file.text)
                let spec = try StackConverter.convert(compose, stack: file.stackName, configData: file.configData)
                prepared.append(PreparedStage(stage: file.stage, spec: spec, compose: compose))
            } catch let error as InputError {
                problems += error.diagnostics
            } catch {
                problems.append(Diagnostic(SourceLocation(file: file.path, line: 1, column: 1), "\(error)"))
            }
        }
        if !problems.isEmpty { throw InputError(problems) }
        return prepared
    }
}
