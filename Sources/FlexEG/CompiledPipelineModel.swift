import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat

/// A compiled model as the runtime loads it: `CompiledModel`'s stages under a name.
///
/// Identity matters (see `PipelineModel`): make one per compiled model and load it as many times as
/// needed, so all instances share one copy of the weights. Immutable; any thread.
public final class CompiledPipelineModel: PipelineModel {
    public let name: String
    public let compiled: CompiledModel
    /// Per stage: what one loaded instance's runner allocates, planned once here.
    private let workspace: [Int]

    public init(name: String, compiled: CompiledModel) {
        self.name = name
        self.compiled = compiled
        workspace = (0..<compiled.stageCount).map(compiled.workspaceBytes(stage:))
    }

    public var stageCount: Int { compiled.stageCount }
    public var inputs: [TensorSpec] { compiled.inputs }
    public var outputs: [TensorSpec] { compiled.outputs }
    public func weightBytes(stage: Int) -> Int { compiled.weightBytes(stage: stage) }
    public func workspaceBytes(stage: Int) -> Int { workspace[stage] }
    public func activationBytes(stage: Int) -> Int { compiled.activationBytes(stage: stage) }
    public func makeStageRunner(stage: Int) -> any StageRunner { compiled.makeStageRunner(stage: stage) }
    public var inputsReadInPadding: [Int] { compiled.inputsReadInPadding }  // read once per load
}

extension CompiledStageRunner: StageRunner {}
