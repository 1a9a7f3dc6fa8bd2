extension Reference {
    /// Permutes the axes of a dense row-major tensor: output axis `i` is input axis `axes[i]`, so the
    /// output shape is `axes.map { shape[$0] }`. `axes` must be a permutation of `0..<shape.count`.
    /// Generic over the element size (bytes are moved, not interpreted).
    public static func transpose(elementSize: Int, shape: [Int], axes: [Int],
                                 source: UnsafeRawPointer, destination: UnsafeMutableRawPointer) {
        let inputStrides = contiguousStrides(shape)
        let outputShape = axes.map { shape[$0] }
        copyStrided(elementSize: elementSize, shape: outputShape,
                    source: source, sourceStrides: axes.map { inputStrides[$0] },
                    destination: destination, destinationStrides: contiguousStrides(outputShape))
    }
}
