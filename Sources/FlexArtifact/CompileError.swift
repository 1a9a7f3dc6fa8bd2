import FlexGraph
import FlexKernels
import FlexTensor

/// Why a model could not be compiled, or a compiled model could not be loaded. Each case names what
/// the user can act on.
public enum CompileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The graph itself is invalid (unknown operator, bad attribute, missing input, shape error).
    case graph(GraphError)
    /// `exclude` names a node the graph does not have, or a variable.
    case unknownExcludedNode(name: String)
    /// `cores` is not in `1...maximum`.
    case invalidCoreCount(requested: Int, maximum: Int, computeSteps: Int)
    /// Nothing is left to compile (every operator excluded, or the model folds to constants).
    case nothingToCompile(reason: String)
    /// A pass or operator evaluation failed on a node.
    case pass(pass: String, node: String, message: String)
    /// A compiled artifact (`<node>_neuronbin`) could not be read.
    case artifact(node: String, ArtifactError)
    /// The compiled checkpoint's structure is inconsistent (missing neuronbin, mismatched shapes).
    case invalidCompiledModel(node: String, message: String)
    /// The artifact was compiled for an instruction set this process may not use: `available` is the
    /// best it may (the CPU's, `host`, capped by `FLEXEG_MAX_ISA`).
    case targetUnavailable(node: String, target: Fast.InstructionSet, available: Fast.InstructionSet, host: Fast.InstructionSet)

    public var description: String {
        switch self {
        case .graph(let error):
            "\(error)"
        case .unknownExcludedNode(let name):
            "cannot exclude '\(name)': the graph has no operator node of that name"
        case .invalidCoreCount(let requested, let maximum, let computeSteps):
            requested < 1
                ? "cannot compile for \(requested) NeuronCores: use 1 to \(maximum)"
                : "cannot compile for \(requested) NeuronCores: this model has \(computeSteps) compute operators after optimization, so it can use at most \(maximum) NeuronCores"
        case .nothingToCompile(let reason):
            "nothing to compile: \(reason)"
        case .pass(let pass, let node, let message):
            "pass '\(pass)' failed on node '\(node)': \(message)"
        case .artifact(let node, let error):
            "compiled subgraph '\(node)': \(error)"
        case .invalidCompiledModel(let node, let message):
            "compiled model node '\(node)': \(message)"
        case .targetUnavailable(let node, let target, let available, let host):
            "compiled model node '\(node)' was compiled for \(target.rawValue), but this process runs at most \(available.rawValue)"
                + (available == host ? " (the CPU's best)" : " (the CPU has \(host.rawValue); FLEXEG_MAX_ISA caps it)")
                + ": recompile it with `flexeg compile --target \(available.rawValue)`"
        }
    }
}
