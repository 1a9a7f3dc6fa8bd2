import CFlexKernels

extension Fast.PreparedConvolution {
    /// One filter per output channel; the `batch * O` output planes are split between the threads.
    func runDepthwise(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, threadIndex: Int, threadCount: Int
    ) {
        let g = geometry
        let inputPlane = g.inputHeight * g.inputWidth, outputPlane = g.outputHeight * g.outputWidth
        let kernelArea = g.kernelHeight * g.kernelWidth, multiplier = g.outputChannelsPerGroup
        let weights = planeWeights!.baseAddress.assumingMemoryBound(to: Float.self)
        var plane = flex_plane_geometry(
            in_h: Int64(g.inputHeight), in_w: Int64(g.inputWidth),
            out_h: Int64(g.outputHeight), out_w: Int64(g.outputWidth),
            kernel_h: Int64(g.kernelHeight), kernel_w: Int64(g.kernelWidth),
            stride_h: Int64(g.strideHeight), stride_w: Int64(g.strideWidth),
            pad_h: Int64(g.padHeight), pad_w: Int64(g.padWidth),
            dilation_h: Int64(g.dilationHeight), dilation_w: Int64(g.dilationWidth))
        let planes = batch * g.outputChannels
        let start = planes * threadIndex / threadCount, end = planes * (threadIndex + 1) / threadCount
        let hasEpilogue = !epilogue.isNone
        for index in start..<end {
            let image = index / g.outputChannels, channel = index % g.outputChannels
            let source = input + image * g.inputImageCount + channel / multiplier * inputPlane
            let destination = output + index * outputPlane
            let filter = weights + channel * kernelArea
            if hasEpilogue {
                var tile = epilogue.tile(row: 0, column: 0)
                tile.bias = epilogue.bias.map { $0 + channel }
                tile.bias_per_column = 0
                tile.residual = epilogue.residual.map { UnsafePointer($0 + index * outputPlane) }
                tile.residual_stride = Int64(g.outputWidth)
                switch instructionSet {
                case .avx512: flex_depthwise_plane_avx512(source, filter, destination, &plane, &tile)
                case .avx2FMA: flex_depthwise_plane_avx2(source, filter, destination, &plane, &tile)
                case .portable: flex_depthwise_plane_portable(source, filter, destination, &plane, &tile)
                }
            } else {
                switch instructionSet {
                case .avx512: flex_depthwise_plane_avx512(source, filter, destination, &plane, nil)
                case .avx2FMA: flex_depthwise_plane_avx2(source, filter, destination, &plane, nil)
                case .portable: flex_depthwise_plane_portable(source, filter, destination, &plane, nil)
                }
            }
        }
    }
}
