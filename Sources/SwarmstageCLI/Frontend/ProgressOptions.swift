import ArgumentParser
import Foundation

/// How `deploy` and `teardown` show their progress.
struct ProgressOptions: ParsableArguments {
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case auto, live, plain, json
    }

    @Option(help: ArgumentHelp("live: per-stage and per-service lines redrawn in place; plain: timestamped lines, one per change; "
                               + "json: one event per line; auto: live on a terminal, else plain.", valueName: "mode"))
    var progress: Mode = .auto

    @Flag(help: "Same as --progress json.")
    var json = false

    var style: ProgressPrinter.Style {
        if json { return .json }
        switch progress {
        case .live: return .live
        case .plain: return .plain
        case .json: return .json
        case .auto: return Terminal.isInteractive && ProcessInfo.processInfo.environment["TERM"] != "dumb" ? .live : .plain
        }
    }
}
