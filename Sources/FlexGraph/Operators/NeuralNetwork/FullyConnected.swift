import FlexKernels
import FlexTensor

/// MXNet `FullyConnected` (aliases `_npx_fully_connected`, `_sparse_FullyConnected`):
/// `output = data · weightᵀ + bias`.
///
/// With `flatten` (the default) data `(N, d1, d2, ...)` is read as `(N, d1*d2*...)` and the output is
/// `(N, num_hidden)`; without, the last axis is the feature axis and the output keeps the leading axes:
/// `(d0, ..., d_{n-2}, num_hidden)`. Weight `(num_hidden, features)`; bias `(num_hidden,)` (MXNet also
/// accepts `(num_hidden, 1)`) unless `no_bias`.
///
/// The compiler may build instances directly (`init(numHidden:...)`).
public struct FullyConnectedOperator: Operator {
    public static let names = ["FullyConnected", "_npx_fully_connected", "_sparse_FullyConnected"]
    public let opName: String
    public let numHidden: Int
    public let noBias: Bool
    public let flatten: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        numHidden = try attributes.requiredInt("num_hidden")
        guard numHidden >= 1 else { throw .invalidAttribute("num_hidden", value: String(numHidden), expected: "at least 1") }
        noBias = try attributes.bool("no_bias", default: false)
        flatten = try attributes.bool("flatten", default: true)
    }

    /// A dense layer built by the compiler.
    public init(numHidden: Int, noBias: Bool, flatten: Bool = true, opName: String = "FullyConnected") {
        precondition(numHidden >= 1, "num_hidden must be positive")
        self.opName = opName
        self.numHidden = numHidden
        self.noBias = noBias
        self.flatten = flatten
    }

    public func inputNames(inputCount: Int) -> [String] {
        noBias ? ["data", "weight"] : ["data", "weight", "bias"]
    }

    /// `(rows, features)`: how the kernel sees `data`.
    public func matrixShape(data: Shape) -> (rows: Int, features: Int) {
        if flatten {
            return (data[0], NeuralNetworkAttributes.product(data.dims.dropFirst()))
        }
        return (NeuralNetworkAttributes.product(data.dims.dropLast()), data[data.rank - 1])
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, noBias ? 2 : 3)
        let data = inputs[0]
        guard data.rank >= 1 else { throw .invalidInputs("\(opName) expects data of rank at least 1, got a scalar") }
        let features = matrixShape(data: data).features
        let weight = Shape([numHidden, features])
        guard inputs[1] == weight else {
            throw .invalidInputs("\(opName) expects weight \(weight) for data \(data)\(flatten ? "" : " (flatten=False)"), got \(inputs[1])")
        }
        if !noBias, inputs[2] != Shape([numHidden]), inputs[2] != Shape([numHidden, 1]) {
            throw .invalidInputs("\(opName) expects bias (\(numHidden),), got \(inputs[2])")
        }
        if flatten { return [Shape([data[0], numHidden])] }
        return [Shape(data.dims.dropLast() + [numHidden])]
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        // With flatten, `(N, features)` is one valid data shape; without, the rank is unknown.
        if result[0] == nil, flatten, let weight = known[1], weight.rank == 2 {
            result[0] = Shape([0, weight[1]])
        }
        if result[1] == nil {
            result[1] = Shape([numHidden, known[0].map { matrixShape(data: $0).features } ?? 0])
        }
        if !noBias, result.count > 2, result[2] == nil { result[2] = Shape([numHidden]) }
        return result
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let (rows, features) = matrixShape(data: inputs[0])
        let perOutput = noBias ? 0 : 1
        return OperatorCost(flops: Double(2 * rows * features * numHidden + perOutput * rows * numHidden),
                            bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let (rows, features) = matrixShape(data: inputs[0].shape)
        Reference.fullyConnected(input: inputs[0].floats, weight: inputs[1].floats, bias: noBias ? nil : UnsafePointer(inputs[2].floats),
                                 output: outputs[0].floats, rows: rows, inputFeatures: features, outputFeatures: numHidden)
    }
}
