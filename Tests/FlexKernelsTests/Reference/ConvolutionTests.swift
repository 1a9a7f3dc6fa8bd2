import FlexKernels
import Testing

@Suite struct ConvolutionTests {
    typealias Geometry = Reference.ConvolutionGeometry

    /// The textbook definition, element by element, in Double.
    static func naiveConvolution(_ g: Geometry, input: [Float], weight: [Float], bias: [Float]?) -> [Float] {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let cg = g.inputChannels / g.groups, fg = g.outputChannels / g.groups
        var output = [Float](repeating: 0, count: g.batch * g.outputChannels * oh * ow)
        for n in 0..<g.batch {
            for f in 0..<g.outputChannels {
                let group = f / fg
                for y in 0..<oh {
                    for x in 0..<ow {
                        var sum = Double(bias?[f] ?? 0)
                        for c in 0..<cg {
                            for ky in 0..<g.kernelHeight {
                                for kx in 0..<g.kernelWidth {
                                    let iy = y * g.strideHeight - g.padHeight + ky * g.dilationHeight
                                    let ix = x * g.strideWidth - g.padWidth + kx * g.dilationWidth
                                    guard iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth else { continue }
                                    let channel = group * cg + c
                                    let value = input[((n * g.inputChannels + channel) * g.inputHeight + iy) * g.inputWidth + ix]
                                    let w = weight[((f * cg + c) * g.kernelHeight + ky) * g.kernelWidth + kx]
                                    sum += Double(value) * Double(w)
                                }
                            }
                        }
                        output[((n * g.outputChannels + f) * oh + y) * ow + x] = Float(sum)
                    }
                }
            }
        }
        return output
    }

