import FlexTensor

/// MXNet `reshape_like(lhs, rhs, lhs_begin, lhs_end, rhs_begin, rhs_end)`: `lhs`'s elements with
/// its axes `[lhs_begin, lhs_end)` replaced by `rhs`'s axes `[rhs_begin, rhs_end)` (None = 0 or
/// the rank, negatives count from the end; all None = `rhs`'s whole shape). The element count must
/// not change; `rhs` is only read for its shape.
public struct ReshapeLikeOperator: FirstInputMovementOperator {
    public static let names = ["reshape_like"]
    public let opName: String
    public let lhsBegin: Int?
    public let lhsEnd: Int?
    public let rhsBegin: Int?
    public let rhsEnd: Int?

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        lhsBegin = try attributes.int("lhs_begin")
        lhsEnd = try attributes.int("lhs_end")
        rhsBegin = try attributes.int("rhs_begin")
        rhsEnd = try attributes.int("rhs_end")
    }

    public func inputNames(inputCount: Int) -> [String] { ["lhs", "rhs"] }

    /// `[begin, end)` of `shape`'s axes, MXNet's `ReshapeLikeRangeCanonicalize`.
    func range(_ begin: Int?, _ end: Int?, _ shape: Shape, _ name: String) throws(OperatorError) -> Range<Int> {
        let rank = shape.rank
        let b = begin.map { $0 < 0 ? $0 + rank : $0 } ?? 0
        let e = end.map { $0 < 0 ? $0 + rank : $0 } ?? rank
        guard b >= 0, b <= rank, e >= b, e <= rank else {
            throw .invalidInputs("\(opName): \(name)_begin=\(begin.map(String.init) ?? "None"), \(name)_end=\(end.map(String.init) ?? "None") "
                                 + "is not an axis range of \(name) \(shape)")
        }
        return b..<e
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        let (lhs, rhs) = (inputs[0], inputs[1])
        let l = try range(lhsBegin, lhsEnd, lhs, "lhs")
        let r = try range(rhsBegin, rhsEnd, rhs, "rhs")
        let output = Shape(Array(lhs.dims[..<l.lowerBound]) + Array(rhs.dims[r]) + Array(lhs.dims[l.upperBound...]))
        guard output.elementCount == lhs.elementCount else {
            throw .invalidInputs("\(opName): lhs \(lhs) has \(lhs.elementCount) elements but the shape taken from rhs \(rhs) is \(output)")
        }
        return [output]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        outputs[0].rawPointer.copyMemory(from: inputs[0].rawPointer, byteCount: inputs[0].byteCount)
    }
}
