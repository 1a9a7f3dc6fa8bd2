import FlexKernels
import Testing

/// `Fast.RNN` (gate products as GEMMs) against `Reference.rnn` (MXNet's cell equations, checked against
/// MXNet by fixture `ops_rnn` and the LSTM language model), at every instruction set this machine runs.
@Suite("Fast.RNN")
struct FastRNNTests {
    struct Case: Sendable, CustomStringConvertible {
        var mode: Reference.RNNMode
        var steps, batch, input, hidden, layers, directions: Int
        var zeroState = false
        var description: String { "\(mode) T\(steps) N\(batch) I\(input) H\(hidden) L\(layers) D\(directions)\(zeroState ? " zero state" : "")" }
    }

    static let cases: [Case] = [
        Case(mode: .lstm, steps: 7, batch: 3, input: 5, hidden: 9, layers: 2, directions: 2),
        Case(mode: .lstm, steps: 35, batch: 2, input: 40, hidden: 33, layers: 2, directions: 1, zeroState: true),
        Case(mode: .gru, steps: 6, batch: 4, input: 8, hidden: 17, layers: 3, directions: 2),
        Case(mode: .rnnTanh, steps: 5, batch: 1, input: 3, hidden: 20, layers: 1, directions: 2),
        Case(mode: .rnnRelu, steps: 4, batch: 7, input: 6, hidden: 5, layers: 2, directions: 1),
        Case(mode: .lstm, steps: 1, batch: 1, input: 1, hidden: 1, layers: 1, directions: 1),
    ]

    @Test("outputs and end states match Reference.rnn", arguments: runnableInstructionSets, cases)
    func parity(instructionSet: Fast.InstructionSet, c: Case) {
        let parameterCount = Reference.rnnParameterCount(mode: c.mode, inputSize: c.input, hidden: c.hidden,
                                                         layers: c.layers, directions: c.directions)
        let stateCount = c.layers * c.directions * c.batch * c.hidden
        let data = randomFloats(c.steps * c.batch * c.input, seed: 41, in: -2...2)
        let parameters = randomFloats(parameterCount, seed: 42, in: -0.5...0.5)
        let state = c.zeroState ? [Float](repeating: 0, count: stateCount) : randomFloats(stateCount, seed: 43)
        let cell = c.zeroState ? [Float](repeating: 0, count: stateCount) : randomFloats(stateCount, seed: 44)
        let outputCount = c.steps * c.batch * c.directions * c.hidden

        var expected = [Float](repeating: .nan, count: outputCount)
        var expectedState = [Float](repeating: .nan, count: stateCount), expectedCell = expectedState
        expectedCell.withUnsafeMutableBufferPointer { cellOut in
            Reference.rnn(mode: c.mode, data: data, steps: c.steps, batch: c.batch, inputSize: c.input, hidden: c.hidden,
                          layers: c.layers, directions: c.directions, parameters: parameters, state: state,
                          cell: c.mode == .lstm ? cell : nil, output: &expected, finalState: &expectedState,
                          finalCell: c.mode == .lstm ? cellOut.baseAddress : nil)
        }

        let rnn = Fast.RNN(mode: c.mode, steps: c.steps, batch: c.batch, inputSize: c.input, hidden: c.hidden,
                           layers: c.layers, directions: c.directions)
        var scratch = [Float](repeating: .nan, count: rnn.scratchCount)
        let output = GuardedBuffer(count: outputCount), finalState = GuardedBuffer(count: stateCount)
        let finalCell = GuardedBuffer(count: stateCount)
        // The zero state is passed as nil, as an empty Gluon begin state is.
        state.withUnsafeBufferPointer { statePointer in
            cell.withUnsafeBufferPointer { cellPointer in
                rnn.run(data: data, parameters: parameters, state: c.zeroState ? nil : statePointer.baseAddress,
                        cell: c.mode == .lstm && !c.zeroState ? cellPointer.baseAddress : nil, output: output.pointer,
                        finalState: finalState.pointer, finalCell: c.mode == .lstm ? finalCell.pointer : nil,
                        scratch: &scratch, instructionSet: instructionSet)
            }
        }
        output.expectIntact("\(c) output")
        finalState.expectIntact("\(c) state")
        let tolerance: Float = 2e-5 * Float(c.input + c.hidden)
        for (index, (actual, reference)) in zip(output.values, expected).enumerated() {
            #expect(abs(actual - reference) <= tolerance, "\(instructionSet) \(c) output[\(index)]: \(actual) vs \(reference)")
        }
        for (actual, reference) in zip(finalState.values, expectedState) {
            #expect(abs(actual - reference) <= tolerance, "\(instructionSet) \(c) end state")
        }
        if c.mode == .lstm {
            for (actual, reference) in zip(finalCell.values, expectedCell) {
                #expect(abs(actual - reference) <= tolerance * 4, "\(instructionSet) \(c) end cell")
            }
        }
    }
}
