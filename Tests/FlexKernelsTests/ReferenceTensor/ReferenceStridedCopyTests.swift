import FlexKernels
import Testing

@Suite struct ReferenceStridedCopyTests {
    typealias Data = TensorKernelTestData

    @Test(arguments: [
        ([2, 3, 4], [2, 0, 1]), ([2, 3, 4, 5], [0, 2, 3, 1]), ([2, 3, 4, 5], [3, 2, 1, 0]),
        ([1, 7, 1, 3], [1, 3, 0, 2]), ([6], [0]), ([3, 1], [1, 0]), ([2, 2, 2, 2, 2, 2, 2], [6, 0, 5, 1, 4, 2, 3]),
    ])
    func transposeMatchesIndexMath(shape: [Int], axes: [Int]) {
        let input = Data.values(shape.reduce(1, *))
        let outputShape = axes.map { shape[$0] }
        var output = [Float](repeating: .nan, count: input.count)
        Reference.transpose(elementSize: 4, shape: shape, axes: axes, source: input, destination: &output)
        for flat in 0..<output.count {
            let outIndex = Data.unravel(flat, outputShape)
            var inIndex = [Int](repeating: 0, count: shape.count)
            for (position, axis) in axes.enumerated() { inIndex[axis] = outIndex[position] }
            #expect(output[flat] == input[Data.ravel(inIndex, shape)], "element \(outIndex)")
        }
    }

    @Test(arguments: [1, 2, 8, 3])
    func transposeMovesAnyElementSize(elementSize: Int) {
        // A (2, 3) matrix of elements `elementSize` bytes wide, byte b of element e holding e * 16 + b.
        let bytes = (0..<6).flatMap { element in (0..<elementSize).map { UInt8(element * 16 + $0) } }
        var output = [UInt8](repeating: 0, count: bytes.count)
        Reference.transpose(elementSize: elementSize, shape: [2, 3], axes: [1, 0], source: bytes, destination: &output)
        let order = [0, 3, 1, 4, 2, 5]
        let expected = order.flatMap { element in (0..<elementSize).map { UInt8(element * 16 + $0) } }
        #expect(output == expected)
    }

    @Test func sliceWithNegativeAndPositiveSteps() {
        // Input (4, 5); rows 3, 1 (begin 3, step -2) and columns 1, 3 (begin 1, step 2).
        let shape = [4, 5]
        let input = (0..<20).map(Float.init)
        var output = [Float](repeating: .nan, count: 4)
        Reference.slice(elementSize: 4, shape: shape, begin: [3, 1], step: [-2, 2], outputShape: [2, 2],
                        source: input, destination: &output)
        #expect(output == [16, 18, 6, 8])
    }

    @Test func sliceMatchesIndexMathIn4D() {
        let shape = [3, 4, 5, 6]
        let begin = [2, 0, 4, 1]
        let step = [-1, 3, -2, 2]
        let outputShape = [3, 2, 3, 3]
        let input = Data.values(shape.reduce(1, *), seed: 7)
        var output = [Float](repeating: .nan, count: outputShape.reduce(1, *))
        Reference.slice(elementSize: 4, shape: shape, begin: begin, step: step, outputShape: outputShape,
                        source: input, destination: &output)
        for flat in output.indices {
            let outIndex = Data.unravel(flat, outputShape)
            let inIndex = outIndex.indices.map { begin[$0] + outIndex[$0] * step[$0] }
            #expect(output[flat] == input[Data.ravel(inIndex, shape)])
        }
    }

    @Test(arguments: [0, 1, 2])
    func concatenateThenSplitRoundTrips(axis: Int) {
        let shapes: [[Int]] = [2, 1, 3].map { size in
            var shape = [2, 3, 4]
            shape[axis] = size
            return shape
        }
        let parts = shapes.enumerated().map { Data.values($0.element.reduce(1, *), seed: UInt64($0.offset + 3)) }
        var outputShape = [2, 3, 4]
        outputShape[axis] = 6
        var joined = [Float](repeating: .nan, count: outputShape.reduce(1, *))
        parts[0].withUnsafeBytes { p0 in
            parts[1].withUnsafeBytes { p1 in
                parts[2].withUnsafeBytes { p2 in
                    Reference.concatenate(elementSize: 4, shapes: shapes, axis: axis,
                                          sources: [p0.baseAddress!, p1.baseAddress!, p2.baseAddress!], destination: &joined)
                }
            }
        }
        // Every output element comes from the part that covers its position on `axis`.
        for flat in joined.indices {
            var index = Data.unravel(flat, outputShape)
            var part = 0
            while index[axis] >= shapes[part][axis] {
                index[axis] -= shapes[part][axis]
                part += 1
            }
            #expect(joined[flat] == parts[part][Data.ravel(index, shapes[part])])
        }
        var first = [Float](repeating: .nan, count: parts[0].count)
        var second = [Float](repeating: .nan, count: parts[1].count)
        var third = [Float](repeating: .nan, count: parts[2].count)
        first.withUnsafeMutableBytes { s0 in
            second.withUnsafeMutableBytes { s1 in
                third.withUnsafeMutableBytes { s2 in
                    Reference.split(elementSize: 4, shape: outputShape, axis: axis, sizes: shapes.map { $0[axis] },
                                    source: joined, destinations: [s0.baseAddress!, s1.baseAddress!, s2.baseAddress!])
                }
            }
        }
        #expect([first, second, third] == parts)
    }

    @Test func emptyShapeCopiesNothing() {
        var output: [Float] = [42]
        Reference.copyStrided(elementSize: 4, shape: [3, 0], source: [Float](repeating: 1, count: 3),
                              sourceStrides: [1, 1], destination: &output, destinationStrides: [0, 1])
        #expect(output == [42])
    }
}
