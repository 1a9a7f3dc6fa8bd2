import CFlexKernels

extension Fast {
    /// A 1x1 convolution whose output only feeds a depthwise convolution (MobileNet's expansion and
    /// depthwise layers), computed band by band so that the expanded activations, several times the
    /// input's size, stay in cache instead of going through memory.
    ///
    /// Per band of depthwise output rows, the pointwise GEMM computes the input rows the band needs that
    /// earlier bands have not (into a buffer of `bufferRows` rows per channel, the rows the previous band
    /// shares with this one moved to its top), then the depthwise filters run over the buffer. Results equal
    /// the two convolutions run one after the other, up to float rounding of the same operations.
    ///
    /// Ownership: immutable after `init`, shareable between threads; `run` uses only the caller's scratch.
    public struct PointwiseDepthwise: Sendable {
        public let pointwise: PreparedConvolution
        public let depthwise: PreparedConvolution
        /// Depthwise output rows per band.
        public let bandRows: Int
        /// Rows per channel of the band buffer.
        let bufferRows: Int
        /// Floats of scratch `run` needs.
        public let scratchCount: Int

        /// Bytes the band buffer aims at by default. Measured on MobileNetV2's 112x112x96 expansion: bands of
        /// 2 MiB (23 output rows) beat both smaller ones (each band pays for its GEMM and depthwise calls)
        /// and the whole plane.
        public static let defaultBufferBudget = 2 << 20

        /// Expanded activations (bytes per image) from which fusing pays. Measured on MobileNetV2's blocks
        /// (`flexeg-kernel-bench`, "separate | fused"), with the depthwise kernel walking input rows: fused
        /// and separate tie within 3-4% on every pair below 2 MiB, either way (the expansion stays in L2/L3
        /// between the two kernels anyway), so only the 4.6 MiB 112x112x96 expansion runs fused.
        public static let fusionThreshold = 4 << 20

        /// Fuses `pointwise` (a 1x1, stride 1, unpadded, single-group convolution prepared for `.gemm`) into
        /// `depthwise` (prepared for `.depthwise`) when the second reads exactly what the first writes;
        /// nil otherwise. Bands are as tall as a buffer of `bufferBudget` bytes allows (at least one row).
        public init?(pointwise: PreparedConvolution, depthwise: PreparedConvolution, bufferBudget: Int = defaultBufferBudget) {
            let p = pointwise.geometry, d = depthwise.geometry
            guard pointwise.algorithm == .gemm, depthwise.algorithm == .depthwise,
                  pointwise.instructionSet == depthwise.instructionSet,
                  p.groups == 1, p.kernelHeight == 1, p.kernelWidth == 1, p.strideHeight == 1, p.strideWidth == 1,
                  p.padHeight == 0, p.padWidth == 0,
                  d.batch == p.batch, d.inputChannels == p.outputChannels,
                  d.inputHeight == p.outputHeight, d.inputWidth == p.outputWidth else { return nil }
            let halo = (d.kernelHeight - 1) * d.dilationHeight + 1 - d.strideHeight
            guard halo >= 0 else { return nil }
            let rowBytes = d.inputChannels * d.inputWidth * MemoryLayout<Float>.size
            let affordable = Swift.max(bufferBudget / rowBytes, halo + d.strideHeight)
            let bandRows = Swift.max(1, Swift.min(d.outputHeight, (affordable - halo) / d.strideHeight))
            self.pointwise = pointwise
            self.depthwise = depthwise
            self.bandRows = bandRows
            bufferRows = halo + bandRows * d.strideHeight
            let packing = GEMM.scratchCount(m: p.outputChannels, n: bufferRows * p.inputWidth, k: p.inputChannels,
                                            packsLeft: false, packsRight: true, blocking: .default)
            scratchCount = d.inputChannels * bufferRows * d.inputWidth + packing
        }

