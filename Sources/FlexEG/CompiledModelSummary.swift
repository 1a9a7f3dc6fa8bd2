import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat

/// What `flexeg inspect` prints about a compiled model, as JSON:
/// `{"compiled": true, "cores": K, "target": "avx512", "formatVersion": 2, "stages": [{"index": i, "flops": F, …}], …}`.
/// Everything about how the model runs (kernels, arena, scratch, batch schedule) is read from the
/// artifacts' recorded plans: it is the plan the loaded runners instantiate.
public struct CompiledModelSummary: Codable, Sendable, Equatable {
    public struct Stage: Codable, Sendable, Equatable {
        public var index: Int
        /// FLOPs of one request (multiply-add = 2).
        public var flops: Double
        /// Bytes the stage's operators read and write for one request.
        public var bytes: Double
        /// Compiled steps and host operators run by the stage.
        public var nodes: Int
        /// Original MXNet nodes the stage covers, fused ones included.
        public var sourceNodes: Int
        /// One line per step: `name (op) [epilogue] {kernel} + fused nodes`.
        public var operators: [String]
        /// MXNet operator name → compiled steps of the stage running it (fused nodes not counted);
        /// `"<op> on host"` → the stage's host (excluded) nodes running it.
        public var operatorCounts: [String: Int]
        public var receives: [TensorSpec]
        public var sends: [TensorSpec]
        /// The recorded activation plan of the stage's parts: arena bytes with lifetime sharing (what a
        /// loaded runner allocates), and what the same values would take without.
        public var peakArenaBytes: Int
        public var unsharedArenaBytes: Int
        /// Kernel scratch a loaded runner allocates (each part's largest step's), bytes.
        public var scratchBytes: Int
        /// Per part: batch samples its first steps run one at a time (1: the whole batch step by step).
        public var samplesPerPass: [Int]
        /// What one loaded copy allocates on its core: the arenas plus kernel scratch.
        public var workspaceBytes: Int
        /// What each request in flight allocates: the tensors the stage sends on.
        public var activationBytes: Int
        public var weightBytes: Int
        /// Estimated time of one request on one core (`CostModel` defaults), microseconds.
        public var estimatedMicroseconds: Double
    }

    public struct Subgraph: Codable, Sendable, Equatable {
        public var name: String
        /// Stages the subgraph's parts run in.
        public var stages: [Int]
        public var steps: Int
        public var artifactBytes: Int
        public var inputs: [TensorSpec]
        public var outputs: [TensorSpec]
    }

    public var compiled: Bool
    public var cores: Int
    /// The instruction set the kernels were chosen for (`avx512`, `avx2`, `portable`).
    public var target: String
    public var formatVersion: Int
    public var inputs: [TensorSpec]
    public var outputs: [TensorSpec]
    public var stages: [Stage]
    public var subgraphs: [Subgraph]
    /// Host-graph operators that run outside any subgraph (excluded nodes), by name.
    public var hostNodes: [String]
}

extension CompiledModel {
    /// The data `flexeg inspect` shows, costed with `costModel`.
    public func summary(costModel: CostModel = CostModel()) -> CompiledModelSummary {
        var stages: [CompiledModelSummary.Stage] = []
        for stage in 0..<stageCount {
            var flops = 0.0, bytes = 0.0, seconds = 0.0
            var operators: [String] = []
            var operatorCounts: [String: Int] = [:]
            var sourceNodes = 0
            var peak = 0, unshared = 0, scratch = 0
            var samples: [Int] = []
            for unit in schedule.units[stage] {
                switch unit {
                case .part(let subgraphIndex, let partIndex):
                    let artifact = subgraphs[subgraphIndex].artifact
                    let part = artifact.parts[partIndex]
                    let program = Program(values: artifact.values, inputs: artifact.inputs, outputs: artifact.outputs,
                                          constants: [:], steps: artifact.steps)
                    for (step, kernel) in zip(artifact.steps[part.steps], part.plan.kernels) {
                        let cost = costModel.cost(of: step, in: program)
                        flops += cost.flops
                        bytes += cost.bytes
                        seconds += costModel.seconds(cost)
                        sourceNodes += 1 + step.fusedNodes.count
                        let fused = step.fusedNodes.isEmpty ? "" : " + " + step.fusedNodes.joined(separator: ", ")
                        let epilogue = step.epilogue.isEmpty ? "" : " [" + step.epilogue.map(\.summary).joined(separator: ", ") + "]"
                        operators.append("\(step.name) (\(step.opName))\(epilogue) {\(kernel.label)}\(fused)")
                        operatorCounts[step.opName, default: 0] += 1
                    }
                    peak += part.plan.memory.arenaBytes
                    unshared += part.plan.memory.unsharedBytes
                    scratch += part.plan.scratchBytes
                    samples.append(part.plan.samples)
                case .host(let index):
                    let node = hostGraph.nodes[index]
                    let op = node.op!
                    let cost = op.cost(inputs: node.inputs.map { inference.shape(of: $0) },
                                       outputs: (0..<node.outputCount).map { inference.shape(of: ValueRef(node: index, output: $0)) })
                    flops += cost.flops
                    bytes += cost.bytes
                    seconds += costModel.seconds(cost)
                    sourceNodes += 1
                    operators.append("\(node.name) (\(node.opName)) on host")
                    operatorCounts[node.opName + " on host", default: 0] += 1
                }
            }
            let receives = stageInputs(stage: stage)
            seconds += costModel.transferSeconds(bytes: receives.reduce(0) { $0 + $1.byteCount })
            stages.append(.init(index: stage, flops: flops, bytes: bytes, nodes: operators.count,
                                sourceNodes: sourceNodes, operators: operators, operatorCounts: operatorCounts, receives: receives, sends: stageOutputs(stage: stage),
                                peakArenaBytes: peak, unsharedArenaBytes: unshared, scratchBytes: scratch, samplesPerPass: samples,
                                workspaceBytes: workspaceBytes(stage: stage),
                                activationBytes: activationBytes(stage: stage),
                                weightBytes: weightBytes(stage: stage), estimatedMicroseconds: seconds * 1e6))
        }
        let subgraphSummaries = subgraphs.map { subgraph in
            CompiledModelSummary.Subgraph(
                name: subgraph.name, stages: subgraph.artifact.parts.map(\.stage), steps: subgraph.artifact.steps.count,
                artifactBytes: parameters[hostGraph.nodes[hostGraph.nodes[subgraph.node].inputs.last!.node].name]?.byteCount ?? 0,
                inputs: subgraph.artifact.inputs.map { subgraph.artifact.values[$0].spec },
                outputs: subgraph.artifact.outputs.map { subgraph.artifact.values[$0].spec })
        }
        let hostNodes = hostGraph.nodes.filter { !$0.isVariable && !($0.op is NeuronSubgraphOperator) }.map(\.name)
        let target = subgraphs.map(\.artifact.target).max() ?? .portable
        return CompiledModelSummary(compiled: true, cores: stageCount, target: target.rawValue, formatVersion: Int(CompiledArtifact.formatVersion),
                                    inputs: inputs, outputs: outputs, stages: stages, subgraphs: subgraphSummaries, hostNodes: hostNodes)
    }
}
