import FlexTensor

extension Shape {
    /// `axis` counted from the front, accepting MXNet's negative axes (`-1` is the last). Throws an
    /// error naming `attribute` when the axis is outside `[-rank, rank)`.
    func normalizedAxis(_ axis: Int, attribute: String, op: String) throws(OperatorError) -> Int {
        guard axis >= -rank && axis < rank else {
            throw .invalidInputs("\(op): \(attribute)=\(axis) is out of range for input of shape \(self) (valid: \(-rank)...\(rank - 1))")
        }
        return axis < 0 ? axis + rank : axis
    }

    /// Product of the dimensions in `range`.
    func product(_ range: Range<Int>) -> Int { dims[range].reduce(1, *) }
}
