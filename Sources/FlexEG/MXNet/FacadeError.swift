import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat

/// Errors the MXNet-style facade detects itself; errors from lower layers (formats, graph, compiler,
/// runtime) pass through unchanged.
public enum FacadeError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidArgument(String)
    /// `bind(ctx: mx.neuron(i))` on a symbol that has no `_neuron_subgraph_op`.
    case notCompiled(context: Context)
    /// Only `gradReq: .null` exists: FlexEG is for inference.
    case trainingUnsupported(GradReq)
    case unloaded(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message): message
        case .notCompiled(let context):
            "this symbol is not compiled for NeuronCores; compile it first (`flexeg compile PREFIX --input data=SHAPE --cores K --output OUT` or `Compiler.compile`), then bind it to \(context), or bind it to mx.cpu()"
        case .trainingUnsupported(let request):
            "gradReq \(request) needs gradients; FlexEG runs inference only: use gradReq: .null"
        case .unloaded(let name): "model '\(name)' was unloaded; bind the symbol again"
        }
    }
}

/// MXNet's `grad_req`.
public enum GradReq: String, Sendable {
    case null, write, add
}
