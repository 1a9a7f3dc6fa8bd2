import Foundation
import FlexKernels
import Testing

@Suite struct NormalizationTests {
    @Test func batchNormUsesRunningStatisticsPerChannel() {
        // (outer 2, channels 2, inner 2).
        let input: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        let gamma: [Float] = [2, 3], beta: [Float] = [0.5, -1], mean: [Float] = [1, 2], variance: [Float] = [4, 0.25]
        var output = [Float](repeating: .nan, count: 8), savedMean = [Float](repeating: 0, count: 2), savedInverse = savedMean
        for fixGamma in [false, true] {
            Reference.batchNormInference(input: input, gamma: fixGamma ? nil : gamma, beta: beta, mean: mean, variance: variance,
                                         epsilon: 1e-3, output: &output, outer: 2, channels: 2, inner: 2,
                                         savedMean: &savedMean, savedInverseStd: &savedInverse)
            for (index, x) in input.enumerated() {
                let c = (index / 2) % 2
                let expected = (Double(x) - Double(mean[c])) / (Double(variance[c]) + 1e-3).squareRoot() * (fixGamma ? 1 : Double(gamma[c])) + Double(beta[c])
                #expect(abs(Double(output[index]) - expected) < 1e-5)
            }
            #expect(savedMean == mean)
            #expect(abs(Double(savedInverse[1]) - 1 / (0.25 + 1e-3).squareRoot()) < 1e-5)
        }
    }

    @Test func layerNormOverTheMiddleAxis() {
        // (outer 1, width 3, inner 2): normalize columns [1,3,5] and [2,4,9].
        let input: [Float] = [1, 2, 3, 4, 5, 9]
        let gamma: [Float] = [1, 2, 3], beta: [Float] = [0, 1, -1]
        var output = [Float](repeating: .nan, count: 6), mean = [Float](repeating: 0, count: 2), std = mean
        Reference.layerNorm(input: input, gamma: gamma, beta: beta, epsilon: 1e-5, output: &output, outer: 1, width: 3, inner: 2,
                            savedMean: &mean, savedStd: &std)
        #expect(mean == [3, 5])
        let std0 = (8.0 / 3 + 1e-5).squareRoot(), std1 = (26.0 / 3 + 1e-5).squareRoot()
        #expect(abs(Double(std[0]) - std0) < 1e-5 && abs(Double(std[1]) - std1) < 1e-5)
        let expected: [Double] = [(1 - 3) / std0 * 1 + 0, (2 - 5) / std1 * 1 + 0, 0 * 2 + 1, (4 - 5) / std1 * 2 + 1,
                        (5 - 3) / std0 * 3 - 1, (9 - 5) / std1 * 3 - 1]
        for (a, e) in zip(output, expected) { #expect(abs(Double(a) - e) < 1e-5) }
    }

    @Test func instanceNormPerInstanceAndChannel() {
        // (batch 2, channels 1, spatial 4).
        let input: [Float] = [1, 2, 3, 4, 10, 10, 10, 14]
        var output = [Float](repeating: .nan, count: 8)
        Reference.instanceNorm(input: input, gamma: [2], beta: [1], epsilon: 1e-3, output: &output, batch: 2, channels: 1, spatial: 4)
        let std0 = (1.25 + 1e-3).squareRoot(), std1 = (3.0 + 1e-3).squareRoot()
        let expected: [Double] = [-1.5, -0.5, 0.5, 1.5].map { 2 * $0 / std0 + 1 } + [-1, -1, -1, 3].map { 2 * $0 / std1 + 1 }
        for (a, e) in zip(output, expected) { #expect(abs(Double(a) - e) < 1e-5) }
    }

    @Test func localResponseNormDividesAlphaByTheWindow() {
        // (batch 1, channels 3, spatial 1), window 3: channel 0 sees channels 0-1, channel 1 all three.
        let input: [Float] = [1, 2, 3]
        var output = [Float](repeating: .nan, count: 3)
        Reference.localResponseNorm(input: input, output: &output, batch: 1, channels: 3, spatial: 1, size: 3, alpha: 0.3, beta: 0.75, knorm: 2)
        let scale = 0.3 / 3
        let expected: [Double] = [1 * Foundation.pow(2 + scale * 5, -0.75), 2 * Foundation.pow(2 + scale * 14, -0.75), 3 * Foundation.pow(2 + scale * 13, -0.75)]
        for (a, e) in zip(output, expected) { #expect(abs(Double(a) - e) < 1e-6) }
    }
}
