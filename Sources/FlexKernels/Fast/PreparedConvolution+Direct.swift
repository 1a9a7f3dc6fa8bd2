import CFlexKernels

extension Fast.PreparedConvolution {
    /// The direct convolution: the `batch * OH` output rows are split evenly between the threads (each
    /// thread owns whole rows of every output channel); each runs `flex_direct_conv_*` on its rows of each
    /// image, with `scratch` (`directScratchCount` floats) its own.
    func runDirect(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, threadIndex: Int, threadCount: Int
    ) {
        let g = geometry
        var plane = Self.planeGeometry(g)
        let rows = batch * g.outputHeight
        let start = rows * threadIndex / threadCount, end = rows * (threadIndex + 1) / threadCount
        let weights = packedWeights[0].values
        var row = start
        while row < end {
            // This thread's rows of one image.
            let image = row / g.outputHeight, first = row % g.outputHeight
            let count = Swift.min(end - row, g.outputHeight - first)
            var tile = epilogue.tile(row: 0, column: 0)
            tile.residual = epilogue.residual.map { $0 + image * g.outputImageCount }
            tile.residual_stride = Int64(g.outputHeight * g.outputWidth)
            withUnsafePointer(to: &tile) { tilePointer in
                let e = epilogue.isNone ? nil : tilePointer
                let source = input + image * g.inputImageCount, destination = output + image * g.outputImageCount
                switch instructionSet {
                case .avx512:
                    flex_direct_conv_avx512(source, Int64(g.inputChannels), Int64(g.outputChannels), &plane, weights,
                                            destination, Int64(first), Int64(count), e, scratch)
                case .avx2FMA, .portable:
                    flex_direct_conv_portable(source, Int64(g.inputChannels), Int64(g.outputChannels), &plane, weights,
                                              destination, Int64(first), Int64(count), e, scratch)
                }
            }
            row += count
        }
    }

    /// Whether the direct kernel is expected to beat im2col + GEMM: few input channels (network stems such
    /// as MobileNetV2's 3->32 3x3/2 and ResNet-50's 3->64 7x7/2, where the GEMM's depth `C * kh * kw` is
    /// small and im2col's copy is a large share of the work), single group, with AVX-512F available.
    public static func directIsProfitable(_ g: Reference.ConvolutionGeometry) -> Bool {
        g.groups == 1 && g.inputChannels <= 4 && g.outputChannels >= 16 && Fast.InstructionSet.best == .avx512
    }

    /// Per-thread scratch of the direct convolution: one band's input rows split into column phases, and
    /// the taps' offsets.
    static func directScratchCount(_ g: Reference.ConvolutionGeometry) -> Int {
        var plane = planeGeometry(g)
        return Int(flex_direct_conv_scratch_count(Int64(g.inputChannels), &plane))
    }

    /// The plane geometry of `g` (every channel's).
    static func planeGeometry(_ g: Reference.ConvolutionGeometry) -> flex_plane_geometry {
        flex_plane_geometry(
            in_h: Int64(g.inputHeight), in_w: Int64(g.inputWidth), out_h: Int64(g.outputHeight), out_w: Int64(g.outputWidth),
            kernel_h: Int64(g.kernelHeight), kernel_w: Int64(g.kernelWidth),
            stride_h: Int64(g.strideHeight), stride_w: Int64(g.strideWidth),
            pad_h: Int64(g.padHeight), pad_w: Int64(g.padWidth),
            dilation_h: Int64(g.dilationHeight), dilation_w: Int64(g.dilationWidth))
    }
}
