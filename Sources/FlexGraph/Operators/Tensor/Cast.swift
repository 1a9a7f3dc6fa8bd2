import FlexKernels
import FlexTensor

/// MXNet `Cast`/`cast`: converts every element to `dtype` with C conversion semantics on x86-64
/// (see `Reference.cast`: float → int truncates toward zero; out-of-range values wrap or saturate
/// exactly as MXNet's build does). Any input dtype is accepted. MXNet's `bool` and `bfloat16` have no
/// FlexEG storage type and are rejected.
public struct CastOperator: Operator {
    public static let names = ["Cast", "cast"]
    public let opName: String
    public let dtype: DType

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        guard attributes.raw["dtype"] != nil else { throw .missingAttribute("dtype") }
        let name = try attributes.choice("dtype", ["bfloat16", "bool", "float16", "float32", "float64", "int32", "int64", "int8", "uint8"],
                                         default: "")
        guard let type = DType(rawValue: name) else {
            throw .unsupported("\(opName) to \(name): FlexEG stores only " + DType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        dtype = type
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return inputs
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { [dtype] }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(outputs[0].elementCount), bytes: Double(outputs[0].elementCount * (4 + dtype.size)))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.cast(source: inputs[0].rawPointer, sourceType: inputs[0].dtype,
                       destination: outputs[0].rawPointer, destinationType: dtype, count: inputs[0].elementCount)
    }
}
