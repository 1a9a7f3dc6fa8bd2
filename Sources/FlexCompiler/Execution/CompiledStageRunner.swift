import FlexGraph
import FlexTensor

/// Runs one pipeline stage of a `CompiledModel`: its subgraph parts (each with its own arena) and any
/// host operators placed in the stage, in order.
///
/// Not thread-safe: create one per NeuronCore worker and call it only from that thread (it may be
/// created on another thread and handed over). Tensors passed in are only read; returned tensors are
/// newly allocated or passed through, never reused by a later call.
public final class CompiledStageRunner: @unchecked Sendable {
    public let stage: Int
    /// What `run` takes and returns.
    public let inputSpecs: [TensorSpec]
    public let outputSpecs: [TensorSpec]

    private enum Unit {
        case part(PartRunner, receives: [ModelValue], sends: [ModelValue])
        case host(any Operator, inputs: [ModelValue], outputs: [ModelValue], specs: [TensorSpec])
    }

    private let units: [Unit]
    private let receives: [ModelValue]
    private let sends: [ModelValue]
    private let constants: [ModelValue: Tensor]

    init(model: CompiledModel, stage: Int) {
        self.stage = stage
        inputSpecs = model.stageInputs(stage: stage)
        outputSpecs = model.stageOutputs(stage: stage)
        receives = model.schedule.receives[stage]
        sends = model.schedule.sends[stage]
        var constants: [ModelValue: Tensor] = [:]
        for (ref, tensor) in model.constants { constants[.graph(ref)] = tensor }
        self.constants = constants
        units = model.schedule.units[stage].map { unit in
            switch unit {
            case .part(let subgraphIndex, let partIndex):
                let subgraph = model.subgraphs[subgraphIndex]
                let part = subgraph.artifact.parts[partIndex]
                return .part(PartRunner(artifact: subgraph.artifact, part: partIndex),
                             receives: part.receives.map(subgraph.modelValue(of:)), sends: part.sends.map(subgraph.modelValue(of:)))
            case .host(let index):
                let node = model.hostGraph.nodes[index]
                let outputs = (0..<node.outputCount).map { ModelValue.graph(ValueRef(node: index, output: $0)) }
                return .host(node.op!, inputs: node.inputs.map { .graph($0) }, outputs: outputs, specs: outputs.map(model.spec(of:)))
            }
        }
    }

    /// Bytes of the arenas this runner owns.
    public var arenaBytes: Int {
        units.reduce(0) { total, unit in
            if case .part(let runner, _, _) = unit { total + runner.arenaBytes } else { total }
        }
    }

    /// Brings the stage's weights into cache by reading them (the runtime calls this when its core
    /// switches to this model).
    public func activate() {
        for unit in units {
            if case .part(let runner, _, _) = unit { runner.activate() }
        }
    }

    /// `inputs` match `inputSpecs` (shapes and dtypes; the runtime checks them); returns tensors
    /// matching `outputSpecs`.
    public func run(_ inputs: [Tensor]) -> [Tensor] {
        precondition(inputs.count == receives.count, "stage \(stage) takes \(receives.count) tensors, got \(inputs.count)")
        var environment: [ModelValue: Tensor] = [:]
        for (value, tensor) in zip(receives, inputs) { environment[value] = tensor }
        func lookup(_ key: ModelValue) -> Tensor { environment[key] ?? constants[key]! }
        for unit in units {
            switch unit {
            case .part(let runner, let partReceives, let partSends):
                let results = runner.run(partReceives.map(lookup))
                for (value, tensor) in zip(partSends, results) { environment[value] = tensor }
            case .host(let op, let operands, let results, let specs):
                let outputs = specs.map { Tensor(zeros: $0.shape, dtype: $0.dtype) }
                op.execute(inputs: operands.map(lookup), outputs: outputs)
                for (value, tensor) in zip(results, outputs) { environment[value] = tensor }
            }
        }
        return sends.map(lookup)
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

    /// Activation bytes stage `stage` needs per request: its parts' arenas plus the tensors it
    /// allocates for what it sends and for host operator outputs.
    public func activationBytes(stage: Int) -> Int {
        var total = 0
        for unit in schedule.units[stage] {
            switch unit {
            case .part(let subgraphIndex, let partIndex):
                let artifact = subgraphs[subgraphIndex].artifact
                let part = artifact.parts[partIndex]
                total += part.memoryPlan.arenaBytes + part.sends.reduce(0) { $0 + artifact.values[$1].byteCount }
            case .host(let index):
                total += (0..<hostGraph.nodes[index].outputCount).reduce(0) {
                    $0 + spec(of: .graph(ValueRef(node: index, output: $1))).byteCount
                }
            }
        }
        return total
    }
}