        /// Computes `depthwise(pointwise(input))` for `geometry.batch` images (the first `images`, when
        /// given): `input` is the pointwise convolution's `[N, C, H, W]`, `output` the depthwise one's
        /// `[N, O, OH, OW]`. Each epilogue is its convolution's; the pointwise one must not add a residual.
        /// `scratch` holds `scratchCount` floats.
        public func run(
            input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
            pointwiseEpilogue: Epilogue, depthwiseEpilogue: Epilogue, scratch: UnsafeMutablePointer<Float>,
            images: Int? = nil
        ) {
            precondition(pointwiseEpilogue.residual == nil, "the fused pointwise convolution cannot add a residual")
            let p = pointwise.geometry, d = depthwise.geometry
            let width = d.inputWidth, height = d.inputHeight, channels = d.inputChannels
            let inputPlane = p.inputHeight * p.inputWidth, outputPlane = d.outputHeight * d.outputWidth
            let bufferPlane = bufferRows * width
            let buffer = scratch, packing = scratch + channels * bufferPlane
            let weights = pointwise.packedWeights[0]
            let filters = depthwise.depthwiseFilters
            let kernels = Kernels(pointwise.instructionSet)
            let (sh, ph, span) = (d.strideHeight, d.padHeight, (d.kernelHeight - 1) * d.dilationHeight + 1)
            var pointwiseOutput = pointwiseEpilogue
            pointwiseOutput.biasAxis = .rows
            pointwiseOutput.residualRowStride = 0
            precondition((images ?? 0) <= p.batch, "\(images ?? 0) images of a batch of \(p.batch)")
            for image in 0..<(images ?? p.batch) {
                let source = input + image * p.inputImageCount
                // The buffer holds input rows [base, computed) of the depthwise convolution.
                var base = 0, computed = 0
                for y0 in stride(from: 0, to: d.outputHeight, by: bandRows) {
                    let y1 = Swift.min(d.outputHeight, y0 + bandRows)
                    let start = Swift.max(0, y0 * sh - ph), end = Swift.min(height, (y1 - 1) * sh - ph + span)
                    let kept = Swift.max(0, computed - start)
                    if kept > 0 && start != base {
                        // The rows this band shares with the last move to the buffer's start (they may overlap).
                        for channel in 0..<channels {
                            let plane = buffer + channel * bufferPlane
                            flex_move_floats(plane, plane + (start - base) * width, Int64(kept * width))
                        }
                    }
                    base = start
                    let first = Swift.max(computed, start)
                    if end > first {
                        let rows = source + first * width
                        let right: GEMM.RightSource = GEMM.readsInPlace(rowStride: inputPlane, depth: p.inputChannels, rows: channels,
                                                                            instructionSet: kernels.instructionSet)
                            ? .inPlace(rows, rowStride: inputPlane) : .strided(rows, rowStride: inputPlane, columnStride: 1)
                        GEMM.run(
                            m: channels, n: (end - first) * width, k: p.inputChannels,
                            left: .panels(weights.values, panelStride: weights.panelStride), right: right,
                            output: buffer + (first - base) * width, outputRowStride: bufferPlane, accumulate: false,
                            epilogue: pointwiseOutput, scratch: packing, blocking: .default, kernels: kernels)
                        computed = end
                    }
                    var plane = flex_plane_geometry(
                        in_h: Int64(computed - base), in_w: Int64(width),
                        out_h: Int64(y1 - y0), out_w: Int64(d.outputWidth),
                        kernel_h: Int64(d.kernelHeight), kernel_w: Int64(d.kernelWidth),
                        stride_h: Int64(sh), stride_w: Int64(d.strideWidth),
                        pad_h: Int64(base - (y0 * sh - ph)), pad_w: Int64(d.padWidth),
                        dilation_h: Int64(d.dilationHeight), dilation_w: Int64(d.dilationWidth))
                    let offset = image * d.outputImageCount + y0 * d.outputWidth
                    depthwise.depthwiseChannels(
                        0, count: d.outputChannels, input: buffer, inputStride: bufferPlane, filters: filters,
                        output: output + offset, outputStride: outputPlane, plane: &plane, epilogue: depthwiseEpilogue,
                        residual: depthwiseEpilogue.residual.map { $0 + offset }, kernels: kernels)
                }
            }
        }
    }
}
