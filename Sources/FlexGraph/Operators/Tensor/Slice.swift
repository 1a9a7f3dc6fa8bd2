import FlexKernels
import FlexTensor

/// MXNet `slice` (alias `crop`): a strided window per leading axis, NumPy style. `begin`, `end` and
/// `step` are tuples of equal length (at most the input's rank; later axes are kept whole) whose
/// entries may be `None` and negative; a step may be negative but not 0. Out-of-range bounds are
/// clamped as MXNet's `GetIndexRange` does, so empty results are possible.
public struct SliceOperator: DataMovementOperator {
    public static let names = ["slice", "crop"]
    public let opName: String
    public let begin: [Int?]
    public let end: [Int?]
    public let step: [Int?]

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        guard let begin = try attributes.optionalIntTuple("begin") else { throw .missingAttribute("begin") }
        guard let end = try attributes.optionalIntTuple("end") else { throw .missingAttribute("end") }
        let step = try attributes.optionalIntTuple("step") ?? []
        guard begin.count == end.count else {
            throw .invalidAttribute("end", value: attributes.raw["end"] ?? "", expected: "as many entries as begin (\(begin.count))")
        }
        guard step.isEmpty || step.count == begin.count else {
            throw .invalidAttribute("step", value: attributes.raw["step"] ?? "", expected: "as many entries as begin (\(begin.count))")
        }
        guard !step.contains(0) else {
            throw .invalidAttribute("step", value: attributes.raw["step"] ?? "", expected: "non-zero steps")
        }
        self.begin = begin
        self.end = end
        self.step = step
    }

    /// Per input axis: first index, step and number of elements taken (MXNet's `GetIndexRange` and
    /// `SetSliceOpOutputDimSize`).
    func ranges(for input: Shape) -> (begin: [Int], step: [Int], count: [Int]) {
        var starts = [Int](repeating: 0, count: input.rank)
        var steps = [Int](repeating: 1, count: input.rank)
        var counts = input.dims
        for axis in begin.indices {
            let s = step.isEmpty ? 1 : (step[axis] ?? 1)
            let length = input[axis]
            var b = 0
            var e = 0
            if length > 0 {
                b = begin[axis] ?? (s < 0 ? length - 1 : 0)
                e = end[axis] ?? (s < 0 ? -1 : length)
                if b < 0 { b += length }
                if e < 0 && end[axis] != nil { e += length }
                if b < 0 && s > 0 { b = 0 }
                if b > length - 1 && s < 0 { b = length - 1 }
                if b < 0 || b > length - 1 { b = -1 }
                e = max(e, -1)
                e = min(e, length)
            }
            var count = 0
            if e != b && b >= 0 {
                if s > 0 { count = e > b ? (e - b - 1) / s + 1 : 0 } else { count = e < b ? (b - e - 1) / (-s) + 1 : 0 }
            }
            starts[axis] = max(b, 0)
            steps[axis] = s
            counts[axis] = count
        }
        return (starts, steps, counts)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let input = inputs[0]
        guard input.rank > 0 else { throw .invalidInputs("\(opName) needs an input of rank 1 or more, got shape \(input)") }
        guard begin.count <= input.rank else {
            throw .invalidInputs("\(opName): begin has \(begin.count) entries but input \(input) has only \(input.rank) axes")
        }
        return [Shape(ranges(for: input).count)]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let input = inputs[0]
        let range = ranges(for: input.shape)
        Reference.slice(elementSize: input.dtype.size, shape: input.shape.dims, begin: range.begin, step: range.step,
                        outputShape: range.count, source: input.rawPointer, destination: outputs[0].rawPointer)
    }
}
