import FlexKernels
import FlexTensor

/// MXNet `zeros_like` and `ones_like`: an array of the input's shape and dtype filled with 0 or 1.
/// The input's values are never read.
public struct FillLikeOperator: DataMovementOperator {
    public static let names = ["zeros_like", "ones_like"]
    public let opName: String
    public let value: Float

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        value = opName == "ones_like" ? 1 : 0
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return inputs
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: 0, bytes: Double(outputs[0].elementCount * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let output = outputs[0]
        let element = Tensor(zeros: [1], dtype: output.dtype)
        element.setElement(at: 0, value)
        Reference.fill(output.rawPointer, count: output.elementCount, elementSize: output.dtype.size, element: element.rawPointer)
    }
}
