extension Reference {
    /// How `pad` fills the border: MXNet's `Pad` modes.
    public enum PadMode: String, Sendable, CaseIterable {
        /// A constant value.
        case constant
        /// The nearest edge element repeated.
        case edge
        /// Mirrored about the edge element, which is not repeated (NumPy's `reflect`): `[1, 2, 3]`
        /// padded by 2 on the left is `[3, 2, 1, 2, 3]`. Each pad must be shorter than its axis.
        case reflect
    }

    /// Pads a dense row-major tensor of `shape`: axis `a` gets `before[a]` elements in front and
    /// `after[a]` behind. `constant` is one element's bytes (used by `.constant`). Generic over the
    /// element size.
    public static func pad(elementSize: Int, shape: [Int], before: [Int], after: [Int], mode: PadMode,
                           constant: UnsafeRawPointer, source: UnsafeRawPointer, destination: UnsafeMutableRawPointer) {
        let rank = shape.count
        let outputShape = (0..<rank).map { shape[$0] + before[$0] + after[$0] }
        let count = outputShape.reduce(1, *)
        if count == 0 { return }
        let strides = contiguousStrides(shape)
        var index = [Int](repeating: 0, count: rank)
        for element in 0..<count {
            var offset = 0
            var inside = true
            for axis in 0..<rank {
                var position = index[axis] - before[axis]
                let size = shape[axis]
                if position < 0 || position >= size {
                    switch mode {
                    case .constant: inside = false
                    case .edge: position = min(max(position, 0), size - 1)
                    case .reflect:
                        let period = 2 * (size - 1)
                        if period == 0 {
                            position = 0
                        } else {
                            position = ((position % period) + period) % period
                            if position >= size { position = period - position }
                        }
                    }
                }
                offset += position * strides[axis]
            }
            (destination + element * elementSize).copyMemory(from: inside ? source + offset * elementSize : constant, byteCount: elementSize)
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                index[axis] += 1
                if index[axis] < outputShape[axis] { break }
                index[axis] = 0
            }
        }
    }
}
