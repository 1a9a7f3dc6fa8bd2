import FlexKernels
import Testing

@Suite("Fast.layerNorm")
struct FastLayerNormTests {
    @Test("matches a Double layer norm", arguments: runnableInstructionSets)
    func parity(instructionSet: Fast.InstructionSet) {
        for length in [1, 5, 8, 17, 768] {
            let rows = 4
            // An offset mean checks the two-pass variance.
            let input = randomFloats(rows * length, seed: UInt64(length), in: 9...11)
            let gamma = randomFloats(length, seed: 2), beta = randomFloats(length, seed: 3)
            for threadCount in [1, 3] {
                var output = [Float](repeating: .nan, count: input.count)
                for index in 0..<threadCount {
                    Fast.layerNorm(input: input, gamma: gamma, beta: beta, output: &output, rows: rows, length: length,
                                   epsilon: 1e-5, threadIndex: index, threadCount: threadCount,
                                   instructionSet: instructionSet)
                }
                for row in 0..<rows {
                    let values = input[(row * length)..<((row + 1) * length)].map(Double.init)
                    let mean = values.reduce(0, +) / Double(length)
                    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(length)
                    let scale = 1 / (variance + 1e-5).squareRoot()
                    for i in 0..<length {
                        let expected = (values[i] - mean) * scale * Double(gamma[i]) + Double(beta[i])
                        let actual = Double(output[row * length + i])
                        #expect(abs(actual - expected) <= 1e-4 * (abs(expected) + 1),
                                "length \(length) row \(row) [\(i)]: \(actual) vs \(expected)")
                    }
                }
            }
        }
    }

    @Test("agrees with Reference.layerNorm over rows", arguments: runnableInstructionSets)
    func matchesReferenceKernel(instructionSet: Fast.InstructionSet) {
        let rows = 3, length = 100
        let input = randomFloats(rows * length, seed: 6, in: -2...2)
        let gamma = randomFloats(length, seed: 7), beta = randomFloats(length, seed: 8)
        var expected = [Float](repeating: 0, count: input.count), actual = expected
        Reference.layerNorm(input: input, gamma: gamma, beta: beta, epsilon: 1e-5, output: &expected, outer: rows,
                            width: length, inner: 1)
        Fast.layerNorm(input: input, gamma: gamma, beta: beta, output: &actual, rows: rows, length: length,
                       epsilon: 1e-5, instructionSet: instructionSet)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5, "absolute error \(worst)")
    }
}
