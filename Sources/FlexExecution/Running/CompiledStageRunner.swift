import FlexArtifact
import FlexGraph
import FlexKernels
import FlexTensor

/// Runs one pipeline stage of a `CompiledModel`: its subgraph parts (each with its own arena) and any
/// host operators placed in the stage, in order.
///
/// Planned at creation: every tensor the stage passes between its units gets a numbered slot, constants
/// are bound once, and each unit knows the slots it reads and writes, so a call is a loop over units
/// with array indexing (no lookups by value).
///
/// Not thread-safe: create one per NeuronCore worker and call it only from that thread (it may be
/// created on another thread and handed over). Tensors passed in are only read; returned tensors are
/// handed over (see `PartRunner`) or passed through, never written by a later call.
public final class CompiledStageRunner: @unchecked Sendable {
    public let stage: Int
    /// What `run` takes and returns.
    public let inputSpecs: [TensorSpec]
    public let outputSpecs: [TensorSpec]

    private enum Unit {
        case part(PartRunner, receives: [Int], sends: [Int])
        case host(any Operator, inputs: [Int], outputs: [Int], specs: [TensorSpec])
    }

    private let units: [Unit]
    /// Slots of the stage's received and sent tensors, in `run`'s order.
    private let receives: [Int]
    private let sends: [Int]
    /// Tensors by slot: constants bound at creation, the rest only during a call.
    private var slots: [Tensor?]
    private let transientSlots: [Int]
    /// Parameters the stage's host operators read, where they read them.
    private let hostWeightRegions: [UnsafeRawBufferPointer]

    init(model: CompiledModel, stage: Int) {
        self.stage = stage
        inputSpecs = model.stageInputs(stage: stage)
        outputSpecs = model.stageOutputs(stage: stage)
        let schedule = model.schedule
        // Constants (parameters host operators read, constant model outputs) are bound once.
        var index: [ModelValue: Int] = [:]
        var slots: [Tensor?] = []
        var transient: [Int] = []
        func slot(_ value: ModelValue) -> Int {
            if let existing = index[value] { return existing }
            index[value] = slots.count
            if case .graph(let ref) = value, let tensor = model.constants[ref] {
                slots.append(tensor)
            } else {
                transient.append(slots.count)
                slots.append(nil)
            }
            return slots.count - 1
        }
        receives = schedule.receives[stage].map(slot)
        units = schedule.units[stage].map { unit in
            switch unit {
            case .part(let subgraphIndex, let partIndex):
                let subgraph = model.subgraphs[subgraphIndex]
                let artifact = subgraph.artifact, part = artifact.parts[partIndex]
                return .part(PartRunner(artifact: artifact, part: partIndex, kernels: subgraph.kernels[partIndex]),
                             receives: part.receives.map { slot(subgraph.modelValue(of: $0)) },
                             sends: part.sends.map { slot(subgraph.modelValue(of: $0)) })
            case .host(let node):
                let graphNode = model.hostGraph.nodes[node]
                let outputs = (0..<graphNode.outputCount).map { ModelValue.graph(ValueRef(node: node, output: $0)) }
                return .host(graphNode.op!, inputs: graphNode.inputs.map { slot(.graph($0)) }, outputs: outputs.map(slot),
                             specs: outputs.map(model.spec(of:)))
            }
        }
        sends = schedule.sends[stage].map(slot)
        var hostWeights: [ValueRef: UnsafeRawBufferPointer] = [:]
        for case .host(let node) in schedule.units[stage] {
            for ref in model.hostGraph.nodes[node].inputs {
                if let tensor = model.constants[ref] { hostWeights[ref] = UnsafeRawBufferPointer(start: tensor.rawPointer, count: tensor.byteCount) }
            }
        }
        hostWeightRegions = Array(hostWeights.values)
        self.slots = slots
        transientSlots = transient
    }

    /// Bytes of the activation arenas this runner owns.
    package var arenaBytes: Int {
        units.reduce(0) { total, unit in
            if case .part(let runner, _, _) = unit { total + runner.arenaBytes } else { total }
        }
    }

    /// Bytes of the arenas and kernel scratch this runner owns (what `CompiledModel.workspaceBytes`
    /// charges for it).
    public var workspaceBytes: Int {
        units.reduce(0) { total, unit in
            if case .part(let runner, _, _) = unit { total + runner.arenaBytes + runner.scratchBytes } else { total }
        }
    }

    /// What runs each step of the stage (parts' steps and host operators in order; see `StepKernel.label`).
    var kernelLabels: [String] {
        units.flatMap { unit -> [String] in
            switch unit {
            case .part(let runner, _, _): runner.plan.kernels.map(\.label)
            case .host: ["host"]
            }
        }
    }

