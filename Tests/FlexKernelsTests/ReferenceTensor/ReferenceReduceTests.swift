import FlexKernels
import Testing

@Suite struct ReferenceReduceTests {
    typealias Data = TensorKernelTestData

    @Test(arguments: [
        ([2, 3, 4], [false, true, false]), ([2, 3, 4], [true, false, false]), ([2, 3, 4], [false, false, true]),
        ([2, 3, 4], [true, false, true]), ([2, 3, 4], [true, true, true]), ([2, 3, 4, 5], [false, false, true, true]),
        ([2, 1, 4, 5], [true, true, false, true]), ([3, 4], [false, false]),
    ])
    func matchesIndexMath(shape: [Int], reduced: [Bool]) {
        let input = Data.values(shape.reduce(1, *), seed: 31)
        let keptShape = shape.indices.map { reduced[$0] ? 1 : shape[$0] }
        let outputCount = keptShape.reduce(1, *)
        let reducedCount = shape.reduce(1, *) / outputCount
        var sums = [Double](repeating: 0, count: outputCount)
        var maxima = [Float](repeating: -.infinity, count: outputCount)
        var minima = [Float](repeating: .infinity, count: outputCount)
        for flat in input.indices {
            let index = Data.unravel(flat, shape)
            let target = Data.ravel(index.indices.map { reduced[$0] ? 0 : index[$0] }, keptShape)
            sums[target] += Double(input[flat])
            maxima[target] = max(maxima[target], input[flat])
            minima[target] = min(minima[target], input[flat])
        }
        for function in Reference.ReduceFunction.allCases {
            var output = [Float](repeating: .nan, count: outputCount)
            Reference.reduce(function, input: input, shape: shape, reduced: reduced, output: &output)
            let expected: [Float] = switch function {
            case .sum: sums.map { Float($0) }
            case .mean: sums.map { Float($0 / Double(reducedCount)) }
            case .max: maxima
            case .min: minima
            }
            for (got, wanted) in zip(output, expected) {
                #expect(abs(got - wanted) <= 1e-6, "\(function): got \(got), expected \(wanted)")
            }
        }
    }

    /// `mx.nd.max(mx.nd.array([[1, nan, 3], [nan, 2, 1]]), axis=1)` is `[nan, nan]` (min too).
    @Test(arguments: [false, true])
    func nanPropagatesThroughMaxAndMin(alongRows: Bool) {
        // The same data reduced along its contiguous axis, or along its outer axis after a transpose.
        let input: [Float] = alongRows ? [1, .nan, 3, .nan, 2, 1] : [1, .nan, .nan, 2, 3, 1]
        let shape = alongRows ? [2, 3] : [3, 2]
        let reduced = alongRows ? [false, true] : [true, false]
        for function in [Reference.ReduceFunction.max, .min] {
            var output = [Float](repeating: 0, count: 2)
            Reference.reduce(function, input: input, shape: shape, reduced: reduced, output: &output)
            #expect(output[0].isNaN && output[1].isNaN, "\(function)")
        }
    }

    /// `mx.nd.argmax(mx.nd.array([[1, 3, 3], [2, 2, 1]]), axis=1)` is `[1, 0]`, with `axis=0`
    /// `[1, 0, 0]`; `argmax([[1, nan, 3], [nan, 2, 1]], axis=1)` is `[1, 0]`.
    @Test func argmaxTiesAndNaNFollowMXNet() {
        var output = [Float](repeating: .nan, count: 3)
        Reference.argmax(input: [1, 3, 3, 2, 2, 1], outer: 2, axisSize: 3, inner: 1, output: &output)
        #expect(Array(output[..<2]) == [1, 0])
        Reference.argmax(input: [1, 3, 3, 2, 2, 1], outer: 1, axisSize: 2, inner: 3, output: &output)
        #expect(output == [1, 0, 0])
        Reference.argmax(input: [1, .nan, 3, .nan, 2, 1], outer: 2, axisSize: 3, inner: 1, output: &output)
        #expect(Array(output[..<2]) == [1, 0])
    }

    /// MXNet sums with float32 Kahan compensation, where naive float32 addition would lose every
    /// small term: `mx.nd.sum(mx.nd.array([1] + [1e-8] * 1000))` is `1.00001` (not 1), and along
    /// axis 0 of that column repeated twice, sum `[1.00001, 1.00001]` and mean
    /// `[0.000999011, 0.000999011]` (float32 `0.0009990109829232097`).
    @Test func sumsAreKahanCompensatedLikeMXNet() {
        let column: [Float] = [1] + [Float](repeating: 1e-8, count: 1000)
        var total: [Float] = [0]
        Reference.reduce(.sum, input: column, shape: [1001], reduced: [true], output: &total)
        #expect(total == [1.00001])
        let twoColumns = column.flatMap { [$0, $0] }
        var sums: [Float] = [0, 0]
        Reference.reduce(.sum, input: twoColumns, shape: [1001, 2], reduced: [true, false], output: &sums)
        #expect(sums == [1.00001, 1.00001])
        var means: [Float] = [0, 0]
        Reference.reduce(.mean, input: twoColumns, shape: [1001, 2], reduced: [true, false], output: &means)
        #expect(means == [0.0009990109829232097, 0.0009990109829232097])
    }

    @Test func emptySumIsZero() {
        var output: [Float] = [.nan, .nan]
        Reference.reduce(.sum, input: [], shape: [2, 0], reduced: [false, true], output: &output)
        #expect(output == [0, 0])
    }
}
