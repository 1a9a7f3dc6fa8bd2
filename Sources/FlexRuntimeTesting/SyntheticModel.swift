import FlexRuntime
import FlexTensor

/// The null backend: a `PipelineModel` of `stageCount` stages whose stages do real, measurable work
/// (`StageWork`) on real tensors, so placement, pipelining, switching and backpressure are testable
/// without the compiler.
///
/// One float32 input `data` and one output `output`, both of `shape`; every stage adds 1, so
/// `output = data + stageCount` proves each stage ran exactly once, in order, on the right request.
/// Each stage has `weightBytes` of real weights (allocated once, shared by every instance);
/// `activate()` reads them all, so a model switch costs time proportional to their size.
///
/// Thread ownership: immutable and shared; its runners are confined to their cores. `observer` is
/// called on core threads.
public final class SyntheticModel: PipelineModel {
    public let name: String
    public let stageCount: Int
    public let inputs: [TensorSpec]
    public let outputs: [TensorSpec]
    public let work: StageWork
    let weights: [TensorBuffer]
    let workspaceBytesPerStage: Int
    let activationBytesPerStage: Int
    let observer: (@Sendable (StageEvent) -> Void)?

    /// - Parameters:
    ///   - workspaceBytes: per stage and loaded instance; default 0.
    ///   - activationBytes: per stage and in-flight request; default: the stage's input plus output.
    public init(
        name: String, stageCount: Int, shape: Shape = [4], weightBytes: Int = 64 << 10, workspaceBytes: Int = 0,
        activationBytes: Int? = nil,
        work: StageWork = .none, observer: (@Sendable (StageEvent) -> Void)? = nil
    ) {
        self.name = name
        self.stageCount = stageCount
        self.inputs = [TensorSpec(name: "data", shape: shape)]
        self.outputs = [TensorSpec(name: "output", shape: shape)]
        self.work = work
        self.weights = (0..<max(stageCount, 0)).map { stage in
            let buffer = TensorBuffer(byteCount: weightBytes)
            let values = buffer.baseAddress.bindMemory(to: Float.self, capacity: weightBytes / 4)
            for index in 0..<(weightBytes / 4) { values[index] = Float(stage + index % 7) }
            return buffer
        }
        self.workspaceBytesPerStage = workspaceBytes
        self.activationBytesPerStage = activationBytes ?? 2 * shape.elementCount * DType.float32.size
        self.observer = observer
    }

    public func weightBytes(stage: Int) -> Int { weights[stage].byteCount }
    public func workspaceBytes(stage: Int) -> Int { workspaceBytesPerStage }
    public func activationBytes(stage: Int) -> Int { activationBytesPerStage }

    public func makeStageRunner(stage: Int) -> any StageRunner {
        SyntheticStageRunner(model: self, stage: stage)
    }

    func report(_ phase: StageEvent.Phase, stage: Int, tag: Float?) {
        observer?(StageEvent(model: name, stage: stage, phase: phase, tag: tag, cpu: HostCPUs.current(), time: .now))
    }
}
