import CFlexKernels

extension Fast.PreparedConvolution {
    /// The direct convolution: `direct_conv` over all output rows of each image, with `scratch`
    /// (`directScratchCount` floats).
    func runDirect(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, kernels: Fast.Kernels
    ) {
        let g = geometry
        var plane = Self.planeGeometry(g)
        let weights = packedWeights[0].values
        let direct = kernels.slots.direct_conv!
        for image in 0..<batch {
            var tile = epilogue.tile(row: 0, column: 0)
            tile.residual = epilogue.residual.map { $0 + image * g.outputImageCount }
            tile.residual_stride = Int64(g.outputHeight * g.outputWidth)
            withUnsafePointer(to: &tile) { tilePointer in
                let e = epilogue.isNone ? nil : tilePointer
                direct(input + image * g.inputImageCount, Int64(g.inputChannels), Int64(g.outputChannels), &plane, weights,
                       output + image * g.outputImageCount, 0, Int64(g.outputHeight), e, scratch)
            }
        }
    }

    /// Whether the direct kernel is expected to beat im2col + GEMM: few input channels (network stems such
    /// as MobileNetV2's 3->32 3x3/2 and ResNet-50's 3->64 7x7/2, where the GEMM's depth `C * kh * kw` is
    /// small and im2col's copy is a large share of the work), single group, on a `target` that has the
    /// direct kernel (`Algorithm.direct.minimumTarget`, AVX2).
    public static func directIsProfitable(_ g: Reference.ConvolutionGeometry, target: Fast.InstructionSet) -> Bool {
        g.groups == 1 && g.inputChannels <= 4 && g.outputChannels >= 16 && Algorithm.direct.minimumTarget <= target
    }

    /// Scratch of the direct convolution: one band's input rows split into column phases, and
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
