import Foundation
import FlexKernels
import FlexTensor

/// MXNet's interleaved multi-head attention products (GluonNLP BERT/transformer), `heads` required:
/// - `_contrib_interleaved_matmul_selfatt_qk(queries_keys_values)`: `qkv (L, B, heads*3*D)` →
///   scores `(B*heads, L, L)` = `q/sqrt(D) · kᵀ`;
/// - `_contrib_interleaved_matmul_selfatt_valatt(queries_keys_values, attention)` → `(L, B, heads*D)`;
/// - `_contrib_interleaved_matmul_encdec_qk(queries, keys_values)`: `q (Lq, B, heads*D)`,
///   `kv (Lk, B, heads*2*D)` → `(B*heads, Lq, Lk)`;
/// - `_contrib_interleaved_matmul_encdec_valatt(keys_values, attention)` → `(Lq, B, heads*D)`.
/// Layouts in `Reference.interleavedScores`.
public struct InterleavedMatMulOperator: Operator {
    public static let names = ["_contrib_interleaved_matmul_selfatt_qk", "_contrib_interleaved_matmul_selfatt_valatt",
                               "_contrib_interleaved_matmul_encdec_qk", "_contrib_interleaved_matmul_encdec_valatt"]
    public let opName: String
    public let heads: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        heads = try attributes.requiredInt("heads")
        guard heads >= 1 else { throw .invalidAttribute("heads", value: String(heads), expected: "a positive integer") }
    }

    var kind: String { String(opName.dropFirst("_contrib_interleaved_matmul_".count)) }

    public func inputNames(inputCount: Int) -> [String] {
        switch kind {
        case "selfatt_qk": ["queries_keys_values"]
        case "selfatt_valatt": ["queries_keys_values", "attention"]
        case "encdec_qk": ["queries", "keys_values"]
        default: ["keys_values", "attention"]
        }
    }

    /// Head size of a projection with `parts` parts per head.
    func headDim(_ shape: Shape, parts: Int, name: String) throws(OperatorError) -> Int {
        guard shape.rank == 3, shape[2] % (heads * parts) == 0 else {
            throw .invalidInputs("\(opName) needs \(name) of shape (seq, batch, heads*\(parts)*head_dim) with heads=\(heads), got \(shape)")
        }
        return shape[2] / (heads * parts)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, kind == "selfatt_qk" ? 1 : 2)
        switch kind {
        case "selfatt_qk":
            _ = try headDim(inputs[0], parts: 3, name: "queries_keys_values")
            return [Shape([inputs[0][1] * heads, inputs[0][0], inputs[0][0]])]
        case "encdec_qk":
            _ = try headDim(inputs[0], parts: 1, name: "queries")
            let d = try headDim(inputs[1], parts: 2, name: "keys_values")
            guard inputs[0][2] == heads * d, inputs[0][1] == inputs[1][1] else {
                throw .invalidInputs("\(opName): queries \(inputs[0]) and keys_values \(inputs[1]) disagree on batch or head size")
            }
            return [Shape([inputs[0][1] * heads, inputs[0][0], inputs[1][0]])]
        default:
            let parts = kind == "selfatt_valatt" ? 3 : 2
            let d = try headDim(inputs[0], parts: parts, name: inputNames(inputCount: 2)[0])
            let (length, batch) = (inputs[0][0], inputs[0][1])
            let attention = inputs[1]
            guard attention.rank == 3, attention[0] == batch * heads, attention[2] == length,
                  kind == "encdec_valatt" || attention[1] == length else {
                throw .invalidInputs("\(opName) needs attention of shape (\(batch * heads), \(kind == "encdec_valatt" ? "q_seq" : String(length)), \(length)), got \(attention)")
            }
            return [Shape([attention[1], batch, heads * d])]
        }
    }

    /// The product as the fast kernels' geometry, for inputs of these (valid) shapes; nil when a
    /// dimension is zero.
    public func attention(inputs: [Shape]) -> Fast.Transformer.Attention? {
        guard inputs.count == (kind == "selfatt_qk" ? 1 : 2), inputs.allSatisfy({ $0.rank == 3 && $0.elementCount > 0 }) else { return nil }
        let first = inputs[0]
        switch kind {
        case "selfatt_qk", "encdec_qk":
            let selfAttention = kind == "selfatt_qk"
            let keys = selfAttention ? first : inputs[1]
            let d = keys[2] / (heads * (selfAttention ? 3 : 2))
            return Fast.Transformer.Attention(
                product: .scores(queryParts: selfAttention ? 3 : 1, queryPart: 0, keyParts: selfAttention ? 3 : 2,
                                 keyPart: selfAttention ? 1 : 0, scale: 1 / Float(d).squareRoot()),
                batch: first[1], heads: heads, headDim: d, queryLength: first[0], keyLength: keys[0])
        default:
            let parts = kind == "selfatt_valatt" ? 3 : 2
            return Fast.Transformer.Attention(
                product: .weightedValues(valueParts: parts, valuePart: parts - 1),
                batch: first[1], heads: heads, headDim: first[2] / (heads * parts), queryLength: inputs[1][1], keyLength: first[0])
        }
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let d = Double(inputs[0][2] / (heads * (kind.hasPrefix("selfatt") ? 3 : (kind == "encdec_qk" ? 1 : 2))))
        let products = kind.hasSuffix("qk") ? Double(outputs[0].elementCount) * d : Double(inputs[1].elementCount) * d
        return OperatorCost(flops: 2 * products, bytes: Double((inputs.reduce(0) { $0 + $1.elementCount } + outputs[0].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let first = inputs[0].shape
        switch kind {
        case "selfatt_qk", "encdec_qk":
            let selfAttention = kind == "selfatt_qk"
            let keys = selfAttention ? inputs[0] : inputs[1]
            let d = keys.shape[2] / (heads * (selfAttention ? 3 : 2))
            Reference.interleavedScores(queries: inputs[0].floats, queryParts: selfAttention ? 3 : 1, queryPart: 0, queryLength: first[0],
                                        keys: keys.floats, keyParts: selfAttention ? 3 : 2, keyPart: selfAttention ? 1 : 0,
                                        keyLength: keys.shape[0], batch: first[1], heads: heads, headDim: d,
                                        scale: 1 / Float(d).squareRoot(), output: outputs[0].floats)
        default:
            let parts = kind == "selfatt_valatt" ? 3 : 2
            Reference.interleavedWeightedValues(values: inputs[0].floats, valueParts: parts, valuePart: parts - 1, keyLength: first[0],
                                                attention: inputs[1].floats, queryLength: inputs[1].shape[1], batch: first[1],
                                                heads: heads, headDim: first[2] / (heads * parts), output: outputs[0].floats)
        }
    }
}
