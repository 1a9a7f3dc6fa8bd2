import FlexKernels
import FlexTensor

/// MXNet `softmax`, `log_softmax` and `softmin` (aliases `_npx_softmax`, `_npx_log_softmax`) along
/// `axis` (default -1), of `data / temperature` (default 1).
///
/// `softmax` with `use_length=True` takes a second input `length`, shaped like data without `axis`
/// (integer or float values): only the first `length` elements along the axis are normalized and the
/// rest are 0. `dtype` may be `None` or `float32` (FlexEG computes in float32).
public struct SoftmaxOperator: Operator {
    public static let names = ["softmax", "_npx_softmax", "log_softmax", "_npx_log_softmax", "softmin"]
    public let opName: String
    public let variant: Reference.SoftmaxVariant
    public let axis: Int
    public let temperature: Float
    public let useLength: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        variant = switch opName {
        case "log_softmax", "_npx_log_softmax": .logSoftmax
        case "softmin": .softmin
        default: .softmax
        }
        axis = try attributes.int("axis", default: -1)
        temperature = try attributes.float("temperature") ?? 1
        let dtype = try attributes.choice("dtype", ["None", "float16", "float32", "float64"], default: "None")
        guard dtype == "None" || dtype == "float32" else {
            throw .unsupported("\(opName) with dtype=\(dtype); FlexEG computes softmax in float32")
        }
        useLength = try NeuralNetworkAttributes.optionalBool(&attributes, "use_length") ?? false
        if useLength, variant != .softmax {
            throw .invalidAttribute("use_length", value: "True", expected: "False: MXNet's \(opName) takes no length input")
        }
    }

    public func inputNames(inputCount: Int) -> [String] {
        useLength ? ["data", "length"] : ["data"]
    }

    /// The length input may be any numeric type.
    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        guard inputs.first == .float32 else {
            throw .unsupported("\(opName) computes in float32; data is \(inputs.first.map(\.description) ?? "missing") (insert a Cast)")
        }
        return [.float32]
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, useLength ? 2 : 1)
        let data = inputs[0]
        guard let axis = NeuralNetworkAttributes.normalizedAxis(axis, rank: data.rank) else {
            throw .invalidInputs("\(opName) axis=\(self.axis) is out of range for data \(data)")
        }
        if useLength {
            let expected = data.rank == 1 ? Shape([1]) : Shape(data.dims.enumerated().filter { $0.offset != axis }.map(\.element))
            guard inputs[1] == expected else {
                throw .invalidInputs("\(opName) expects length \(expected) for data \(data) (axis \(axis)), got \(inputs[1])")
            }
        }
        return [data]
    }

    /// About 4 flops per element (max, subtract, exp, divide).
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(4 * inputs[0].elementCount), bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    /// A `length` element as the count of valid elements: truncated toward zero like MXNet's cast to
    /// int, NaN and negative values as 0 (the kernels clamp to the axis size).
    public static func validLength(_ value: Float) -> Int32 {
        value >= 1 ? (value < Float(Int32.max) ? Int32(value) : .max) : 0
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let shape = inputs[0].shape
        let axis = NeuralNetworkAttributes.normalizedAxis(axis, rank: shape.rank)!
        let lengths = useLength ? (0..<inputs[1].elementCount).map { Int(Self.validLength(inputs[1].element(at: $0))) } : nil
        Reference.softmax(variant, input: inputs[0].floats, output: outputs[0].floats,
                          outer: NeuralNetworkAttributes.product(shape.dims[..<axis]), axisSize: shape[axis],
                          inner: NeuralNetworkAttributes.product(shape.dims[(axis + 1)...]),
                          temperature: temperature, lengths: lengths)
    }
}
