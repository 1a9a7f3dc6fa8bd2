import FlexKernels
import Testing

@Suite struct PoolingTests {
    static func pool(_ kind: Reference.PoolingKind, _ g: Reference.PoolingGeometry, _ input: [Float]) -> [Float] {
        var output = [Float](repeating: .nan, count: g.planes * g.outputSize.reduce(1, *))
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in Reference.pooling(kind, g, input: x.baseAddress!, output: y.baseAddress!) }
        }
        return output
    }

    /// 2-D geometry over one plane.
    static func plane(_ h: Int, _ w: Int, out: (Int, Int), kernel: Int, stride: Int, pad: Int) -> Reference.PoolingGeometry {
        Reference.PoolingGeometry(planes: 1, inputSize: [1, h, w], outputSize: [1, out.0, out.1],
                                  kernel: [1, kernel, kernel], stride: [1, stride, stride], pad: [0, pad, pad])
    }

    // 4x4 input 1...16.
    static let grid = (1...16).map(Float.init)

    @Test func maxAndSumOverDisjointWindows() {
        let g = Self.plane(4, 4, out: (2, 2), kernel: 2, stride: 2, pad: 0)
        #expect(Self.pool(.max, g, Self.grid) == [6, 8, 14, 16])
        #expect(Self.pool(.sum, g, Self.grid) == [14, 22, 46, 54])
        #expect(Self.pool(.average(countIncludePad: true), g, Self.grid) == [3.5, 5.5, 11.5, 13.5])
    }

    @Test func averageWithPaddingCountsOrSkipsThePadding() {
        // 3x3 windows, stride 2, pad 1 over 4x4 → 2x2 outputs; the top-left window covers 1,2,5,6 plus 5 padding
        // cells, the top-right 2,3,4,6,7,8 plus 3.
        let g = Self.plane(4, 4, out: (2, 2), kernel: 3, stride: 2, pad: 1)
        let included: [Float] = [14 / 9, 30 / 9, 57 / 9, 99 / 9]
        let excluded: [Float] = [14 / 4, 30 / 6, 57 / 6, 99 / 9]
        #expect(ReferenceTestValues.maxDifference(Self.pool(.average(countIncludePad: true), g, Self.grid), included) < 1e-6)
        #expect(ReferenceTestValues.maxDifference(Self.pool(.average(countIncludePad: false), g, Self.grid), excluded) < 1e-6)
        #expect(Self.pool(.max, g, Self.grid.map { -$0 }) == [-1, -2, -5, -6])
    }

    @Test func fullConventionClipsTheLastWindowAndItsDivisor() {
        // Width 5, kernel 2, stride 2, no pad: the `full` convention adds a third window holding only x[4];
        // with count_include_pad its divisor is min(4 + 2, 5 + 0) - 4 = 1.
        let g = Reference.PoolingGeometry(planes: 1, inputSize: [1, 1, 5], outputSize: [1, 1, 3],
                                          kernel: [1, 1, 2], stride: [1, 1, 2], pad: [0, 0, 0])
        #expect(Self.pool(.average(countIncludePad: true), g, [1, 2, 3, 4, 5]) == [1.5, 3.5, 5])
        #expect(Self.pool(.max, g, [1, 2, 3, 4, 5]) == [2, 4, 5])
    }

    @Test func lpPoolingHasNoAbsoluteValue() {
        let g = Reference.PoolingGeometry(planes: 2, inputSize: [1, 1, 2], outputSize: [1, 1, 1],
                                          kernel: [1, 1, 2], stride: [1, 1, 1], pad: [0, 0, 0])
        #expect(Self.pool(.lp(p: 2), g, [3, 4, -3, 4]) == [5, 5])
        #expect(Self.pool(.lp(p: 1), g, [3, 4, -3, 4]) == [7, 1])
        let cube = Self.pool(.lp(p: 3), g, [1, 2, -2, 1])
        #expect(abs(cube[0] - 2.0800838) < 1e-6)  // cbrt(1 + 8)
        #expect(abs(cube[1] + 1.9129312) < 1e-6)  // cbrt(-8 + 1)
    }

    @Test func threeDimensionalWindowsAndPlanes() {
        // Two planes of 2x2x2 each, pooled whole.
        let g = Reference.PoolingGeometry(planes: 2, inputSize: [2, 2, 2], outputSize: [1, 1, 1],
                                          kernel: [2, 2, 2], stride: [1, 1, 1], pad: [0, 0, 0])
        let input = (1...16).map(Float.init)
        #expect(Self.pool(.average(countIncludePad: true), g, input) == [4.5, 12.5])
        #expect(Self.pool(.max, g, input) == [8, 16])
    }
}
