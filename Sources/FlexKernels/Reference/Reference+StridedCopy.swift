extension Reference {
    /// Copies every element of a strided view of `source` into a strided view of `destination`; both
    /// views have `shape`. Strides are in elements (not bytes) and may be zero or negative (a slice with
    /// a negative step starts at its first element and walks backwards). Elements are `elementSize`
    /// bytes and moved bit for bit, so the copy works for every dtype.
    ///
    /// Adjacent dimensions that are contiguous in both views are merged first, so copying whole rows
    /// (concatenation, splitting, slicing outer axes) turns into a few `memcpy`s.
    public static func copyStrided(
        elementSize: Int, shape: [Int],
        source: UnsafeRawPointer, sourceStrides: [Int],
        destination: UnsafeMutableRawPointer, destinationStrides: [Int]
    ) {
        precondition(shape.count == sourceStrides.count && shape.count == destinationStrides.count, "one stride per dimension")
        if shape.contains(0) { return }
        // Merge dimensions from the innermost outwards; size-1 dimensions vanish.
        var sizes: [Int] = []
        var sourceSteps: [Int] = []
        var destinationSteps: [Int] = []
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if let last = sizes.indices.last,
               sourceStrides[axis] == sourceSteps[last] * sizes[last],
               destinationStrides[axis] == destinationSteps[last] * sizes[last] {
                sizes[last] *= shape[axis]
            } else {
                sizes.append(shape[axis])
                sourceSteps.append(sourceStrides[axis])
                destinationSteps.append(destinationStrides[axis])
            }
        }
        guard let rowLength = sizes.first else {
            destination.copyMemory(from: source, byteCount: elementSize)
            return
        }
        // `sizes[0]` is now the innermost dimension; the rest are walked with an odometer.
        let outer = Array(sizes.dropFirst())
        let outerSource = Array(sourceSteps.dropFirst())
        let outerDestination = Array(destinationSteps.dropFirst())
        var counter = [Int](repeating: 0, count: outer.count)
        var sourceOffset = 0
        var destinationOffset = 0
        let rows = outer.reduce(1, *)
        for _ in 0..<rows {
            copyRow(elementSize: elementSize, count: rowLength,
                    source: source + sourceOffset * elementSize, sourceStride: sourceSteps[0],
                    destination: destination + destinationOffset * elementSize, destinationStride: destinationSteps[0])
            for level in 0..<outer.count {
                counter[level] += 1
                sourceOffset += outerSource[level]
                destinationOffset += outerDestination[level]
                if counter[level] < outer[level] { break }
                counter[level] = 0
                sourceOffset -= outerSource[level] * outer[level]
                destinationOffset -= outerDestination[level] * outer[level]
            }
        }
    }

    /// Copies `count` elements with the given element strides; one `memcpy` when both are contiguous.
    @inline(__always)
    static func copyRow(elementSize: Int, count: Int,
                        source: UnsafeRawPointer, sourceStride: Int,
                        destination: UnsafeMutableRawPointer, destinationStride: Int) {
        if sourceStride == 1 && destinationStride == 1 {
            destination.copyMemory(from: source, byteCount: count * elementSize)
            return
        }
        switch elementSize {
        case 4: copyRow(UInt32.self, count, source, sourceStride, destination, destinationStride)
        case 8: copyRow(UInt64.self, count, source, sourceStride, destination, destinationStride)
        case 2: copyRow(UInt16.self, count, source, sourceStride, destination, destinationStride)
        case 1: copyRow(UInt8.self, count, source, sourceStride, destination, destinationStride)
        default:
            for index in 0..<count {
                (destination + index * destinationStride * elementSize)
                    .copyMemory(from: source + index * sourceStride * elementSize, byteCount: elementSize)
            }
        }
    }

    @inline(__always)
    private static func copyRow<Element>(_ type: Element.Type, _ count: Int,
                                         _ source: UnsafeRawPointer, _ sourceStride: Int,
                                         _ destination: UnsafeMutableRawPointer, _ destinationStride: Int) {
        let from = source.assumingMemoryBound(to: Element.self)
        let to = destination.assumingMemoryBound(to: Element.self)
        var read = 0
        var write = 0
        for _ in 0..<count {
            to[write] = from[read]
            read += sourceStride
            write += destinationStride
        }
    }

    /// Row-major strides in elements of a dense tensor of `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }
}