    static func convolve(_ g: Geometry, _ input: [Float], _ weight: [Float], _ bias: [Float]?) -> [Float] {
        var output = [Float](repeating: .nan, count: g.batch * g.outputChannels * g.outputHeight * g.outputWidth)
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { y in
                    if let bias {
                        bias.withUnsafeBufferPointer { b in
                            Reference.convolution(g, input: x.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, output: y.baseAddress!)
                        }
                    } else {
                        Reference.convolution(g, input: x.baseAddress!, weight: w.baseAddress!, bias: nil, output: y.baseAddress!)
                    }
                }
            }
        }
        return output
    }

    static func transposed(_ g: Geometry, _ input: [Float], _ weight: [Float], _ bias: [Float]?) -> [Float] {
        var output = [Float](repeating: .nan, count: g.batch * g.inputChannels * g.inputHeight * g.inputWidth)
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { y in
                    if let bias {
                        bias.withUnsafeBufferPointer { b in
                            Reference.transposedConvolution(g, input: x.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, output: y.baseAddress!)
                        }
                    } else {
                        Reference.transposedConvolution(g, input: x.baseAddress!, weight: w.baseAddress!, bias: nil, output: y.baseAddress!)
                    }
                }
            }
        }
        return output
    }

    /// Odd sizes, strides, dilations, paddings, groups, and 1-D (height 1) cases.
    static let geometries: [Geometry] = [
        Geometry(batch: 1, inputChannels: 1, inputHeight: 5, inputWidth: 5, outputChannels: 1, kernelHeight: 3, kernelWidth: 3),
        Geometry(batch: 2, inputChannels: 3, inputHeight: 7, inputWidth: 6, outputChannels: 4, kernelHeight: 3, kernelWidth: 3,
                 padHeight: 1, padWidth: 1),
        Geometry(batch: 1, inputChannels: 4, inputHeight: 9, inputWidth: 8, outputChannels: 6, kernelHeight: 3, kernelWidth: 2,
                 strideHeight: 2, strideWidth: 3, padHeight: 1, padWidth: 0, dilationHeight: 2, dilationWidth: 1, groups: 2),
        Geometry(batch: 1, inputChannels: 6, inputHeight: 5, inputWidth: 7, outputChannels: 6, kernelHeight: 3, kernelWidth: 3,
                 strideHeight: 2, strideWidth: 2, padHeight: 1, padWidth: 1, groups: 6),
        Geometry(batch: 2, inputChannels: 2, inputHeight: 6, inputWidth: 5, outputChannels: 3, kernelHeight: 5, kernelWidth: 1,
                 strideHeight: 3, strideWidth: 1, padHeight: 2, padWidth: 3, dilationHeight: 1, dilationWidth: 1),
        Geometry(batch: 1, inputChannels: 3, inputHeight: 11, inputWidth: 13, outputChannels: 2, kernelHeight: 2, kernelWidth: 3,
                 strideHeight: 1, strideWidth: 2, padHeight: 0, padWidth: 2, dilationHeight: 3, dilationWidth: 2),
        // 1-D: height 1 everywhere.
        Geometry(batch: 2, inputChannels: 3, inputHeight: 1, inputWidth: 11, outputChannels: 5, kernelHeight: 1, kernelWidth: 3,
                 strideWidth: 2, padWidth: 1, dilationWidth: 2),
        Geometry(batch: 1, inputChannels: 4, inputHeight: 1, inputWidth: 9, outputChannels: 2, kernelHeight: 1, kernelWidth: 4,
                 strideWidth: 1, padWidth: 3, groups: 2),
        // Padding wider than the kernel reach: border outputs see only zeros.
        Geometry(batch: 1, inputChannels: 2, inputHeight: 3, inputWidth: 4, outputChannels: 2, kernelHeight: 2, kernelWidth: 2,
                 strideHeight: 2, strideWidth: 1, padHeight: 3, padWidth: 2),
    ]

    @Test(arguments: geometries.indices)
    func convolutionMatchesDefinition(_ index: Int) {
        let g = Self.geometries[index]
        var values = ReferenceTestValues(seed: UInt64(index))
        let input = values.array(g.batch * g.inputChannels * g.inputHeight * g.inputWidth)
        let weight = values.array(g.outputChannels * g.inputChannelsPerGroup * g.kernelHeight * g.kernelWidth)
        let bias = values.array(g.outputChannels)
        for b in [nil, bias] {
            let actual = Self.convolve(g, input, weight, b)
            let expected = Self.naiveConvolution(g, input: input, weight: weight, bias: b)
            #expect(ReferenceTestValues.maxDifference(actual, expected) < 1e-5)
        }
    }

    /// The transposed convolution is the adjoint: `<conv(x), y> == <x, convᵀ(y)>` for any x, y.
    @Test(arguments: geometries.indices)
    func transposedConvolutionIsTheAdjoint(_ index: Int) {
        let g = Self.geometries[index]
        var values = ReferenceTestValues(seed: UInt64(100 + index))
        let x = values.array(g.batch * g.inputChannels * g.inputHeight * g.inputWidth)
        let weight = values.array(g.outputChannels * g.inputChannelsPerGroup * g.kernelHeight * g.kernelWidth)
        let y = values.array(g.batch * g.outputChannels * g.outputHeight * g.outputWidth)
        let convX = Self.naiveConvolution(g, input: x, weight: weight, bias: nil)
        let transposedY = Self.transposed(g, y, weight, nil)
        let left = zip(convX, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let right = zip(x, transposedY).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(left - right) < 1e-4 * max(1, abs(left)))

        let bias = values.array(g.inputChannels)
        let withBias = Self.transposed(g, y, weight, bias)
        let plane = g.inputHeight * g.inputWidth
        let shifted = transposedY.enumerated().map { $0.element + bias[($0.offset / plane) % g.inputChannels] }
        #expect(ReferenceTestValues.maxDifference(withBias, shifted) < 1e-5)
    }

    @Test func handComputedConvolutionAndTransposition() {
        // 3x3 input 1...9, 2x2 kernel of ones: each output sums a 2x2 block.
        let g = Geometry(batch: 1, inputChannels: 1, inputHeight: 3, inputWidth: 3, outputChannels: 1, kernelHeight: 2, kernelWidth: 2)
        #expect(Self.convolve(g, (1...9).map(Float.init), [1, 1, 1, 1], [10]) == [22, 26, 34, 38])
        // Transposing spreads each of the 2x2 values over its block: corners once, centre four times.
        #expect(Self.transposed(g, [1, 2, 3, 4], [1, 1, 1, 1], nil) == [1, 3, 2, 4, 10, 6, 3, 7, 4])
    }
}
