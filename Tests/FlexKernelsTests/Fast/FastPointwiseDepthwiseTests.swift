import FlexKernels
import Testing

/// The fused pointwise → depthwise kernel against the two convolutions run one after the other, over
/// strides, padding, dilation, channel multipliers, odd sizes and bands from one row to the whole plane.
@Suite("Fast.PointwiseDepthwise")
struct FastPointwiseDepthwiseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var channels: Int, expanded: Int, height: Int, width: Int
        var kernel = 3, stride = 1, pad = 1, dilation = 1, multiplier = 1, batch = 1
        var testDescription: String {
            "\(batch)x\(channels)x\(height)x\(width) -> \(expanded) -> dw \(kernel)x\(kernel)/\(stride) pad \(pad) dilate \(dilation) x\(multiplier)"
        }
    }

    static let cases: [Case] = [
        Case(channels: 16, expanded: 24, height: 23, width: 21, stride: 2),
        Case(channels: 8, expanded: 12, height: 17, width: 9, batch: 2),
        Case(channels: 5, expanded: 7, height: 12, width: 40, pad: 0),
        Case(channels: 4, expanded: 6, height: 13, width: 11, kernel: 5, pad: 2),
        Case(channels: 3, expanded: 5, height: 15, width: 14, pad: 2, dilation: 2),
        Case(channels: 4, expanded: 3, height: 9, width: 10, multiplier: 2),
        Case(channels: 6, expanded: 4, height: 14, width: 13, stride: 3),
        Case(channels: 7, expanded: 5, height: 1, width: 8),
    ]

    static func geometries(_ c: Case) -> (Reference.ConvolutionGeometry, Reference.ConvolutionGeometry) {
        let pointwise = Reference.ConvolutionGeometry(
            batch: c.batch, inputChannels: c.channels, inputHeight: c.height, inputWidth: c.width, outputChannels: c.expanded,
            kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1, padHeight: 0, padWidth: 0, groups: 1)
        let depthwise = Reference.ConvolutionGeometry(
            batch: c.batch, inputChannels: c.expanded, inputHeight: c.height, inputWidth: c.width,
            outputChannels: c.expanded * c.multiplier, kernelHeight: c.kernel, kernelWidth: c.kernel, strideHeight: c.stride,
            strideWidth: c.stride, padHeight: c.pad, padWidth: c.pad, dilationHeight: c.dilation, dilationWidth: c.dilation,
            groups: c.expanded)
        return (pointwise, depthwise)
    }

    @Test(arguments: runnableInstructionSets, [1, 2, 3, 1 << 30])
    func matchesTheTwoConvolutionsInSequence(instructionSet: Fast.InstructionSet, bandRows: Int) {
        for c in Self.cases {
            let (p, d) = Self.geometries(c)
            let input = randomFloats(c.batch * p.inputImageCount, seed: 41)
            let pointwiseWeights = randomFloats(p.weightCount, seed: 42), depthwiseWeights = randomFloats(d.weightCount, seed: 43)
            let pointwiseBias = randomFloats(p.outputChannels, seed: 44), depthwiseBias = randomFloats(d.outputChannels, seed: 45)
            let residual = randomFloats(c.batch * d.outputImageCount, seed: 46)
            let pointwise = Fast.PreparedConvolution(geometry: p, weights: pointwiseWeights, algorithm: .gemm, instructionSet: instructionSet)
            let depthwise = Fast.PreparedConvolution(geometry: d, weights: depthwiseWeights, algorithm: .depthwise,
                                                     instructionSet: instructionSet)
            // A buffer budget of `bandRows` rows per channel (the kernel widens it to what one band needs).
            let budget = bandRows == 1 << 30 ? Fast.PointwiseDepthwise.defaultBufferBudget : bandRows * c.expanded * c.width * 4
            guard let fused = Fast.PointwiseDepthwise(pointwise: pointwise, depthwise: depthwise, bufferBudget: budget) else {
                Issue.record("\(c.testDescription) was not fused")
                continue
            }
            var expanded = [Float](repeating: .nan, count: c.batch * p.outputImageCount)
            var expected = [Float](repeating: .nan, count: c.batch * d.outputImageCount)
            var scratch = [Float](repeating: .nan, count: max(pointwise.scratchCount, depthwise.scratchCount, 1))
            let actual = GuardedBuffer(count: expected.count), fusedScratch = GuardedBuffer(count: fused.scratchCount)
            pointwiseBias.withUnsafeBufferPointer { pb in
                depthwiseBias.withUnsafeBufferPointer { db in
                    residual.withUnsafeBufferPointer { r in
                        let first = Fast.Epilogue(bias: pb.baseAddress, activation: .relu6)
                        let second = Fast.Epilogue(bias: db.baseAddress, residual: r.baseAddress, activation: .clip(lower: -1, upper: 2))
                        pointwise.run(input: input, output: &expanded, epilogue: first, scratch: &scratch)
                        depthwise.run(input: expanded, output: &expected, epilogue: second, scratch: &scratch)
                        fused.run(input: input, output: actual.pointer, pointwiseEpilogue: first, depthwiseEpilogue: second,
                                  scratch: fusedScratch.pointer)
                    }
                }
            }
            actual.expectIntact("\(c.testDescription) fused output")
            fusedScratch.expectIntact("\(c.testDescription) fused scratch")
            let worst = zip(actual.values, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(c.testDescription), \(fused.bandRows)-row bands: \(worst)")
        }
    }

    /// MobileNetV2's fused layers at full size, with the default band buffer.
    @Test(arguments: [
        Case(channels: 32, expanded: 32, height: 112, width: 112),
        Case(channels: 16, expanded: 96, height: 112, width: 112, stride: 2),
        Case(channels: 24, expanded: 144, height: 56, width: 56),
        Case(channels: 24, expanded: 144, height: 56, width: 56, stride: 2),
    ])
    func mobileNetLayers(c: Case) {
        let (p, d) = Self.geometries(c)
        let input = randomFloats(c.batch * p.inputImageCount, seed: 51)
        let pointwise = Fast.PreparedConvolution(geometry: p, weights: randomFloats(p.weightCount, seed: 52), algorithm: .gemm)
        let depthwise = Fast.PreparedConvolution(geometry: d, weights: randomFloats(d.weightCount, seed: 53), algorithm: .depthwise)
        let fused = Fast.PointwiseDepthwise(pointwise: pointwise, depthwise: depthwise)!
        let pointwiseBias = randomFloats(p.outputChannels, seed: 54), depthwiseBias = randomFloats(d.outputChannels, seed: 55)
        var expanded = [Float](repeating: .nan, count: p.outputImageCount)
        var expected = [Float](repeating: .nan, count: d.outputImageCount), actual = expected
        var scratch = [Float](repeating: .nan, count: max(pointwise.scratchCount, depthwise.scratchCount, fused.scratchCount, 1))
        pointwiseBias.withUnsafeBufferPointer { pb in
            depthwiseBias.withUnsafeBufferPointer { db in
                let first = Fast.Epilogue(bias: pb.baseAddress, activation: .relu6)
                let second = Fast.Epilogue(bias: db.baseAddress, activation: .relu6)
                pointwise.run(input: input, output: &expanded, epilogue: first, scratch: &scratch)
                depthwise.run(input: expanded, output: &expected, epilogue: second, scratch: &scratch)
                fused.run(input: input, output: &actual, pointwiseEpilogue: first, depthwiseEpilogue: second, scratch: &scratch)
            }
        }
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-4, "\(c.testDescription), \(fused.bandRows)-row bands: \(worst)")
    }

    @Test func onlyAPointwiseGEMMFeedingADepthwiseConvolutionFuses() {
        let (p, d) = Self.geometries(Self.cases[0])
        let weights = randomFloats(max(p.weightCount, d.weightCount, 9 * p.weightCount), seed: 1)
        let pointwise = Fast.PreparedConvolution(geometry: p, weights: weights, algorithm: .gemm)
        let depthwise = Fast.PreparedConvolution(geometry: d, weights: weights, algorithm: .depthwise)
        #expect(Fast.PointwiseDepthwise(pointwise: pointwise, depthwise: depthwise) != nil)
        var wide = p
        wide.kernelHeight = 3
        wide.padHeight = 1
        #expect(Fast.PointwiseDepthwise(pointwise: Fast.PreparedConvolution(geometry: wide, weights: weights, algorithm: .gemm),
                                        depthwise: depthwise) == nil)
        var other = d
        other.inputHeight += 1
        #expect(Fast.PointwiseDepthwise(pointwise: pointwise,
                                        depthwise: Fast.PreparedConvolution(geometry: other, weights: weights, algorithm: .depthwise)) == nil)
    }
}
