import CFlexKernels

extension Fast.PreparedConvolution {
    /// The batch in chunks of `transposedChunkImages` images: per chunk, `D[n*OH*OW, O] = im2col(x)^T . W^T`
    /// into scratch (pixels are GEMM rows, so the weights, the pre-packed right operand, are read once per
    /// chunk), then `out[n][o][p] = epilogue(D[n*OH*OW + p][o])`.
    func runTransposedGEMM(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, kernels: Fast.Kernels
    ) {
        let g = geometry, chunk = Self.transposedChunkImages(g)
        for first in stride(from: 0, to: batch, by: chunk) {
            var chunkEpilogue = epilogue
            chunkEpilogue.residual = epilogue.residual.map { $0 + first * g.outputImageCount }
            runTransposedChunk(input: input + first * g.inputImageCount, output: output + first * g.outputImageCount,
                               batch: Swift.min(chunk, batch - first), epilogue: chunkEpilogue, scratch: scratch,
                               kernels: kernels)
        }
    }

    /// The transposed GEMM and its transposing epilogue for `batch` images (at most a chunk's).
    private func runTransposedChunk(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, kernels: Fast.Kernels
    ) {
        let g = geometry
        let pixels = g.outputHeight * g.outputWidth, channels = g.outputChannels
        let depth = g.inputChannels * g.kernelHeight * g.kernelWidth
        let padded = g.padHeight > 0 || g.padWidth > 0
        let paddedHeight = g.inputHeight + 2 * g.padHeight, paddedWidth = g.inputWidth + 2 * g.padWidth
        let products = scratch + Self.transposedPackingCount(g)
        let paddedInput = products + batch * pixels * channels
        let weights = packedWeights[0]
        var source = input, imageStride = g.inputImageCount
        if padded {
            imageStride = g.inputChannels * paddedHeight * paddedWidth
            for image in 0..<batch {
                Fast.PaddedInput.copy(input + image * g.inputImageCount, channels: g.inputChannels, height: g.inputHeight,
                                      width: g.inputWidth, padHeight: g.padHeight, padWidth: g.padWidth,
                                      into: paddedInput + image * imageStride)
            }
            source = UnsafePointer(paddedInput)
        }
        var im2col = Fast.Im2ColSource(input: source, paddedHeight: padded ? paddedHeight : g.inputHeight,
                                       paddedWidth: padded ? paddedWidth : g.inputWidth, geometry: g, kernels: kernels)
        im2col.imageStride = imageStride
        let rowCount = batch * pixels
        guard rowCount > 0 else { return }
        var left = Fast.GEMM.LeftSource.im2col(im2col)
        if Self.transposedPrepacksLeft(g) {
            // All pixel panels over all K, packed once instead of once per NC block.
            let panelStride = depth * Fast.GEMM.mr
            im2col.packPixelPanels(kCount: depth, columnStart: 0, columnCount: rowCount, into: scratch, panelStride: panelStride)
            left = .panels(scratch, panelStride: panelStride)
        }
        Fast.GEMM.run(
            m: rowCount, n: channels, k: depth, left: left,
            right: .panels(weights.values, panelStride: weights.panelStride),
            output: products, outputRowStride: channels, accumulate: false, epilogue: .none, scratch: scratch,
            blocking: .default, kernels: kernels)
        let transpose = kernels.slots.transpose_epilogue!
        for image in 0..<batch {
            let offset = image * g.outputImageCount
            var tile = epilogue.tile(row: 0, column: 0)
            tile.residual = epilogue.residual.map { $0 + offset }
            withUnsafePointer(to: &tile) { tilePointer in
                transpose(products + image * pixels * channels, Int64(channels), Int64(pixels), 0, Int64(channels),
                          output + offset, Int64(pixels), epilogue.isNone ? nil : tilePointer)
            }
        }
    }

