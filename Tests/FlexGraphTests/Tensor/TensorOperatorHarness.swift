import FlexGraph
import FlexTensor

/// Builds tensor operators the way `Graph(symbol:)` does and runs them on their own.
enum TensorOperatorHarness {
    static func make(_ opName: String, _ attributes: [String: String] = [:]) throws -> any Operator {
        try OperatorRegistry.makeOperator(opName: opName, nodeName: "node", attributes: attributes)
    }

    static func shapes(_ opName: String, _ attributes: [String: String] = [:], _ inputs: [Shape]) throws -> [Shape] {
        try make(opName, attributes).inferShapes(inputs)
    }

    static func shape(_ opName: String, _ attributes: [String: String] = [:], _ inputs: Shape...) throws -> Shape {
        try shapes(opName, attributes, inputs)[0]
    }

    /// Infers shapes and dtypes, allocates the outputs and executes.
    static func run(_ opName: String, _ attributes: [String: String] = [:], _ inputs: [Tensor]) throws -> [Tensor] {
        let op = try make(opName, attributes)
        let shapes = try op.inferShapes(inputs.map(\.shape))
        let types = try op.inferTypes(inputs.map(\.dtype))
        let outputs = zip(shapes, types).map { Tensor(zeros: $0.0, dtype: $0.1) }
        op.execute(inputs: inputs, outputs: outputs)
        return outputs
    }

    /// A tensor of `dtype` holding `values` (whose Swift type must have that dtype's layout).
    static func tensor<T: BitwiseCopyable>(_ values: [T], _ shape: Shape, _ dtype: DType) -> Tensor {
        values.withUnsafeBytes { Tensor(shape: shape, dtype: dtype, bytes: $0) }
    }

    /// A float32 tensor holding 0, 1, 2, … in row-major order.
    static func iota(_ dims: Int...) -> Tensor {
        let shape = Shape(dims)
        return Tensor(shape: shape, floats: (0..<shape.elementCount).map(Float.init))
    }
}