    /// The instruction set each step's kernel runs at in this process (order of `kernelLabels`; nil for
    /// Swift code and host operators).
    var kernelInstructionSets: [Fast.InstructionSet?] {
        units.flatMap { unit -> [Fast.InstructionSet?] in
            switch unit {
            case .part(let runner, _, _): runner.steps.map { $0.kernel.instructionSet(running: .active) }
            case .host: [nil]
            }
        }
    }

    /// For each of the stage's subgraph parts, in order: how many batch samples its first steps run one
    /// at a time (1: the whole batch step by step; see `SampleSplit`).
    package var samplesPerPass: [Int] {
        units.compactMap { unit in
            if case .part(let runner, _, _) = unit { runner.samples } else { nil }
        }
    }

    /// For each of the stage's subgraph parts, in order: how many of its steps run sample by sample (0 when
    /// it runs the whole batch step by step).
    package var sampleSteps: [Int] {
        units.compactMap { unit in
            if case .part(let runner, _, _) = unit { runner.samples > 1 ? runner.plan.prefix : 0 } else { nil }
        }
    }

    /// Every weight region the stage's kernels read, where they read it (tests check activation and
    /// sharing against it).
    package var weightRegions: [UnsafeRawBufferPointer] {
        units.flatMap { unit -> [UnsafeRawBufferPointer] in
            if case .part(let runner, _, _) = unit { runner.weightRegions } else { [] }
        } + hostWeightRegions
    }

    /// Brings every weight byte the stage's kernels read into cache (packed and transformed weights
    /// included; the runtime calls this when its core switches to this model).
    public func activate() {
        for unit in units {
            if case .part(let runner, _, _) = unit { runner.activate() }
        }
        hostTouched = touchCacheLines(hostWeightRegions)
    }

    /// Sum of the host parameter bytes `activate` read, kept so the reads cannot be optimized away.
    private var hostTouched: UInt64 = 0

    /// `inputs` match `inputSpecs` (shapes and dtypes; the runtime checks them); returns tensors
    /// matching `outputSpecs`.
    public func run(_ inputs: [Tensor]) -> [Tensor] {
        run(inputs, rows: nil, timer: nil)
    }

    /// `run` for inputs of which only the first `rows` batch samples carry data (a short dynamic batch
    /// padded to the compiled batch): each part's leading sample-wise steps skip the padding samples
    /// (`PartRunner.run`), so a short batch costs about its own rows there. Outputs' first
    /// `rows` samples equal `run`'s (up to float rounding: a GEMM over fewer rows may tile them differently);
    /// the rest hold nothing meaningful.
    public func run(_ inputs: [Tensor], rows: Int) -> [Tensor] {
        run(inputs, rows: rows, timer: nil)
    }

    /// `run`, calling `timer` with each step's position in the stage (parts' steps and host
    /// operators in order) and its start and end (once per sample for steps run sample by sample).
    package func run(_ inputs: [Tensor], rows: Int? = nil,
                     timer: ((Int, ContinuousClock.Instant, ContinuousClock.Instant) -> Void)?) -> [Tensor] {
        precondition(inputs.count == receives.count, "stage \(stage) takes \(receives.count) tensors, got \(inputs.count)")
        for (slot, tensor) in zip(receives, inputs) { slots[slot] = tensor }
        var offset = 0
        for unit in units {
            switch unit {
            case .part(let runner, let partReceives, let partSends):
                let base = offset
                let results = runner.run(partReceives.map { slots[$0]! }, rows: rows,
                                         timer: timer.map { timer in { timer(base + $0, $1, $2) } })
                for (slot, tensor) in zip(partSends, results) { slots[slot] = tensor }
                offset += runner.steps.count
            case .host(let op, let operands, let results, let specs):
                let start = ContinuousClock.now
                let outputs = specs.map { Tensor(zeros: $0.shape, dtype: $0.dtype) }
                op.execute(inputs: operands.map { slots[$0]! }, outputs: outputs)
                for (slot, tensor) in zip(results, outputs) { slots[slot] = tensor }
                timer?(offset, start, .now)
                offset += 1
            }
        }
        let outputs = sends.map { slots[$0]! }
        for slot in transientSlots { slots[slot] = nil }
        return outputs
    }
}

extension CompiledModel {
    /// A runner for stage `stage` (`0..<stageCount`), owning its arenas.
    public func makeStageRunner(stage: Int) -> CompiledStageRunner {
        precondition(stage >= 0 && stage < stageCount, "stage \(stage) of a \(stageCount)-stage model")
        return CompiledStageRunner(model: self, stage: stage)
    }

