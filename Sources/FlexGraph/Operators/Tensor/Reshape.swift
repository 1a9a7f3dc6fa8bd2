import FlexTensor

/// MXNet `Reshape`/`reshape`: a new shape for the same row-major elements.
///
/// `shape` may hold MXNet's special codes (see `outputShape(for:)`), applied left to right, or right
/// to left when `reverse` is set. The deprecated `target_shape` (one 0 marks the inferred dimension)
/// and `keep_highest` (keep the input's first dimension) are honoured when `shape` is empty.
public struct ReshapeOperator: DataMovementOperator {
    public static let names = ["Reshape", "reshape"]
    public let opName: String
    public let shape: [Int]
    public let reverse: Bool
    public let targetShape: [Int]
    public let keepHighest: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        shape = try attributes.intTuple("shape", default: [])
        reverse = try attributes.bool("reverse", default: false)
        targetShape = try attributes.intTuple("target_shape", default: [])
        keepHighest = try attributes.bool("keep_highest", default: false)
        if let bad = shape.first(where: { $0 < -4 }) {
            throw .invalidAttribute("shape", value: attributes.raw["shape"] ?? "",
                                    expected: "sizes and the codes 0, -1, -2, -3, -4 (found \(bad))")
        }
        if let bad = targetShape.first(where: { $0 < 0 }) {
            throw .invalidAttribute("target_shape", value: attributes.raw["target_shape"] ?? "",
                                    expected: "non-negative sizes, one 0 for the inferred dimension (found \(bad))")
        }
        if shape.isEmpty && targetShape.isEmpty {
            throw .missingAttribute("shape")
        }
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let input = inputs[0]
        let output = shape.isEmpty ? legacyOutputShape(for: input) : try outputShape(for: input)
        guard output.elementCount == input.elementCount else {
            throw .invalidInputs("\(opName): shape \(describe(shape.isEmpty ? targetShape : shape)) turns input \(input) "
                                 + "(\(input.elementCount) elements) into \(output) (\(output.elementCount) elements)")
        }
        return [output]
    }

    /// MXNet's `InferReshapeShape`, code for code:
    /// - `0` copies the next input dimension; a positive size is taken as is (and skips one input dim);
    /// - `-1` is inferred from the element count (and skips one input dimension);
    /// - `-2` copies all remaining input dimensions; `-3` merges the next two into their product;
    /// - `-4, a, b` splits the next input dimension into `a` and `b` (one of them may be -1).
    /// With `reverse`, codes and input dimensions are both read from the right. Like MXNet, the
    /// inferred `-1` is written at the code's own position in `shape`, which differs from its output
    /// position only after a `-2` or `-4` (then MXNet's result, and so ours, usually fails the size check).
    public func outputShape(for input: Shape) throws(OperatorError) -> Shape {
        var dims = input.dims
        var codes = shape
        if reverse {
            dims.reverse()
            codes.reverse()
        }
        var result: [Int] = []
        var source = 0
        var inferredCode: Int?
        var i = 0
        while i < codes.count {
            let code = codes[i]
            switch code {
            case 0:
                guard source < dims.count else { throw codeError("0 at position \(i) copies input dimension \(source)", input) }
                result.append(dims[source])
                source += 1
            case -1:
                guard inferredCode == nil else { throw codeError("only one -1 may be inferred", input) }
                inferredCode = i
                result.append(1)
                source += 1
            case -2:
                result.append(contentsOf: dims[min(source, dims.count)...])
                source = max(source, dims.count)
            case -3:
                guard source + 1 < dims.count else { throw codeError("-3 at position \(i) merges input dimensions \(source) and \(source + 1)", input) }
                result.append(dims[source] * dims[source + 1])
                source += 2
            case -4:
                guard i + 2 < codes.count else { throw codeError("-4 at position \(i) must be followed by two sizes", input) }
                guard source < dims.count else { throw codeError("-4 at position \(i) splits input dimension \(source)", input) }
                let whole = dims[source]
                source += 1
                var first = codes[i + 1]
                var second = codes[i + 2]
                i += 2
                guard first != -1 || second != -1 else { throw codeError("-4 split sizes cannot both be -1", input) }
                if first == -1 {
                    guard second > 0 else { throw codeError("-4 split size \(second) cannot divide \(whole)", input) }
                    first = whole / second
                }
                if second == -1 {
                    guard first > 0 else { throw codeError("-4 split size \(first) cannot divide \(whole)", input) }
                    second = whole / first
                }
                guard first > 0, second > 0, first * second == whole else {
                    throw codeError("-4 split sizes \(first), \(second) do not multiply to input dimension \(whole)", input)
                }
                result.append(first)
                result.append(second)
            default:
                result.append(code)
                source += 1
            }
            i += 1
        }
        if let position = inferredCode {
            let known = result.reduce(1, *)
            guard known > 0 else { throw codeError("cannot infer -1 next to a zero-size dimension", input) }
            if position < result.count { result[position] = input.elementCount / known }
        }
        if reverse { result.reverse() }
        return Shape(result)
    }

    /// The deprecated `target_shape` rule: with `keep_highest` the first dimension is the input's;
    /// exactly one 0 among the others is inferred from the element count.
    func legacyOutputShape(for input: Shape) -> Shape {
        var result = targetShape
        let start = keepHighest ? 1 : 0
        if keepHighest, !result.isEmpty, input.rank > 0 { result[0] = input[0] }
        let zeros = result.indices.filter { $0 >= start && result[$0] == 0 }
        if zeros.count == 1 {
            result[zeros[0]] = 1
            let known = result.reduce(1, *)
            if known > 0 { result[zeros[0]] = input.elementCount / known }
        }
        return Shape(result)
    }

    private func codeError(_ message: String, _ input: Shape) -> OperatorError {
        .invalidInputs("\(opName): shape \(describe(shape))\(reverse ? " with reverse" : "") cannot apply to input \(input): \(message)")
    }

    private func describe(_ values: [Int]) -> String { Shape(values).description }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        outputs[0].rawPointer.copyMemory(from: inputs[0].rawPointer, byteCount: inputs[0].byteCount)
    }
}
