import CFlexKernels

extension Fast.PreparedConvolution {
    /// One filter per output channel: `depthwise_channels` over each image's `O` output planes.
    func runDepthwise(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, kernels: Fast.Kernels
    ) {
        let g = geometry
        var plane = Self.planeGeometry(g)
        for image in 0..<batch {
            depthwiseChannels(0, count: g.outputChannels, input: input + image * g.inputImageCount,
                              inputStride: g.inputHeight * g.inputWidth, filters: depthwiseFilters,
                              output: output + image * g.outputImageCount, outputStride: g.outputHeight * g.outputWidth,
                              plane: &plane, epilogue: epilogue,
                              residual: epilogue.residual.map { $0 + image * g.outputImageCount }, kernels: kernels)
        }
    }

    /// Output channels `first ..< first + count`: channel `o` reads `input + (o / multiplier) * inputStride`
    /// and writes `output + o * outputStride` (`plane` rows of it), with `residual` (the epilogue's own
    /// pointer is not used) in the output's layout.
    func depthwiseChannels(
        _ first: Int, count: Int, input: UnsafePointer<Float>, inputStride: Int, filters: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, outputStride: Int, plane: inout flex_plane_geometry, epilogue: Fast.Epilogue,
        residual: UnsafePointer<Float>?, kernels: Fast.Kernels
    ) {
        let multiplier = Int64(geometry.outputChannelsPerGroup)
        let channels = kernels.slots.depthwise_channels!
        if epilogue.isNone {
            channels(input, Int64(inputStride), multiplier, filters, output, Int64(outputStride),
                     Int64(first), Int64(count), &plane, nil)
        } else {
            var tile = epilogue.tile(row: 0, column: 0)
            tile.bias_per_column = 0
            tile.residual = residual
            tile.residual_stride = Int64(geometry.outputWidth)
            channels(input, Int64(inputStride), multiplier, filters, output, Int64(outputStride),
                     Int64(first), Int64(count), &plane, &tile)
        }
    }

    /// The depthwise filters `[O, kh * kw]`.
    var depthwiseFilters: UnsafePointer<Float> {
        UnsafePointer((planeWeights!.baseAddress + planeWeightsOffset).assumingMemoryBound(to: Float.self))
    }
}
