import FlexKernels
import FlexTensor

/// MXNet `L2Normalization(data, eps=1e-10, mode='instance')`: `data / sqrt(Σ data² + eps)`, the sum
/// over every axis but the first (`instance`), over axis 1 at each position (`channel`), or over the
/// axes after 1 for each channel (`spatial`). MXNet's second output (the norms) is hidden.
public struct L2NormalizationOperator: Operator {
    public static let names = ["L2Normalization"]
    public let opName: String
    public let eps: Float
    public let mode: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        eps = try attributes.float("eps", default: 1e-10)
        mode = try attributes.choice("mode", ["channel", "instance", "spatial"], default: "instance")
    }

    public var totalOutputCount: Int { 2 }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        guard inputs[0].rank >= (mode == "instance" ? 1 : 2) else {
            throw .invalidInputs("\(opName) mode \(mode) needs data of rank \(mode == "instance" ? 1 : 2) or more, got \(inputs[0])")
        }
        return inputs
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let shape = inputs[0].shape
        // (outer, reduced, inner): the norm is taken over `reduced` for each (outer, inner).
        let (outer, reduced, inner): (Int, Int, Int) = switch mode {
        case "instance": (shape[0], shape.product(1..<shape.rank), 1)
        case "channel": (shape[0], shape[1], shape.product(2..<shape.rank))
        default: (shape[0] * shape[1], shape.product(2..<shape.rank), 1)
        }
        let (data, output) = (inputs[0].floats, outputs[0].floats)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * reduced * inner + i
                var sum: Float = 0
                for r in 0..<reduced { sum += data[base + r * inner] * data[base + r * inner] }
                let norm = (sum + eps).squareRoot()
                for r in 0..<reduced { output[base + r * inner] = data[base + r * inner] / norm }
            }
        }
    }
}
