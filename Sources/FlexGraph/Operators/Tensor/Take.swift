import FlexKernels
import FlexTensor

/// MXNet `take`: picks entries of `a` along `axis` (default 0, negatives allowed) at `indices`
/// (any shape; float32 or integer). Output shape: `a.shape[..<axis] + indices.shape + a.shape[axis+1...]`.
///
/// Float indices are truncated toward zero (C cast). `mode`: `clip` (default) clamps to the axis,
/// `wrap` takes them modulo its size. `raise` behaves as `clip`: MXNet stops with an error on an
/// out-of-range index at run time, but FlexEG kernels cannot fail, so such indices are clamped
/// (in-range indices give MXNet's result). `a` may have any dtype; the output keeps it.
public struct TakeOperator: Operator {
    public static let names = ["take"]
    public let opName: String
    public let axis: Int
    public let mode: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        axis = try attributes.int("axis", default: 0)
        mode = try attributes.choice("mode", ["clip", "raise", "wrap"], default: "clip")
    }

    public func inputNames(inputCount: Int) -> [String] { ["a", "indices"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        let data = inputs[0]
        let position = try data.normalizedAxis(axis, attribute: "axis", op: opName)
        guard data[position] > 0 || inputs[1].elementCount == 0 else {
            throw .invalidInputs("\(opName): axis \(position) of a \(data) is empty, so no index can be taken")
        }
        return [Shape(Array(data.dims[..<position]) + inputs[1].dims + Array(data.dims[(position + 1)...]))]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { [inputs[0]] }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: 0, bytes: Double((2 * outputs[0].elementCount + inputs[1].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        let indices = inputs[1]
        let position = axis < 0 ? axis + data.shape.rank : axis
        let axisSize = data.shape[position]
        if axisSize == 0 { return }
        let positions = Reference.resolveIndices(indices.rawPointer, dtype: indices.dtype, count: indices.elementCount,
                                                 axisSize: axisSize, mode: mode == "wrap" ? .wrap : .clip)
        Reference.gather(elementSize: data.dtype.size, source: data.rawPointer,
                         outer: data.shape.product(0..<position), axisSize: axisSize,
                         inner: data.shape.product((position + 1)..<data.shape.rank),
                         positions: positions, destination: outputs[0].rawPointer)
    }
}
