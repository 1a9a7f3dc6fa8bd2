import CFlexKernels

extension Fast.PreparedConvolution {
    /// One filter per output channel; the `batch * O` output planes are split between the threads.
    func runDepthwise(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, threadIndex: Int, threadCount: Int
    ) {
        let g = geometry
        let inputPlane = g.inputHeight * g.inputWidth, outputPlane = g.outputHeight * g.outputWidth
        let weights = depthwiseFilters
        var plane = flex_plane_geometry(
            in_h: Int64(g.inputHeight), in_w: Int64(g.inputWidth),
            out_h: Int64(g.outputHeight), out_w: Int64(g.outputWidth),
            kernel_h: Int64(g.kernelHeight), kernel_w: Int64(g.kernelWidth),
            stride_h: Int64(g.strideHeight), stride_w: Int64(g.strideWidth),
            pad_h: Int64(g.padHeight), pad_w: Int64(g.padWidth),
            dilation_h: Int64(g.dilationHeight), dilation_w: Int64(g.dilationWidth))
        let planes = batch * g.outputChannels
        let start = planes * threadIndex / threadCount, end = planes * (threadIndex + 1) / threadCount
        var index = start
        while index < end {
            // Runs of channels within one image.
            let image = index / g.outputChannels, channel = index % g.outputChannels
            let count = Swift.min(end - index, g.outputChannels - channel)
            depthwiseChannels(channel, count: count, input: input + image * g.inputImageCount, inputStride: inputPlane,
                              filters: weights, output: output + image * g.outputImageCount, outputStride: outputPlane,
                              plane: &plane, epilogue: epilogue,
                              residual: epilogue.residual.map { $0 + image * g.outputImageCount })
            index += count
        }
    }

    /// Output channels `first ..< first + count`: channel `o` reads `input + (o / multiplier) * inputStride`
    /// and writes `output + o * outputStride` (`plane` rows of it), with `residual` (the epilogue's own
    /// pointer is not used) in the output's layout.
    func depthwiseChannels(
        _ first: Int, count: Int, input: UnsafePointer<Float>, inputStride: Int, filters: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, outputStride: Int, plane: inout flex_plane_geometry, epilogue: Fast.Epilogue,
        residual: UnsafePointer<Float>?
    ) {
        guard instructionSet == .avx512 else {
            for channel in first..<(first + count) {
                depthwisePlane(channel: channel, source: input + channel / geometry.outputChannelsPerGroup * inputStride,
                               filters: filters, destination: output + channel * outputStride, plane: &plane,
                               epilogue: epilogue, residual: residual.map { $0 + channel * outputStride })
            }
            return
        }
        let multiplier = Int64(geometry.outputChannelsPerGroup)
        if epilogue.isNone {
            flex_depthwise_channels_avx512(input, Int64(inputStride), multiplier, filters, output, Int64(outputStride),
                                           Int64(first), Int64(count), &plane, nil)
        } else {
            var tile = epilogue.tile(row: 0, column: 0)
            tile.bias_per_column = 0
            tile.residual = residual
            tile.residual_stride = Int64(geometry.outputWidth)
            flex_depthwise_channels_avx512(input, Int64(inputStride), multiplier, filters, output, Int64(outputStride),
                                           Int64(first), Int64(count), &plane, &tile)
        }
    }

    /// One output plane (`plane` rows of output channel `channel`) from its input plane `source`, with
    /// `residual` the matching rows of the residual (the epilogue's own pointer is not used).
    @inline(__always)
    func depthwisePlane(
        channel: Int, source: UnsafePointer<Float>, filters: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>,
        plane: inout flex_plane_geometry, epilogue: Fast.Epilogue, residual: UnsafePointer<Float>?
    ) {
        let filter = filters + channel * geometry.kernelHeight * geometry.kernelWidth
        if !epilogue.isNone {
            var tile = epilogue.tile(row: 0, column: 0)
            tile.bias = epilogue.bias.map { $0 + channel }
            tile.bias_per_column = 0
            tile.residual = residual
            tile.residual_stride = Int64(geometry.outputWidth)
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

    /// The depthwise filters `[O, kh * kw]`.
    var depthwiseFilters: UnsafePointer<Float> {
        UnsafePointer((planeWeights!.baseAddress + planeWeightsOffset).assumingMemoryBound(to: Float.self))
    }
}