    /// Runs every stage in order on the calling thread. `inputs` in `self.inputs` order; tensors of
    /// another dtype are converted to float32 (as MXNet copies into a bound array).
    public func run(_ inputs: [Tensor]) throws(CompileError) -> [Tensor] {
        guard inputs.count == self.inputs.count else {
            throw .graph(.invalidEdge(node: "inputs", message: "the model takes \(self.inputs.count) inputs (\(self.inputs.map(\.name).joined(separator: ", "))), got \(inputs.count)"))
        }
        var values: [Tensor] = []
        for (tensor, spec) in zip(inputs, self.inputs) {
            guard tensor.shape == spec.shape else {
                throw .graph(.inputShapeMismatch(name: spec.name, expected: spec.shape, actual: tensor.shape))
            }
            values.append(tensor.dtype == spec.dtype ? tensor : tensor.converted(to: spec.dtype))
        }
        for stage in 0..<stageCount { values = makeStageRunner(stage: stage).run(values) }
        return values
    }

    /// Runs with inputs by name (as `GraphExecutor.forward` takes them).
    public func run(_ inputs: [String: Tensor]) throws(CompileError) -> [Tensor] {
        var ordered: [Tensor] = []
        for spec in self.inputs {
            guard let tensor = inputs[spec.name] else { throw .graph(.missingInput(name: spec.name, expected: spec.shape)) }
            ordered.append(tensor)
        }
        for name in inputs.keys.sorted() where !self.inputs.contains(where: { $0.name == name }) {
            throw .graph(.unknownInput(name: name, known: self.inputs.map(\.name)))
        }
        return try run(ordered)
    }

    /// Bytes of the weights stage `stage` reads (subgraph weights of its parts, host parameters of
    /// its host operators; a weight shared by two parts counts once).
    public func weightBytes(stage: Int) -> Int {
        var total = 0
        for unit in schedule.units[stage] {
            switch unit {
            case .part(let subgraphIndex, let partIndex):
                let artifact = subgraphs[subgraphIndex].artifact
                var seen = Set<ValueID>()
                for step in artifact.steps[artifact.parts[partIndex].steps] {
                    for operand in step.operands where artifact.weights[operand] != nil && seen.insert(operand).inserted {
                        total += artifact.weights[operand]!.byteCount
                    }
                }
            case .host(let index):
                total += Set(hostGraph.nodes[index].inputs).reduce(0) { $0 + (constants[$1]?.byteCount ?? 0) }
            }
        }
        return total
    }

    /// Indexes into `inputs` of the model inputs a short batch's run (`CompiledStageRunner.run(_:rows:)`)
    /// reads past its data rows: a host operator reads the input, or a part's step after its leading
    /// sample-wise steps does (`PartRunner.receivesReadInPadding`). The padding of the other inputs is
    /// never read. (A CNN's image input is in neither case: its first layers compute the data rows only.)
    public var inputsReadInPadding: [Int] {
        var read = Set<ModelValue>()
        for unit in schedule.units.joined() {
            switch unit {
            case .part(let subgraphIndex, let partIndex):
                let subgraph = subgraphs[subgraphIndex]
                let flags = PartRunner.receivesReadInPadding(artifact: subgraph.artifact, part: partIndex,
                                                             kernels: subgraph.kernels[partIndex])
                for (value, isRead) in zip(subgraph.artifact.parts[partIndex].receives, flags) where isRead {
                    read.insert(subgraph.modelValue(of: value))
                }
            case .host(let index):
                read.formUnion(hostGraph.nodes[index].inputs.map { .graph($0) })
            }
        }
        return schedule.receives[0].indices.filter { read.contains(schedule.receives[0][$0]) }
    }

    /// Bytes a runner of stage `stage` allocates once, whatever its traffic: its parts' planned
    /// activation arenas and kernel scratch, read from the artifacts' plans.
    public func workspaceBytes(stage: Int) -> Int {
        schedule.units[stage].reduce(0) { total, unit in
            guard case .part(let subgraphIndex, let partIndex) = unit else { return total }
            return total + subgraphs[subgraphIndex].artifact.parts[partIndex].plan.workspaceBytes
        }
    }

    /// Activation bytes stage `stage` allocates per request: the tensors its parts send on and its host
    /// operators' outputs.
    public func activationBytes(stage: Int) -> Int {
        var total = 0
        for unit in schedule.units[stage] {
            switch unit {
            case .part(let subgraphIndex, let partIndex):
                let artifact = subgraphs[subgraphIndex].artifact
                let part = artifact.parts[partIndex]
                total += part.sends.reduce(0) { $0 + artifact.values[$1].byteCount }
            case .host(let index):
                total += (0..<hostGraph.nodes[index].outputCount).reduce(0) {
                    $0 + spec(of: .graph(ValueRef(node: index, output: $1))).byteCount
                }
            }
        }
        return total
    }
}
