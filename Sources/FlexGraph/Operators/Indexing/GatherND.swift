import FlexKernels
import FlexTensor

/// MXNet `gather_nd(data, indices)`: `indices` of shape `(M, Y0, …)` picks, for each position
/// `(y0, …)`, the slice `data[indices[0, y…], …, indices[M-1, y…]]`, so the output is
/// `(Y0, …) + data.shape[M...]` in `data`'s dtype. Float indices truncate toward zero; a negative
/// index counts from the end. MXNet stops with an error on other out-of-range indices; FlexEG
/// kernels cannot fail, so those are clamped (in-range indices give MXNet's result).
public struct GatherNDOperator: Operator {
    public static let names = ["gather_nd"]
    public let opName: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
    }

    public func inputNames(inputCount: Int) -> [String] { ["data", "indices"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        let (data, indices) = (inputs[0], inputs[1])
        guard indices.rank >= 1, indices[0] >= 1, indices[0] <= data.rank else {
            throw .invalidInputs("\(opName): indices \(indices) must have rank >= 1 and a first axis of 1...\(data.rank) (data \(data))")
        }
        return [Shape(Array(indices.dims.dropFirst()) + Array(data.dims[indices[0]...]))]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { [inputs[0]] }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: 0, bytes: Double((2 * outputs[0].elementCount + inputs[1].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let (data, indices) = (inputs[0], inputs[1])
        let depth = indices.shape[0]
        let count = indices.elementCount / depth
        let strides = Reference.contiguousStrides(data.shape.dims)
        let block = data.shape.product(depth..<data.shape.rank) * data.dtype.size
        for position in 0..<count {
            var offset = 0
            for axis in 0..<depth {
                let size = data.shape[axis]
                var index = Int(Reference.loadInteger(indices.rawPointer, indices.dtype, axis * count + position))
                if index < 0 { index += size }
                offset += min(max(index, 0), size - 1) * strides[axis]
            }
            (outputs[0].rawPointer + position * block).copyMemory(from: data.rawPointer + offset * data.dtype.size, byteCount: block)
        }
    }
}
