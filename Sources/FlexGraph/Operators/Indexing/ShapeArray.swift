import FlexTensor

/// MXNet `shape_array(data)`: `data`'s shape as a 1-D int64 array of `rank` entries. The values
/// depend only on the input's static shape, so a compiler can fold them into a constant.
public struct ShapeArrayOperator: Operator {
    public static let names = ["shape_array"]
    public let opName: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return [Shape([inputs[0].rank])]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { [.int64] }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: 0, bytes: Double(outputs[0].elementCount * 8))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let values = outputs[0].rawPointer.assumingMemoryBound(to: Int64.self)
        for (axis, size) in inputs[0].shape.dims.enumerated() { values[axis] = Int64(size) }
    }
}
