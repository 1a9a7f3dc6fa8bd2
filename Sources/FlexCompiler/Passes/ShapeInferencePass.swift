import FlexArtifact
import FlexGraph
import FlexTensor

/// Recomputes every step output's shape and dtype from its inputs with the operators' own inference
/// (the same rules `GraphInference` applies to a graph), and checks each epilogue operand matches
/// the output it is added to. Run after rewrites to catch any that broke the program.
package struct ShapeInferencePass: CompilerPass {
    package let name = "infer-shapes"

    package init() {}

    package func run(on program: inout Program) throws(CompileError) {
        for step in program.steps {
            let shapes = step.inputs.map { program.values[$0].shape }
            let types = step.inputs.map { program.values[$0].dtype }
            let outShapes: [Shape]
            let outTypes: [DType]
            do {
                outShapes = try step.op.inferShapes(shapes)
                outTypes = try step.op.inferTypes(types)
            } catch {
                throw .graph(.invalidNode(node: step.name, op: step.opName, error))
            }
            guard outShapes.count == step.outputs.count, outTypes.count == step.outputs.count else {
                throw .pass(pass: name, node: step.name, message: "\(step.opName) infers \(outShapes.count) outputs but the step has \(step.outputs.count)")
            }
            for (position, value) in step.outputs.enumerated() {
                program.values[value].shape = outShapes[position]
                program.values[value].dtype = outTypes[position]
            }
            guard !step.epilogue.isEmpty else { continue }
            let result = program.values[step.outputs[0]]
            guard result.dtype == .float32 else {
                throw .pass(pass: name, node: step.name, message: "fused epilogue needs a float32 output, got \(result.dtype)")
            }
            for operand in step.epilogue.compactMap(\.operand) {
                let value = program.values[operand]
                guard value.shape == result.shape, value.dtype == .float32 else {
                    throw .pass(pass: name, node: step.name, message: "fused add of '\(value.name)' \(value.shape) \(value.dtype) onto output \(result.shape) float32")
                }
            }
        }
    }
}
