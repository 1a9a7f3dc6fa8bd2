import FlexGraph
import FlexTensor

/// What `flexeg inspect` prints about a compiled model, as JSON:
/// `{"compiled": true, "cores": K, "formatVersion": 1, "stages": [{"index": i, "flops": F, "bytes": B, "nodes": n, …}], …}`.
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
        /// The compiler's activation plan for the stage (whole batch, before load-time fusions): arena
        /// bytes with lifetime sharing, and what the same values would take without.
        public var peakArenaBytes: Int
        public var unsharedArenaBytes: Int
        /// What one loaded copy allocates on its core: arenas as planned at load plus kernel scratch.
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
            var peak = 0, unshared = 0
            for unit in schedule.units[stage] {
                switch unit {
                case .part(let subgraphIndex, let partIndex):
                    let artifact = subgraphs[subgraphIndex].artifact
                    let part = artifact.parts[partIndex]
                    let program = Program(values: artifact.values, inputs: artifact.inputs, outputs: artifact.outputs,
                                          constants: [:], steps: artifact.steps)
                    for step in artifact.steps[part.steps] {
                        let cost = costModel.cost(of: step, in: program)
                        flops += cost.flops
                        bytes += cost.bytes
                        seconds += costModel.seconds(cost)
                        sourceNodes += 1 + step.fusedNodes.count
                        let fused = step.fusedNodes.isEmpty ? "" : " + " + step.fusedNodes.joined(separator: ", ")
                        let epilogue = step.epilogue.isEmpty ? "" : " [" + step.epilogue.map(\.summary).joined(separator: ", ") + "]"
                        let kernel = StepKernel.name(for: step, values: artifact.values, weight: { artifact.weights[$0] })
                        operators.append("\(step.name) (\(step.opName))\(epilogue) {\(kernel)}\(fused)")
                        operatorCounts[step.opName, default: 0] += 1
                    }
                    peak += part.memoryPlan.arenaBytes
                    unshared += part.memoryPlan.unsharedBytes
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
                                peakArenaBytes: peak, unsharedArenaBytes: unshared, workspaceBytes: workspaceBytes(stage: stage),
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
        return CompiledModelSummary(compiled: true, cores: stageCount, formatVersion: Int(CompiledArtifact.formatVersion),
                                    inputs: inputs, outputs: outputs, stages: stages, subgraphs: subgraphSummaries, hostNodes: hostNodes)
    }
}