    /// Whether the transposed GEMM leaves fewer of its micro-tiles' lanes empty than the plain GEMM, by
    /// at least 10%, on `target`'s kernels. The plain GEMM's columns are the output pixels, in tiles of 32
    /// with AVX-512 (16 for a last 1...16) and 16 with AVX2; the transposed one's rows are the pixels, in
    /// panels of 6, its columns the output channels. On AVX-512 also true for strided, unpadded 1x1 kernels
    /// with at least 256 output channels and at most 256 output pixels (ResNet's downsampling convolutions
    /// to 14x14 and 7x7), whose pixel panels it samples once over all K (measured, 1x1/2 512->1024 at
    /// 28x28: 0.90 against 0.97 ms for sampling the input and running the plain GEMM at batch 1, a tie at
    /// batch 8; at 56x56 inputs, and with 128 output channels, the plain GEMM is as fast or faster).
    public static func transposedIsProfitable(_ g: Reference.ConvolutionGeometry, target: Fast.InstructionSet) -> Bool {
        if target >= .avx512 && g.kernelHeight == 1 && g.kernelWidth == 1 && (g.strideHeight > 1 || g.strideWidth > 1)
            && g.padHeight == 0 && g.padWidth == 0 && g.outputChannels >= 256 && g.outputHeight * g.outputWidth <= 256 {
            return true
        }
        let wide = target >= .avx512
        func tiles(_ width: Int) -> Double {
            guard wide else { return Double((width + 15) / 16) }
            let rest = width % 32
            return Double(width / 32) + (rest == 0 ? 0 : rest <= 16 ? 0.5 : 1)
        }
        let tileWidth = wide ? 32.0 : 16.0
        let pixels = g.outputHeight * g.outputWidth, channels = g.outputChannels
        guard channels >= 16, pixels > 0 else { return false }
        let plain = Double(pixels) / (tileWidth * tiles(pixels))
        let transposed = Double(pixels) / Double(6 * ((pixels + 5) / 6)) * Double(channels) / (tileWidth * tiles(channels))
        return transposed >= 1.1 * plain
    }

    /// Scratch of the transposed GEMM: packing space for the pixel panels, the products
    /// `[n*OH*OW, O]`, then zero-padded copies of the inputs if the convolution pads, for a chunk of n images.
    static func transposedScratchCount(_ g: Reference.ConvolutionGeometry) -> Int {
        transposedPackingCount(g)
            + transposedChunkImages(g) * (g.outputHeight * g.outputWidth * g.outputChannels + gemmPaddedCount(g))
    }

    /// Images per transposed GEMM: the whole batch, so that the weights are read once, unless they fit in
    /// L2 (at most 256 Ki floats, 1 MiB) and can be read again cheaply; then as many images as keep the
    /// products within 256 Ki floats (at least one), so that the transposing pass finds them in cache
    /// (measured: ResNet-50's 1x1/2 256->512 at 56x56, batch 8: 11.6 ms with 12.8 MB of products at once,
    /// 10.7 ms image by image).
    static func transposedChunkImages(_ g: Reference.ConvolutionGeometry) -> Int {
        let batch = Swift.max(g.batch, 1), limit = 1 << 18
        let weights = g.inputChannels * g.kernelHeight * g.kernelWidth * g.outputChannels
        let products = Swift.max(g.outputHeight * g.outputWidth * g.outputChannels, 1)
        guard weights <= limit else { return batch }
        return Swift.min(batch, Swift.max(1, limit / products))
    }

    static func transposedPackingCount(_ g: Reference.ConvolutionGeometry) -> Int {
        let m = transposedChunkImages(g) * g.outputHeight * g.outputWidth, k = g.inputChannels * g.kernelHeight * g.kernelWidth
        if transposedPrepacksLeft(g) { return roundUp(m, Fast.GEMM.mr) * k }
        return Fast.GEMM.scratchCount(m: m, n: g.outputChannels, k: k, packsLeft: true, packsRight: false, blocking: .default)
    }

    /// Whether the transposed GEMM packs its pixel panels over all K before multiplying: when the output
    /// channels span several NC blocks (GEMM would otherwise pack each MC x KC block of them once per
    /// block), and for 1x1 kernels, whose panels (K = C rows) packed 16 rows at a time read their strided
    /// planes with fewer misses than GEMM's KC-row panels (measured: ResNet-50 stage 4's 1x1/2 1024->512
    /// at batch 8 about 25% faster; for 3x3 kernels it made no difference but needs 9x the scratch).
    static func transposedPrepacksLeft(_ g: Reference.ConvolutionGeometry) -> Bool {
        g.outputChannels > Fast.GEMM.Blocking.default.nc || g.kernelHeight * g.kernelWidth == 1
    }
}
