import FlexKernels
import Testing

@Suite struct ReferenceArithmeticTests {
    typealias Data = TensorKernelTestData

    @Test(arguments: [
        ([2, 3, 4], [1, 3, 1]), ([2, 3, 4], [2, 1, 4]), ([1, 3, 1], [2, 1, 4]), ([4, 1, 5], [1, 6, 1]),
        ([2, 3, 4, 5], [2, 3, 4, 5]), ([1, 1], [3, 2]), ([2, 1, 3, 1], [1, 4, 1, 5]),
    ])
    func broadcastMatchesIndexMath(lhsShape: [Int], rhsShape: [Int]) {
        let outputShape = zip(lhsShape, rhsShape).map { max($0, $1) }
        let lhs = Data.values(lhsShape.reduce(1, *), seed: 21)
        let rhs = Data.values(rhsShape.reduce(1, *), seed: 22)
        for function in Reference.BinaryFunction.allCases where function != .power {
            var output = [Float](repeating: .nan, count: outputShape.reduce(1, *))
            Reference.broadcastBinary(function, lhs: lhs, lhsShape: lhsShape, rhs: rhs, rhsShape: rhsShape,
                                      output: &output, outputShape: outputShape)
            for flat in output.indices {
                let index = Data.unravel(flat, outputShape)
                let a = lhs[Data.ravel(index.indices.map { lhsShape[$0] == 1 ? 0 : index[$0] }, lhsShape)]
                let b = rhs[Data.ravel(index.indices.map { rhsShape[$0] == 1 ? 0 : index[$0] }, rhsShape)]
                #expect(output[flat] == function.apply(a, b), "\(function) at \(index)")
            }
        }
    }

    /// `mx.nd.broadcast_maximum(mx.nd.array([1, nan]), mx.nd.array([nan, 2]))` is `[nan, nan]` (same
    /// for minimum); `broadcast_power([-2, -2, 0, 2], [0.5, 2, -1, 0.5])` is `[nan, 4, inf, 1.4142135]`.
    @Test func nanAndPowerFollowMXNet() {
        var output = [Float](repeating: 0, count: 4)
        for function in [Reference.BinaryFunction.maximum, .minimum] {
            Reference.binary(function, lhs: [1, .nan], rhs: [.nan, 2], output: &output, count: 2)
            #expect(output[0].isNaN && output[1].isNaN, "\(function)")
        }
        Reference.binary(.power, lhs: [-2, -2, 0, 2], rhs: [0.5, 2, -1, 0.5], output: &output, count: 4)
        #expect(output[0].isNaN)
        #expect(Array(output[1...]) == [4, .infinity, Float(2).squareRoot()])
    }

    @Test func scalarOperandUsesStrideZero() {
        var output = [Float](repeating: 0, count: 3)
        // _rdiv_scalar(scalar=1) on [0, 2, 4]: [inf, 0.5, 0.25].
        Reference.binary(.divide, lhs: [1], lhsStride: 0, rhs: [0, 2, 4], output: &output, count: 3)
        #expect(output == [.infinity, 0.5, 0.25])
        // _maximum_scalar(scalar=nan) gives NaN everywhere, as MXNet does.
        Reference.binary(.maximum, lhs: [1, 2, 3], rhs: [.nan], rhsStride: 0, output: &output, count: 3)
        #expect(output.allSatisfy { $0.isNaN })
    }

    @Test func addNSumsInOrder() {
        var output = [Float](repeating: .nan, count: 2)
        let a: [Float] = [1, 2]
        let b: [Float] = [10, 20]
        let c: [Float] = [100, 200]
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeBufferPointer { c in
                    Reference.addN([a.baseAddress!, b.baseAddress!, c.baseAddress!], output: &output, count: 2)
                }
            }
        }
        #expect(output == [111, 222])
    }

    /// `mx.nd.relu([nan, -1, 2])` is `[nan, 0, 2]`; `rsqrt([4, 0, -1])` is `[0.5, inf, nan]`;
    /// `sigmoid([-100, 0, 100])` is `[0, 0.5, 1]`; `log([0, -1])` is `[-inf, nan]`.
    @Test func unaryEdgeCasesFollowMXNet() {
        func run(_ function: Reference.UnaryFunction, _ input: [Float]) -> [Float] {
            var output = [Float](repeating: 0, count: input.count)
            Reference.unary(function, input: input, output: &output, count: input.count)
            return output
        }
        let relu = run(.relu, [.nan, -1, 2])
        #expect(relu[0].isNaN && relu[1] == 0 && relu[2] == 2)
        let rsqrt = run(.rsqrt, [4, 0, -1])
        #expect(rsqrt[0] == 0.5 && rsqrt[1] == .infinity && rsqrt[2].isNaN)
        #expect(run(.sigmoid, [-100, 0, 100]) == [0, 0.5, 1])
        let log = run(.log, [0, -1])
        #expect(log[0] == -.infinity && log[1].isNaN)
        #expect(run(.square, [-3, 0.5]) == [9, 0.25])
        #expect(run(.negative, [-3, 0.5]) == [3, -0.5])
        #expect(run(.abs, [-3, 0.5]) == [3, 0.5])
        #expect(run(.sqrt, [9, 0.25]) == [3, 0.5])
        #expect(abs(run(.exp, [1])[0] - 2.7182817) < 1e-6)
        #expect(abs(run(.tanh, [0.5])[0] - 0.46211717) < 1e-6)
    }

    /// `mx.nd.clip([nan, -5, 5], a_min=-1, a_max=1)` is `[nan, -1, 1]`;
    /// `mx.nd.clip([-5, 0, 5], a_min=2, a_max=1)` is `[2, 2, 1]`.
    @Test func clipFollowsMXNetOrder() {
        var output = [Float](repeating: 0, count: 3)
        Reference.clip(input: [.nan, -5, 5], output: &output, count: 3, lower: -1, upper: 1)
        #expect(output[0].isNaN && output[1] == -1 && output[2] == 1)
        Reference.clip(input: [-5, 0, 5], output: &output, count: 3, lower: 2, upper: 1)
        #expect(output == [2, 2, 1])
    }

    @Test(arguments: [1, 2, 4, 8, 3])
    func fillRepeatsThePattern(elementSize: Int) {
        let element = (0..<elementSize).map { UInt8(0xA0 + $0) }
        var output = [UInt8](repeating: 0, count: 7 * elementSize + 1)
        Reference.fill(&output, count: 7, elementSize: elementSize, element: element)
        #expect(Array(output[..<(7 * elementSize)]) == Array((0..<7).map { _ in element }.joined()))
        #expect(output.last == 0)
    }
}
