import FlexKernels
import FlexTensor

/// MXNet `slice_axis`: elements `begin..<end` along `axis` (negatives count from the end; `end=None`
/// is the axis size). Unlike `slice`, MXNet clamps nothing: the range must be non-empty and in bounds.
public struct SliceAxisOperator: DataMovementOperator {
    public static let names = ["slice_axis"]
    public let opName: String
    public let axis: Int
    public let begin: Int
    public let end: Int?

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        axis = try attributes.requiredInt("axis")
        begin = try attributes.requiredInt("begin")
        guard attributes.raw["end"] != nil else { throw .missingAttribute("end") }
        end = try attributes.int("end")
    }

    /// Input axis, first index and element count for an input of `shape` (valid after inference).
    func range(for shape: Shape) throws(OperatorError) -> (axis: Int, begin: Int, count: Int) {
        let position = try shape.normalizedAxis(axis, attribute: "axis", op: opName)
        let size = shape[position]
        if size == 0 { return (position, 0, 0) }
        let first = begin < 0 ? begin + size : begin
        var last = end ?? size
        if last < 0 { last += size }
        guard first >= 0, last <= size, first < last else {
            throw .invalidInputs("\(opName): begin=\(begin), end=\(end.map(String.init) ?? "None") select no valid range "
                                 + "of axis \(position) (size \(size)) of input \(shape)")
        }
        return (position, first, last - first)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let selection = try range(for: inputs[0])
        var output = inputs[0]
        output[selection.axis] = selection.count
        return [output]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let input = inputs[0]
        guard let selection = try? range(for: input.shape) else { return }
        var begin = [Int](repeating: 0, count: input.shape.rank)
        begin[selection.axis] = selection.begin
        Reference.slice(elementSize: input.dtype.size, shape: input.shape.dims, begin: begin,
                        step: [Int](repeating: 1, count: input.shape.rank), outputShape: outputs[0].shape.dims,
                        source: input.rawPointer, destination: outputs[0].rawPointer)
    }
}
