import Foundation
import FlexKernels
import Testing

/// The plane kernels (adaptive average pooling, bilinear resize, group normalization) against the
/// reference operators and, for GroupNorm, a Double-precision formula, at every instruction set this
/// machine runs. Outputs and scratch are guarded against writes past their ends.
@Suite("Fast plane kernels")
struct FastSpatialTests {
    @Test("adaptive average pooling: uneven, overlapping, global, identity and enlarging windows", arguments: runnableInstructionSets)
    func adaptivePooling(instructionSet: Fast.InstructionSet) {
        for (planes, h, w, oh, ow) in [(3, 7, 9, 3, 5), (2, 60, 60, 6, 6), (4, 13, 13, 1, 1), (2, 5, 3, 5, 3), (2, 4, 20, 7, 9),
                                       (1, 33, 47, 2, 3), (5, 1, 1, 1, 1), (2, 9, 17, 9, 1)] {
            let input = randomFloats(planes * h * w, seed: UInt64(h * 31 + w), in: -3...5)
            let pooling = Fast.AdaptiveAveragePooling(planes: planes, height: h, width: w, outputHeight: oh, outputWidth: ow)
            let output = GuardedBuffer(count: planes * oh * ow), scratch = GuardedBuffer(count: pooling.scratchCount)
            pooling.run(input: input, output: output.pointer, scratch: scratch.pointer, instructionSet: instructionSet)
            output.expectIntact("adaptive pooling \(h)x\(w) to \(oh)x\(ow) output")
            scratch.expectIntact("adaptive pooling \(h)x\(w) to \(oh)x\(ow) scratch")
            var reference = [Float](repeating: .nan, count: planes * oh * ow)
            Reference.adaptiveAveragePool(input: input, planes: planes, height: h, width: w, output: &reference,
                                          outputHeight: oh, outputWidth: ow)
            for (index, (actual, expected)) in zip(output.values, reference).enumerated() {
                #expect(abs(actual - expected) <= 2e-6 * (1 + abs(expected)),
                        "\(instructionSet) adaptive pooling \(h)x\(w) to \(oh)x\(ow) [\(index)]: \(actual) vs \(expected)")
            }
        }
    }

    @Test("bilinear resize: up, down, to and from one pixel, same size, both corner modes", arguments: runnableInstructionSets)
    func bilinearResize(instructionSet: Fast.InstructionSet) {
        for (planes, h, w, oh, ow) in [(3, 5, 7, 11, 13), (2, 16, 16, 7, 5), (2, 1, 1, 4, 4), (2, 4, 4, 1, 1), (3, 6, 9, 6, 9),
                                       (2, 8, 8, 64, 64), (1, 10, 3, 37, 29), (2, 3, 40, 3, 17)] {
            let input = randomFloats(planes * h * w, seed: UInt64(oh * 7 + ow), in: -2...2)
            for alignCorners in [true, false] {
                let resize = Fast.BilinearResize(planes: planes, height: h, width: w, outputHeight: oh, outputWidth: ow,
                                                 alignCorners: alignCorners)
                let output = GuardedBuffer(count: planes * oh * ow), scratch = GuardedBuffer(count: resize.scratchCount)
                resize.run(input: input, output: output.pointer, scratch: scratch.pointer, instructionSet: instructionSet)
                let what = "\(instructionSet) resize \(h)x\(w) to \(oh)x\(ow) align_corners=\(alignCorners)"
                output.expectIntact(what + " output")
                scratch.expectIntact(what + " scratch")
                var reference = [Float](repeating: .nan, count: planes * oh * ow)
                Reference.bilinearResize(input: input, planes: planes, height: h, width: w, output: &reference,
                                         outputHeight: oh, outputWidth: ow, alignCorners: alignCorners)
                for (index, (actual, expected)) in zip(output.values, reference).enumerated() {
                    #expect(abs(actual - expected) <= 1e-6 * (1 + abs(expected)), "\(what) [\(index)]: \(actual) vs \(expected)")
                }
            }
        }
    }

    @Test("group normalization with and without its moments, groups of any size", arguments: runnableInstructionSets)
    func groupNorm(instructionSet: Fast.InstructionSet) {
        for (samples, groups, size) in [(2, 4, 70), (1, 1, 3), (3, 2, 1), (2, 8, 1000), (1, 32, 17), (1, 3, 40_000)] {
            let count = samples * groups
            let input = randomFloats(count * size, seed: UInt64(size), in: -4...9)
            let gamma = randomFloats(groups, seed: 11, in: -2...2), beta = randomFloats(groups, seed: 12)
            let norm = Fast.GroupNormalization(count: count, size: size, groups: groups, epsilon: 1e-5)
            for savesMoments in [false, true] {
                let output = GuardedBuffer(count: count * size)
                let means = GuardedBuffer(count: count), stds = GuardedBuffer(count: count)
                norm.run(input: input, gamma: gamma, beta: beta, output: output.pointer,
                         savedMean: savesMoments ? means.pointer : nil, savedStd: savesMoments ? stds.pointer : nil,
                         instructionSet: instructionSet)
                let what = "\(instructionSet) group norm \(count) groups of \(size)"
                output.expectIntact(what)
                means.expectIntact(what + " means")
                stds.expectIntact(what + " stds")
                var reference = [Float](repeating: .nan, count: count * size)
                Reference.groupNorm(input: input, gamma: gamma, beta: beta, epsilon: 1e-5, output: &reference,
                                    count: count, size: size, groups: groups)
                let actual = output.values
                for g in 0..<count {
                    let x = input[(g * size)..<((g + 1) * size)].map(Double.init)
                    let mean = x.reduce(0, +) / Double(size)
                    let std = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(size) + 1e-5).squareRoot()
                    let (scale, shift) = (Double(gamma[g % groups]), Double(beta[g % groups]))
                    var worst = 0.0, worstReference = 0.0
                    for i in 0..<size {
                        let expected = (x[i] - mean) / std * scale + shift
                        worst = max(worst, abs(Double(actual[g * size + i]) - expected))
                        worstReference = max(worstReference, abs(Double(actual[g * size + i]) - Double(reference[g * size + i])))
                    }
                    #expect(worst <= 2e-5, "\(what), group \(g): worst error \(worst) against Double")
                    #expect(worstReference <= 4e-5, "\(what), group \(g): worst difference \(worstReference) from the reference")
                    if savesMoments {
                        #expect(abs(Double(means.values[g]) - mean) <= 1e-5 * (1 + abs(mean)), "\(what) mean \(g)")
                        #expect(abs(Double(stds.values[g]) - std) <= 1e-5 * std, "\(what) std \(g)")
                    } else {
                        #expect(means.values[g].isNaN && stds.values[g].isNaN, "\(what): moments written though not asked for")
                    }
                }
            }
        }
    }
}
