import FlexKernels
import FlexTensor

/// MXNet `_full` (`value`, required), `_ones` and `_zeros`: a new array of `shape` and `dtype`
/// (default float32) filled with one value, converted to `dtype` as a C cast does (`_full` of 3.7 as
/// int32 is 3). No inputs; `ctx` has no effect on a CPU. The shape is static, so a compiler can fold
/// the result into a constant.
public struct FullOperator: Operator {
    public static let names = ["_full", "_ones", "_zeros"]
    static let dtypes = ["bfloat16", "bool", "float16", "float32", "float64", "int32", "int64", "int8", "uint8"]
    public let opName: String
    public let shape: Shape
    public let dtype: DType
    public let value: Double

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        let dims = try attributes.intTuple("shape", default: [])
        guard !dims.isEmpty, dims.allSatisfy({ $0 >= 0 }) else {
            throw .invalidAttribute("shape", value: attributes.raw["shape"] ?? "()", expected: "a non-empty tuple of sizes such as (2, 3)")
        }
        shape = Shape(dims)
        dtype = try attributes.dtype("dtype", Self.dtypes, default: "float32", op: opName)
        attributes.ignore("ctx")
        switch opName {
        case "_ones": value = 1
        case "_zeros": value = 0
        default:
            guard attributes.raw["value"] != nil else { throw .missingAttribute("value") }
            value = try attributes.double("value", default: 0)
        }
    }

    public func inputNames(inputCount: Int) -> [String] { [] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 0)
        return [shape]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { [dtype] }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: 0, bytes: Double(outputs[0].elementCount * dtype.size))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let output = outputs[0]
        var storage: UInt64 = 0
        withUnsafeMutableBytes(of: &storage) { bytes in
            Reference.storeReal(value, bytes.baseAddress!, dtype, 0)
            Reference.fill(output.rawPointer, count: output.elementCount, elementSize: dtype.size, element: bytes.baseAddress!)
        }
    }
}
