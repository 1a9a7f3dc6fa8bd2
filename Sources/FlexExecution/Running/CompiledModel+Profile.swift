import FlexArtifact
import FlexGraph
import FlexTensor

/// The measured time of one compiled step (or host operator) of a model.
public struct StepProfile: Sendable, Equatable {
    public var stage: Int
    /// The MXNet node the step came from.
    public var name: String
    public var opName: String
    /// What runs it: `gemm`, `winograd`, `depthwise`, `packed-gemm`, `pooling`, …, `reference`, `host`;
    /// `fused` when the next step's kernel (`gemm+depthwise`) does its work, and its time is counted there.
    public var kernel: String
    /// The instruction set the step's kernel runs at in this process (`avx512`, `avx2`, `portable`), or
    /// `-` for Swift code (reference operators, host operators, copies, fused steps).
    public var instructionSet: String
    /// Fused elementwise operations, as in the summary (`add`, `relu`, `clip(0.0,6.0)`).
    public var epilogue: [String]
    /// Mean seconds per run.
    public var seconds: Double
    /// Direct FLOPs of one run (a Winograd convolution counts its direct FLOPs).
    public var flops: Double
}

extension CompiledModel {
    /// Runs the whole model `iterations` times on the calling thread (every stage in order, each with
    /// one runner made up front, after one untimed run) and returns each step's mean time, in stage
    /// and execution order. `inputs` in `self.inputs` order with their shapes and dtype float32.
    public func profile(_ inputs: [Tensor], iterations: Int) -> [StepProfile] {
        precondition(iterations >= 1, "profile needs at least one iteration")
        var profiles: [[StepProfile]] = []
        for stage in 0..<stageCount {
            var steps: [StepProfile] = []
            for unit in schedule.units[stage] {
                switch unit {
                case .part(let subgraphIndex, let partIndex):
                    let artifact = subgraphs[subgraphIndex].artifact
                    for step in artifact.steps[artifact.parts[partIndex].steps] {
                        steps.append(StepProfile(
                            stage: stage, name: step.name, opName: step.opName,
                            kernel: "", instructionSet: "-", epilogue: step.epilogue.map(\.summary), seconds: 0, flops: step.directCost(values: artifact.values).flops))
                    }
                case .host(let index):
                    let node = hostGraph.nodes[index]
                    let cost = node.op!.cost(inputs: node.inputs.map { inference.shape(of: $0) },
                                             outputs: (0..<node.outputCount).map { inference.shape(of: ValueRef(node: index, output: $0)) })
                    steps.append(StepProfile(stage: stage, name: node.name, opName: node.opName, kernel: "host", instructionSet: "-", epilogue: [],
                                             seconds: 0, flops: cost.flops))
                }
            }
            profiles.append(steps)
        }
        let runners = (0..<stageCount).map(makeStageRunner(stage:))
        for (stage, runner) in runners.enumerated() {
            for (index, (label, isa)) in zip(runner.kernelLabels, runner.kernelInstructionSets).enumerated() {
                profiles[stage][index].kernel = label
                profiles[stage][index].instructionSet = isa?.rawValue ?? "-"
                // A fused step's work (and time) is the next step's.
                if label == KernelChoice.deferred.label, index + 1 < profiles[stage].count {
                    profiles[stage][index + 1].flops += profiles[stage][index].flops
                    profiles[stage][index].flops = 0
                }
            }
        }
        for pass in 0...iterations {
            var values = inputs
            for (stage, runner) in runners.enumerated() {
                values = runner.run(values, timer: pass == 0 ? nil : { index, start, end in
                    profiles[stage][index].seconds += (end - start).seconds / Double(iterations)
                })
            }
        }
        return profiles.flatMap { $0 }
    }
}
