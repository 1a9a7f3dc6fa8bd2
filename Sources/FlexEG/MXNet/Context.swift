import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat

/// Where a bound symbol runs, as MXNet's `mx.cpu()` / `mx.neuron(i)` name it.
public struct Context: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The calling thread, with the reference executor (uncompiled or compiled models).
        case cpu
        /// NeuronCores: in FlexEG mode `index` is the first core of the consecutive range the model
        /// occupies; with `NEURONCORE_GROUP_SIZES` set it is the NeuronCore Group's index.
        case neuron
    }

    public let kind: Kind
    public let index: Int

    public init(_ kind: Kind, _ index: Int) {
        self.kind = kind
        self.index = index
    }

    public var description: String { kind == .cpu ? "cpu(\(index))" : "neuron(\(index))" }
}
