import FlexKernels
import Testing

@Suite("Fast.Elementwise")
struct FastElementwiseTests {
    static let counts = [1, 7, 8, 9, 63, 64, 65, 1000]

    @Test("add, multiply and activations match scalar arithmetic exactly", arguments: runnableInstructionSets)
    func flat(instructionSet: Fast.InstructionSet) {
        for count in Self.counts {
            let a = randomFloats(count, seed: 1, in: -8...8), b = randomFloats(count, seed: 2, in: -8...8)
            for threadCount in [1, 3] {
                var sum = [Float](repeating: .nan, count: count), product = sum
                for index in 0..<threadCount {
                    Fast.Elementwise.add(a, b, output: &sum, count: count, threadIndex: index,
                                         threadCount: threadCount, instructionSet: instructionSet)
                    Fast.Elementwise.multiply(a, b, output: &product, count: count, threadIndex: index,
                                              threadCount: threadCount, instructionSet: instructionSet)
                }
                #expect(sum == zip(a, b).map { $0 + $1 }, "add, \(count) elements, \(threadCount) threads")
                #expect(product == zip(a, b).map { $0 * $1 }, "multiply, \(count) elements, \(threadCount) threads")
            }
            for activation in [Fast.Activation.identity, .relu, .relu6, .clip(lower: -1.5, upper: 2)] {
                var output = [Float](repeating: .nan, count: count)
                Fast.Elementwise.activation(activation, input: a, output: &output, count: count,
                                            instructionSet: instructionSet)
                #expect(output == a.map(activation.apply), "\(activation), \(count) elements")
            }
        }
    }

    @Test("in place: output aliasing the input")
    func inPlace() {
        var values = randomFloats(100, seed: 3, in: -8...8)
        let expected = values.map { max($0, 0) }
        values.withUnsafeMutableBufferPointer { buffer in
            Fast.Elementwise.activation(.relu, input: buffer.baseAddress!, output: buffer.baseAddress!, count: 100)
        }
        #expect(values == expected)
    }

    @Test("per-channel bias with activation over NCHW planes", arguments: runnableInstructionSets)
    func channelBias(instructionSet: Fast.InstructionSet) {
        let batch = 2, channels = 5
        for inner in [1, 7, 8, 49, 50] {
            let input = randomFloats(batch * channels * inner, seed: 4, in: -4...4)
            let bias = randomFloats(channels, seed: 5)
            for activation in [Fast.Activation.identity, .relu6] {
                for threadCount in [1, 3, 4] {
                    var output = [Float](repeating: .nan, count: input.count)
                    for index in 0..<threadCount {
                        Fast.Elementwise.channelBias(
                            input: input, bias: bias, output: &output, batch: batch, channels: channels, inner: inner,
                            activation: activation, threadIndex: index, threadCount: threadCount,
                            instructionSet: instructionSet)
                    }
                    let expected = input.indices.map { activation.apply(input[$0] + bias[$0 / inner % channels]) }
                    #expect(output == expected, "inner \(inner), \(activation), \(threadCount) threads")
                }
            }
        }
    }
}
