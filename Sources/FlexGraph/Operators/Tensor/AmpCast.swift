import FlexKernels
import FlexTensor

/// MXNet's mixed-precision casts. `amp_cast` (`dtype`, required) converts a floating-point input to
/// `dtype` and passes any other input through unchanged (an int32 input stays int32).
/// `amp_multicast` (`num_outputs` inputs and outputs) converts every floating-point input to the
/// widest floating-point dtype among them, or with `cast_narrow=True` to the narrowest; integer
/// inputs pass through.
public struct AmpCastOperator: Operator {
    public static let names = ["amp_cast", "amp_multicast"]
    /// Floating-point dtypes from narrowest to widest.
    static let widths: [DType] = [.float16, .float32, .float64]
    public let opName: String
    /// `amp_cast`'s target dtype; nil for `amp_multicast`.
    public let dtype: DType?
    public let outputCount: Int
    public let castNarrow: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        if opName == "amp_cast" {
            guard attributes.raw["dtype"] != nil else { throw .missingAttribute("dtype") }
            dtype = try attributes.dtype("dtype", ["bfloat16", "float16", "float32", "float64", "int32", "int64", "int8", "uint8"],
                                         default: "float32", op: opName)
            outputCount = 1
            castNarrow = false
        } else {
            dtype = nil
            outputCount = try attributes.requiredInt("num_outputs")
            guard outputCount >= 1 else {
                throw .invalidAttribute("num_outputs", value: String(outputCount), expected: "at least 1")
            }
            castNarrow = try attributes.bool("cast_narrow", default: false)
        }
    }

    public func inputNames(inputCount: Int) -> [String] {
        dtype != nil ? ["data"] : (0..<outputCount).map { "data\($0)" }
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, outputCount)
        return inputs
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        if let dtype { return [inputs[0].isFloatingPoint ? dtype : inputs[0]] }
        let floats = inputs.filter(\.isFloatingPoint).compactMap { Self.widths.firstIndex(of: $0) }
        guard let chosen = castNarrow ? floats.min() : floats.max() else { return inputs }
        return inputs.map { $0.isFloatingPoint ? Self.widths[chosen] : $0 }
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        for (input, output) in zip(inputs, outputs) {
            Reference.cast(source: input.rawPointer, sourceType: input.dtype,
                           destination: output.rawPointer, destinationType: output.dtype, count: input.elementCount)
        }
    }
}
