extension Reference {
    /// Strided slice of a dense row-major tensor of `shape`: output element `[j0, j1, …]` is input
    /// element `[begin0 + j0 * step0, begin1 + j1 * step1, …]`, for `outputShape` elements per axis.
    /// `begin` must be in range on every axis with a non-empty output; steps may be negative.
    /// Generic over the element size.
    public static func slice(elementSize: Int, shape: [Int], begin: [Int], step: [Int], outputShape: [Int],
                             source: UnsafeRawPointer, destination: UnsafeMutableRawPointer) {
        precondition(begin.count == shape.count && step.count == shape.count && outputShape.count == shape.count,
                     "slice needs begin, step and output size for every axis")
        if outputShape.contains(0) { return }
        let strides = contiguousStrides(shape)
        var offset = 0
        for axis in shape.indices { offset += begin[axis] * strides[axis] }
        copyStrided(elementSize: elementSize, shape: outputShape,
                    source: source + offset * elementSize, sourceStrides: zip(strides, step).map { $0 * $1 },
                    destination: destination, destinationStrides: contiguousStrides(outputShape))
    }
}
