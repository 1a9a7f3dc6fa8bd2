extension Reference {
    /// Joins dense row-major tensors along `axis`: `shapes` agree on every other axis, and the output
    /// (whose `axis` is the sum of theirs) receives them in order. Generic over the element size.
    public static func concatenate(elementSize: Int, shapes: [[Int]], axis: Int,
                                   sources: [UnsafeRawPointer], destination: UnsafeMutableRawPointer) {
        precondition(shapes.count == sources.count, "one shape per source")
        guard var outputShape = shapes.first else { return }
        outputShape[axis] = shapes.reduce(0) { $0 + $1[axis] }
        let outputStrides = contiguousStrides(outputShape)
        var start = 0
        for (shape, source) in zip(shapes, sources) {
            copyStrided(elementSize: elementSize, shape: shape,
                        source: source, sourceStrides: contiguousStrides(shape),
                        destination: destination + start * outputStrides[axis] * elementSize,
                        destinationStrides: outputStrides)
            start += shape[axis]
        }
    }

    /// The inverse of `concatenate`: splits a dense tensor of `shape` along `axis` into consecutive
    /// parts of `sizes[i]` elements on that axis (summing to `shape[axis]`), each dense row-major.
    public static func split(elementSize: Int, shape: [Int], axis: Int, sizes: [Int],
                             source: UnsafeRawPointer, destinations: [UnsafeMutableRawPointer]) {
        precondition(sizes.count == destinations.count, "one size per destination")
        let inputStrides = contiguousStrides(shape)
        var start = 0
        for (size, destination) in zip(sizes, destinations) {
            var partShape = shape
            partShape[axis] = size
            copyStrided(elementSize: elementSize, shape: partShape,
                        source: source + start * inputStrides[axis] * elementSize, sourceStrides: inputStrides,
                        destination: destination, destinationStrides: contiguousStrides(partShape))
            start += size
        }
    }
}
