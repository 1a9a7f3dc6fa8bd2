import CFlexKernels

extension Fast.PreparedConvolution {
    /// Per image and group: `out[O/g, OH*OW] = W_g[O/g, C/g*kh*kw] . im2col(x_g)[C/g*kh*kw, OH*OW]` (a
    /// padded convolution first copies the group's input with its zero border into scratch; a strided 1x1
    /// one samples it once into `[C/g, OH*OW]`, which the GEMM then packs like a stride-1 input).
    func runGEMM(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, kernels: Fast.Kernels
    ) {
        let g = geometry
        let inputPlane = g.inputHeight * g.inputWidth, outputPlane = g.outputHeight * g.outputWidth
        let inputGroup = g.inputChannelsPerGroup * inputPlane, outputGroup = g.outputChannelsPerGroup * outputPlane
        let isPointwise = g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
            && g.padHeight == 0 && g.padWidth == 0
        let subsamples = Self.gemmSubsamples(g)
        let padded = g.padHeight > 0 || g.padWidth > 0
        let paddedHeight = g.inputHeight + 2 * g.padHeight, paddedWidth = g.inputWidth + 2 * g.padWidth
        let paddedInput = scratch + Self.gemmPackingCount(g)
        for image in 0..<batch {
            for group in 0..<g.groups {
                let groupInput = input + image * g.inputImageCount + group * inputGroup
                let outputOffset = image * g.outputImageCount + group * outputGroup
                let right: Fast.GEMM.RightSource
                if subsamples {
                    let sampled = scratch + Self.gemmPackingCount(g)
                    kernels.slots.subsample_planes!(groupInput, Int64(g.inputChannelsPerGroup), Int64(g.inputHeight), Int64(g.inputWidth),
                           Int64(g.strideHeight), Int64(g.strideWidth), Int64(g.outputHeight), Int64(g.outputWidth), sampled)
                    // Packed rather than read in place: measured 10% faster (1x1/2 256->512 at 56x56).
                    right = .strided(sampled, rowStride: outputPlane, columnStride: 1)
                } else if isPointwise {
                    right = Fast.GEMM.readsInPlace(rowStride: inputPlane, depth: g.inputChannelsPerGroup,
                                                   rows: g.outputChannelsPerGroup, instructionSet: kernels.instructionSet)
                        ? .inPlace(groupInput, rowStride: inputPlane) : .strided(groupInput, rowStride: inputPlane, columnStride: 1)
                } else if padded {
                    Fast.PaddedInput.copy(groupInput, channels: g.inputChannelsPerGroup, height: g.inputHeight,
                                          width: g.inputWidth, padHeight: g.padHeight, padWidth: g.padWidth,
                                          into: paddedInput)
                    right = .im2col(Fast.Im2ColSource(input: paddedInput, paddedHeight: paddedHeight,
                                                      paddedWidth: paddedWidth, geometry: g, kernels: kernels))
                } else {
                    right = .im2col(Fast.Im2ColSource(input: groupInput, paddedHeight: g.inputHeight,
                                                      paddedWidth: g.inputWidth, geometry: g, kernels: kernels))
                }
                var groupEpilogue = epilogue
                groupEpilogue.biasAxis = .rows
                groupEpilogue.bias = epilogue.bias.map { $0 + group * g.outputChannelsPerGroup }
                groupEpilogue.residual = epilogue.residual.map { $0 + outputOffset }
                groupEpilogue.residualRowStride = outputPlane
                let weights = packedWeights[group]
                Fast.GEMM.run(
                    m: weights.rows, n: outputPlane, k: weights.columns,
                    left: .panels(weights.values, panelStride: weights.panelStride), right: right,
                    output: output + outputOffset, outputRowStride: outputPlane, accumulate: false,
                    epilogue: groupEpilogue, scratch: scratch, blocking: .default, kernels: kernels)
            }
        }
    }

    /// Scratch of the GEMM algorithm: packing space, then a zero-padded copy of one group's
    /// input if the convolution pads, or its sampled copy if it is a strided 1x1.
    static func gemmScratchCount(_ g: Reference.ConvolutionGeometry) -> Int {
        gemmPackingCount(g) + gemmPaddedCount(g) + (gemmSubsamples(g) ? g.inputChannelsPerGroup * g.outputHeight * g.outputWidth : 0)
    }

    /// Whether the GEMM samples a strided, unpadded 1x1 convolution's input once per image and group (a
    /// sequential pass) rather than packing its im2col panels with strided loads from planes that
    /// exceed the caches.
    static func gemmSubsamples(_ g: Reference.ConvolutionGeometry) -> Bool {
        g.kernelHeight == 1 && g.kernelWidth == 1 && (g.strideHeight > 1 || g.strideWidth > 1) && g.padHeight == 0 && g.padWidth == 0
    }

    /// Floats of GEMM packing scratch (the padded input copy follows them).
    static func gemmPackingCount(_ g: Reference.ConvolutionGeometry) -> Int {
        Fast.GEMM.scratchCount(
            m: g.outputChannelsPerGroup, n: g.outputHeight * g.outputWidth, k: g.inputChannelsPerGroup * g.kernelHeight * g.kernelWidth,
            packsLeft: false, packsRight: true, blocking: .default)
    }

    /// Floats of the zero-padded copy of one group's input (0 without padding).
    static func gemmPaddedCount(_ g: Reference.ConvolutionGeometry) -> Int {
        guard g.padHeight > 0 || g.padWidth > 0 else { return 0 }
        return g.inputChannelsPerGroup * (g.inputHeight + 2 * g.padHeight) * (g.inputWidth + 2 * g.padWidth)
    }
}
