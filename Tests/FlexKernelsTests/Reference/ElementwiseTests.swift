import FlexKernels
import Testing

@Suite struct ElementwiseTests {
    static func apply(_ function: Reference.LeakyReLUFunction, _ input: [Float]) -> [Float] {
        var output = [Float](repeating: .nan, count: input.count)
        Reference.leakyReLU(function, input: input, output: &output, count: input.count)
        return output
    }

    /// Expected values are MXNet 1.9.1's `LeakyReLU` on x = [-3, -1, 0, 1, 2]
    /// (`mx.nd.LeakyReLU(x, act_type=...)`).
    @Test func leakyReLUFamilyMatchesMXNetValues() {
        let x: [Float] = [-3, -1, 0, 1, 2]
        let cases: [(Reference.LeakyReLUFunction, [Float])] = [
            (.leaky(slope: 0.25), [-0.75, -0.25, 0, 1, 2]),
            (.elu(slope: 0.5), [-0.47510648, -0.31606025, 0, 1, 2]),
            (.selu, [-1.6705688, -1.1113307, 0, 1.050701, 2.101402]),
            (.gelu, [-0.00404987, -0.15865527, 0, 0.84134465, 1.9544998]),
        ]
        for (function, expected) in cases {
            #expect(ReferenceTestValues.maxDifference(Self.apply(function, x), expected) < 2e-6, "\(function)")
        }
    }

    @Test func parametricReLUBroadcastsGammaByStrides() {
        // (outer 2, channels 2, inner 2); negative inputs only, so the output is slope * x.
        let x = [Float](repeating: -1, count: 8)
        var output = [Float](repeating: .nan, count: 8)
        Reference.parametricReLU(input: x, gamma: [0.1, 0.2], output: &output, outer: 2, channels: 2, inner: 2, outerStride: 0, channelStride: 1)
        #expect(output == [-0.1, -0.1, -0.2, -0.2, -0.1, -0.1, -0.2, -0.2])
        Reference.parametricReLU(input: x, gamma: [0.5], output: &output, outer: 2, channels: 2, inner: 2, outerStride: 0, channelStride: 0)
        #expect(output.allSatisfy { $0 == -0.5 })
        Reference.parametricReLU(input: [3] + x.dropFirst(), gamma: [0.1, 0.2, 0.3, 0.4], output: &output, outer: 2, channels: 2, inner: 2,
                                 outerStride: 2, channelStride: 1)
        #expect(output == [3, -0.1, -0.2, -0.2, -0.3, -0.3, -0.4, -0.4])
    }

    @Test func fullyConnectedIsDataTimesWeightTransposed() {
        // data (2, 3), weight (2, 3), bias (2,).
        var output = [Float](repeating: .nan, count: 4)
        Reference.fullyConnected(input: [1, 2, 3, 4, 5, 6], weight: [1, 0, -1, 0.5, 0.5, 0.5], bias: [10, 0], output: &output,
                                 rows: 2, inputFeatures: 3, outputFeatures: 2)
        #expect(output == [8, 3, 8, 7.5])
        Reference.fullyConnected(input: [1, 2, 3, 4, 5, 6], weight: [1, 0, -1, 0.5, 0.5, 0.5], bias: nil, output: &output,
                                 rows: 2, inputFeatures: 3, outputFeatures: 2)
        #expect(output == [-2, 3, -2, 7.5])
    }

    @Test func nearestUpsamplingRepeatsAndAccumulates() {
        // One 1x2 plane scaled by 2 into channel 1 of a 2-channel output.
        var output = [Float](repeating: 0, count: 16)
        Reference.upsampleNearest(input: [1, 2], output: &output, batch: 1, channels: 1, height: 1, width: 2, scale: 2,
                                  outputChannels: 2, channelOffset: 1, accumulate: false)
        #expect(Array(output[0..<8]) == [Float](repeating: 0, count: 8))
        #expect(Array(output[8..<16]) == [1, 1, 2, 2, 1, 1, 2, 2])
        Reference.upsampleNearest(input: [1, 2], output: &output, batch: 1, channels: 1, height: 1, width: 2, scale: 2,
                                  outputChannels: 2, channelOffset: 1, accumulate: true)
        #expect(Array(output[8..<16]) == [2, 2, 4, 4, 2, 2, 4, 4])
    }
}
