import FlexGraph
import FlexTensor

/// The compiled form of one `_neuron_subgraph_op` region (FlexEG's analog of a NEFF): its optimized
/// steps, weights, the part of each pipeline stage it runs and each part's memory plan.
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
        /// Arena placement of the part's other values.
        public var memoryPlan: MemoryPlan

        public init(stage: Int, steps: Range<Int>, receives: [ValueID], sends: [ValueID], memoryPlan: MemoryPlan) {
            self.stage = stage
            self.steps = steps
            self.receives = receives
            self.sends = sends
            self.memoryPlan = memoryPlan
        }
    }

    /// The newest format this code reads and the one it writes.
    public static let formatVersion: UInt32 = 1

    /// NeuronCores (pipeline stages) of the model the region belongs to.
    public var cores: Int
    public var values: [Program.Value]
    public var inputs: [ValueID]
    public var outputs: [ValueID]
    /// Weights by value, in MXNet's layout or pre-packed for their kernel (`WeightPacking`).
    public var weights: [ValueID: ArtifactWeight]
    public var steps: [Step]
    /// Parts in stage order.
    public var parts: [Part]

    public init(cores: Int, values: [Program.Value], inputs: [ValueID], outputs: [ValueID], weights: [ValueID: ArtifactWeight],
                steps: [Step], parts: [Part]) {
        self.cores = cores
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

extension CompiledArtifact {
    /// Cuts the region `steps` (consecutive compiled steps) out of `program`: local values, the
    /// region's inputs and outputs (values used outside it), one part per stage with its boundary
    /// lists, and the parts' memory plans. `stageOfStep` is indexed like `program.steps`.
    /// Returns the artifact and, for each of its values, the program value it stands for.
    static func cut(region: Range<Int>, of program: Program, stageOfStep: [Int], cores: Int) -> (artifact: CompiledArtifact, source: [ValueID]) {
        var defined = Set<ValueID>()
        for step in program.steps[region] { defined.formUnion(step.outputs) }
        var usedOutside = Set(program.outputs)
        for (index, step) in program.steps.enumerated() where !region.contains(index) {
            usedOutside.formUnion(step.operands)
        }

        var local: [ValueID: ValueID] = [:]
        var values: [Program.Value] = []
        var source: [ValueID] = []
        func map(_ id: ValueID) -> ValueID {
            if let mapped = local[id] { return mapped }
            values.append(program.values[id])
            source.append(id)
            local[id] = values.count - 1
            return values.count - 1
        }
        var inputs: [ValueID] = []
        var weights: [ValueID: ArtifactWeight] = [:]
        for step in program.steps[region] {
            for operand in step.operands where !defined.contains(operand) && local[operand] == nil {
                let id = map(operand)
                if let tensor = program.constants[operand] { weights[id] = .dense(tensor) } else { inputs.append(id) }
            }
        }
        var steps: [Step] = []
        var outputs: [ValueID] = []
        for step in program.steps[region] {
            var copy = step
            copy.inputs = step.inputs.map(map)
            copy.epilogue = step.epilogue.map { $0.mappingOperand(map) }
            copy.outputs = step.outputs.map(map)
            steps.append(copy)
            outputs += step.outputs.filter { usedOutside.contains($0) }.map(map)
        }

        // Parts: runs of equal stage.
        let stages = region.map { stageOfStep[$0] }
        var ranges: [Range<Int>] = []
        var start = 0
        for index in 1...stages.count where index == stages.count || stages[index] != stages[start] {
            ranges.append(start..<index)
            start = index
        }
        let regionOutputs = Set(outputs)
        var parts: [Part] = []
        for range in ranges {
            var producedHere = Set<ValueID>()
            for step in steps[range] { producedHere.formUnion(step.outputs) }
            var receives: [ValueID] = []
            var lifetimes: [ValueID: (first: Int, last: Int)] = [:]
            for (offset, step) in steps[range].enumerated() {
                for operand in step.operands {
                    if producedHere.contains(operand) {
                        lifetimes[operand]!.last = offset
                    } else if weights[operand] == nil, !receives.contains(operand) {
                        receives.append(operand)
                    }
                }
                for output in step.outputs { lifetimes[output] = (offset, offset) }
            }
            var usedLater = regionOutputs
            for step in steps[range.upperBound...] { usedLater.formUnion(step.operands) }
            var sends: [ValueID] = []
            var requests: [MemoryPlan.Request] = []
            for step in steps[range] {
                for output in step.outputs {
                    if usedLater.contains(output) {
                        sends.append(output)
                    } else {
                        let life = lifetimes[output]!
                        requests.append(MemoryPlan.Request(value: output, bytes: values[output].byteCount, firstStep: life.first, lastStep: life.last))
                    }
                }
            }
            parts.append(Part(stage: stages[range.lowerBound], steps: range, receives: receives, sends: sends,
                              memoryPlan: MemoryPlan(requests: requests)))
        }
        let artifact = CompiledArtifact(cores: cores, values: values, inputs: inputs, outputs: outputs,
                                        weights: WeightPacking.pack(weights, steps: steps, values: values), steps: steps, parts: parts)
        return (artifact, source)
    }
}
