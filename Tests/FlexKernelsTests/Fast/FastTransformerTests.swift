import Foundation
import FlexKernels
import Testing

/// The transformer kernels against Double-precision formulas written here and against the reference
/// operators (`Reference.softmax`, `Reference.layerNorm`, `Reference.interleavedScores`), at every
/// instruction set this machine runs.
@Suite("Fast.Transformer")
struct FastTransformerTests {
    @Test("softmax rows with valid lengths, zero and over-long lengths, and a temperature", arguments: runnableInstructionSets)
    func softmax(instructionSet: Fast.InstructionSet) {
        for (rows, width) in [(5, 128), (7, 37), (3, 16), (4, 1), (2, 200)] {
            let input = randomFloats(rows * width, seed: UInt64(width), in: -30...30)
            for temperature: Float in [1, 2.5] {
                for lengths: [Int32]? in [nil, (0..<rows).map { Int32(($0 * 37 + 5) % (width + 3)) - ($0 == 1 ? 9 : 0) }] {
                    let output = GuardedBuffer(count: rows * width)
                    if let lengths {
                        lengths.withUnsafeBufferPointer {
                            Fast.Transformer.softmaxRows(input: input, output: output.pointer, rows: rows, width: width,
                                                         validLengths: $0.baseAddress, temperature: temperature, instructionSet: instructionSet)
                        }
                    } else {
                        Fast.Transformer.softmaxRows(input: input, output: output.pointer, rows: rows, width: width,
                                                     validLengths: nil, temperature: temperature, instructionSet: instructionSet)
                    }
                    output.expectIntact("softmax \(rows)x\(width)")
                    var reference = [Float](repeating: .nan, count: rows * width)
                    Reference.softmax(.softmax, input: input, output: &reference, outer: rows, axisSize: width, inner: 1,
                                      temperature: temperature, lengths: lengths.map { $0.map(Int.init) })
                    for r in 0..<rows {
                        let valid = max(0, min(width, lengths.map { Int($0[r]) } ?? width))
                        let row = input[(r * width)..<(r * width + valid)].map(Double.init)
                        let largest = row.max() ?? 0
                        let sum = row.reduce(0) { $0 + exp(($1 - largest) / Double(temperature)) }
                        for j in 0..<width {
                            let expected = j < valid ? exp((row[j] - largest) / Double(temperature)) / sum : 0
                            let actual = Double(output.values[r * width + j])
                            #expect(abs(actual - expected) <= 2e-7 + 4e-6 * expected,
                                    "\(instructionSet) softmax \(rows)x\(width) t=\(temperature) row \(r) [\(j)]: \(actual) vs \(expected)")
                            #expect(abs(Double(reference[r * width + j]) - actual) <= 2e-7 + 4e-6 * expected)
                        }
                    }
                }
            }
        }
    }

    @Test("layer normalization rows", arguments: runnableInstructionSets)
    func layerNorm(instructionSet: Fast.InstructionSet) {
        for (rows, width) in [(6, 768), (3, 37), (2, 16), (5, 1), (1, 3072)] {
            let input = randomFloats(rows * width, seed: 3, in: -4...6)
            let gamma = randomFloats(width, seed: 4, in: -2...2), beta = randomFloats(width, seed: 5)
            let output = GuardedBuffer(count: rows * width)
            Fast.Transformer.layerNormRows(input: input, output: output.pointer, rows: rows, width: width,
                                           gamma: gamma, beta: beta, epsilon: 1e-12, instructionSet: instructionSet)
            output.expectIntact("layer norm \(rows)x\(width)")
            var reference = [Float](repeating: .nan, count: rows * width)
            Reference.layerNorm(input: input, gamma: gamma, beta: beta, epsilon: 1e-12, output: &reference,
                                outer: rows, width: width, inner: 1)
            for r in 0..<rows {
                let row = input[(r * width)..<((r + 1) * width)].map(Double.init)
                let mean = row.reduce(0, +) / Double(width)
                let std = (row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width) + 1e-12).squareRoot()
                for j in 0..<width {
                    let expected = width == 1 ? Double(beta[j]) : (row[j] - mean) / std * Double(gamma[j]) + Double(beta[j])
                    let actual = Double(output.values[r * width + j])
                    #expect(abs(actual - expected) <= 1e-5 * (1 + abs(Double(gamma[j])) * 3),
                            "\(instructionSet) layer norm \(rows)x\(width) [\(r), \(j)]: \(actual) vs \(expected)")
                    #expect(abs(Double(reference[r * width + j]) - actual) <= 1e-5 * (1 + abs(Double(gamma[j])) * 3))
                }
            }
        }
    }

    @Test("GELU within 1e-7 of the erf formula, including saturation, zero, infinities and NaN", arguments: runnableInstructionSets)
    func gelu(instructionSet: Fast.InstructionSet) {
        var input = randomFloats(3001, seed: 8, in: -7...7)
        input += [0, -0.0, 1e-8, -1e-8, 5.656, 5.6569, 5.66, -5.66, 40, -40, .infinity, -.infinity, .nan]
        let output = GuardedBuffer(count: input.count)
        Fast.Transformer.gelu(input: input, output: output.pointer, count: input.count, instructionSet: instructionSet)
        output.expectIntact("gelu")
        for (x, actual) in zip(input, output.values) {
            let expected = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
            if x.isNaN || x == -.infinity {
                // -inf · (1 + -1) is NaN in IEEE arithmetic, as in MXNet's formula.
                #expect(actual.isNaN, "gelu(\(x)) = \(actual)")
            } else if x.isInfinite {
                #expect(actual == .infinity)
            } else {
                #expect(abs(Double(actual) - expected) <= 1e-7 * max(1, abs(Double(x))) + 1e-6 * abs(expected),
                        "\(instructionSet) gelu(\(x)) = \(actual), expected \(expected)")
            }
        }
    }

    /// Self-attention of `batch` samples: the fast scores and weighted values against the reference.
    @Test("interleaved self-attention scores and weighted values match the reference", arguments: runnableInstructionSets)
    func selfAttention(instructionSet: Fast.InstructionSet) {
        for (length, batch, heads, headDim) in [(128, 1, 12, 64), (9, 2, 3, 5), (33, 3, 2, 16)] {
            let projection = randomFloats(length * batch * heads * 3 * headDim, seed: 21, in: -2...2)
            let scale = 1 / Float(headDim).squareRoot()
            let scoresGeometry = Fast.Transformer.Attention(
                product: .scores(queryParts: 3, queryPart: 0, keyParts: 3, keyPart: 1, scale: scale),
                batch: batch, heads: heads, headDim: headDim, queryLength: length, keyLength: length)
            var scratch = [Float](repeating: 0, count: scoresGeometry.scratchCount)
            let scores = GuardedBuffer(count: batch * heads * length * length)
            scoresGeometry.run(first: projection, second: projection, output: scores.pointer, scratch: &scratch,
                               instructionSet: instructionSet)
            scores.expectIntact("scores")
            var expectedScores = [Float](repeating: .nan, count: scores.values.count)
            Reference.interleavedScores(queries: projection, queryParts: 3, queryPart: 0, queryLength: length,
                                        keys: projection, keyParts: 3, keyPart: 1, keyLength: length,
                                        batch: batch, heads: heads, headDim: headDim, scale: scale, output: &expectedScores)
            let scoreBound = Double(headDim) * 4 * Double(scale) * 1e-6
            for (actual, expected) in zip(scores.values, expectedScores) {
                #expect(abs(Double(actual) - Double(expected)) <= scoreBound, "\(instructionSet) scores \(length)x\(batch)x\(heads)x\(headDim)")
            }

            let attention = randomFloats(scores.values.count, seed: 22, in: 0...1)
            let valuesGeometry = Fast.Transformer.Attention(
                product: .weightedValues(valueParts: 3, valuePart: 2),
                batch: batch, heads: heads, headDim: headDim, queryLength: length, keyLength: length)
            scratch = [Float](repeating: 0, count: valuesGeometry.scratchCount)
            let weighted = GuardedBuffer(count: length * batch * heads * headDim)
            valuesGeometry.run(first: projection, second: attention, output: weighted.pointer, scratch: &scratch,
                               instructionSet: instructionSet)
            weighted.expectIntact("weighted values")
            var expectedValues = [Float](repeating: .nan, count: weighted.values.count)
            Reference.interleavedWeightedValues(values: projection, valueParts: 3, valuePart: 2, keyLength: length,
                                                attention: attention, queryLength: length, batch: batch, heads: heads,
                                                headDim: headDim, output: &expectedValues)
            let valueBound = Double(length) * 2 * 1e-6
            for (actual, expected) in zip(weighted.values, expectedValues) {
                #expect(abs(Double(actual) - Double(expected)) <= valueBound, "\(instructionSet) values \(length)x\(batch)x\(heads)x\(headDim)")
            }
        }
    }

    @Test("encoder-decoder attention (queries and 2-part keys/values of another length)", arguments: runnableInstructionSets)
    func encoderDecoderAttention(instructionSet: Fast.InstructionSet) {
        let (queryLength, keyLength, batch, heads, headDim) = (7, 11, 2, 3, 8)
        let queries = randomFloats(queryLength * batch * heads * headDim, seed: 31)
        let keysValues = randomFloats(keyLength * batch * heads * 2 * headDim, seed: 32)
        let geometry = Fast.Transformer.Attention(
            product: .scores(queryParts: 1, queryPart: 0, keyParts: 2, keyPart: 0, scale: 0.25),
            batch: batch, heads: heads, headDim: headDim, queryLength: queryLength, keyLength: keyLength)
        var scratch = [Float](repeating: 0, count: geometry.scratchCount)
        let scores = GuardedBuffer(count: batch * heads * queryLength * keyLength)
        geometry.run(first: queries, second: keysValues, output: scores.pointer, scratch: &scratch, instructionSet: instructionSet)
        scores.expectIntact("encdec scores")
        var expected = [Float](repeating: .nan, count: scores.values.count)
        Reference.interleavedScores(queries: queries, queryParts: 1, queryPart: 0, queryLength: queryLength,
                                    keys: keysValues, keyParts: 2, keyPart: 0, keyLength: keyLength,
                                    batch: batch, heads: heads, headDim: headDim, scale: 0.25, output: &expected)
        for (actual, reference) in zip(scores.values, expected) {
            #expect(abs(actual - reference) <= 1e-5)
        }
    }
}
