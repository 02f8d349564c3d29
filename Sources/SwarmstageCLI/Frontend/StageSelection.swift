import ArgumentParser
import Inventory

extension Stage: ExpressibleByArgument {}

/// `--from STAGE` and `--only STAGE`, shared by deploy and teardown.
struct StageSelection: ParsableArguments {
    @Option(help: ArgumentHelp("Start at this stage (\(Stage.allCases.map(\.rawValue).joined(separator: ", "))); earlier stages must be deployed.",
                               valueName: "stage"))
    var from: Stage?

    @Option(help: ArgumentHelp("Apply only this stage.", valueName: "stage"))
    var only: Stage?

    func validate() throws {
        if from != nil, only != nil { throw ValidationError("use --from or --only, not both") }
    }

    var selected: Set<Stage> {
        if let only { return [only] }
        if let from { return Set(Stage.allCases.filter { $0 >= from }) }
        return Set(Stage.allCases)
    }
}
