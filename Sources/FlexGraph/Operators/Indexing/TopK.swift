import FlexKernels
import FlexTensor

/// MXNet `topk(data, axis=-1, k=1, ret_typ='indices', is_ascend=False, dtype='float32')` and
/// `argsort(data, axis=-1, is_ascend=True, dtype='float32')`. Along `axis` (None: the flattened
/// input) elements are ordered by value, largest first unless `is_ascend`, equal values in index
/// order (MXNet's stable sort). `topk` keeps the first `k` (all when `k < 1`) and returns their
/// values (`value`), their indices in `dtype` (`indices`), both (`both`: values, then indices) or a
/// mask of `data`'s shape and dtype with 1 at the chosen positions (`mask`). `argsort` returns all
/// indices in `dtype`.
public struct TopKOperator: Operator {
    public static let names = ["topk", "argsort"]
    static let dtypes = ["float16", "float32", "float64", "int32", "int64", "uint8"]
    public let opName: String
    public let axis: Int?
    public let k: Int
    public let returnType: String
    public let ascending: Bool
    public let dtype: DType

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        let written = attributes.raw["axis"]
        let parsed = try attributes.int("axis")
        axis = written == nil ? -1 : parsed  // "None" sorts the flattened input
        if opName == "topk" {
            k = try attributes.int("k", default: 1)
            returnType = try attributes.choice("ret_typ", ["both", "indices", "mask", "value"], default: "indices")
            ascending = try attributes.bool("is_ascend", default: false)
        } else {
            k = 0
            returnType = "indices"
            ascending = try attributes.bool("is_ascend", default: true)
        }
        dtype = try attributes.dtype("dtype", Self.dtypes, default: "float32", op: opName)
    }

    public var outputCount: Int { returnType == "both" ? 2 : 1 }
    /// MXNet's topk always computes the indices: `value` has them as a hidden second output.
    public var totalOutputCount: Int { returnType == "both" || returnType == "value" ? 2 : 1 }

    /// `(outer, length, inner)` of the sorted axis, and the kept count.
    func geometry(_ shape: Shape) -> (outer: Int, length: Int, inner: Int, kept: Int) {
        let length: Int
        let outer: Int
        let inner: Int
        if let axis {
            let position = axis < 0 ? axis + shape.rank : axis
            (outer, length, inner) = (shape.product(0..<position), shape[position], shape.product((position + 1)..<shape.rank))
        } else {
            (outer, length, inner) = (1, shape.elementCount, 1)
        }
        return (outer, length, inner, k < 1 ? length : k)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let data = inputs[0]
        var output = data
        if let axis {
            let position = try data.normalizedAxis(axis, attribute: "axis", op: opName)
            output[position] = k < 1 ? data[position] : k
        } else {
            output = Shape([k < 1 ? data.elementCount : k])
        }
        let length = axis.map { data[$0 < 0 ? $0 + data.rank : $0] } ?? data.elementCount
        guard k <= length else {
            throw .invalidInputs("\(opName): k=\(k) is larger than the \(length) elements along the axis of \(data)")
        }
        if returnType == "mask" { return [data] }
        return Array(repeating: output, count: outputCount)
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        switch returnType {
        case "both": [inputs[0], dtype]
        case "value", "mask": [inputs[0]]
        default: [dtype]
        }
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let n = Double(inputs[0].elementCount)
        return OperatorCost(flops: n * max(1, n.squareRoot().rounded()), bytes: n * 8)
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        let (outer, length, inner, kept) = geometry(data.shape)
        if returnType == "mask" { outputs[0].rawPointer.initializeMemory(as: UInt8.self, repeating: 0, count: outputs[0].byteCount) }
        var order = [Int](repeating: 0, count: length)
        var values = [Double](repeating: 0, count: length)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                for j in 0..<length { values[j] = Reference.loadReal(data.rawPointer, data.dtype, base + j * inner) }
                order = Array(0..<length)
                order.sort { a, b in
                    values[a] == values[b] ? a < b : (ascending ? values[a] < values[b] : values[a] > values[b])
                }
                let outBase = o * kept * inner + i
                for j in 0..<kept {
                    let source = order[j]
                    switch returnType {
                    case "mask":
                        Reference.storeReal(1, outputs[0].rawPointer, outputs[0].dtype, base + source * inner)
                    case "value":
                        Reference.storeReal(values[source], outputs[0].rawPointer, outputs[0].dtype, outBase + j * inner)
                    case "both":
                        Reference.storeReal(values[source], outputs[0].rawPointer, outputs[0].dtype, outBase + j * inner)
                        Reference.storeReal(Double(source), outputs[1].rawPointer, outputs[1].dtype, outBase + j * inner)
                    default:
                        Reference.storeReal(Double(source), outputs[0].rawPointer, outputs[0].dtype, outBase + j * inner)
                    }
                }
            }
        }
    }
}
