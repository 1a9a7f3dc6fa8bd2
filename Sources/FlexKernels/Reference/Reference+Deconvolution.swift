extension Reference {
    /// Transposed convolution (MXNet's `Deconvolution`): the adjoint of `convolution(geometry, ...)`.
    ///
    /// `input` has the convolution's *output* shape `(batch, outputChannels, outputHeight, outputWidth)`,
    /// `weight` is the convolution's `(outputChannels, inputChannels/groups, kernelHeight, kernelWidth)`
    /// (MXNet's Deconvolution weight `(in, out/groups, kh, kw)`), and `output` has the convolution's
    /// *input* shape `(batch, inputChannels, inputHeight, inputWidth)`. `bias` is per output channel
    /// (`inputChannels` of the geometry), optional. `output` must not alias the inputs.
    public static func transposedConvolution(_ geometry: ConvolutionGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                             bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let g = geometry
        let smallHeight = g.outputHeight, smallWidth = g.outputWidth
        let largePlane = g.inputHeight * g.inputWidth, smallPlane = smallHeight * smallWidth
        let kernelArea = g.kernelHeight * g.kernelWidth
        let largePerGroup = g.inputChannelsPerGroup, smallPerGroup = g.outputChannelsPerGroup
        let (rows, columns) = g.validOutputRanges
        for n in 0..<g.batch {
            for channel in 0..<g.inputChannels {
                (output + (n * g.inputChannels + channel) * largePlane).update(repeating: bias?[channel] ?? 0, count: largePlane)
            }
            for smallChannel in 0..<g.outputChannels {
                let group = smallChannel / smallPerGroup
                let source = input + (n * g.outputChannels + smallChannel) * smallPlane
                for c in 0..<largePerGroup {
                    let largeChannel = group * largePerGroup + c
                    let plane = output + (n * g.inputChannels + largeChannel) * largePlane
                    let taps = weight + (smallChannel * largePerGroup + c) * kernelArea
                    for ky in 0..<g.kernelHeight {
                        let rowRange = rows[ky]
                        for kx in 0..<g.kernelWidth {
                            let columnRange = columns[kx]
                            if columnRange.isEmpty { continue }
                            let w = taps[ky * g.kernelWidth + kx]
                            let firstColumn = columnRange.lowerBound * g.strideWidth - g.padWidth + kx * g.dilationWidth
                            for oy in rowRange {
                                let iy = oy * g.strideHeight - g.padHeight + ky * g.dilationHeight
                                let from = source + oy * smallWidth + columnRange.lowerBound
                                let to = plane + iy * g.inputWidth + firstColumn
                                scatter(w, source: from, into: to, targetStride: g.strideWidth, count: columnRange.count)
                            }
                        }
                    }
                }
            }
        }
    }
}
