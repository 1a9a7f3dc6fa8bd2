import FlexKernels
import Testing

@Suite("Fast.Elementwise")
struct FastElementwiseTests {
    static let counts = [1, 7, 8, 9, 63, 64, 65, 1000]

    @Test("add and activations match scalar arithmetic exactly, writing nothing past the output",
          arguments: runnableInstructionSets)
    func flat(instructionSet: Fast.InstructionSet) {
        for count in Self.counts {
            let a = randomFloats(count, seed: 1, in: -8...8), b = randomFloats(count, seed: 2, in: -8...8)
            let sum = GuardedBuffer(count: count)
            Fast.Elementwise.add(a, b, output: sum.pointer, count: count, instructionSet: instructionSet)
            #expect(sum.values == zip(a, b).map { $0 + $1 }, "add, \(count) elements")
            sum.expectIntact("add, \(count) elements")
            for activation in [Fast.Activation.identity, .relu, .relu6, .clip(lower: -1.5, upper: 2)] {
                let output = GuardedBuffer(count: count)
                Fast.Elementwise.activation(activation, input: a, output: output.pointer, count: count,
                                            instructionSet: instructionSet)
                #expect(output.values == a.map(activation.apply), "\(activation), \(count) elements")
                output.expectIntact("\(activation), \(count) elements")
            }
        }
    }

    @Test("in place: output aliasing the input", arguments: runnableInstructionSets)
    func inPlace(instructionSet: Fast.InstructionSet) {
        let values = GuardedBuffer(randomFloats(100, seed: 3, in: -8...8))
        let expected = values.values.map { max($0, 0) }
        Fast.Elementwise.activation(.relu, input: values.pointer, output: values.pointer, count: 100,
                                    instructionSet: instructionSet)
        #expect(values.values == expected)
        values.expectIntact("in-place ReLU")
    }
}
