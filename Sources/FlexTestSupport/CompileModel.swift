import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexTensor

/// `Compiler.compile` followed by `CompiledModel(_:)`: what most tests want, a runnable compiled model.
public func compileModel(graph: Graph, parameters: [String: Tensor], inputShapes: [String: Shape], cores: Int,
                         exclude: Set<String> = [], costModel: CostModel = CostModel(), target: Fast.InstructionSet = .active,
                         progress: ((CompileProgress) -> Void)? = nil) throws(CompileError) -> CompiledModel {
    try CompiledModel(Compiler.compile(graph: graph, parameters: parameters, inputShapes: inputShapes, cores: cores, exclude: exclude,
                                       costModel: costModel, target: target, progress: progress))
}
