import FlexKernels
import FlexTensor

/// MXNet `argmax`: the index of the largest value along `axis` (an int, negatives allowed), or of
/// the flattened input when `axis` is None, as a float32. Ties give the first index; NaN counts as
/// the largest value. Without `keepdims` the axis is removed (a flattened or 1-D input gives `(1,)`);
/// with it, it stays as size 1 (every axis, for a flattened input).
public struct ArgmaxOperator: Operator {
    public static let names = ["argmax"]
    public let opName: String
    public let axis: Int?
    public let keepDims: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        axis = try attributes.int("axis")
        keepDims = try attributes.bool("keepdims", default: false)
    }

    /// Outer count, axis length and inner count of the `[outer, axis, inner]` view, and the output shape.
    func geometry(_ input: Shape) throws(OperatorError) -> (outer: Int, axisSize: Int, inner: Int, output: Shape) {
        guard input.elementCount > 0 else { throw .invalidInputs("\(opName) needs a non-empty input, got shape \(input)") }
        // Like MXNet, a 1-D input reduces its only axis whatever `axis` says.
        guard let axis, input.rank != 1 else {
            return (1, input.elementCount, 1, Shape(keepDims ? Array(repeating: 1, count: input.rank) : [1]))
        }
        let position = try input.normalizedAxis(axis, attribute: "axis", op: opName)
        var output = input.dims
        if keepDims { output[position] = 1 } else { output.remove(at: position) }
        return (input.product(0..<position), input[position], input.product((position + 1)..<input.rank), Shape(output))
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return [try geometry(inputs[0]).output]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(inputs[0].elementCount), bytes: Double((inputs[0].elementCount + outputs[0].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        guard let g = try? geometry(inputs[0].shape) else { return }
        Reference.argmax(input: inputs[0].floats, outer: g.outer, axisSize: g.axisSize, inner: g.inner, output: outputs[0].floats)
    }
}
