import FlexGraph
import FlexKernels
import FlexTensor

/// The compiled form of one `_neuron_subgraph_op` region (FlexEG's analog of a NEFF), and the single
/// source of truth for how it runs: its optimized steps, weights (stored in the layouts their kernels
/// read), the instruction set it was planned for, and per pipeline stage the part of the steps it runs
/// with that part's recorded plan (kernels, batch schedule, views, arena). Loading instantiates the
/// plan; it decides nothing.
///
/// Value ids are local to the artifact. `inputs[i]` is the subgraph node's input `i`, `outputs[k]` its
/// output `k`. A region spans one or more consecutive stages of the model's pipeline; its steps in
/// one stage form one `Part`. Serialized with `encoded()` / `init(decoding:)`.
public struct CompiledArtifact: Sendable {
    /// One stage's share of the region.
    public struct Part: Sendable, Equatable {
        /// Pipeline stage (NeuronCore offset) running these steps.
        public var stage: Int
        /// Steps of the region this part runs, in order.
        public var steps: Range<Int>
        /// Values the part reads that it neither computes nor holds as weights, in the order its
        /// runner takes them.
        public var receives: [ValueID]
        /// Values the part computes that later parts or the region's consumers need, in the order its
        /// runner returns them.
        public var sends: [ValueID]
        /// How the part runs (kernels, batch schedule, views, arena), as the compiler planned it.
        public var plan: PartPlan

        public init(stage: Int, steps: Range<Int>, receives: [ValueID], sends: [ValueID], plan: PartPlan) {
            self.stage = stage
            self.steps = steps
            self.receives = receives
            self.sends = sends
            self.plan = plan
        }
    }

    /// The newest format this code reads and the one it writes.
    public static let formatVersion: UInt32 = 2

    /// NeuronCores (pipeline stages) of the model the region belongs to.
    public var cores: Int
    /// The instruction set the kernels were chosen for: running needs a CPU (and `FLEXEG_MAX_ISA`) that
    /// allows it.
    public var target: Fast.InstructionSet
    public var values: [Program.Value]
    public var inputs: [ValueID]
    public var outputs: [ValueID]
    /// Weights by value, in MXNet's layout or pre-packed for their kernel (`WeightPacking`).
    public var weights: [ValueID: ArtifactWeight]
    public var steps: [Step]
    /// Parts in stage order.
    public var parts: [Part]

    public init(cores: Int, target: Fast.InstructionSet, values: [Program.Value], inputs: [ValueID], outputs: [ValueID],
                weights: [ValueID: ArtifactWeight], steps: [Step], parts: [Part]) {
        self.cores = cores
        self.target = target
        self.values = values
        self.inputs = inputs
        self.outputs = outputs
        self.weights = weights
        self.steps = steps
        self.parts = parts
    }

    /// Total bytes of the weights.
    public var weightBytes: Int { weights.values.reduce(0) { $0 + $1.byteCount } }
}
