import Foundation
import FlexKernels
import Testing

@Suite("Fast.softmax")
struct FastSoftmaxTests {
    /// Tolerance: 1e-6 relative, plus the float rounding of the shifted argument `x - max` (up to
    /// `|x - max| * 2^-24` absolute, which `exp` turns into the same relative error).
    @Test("matches a Double softmax within 1e-6 relative plus argument rounding", arguments: runnableInstructionSets)
    func parity(instructionSet: Fast.InstructionSet) {
        for length in [1, 3, 8, 9, 100, 1000] {
            let rows = 3
            // Wide range: large logits check the max shift; very negative ones the exp clamp.
            var input = randomFloats(rows * length, seed: UInt64(length), in: -30...30)
            input[0] = 88
            if length > 2 { input[1] = -200 }
            for threadCount in [1, 2] {
                var output = [Float](repeating: .nan, count: input.count)
                for index in 0..<threadCount {
                    Fast.softmax(input: input, output: &output, rows: rows, length: length, threadIndex: index,
                                 threadCount: threadCount, instructionSet: instructionSet)
                }
                for row in 0..<rows {
                    let values = input[(row * length)..<((row + 1) * length)].map(Double.init)
                    let top = values.max()!
                    let total = values.reduce(0) { $0 + Foundation.exp($1 - top) }
                    for i in 0..<length {
                        let expected = Foundation.exp(values[i] - top) / total
                        let actual = Double(output[row * length + i])
                        let tolerance = (1e-6 + abs(values[i] - top) * 0x1p-24) * expected
                        #expect(abs(actual - expected) <= tolerance + 1e-30,
                                "length \(length) row \(row) [\(i)]: \(actual) vs \(expected)")
                    }
                }
            }
        }
    }

    @Test("agrees with Reference.softmax over rows", arguments: runnableInstructionSets)
    func matchesReferenceKernel(instructionSet: Fast.InstructionSet) {
        let rows = 5, length = 37
        let input = randomFloats(rows * length, seed: 8, in: -10...10)
        var expected = [Float](repeating: 0, count: input.count), actual = expected
        Reference.softmax(.softmax, input: input, output: &expected, outer: rows, axisSize: length, inner: 1)
        Fast.softmax(input: input, output: &actual, rows: rows, length: length, instructionSet: instructionSet)
        let worst = zip(actual, expected).map { abs($0 - $1) / max($1, 1e-30) }.max() ?? 0
        #expect(worst < 4e-6, "relative error \(worst)")
    }
}
