import FlexKernels
import FlexTensor

/// MXNet `Pad` (alias `pad`): pads a 4-D or 5-D input on its spatial axes. `pad_width` (required) has
/// `(before, after)` for every axis, the first two axes' being 0 (MXNet pads only H, W and D);
/// `mode` (required) is `constant` (with `constant_value`, default 0, converted to the dtype),
/// `edge` or `reflect` (each pad shorter than its axis). See `Reference.PadMode`. Like MXNet, only
/// floating-point data is padded.
public struct PadOperator: DataMovementOperator {
    public static let names = ["Pad", "pad"]
    public let opName: String
    public let mode: Reference.PadMode
    public let padWidth: [Int]
    public let constantValue: Double

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        guard attributes.raw["mode"] != nil else { throw .missingAttribute("mode") }
        mode = Reference.PadMode(rawValue: try attributes.choice("mode", Reference.PadMode.allCases.map(\.rawValue), default: "constant"))!
        guard let width = try attributes.intTuple("pad_width") else { throw .missingAttribute("pad_width") }
        guard width.count == 8 || width.count == 10, width.allSatisfy({ $0 >= 0 }), width[0..<4].allSatisfy({ $0 == 0 }) else {
            throw .invalidAttribute("pad_width", value: attributes.raw["pad_width"] ?? "",
                                    expected: "8 or 10 non-negative entries (before, after per axis of a 4-D or 5-D input), the first four 0")
        }
        padWidth = width
        constantValue = try attributes.double("constant_value", default: 0)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let data = inputs[0]
        guard data.rank * 2 == padWidth.count else {
            throw .invalidInputs("\(opName): pad_width has \(padWidth.count) entries, so data must be \(padWidth.count / 2)-D, got \(data)")
        }
        var output = data
        for axis in 0..<data.rank {
            let (before, after) = (padWidth[2 * axis], padWidth[2 * axis + 1])
            if mode == .reflect, before >= data[axis] || after >= data[axis] {
                throw .invalidInputs("\(opName) reflect: pads (\(before), \(after)) on axis \(axis) must be shorter than its size \(data[axis])")
            }
            output[axis] += before + after
        }
        return [output]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        guard let type = inputs.first, type.isFloatingPoint else {
            throw .invalidInputs("\(opName) pads only floating-point data (as MXNet), got \(inputs.first.map(\.rawValue) ?? "nothing")")
        }
        return [type]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        let rank = data.shape.rank
        var storage: UInt64 = 0
        withUnsafeMutableBytes(of: &storage) { bytes in
            Reference.storeReal(constantValue, bytes.baseAddress!, data.dtype, 0)
            Reference.pad(elementSize: data.dtype.size, shape: data.shape.dims, before: (0..<rank).map { padWidth[2 * $0] },
                          after: (0..<rank).map { padWidth[2 * $0 + 1] }, mode: mode, constant: bytes.baseAddress!,
                          source: data.rawPointer, destination: outputs[0].rawPointer)
        }
    }
}
