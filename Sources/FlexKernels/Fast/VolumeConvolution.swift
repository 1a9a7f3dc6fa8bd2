import FlexTensor

extension Fast {
    /// 3-D convolution (NCDHW float32) as im2col + GEMM: per image and group,
    /// `out[O/g, OD*OH*OW] = W_g[O/g, C/g*kd*kh*kw] · cols[C/g*kd*kh*kw, OD*OH*OW]` with the step's
    /// epilogue (bias per output channel, NCDHW residual, clamp) fused into the GEMM.
    ///
    /// The weight is read in MXNet's layout `(O, C/g, kd, kh, kw)` (each group's rows are a row-major
    /// `[O/g, K]` matrix); `cols` is materialised in scratch a block of whole output rows `(od, oh)` at a
    /// time (at most `blockFloats` floats, so scratch stays small for video-sized inputs), row
    /// `k = ((c*kd + z)*kh + y)*kw + x`, column `n = (od*OH + oh)*OW + ow`, zero where the tap falls in the
    /// padding. A 1x1x1 stride-1 unpadded convolution reads the input itself as `cols`.
    ///
    /// Immutable; shareable between threads (each run passes scratch owned by the calling thread).
    public struct VolumeConvolution: @unchecked Sendable {
        public let geometry: Reference.VolumeConvolutionGeometry
        /// The buffer holding the weight (kept alive by the kernel) and the weight's byte offset in it.
        let weightBuffer: TensorBuffer
        let weightOffset: Int

        /// A kernel over `(outputChannels, inputChannels/groups, kd, kh, kw)` float32 weights at `byteOffset`
        /// in `weights` (read in place, never copied). Precondition: `supports(geometry)`.
        public init(geometry: Reference.VolumeConvolutionGeometry, weights: TensorBuffer, byteOffset: Int) {
            precondition(Self.supports(geometry), "no fast 3-D convolution for \(geometry)")
            self.geometry = geometry
            weightBuffer = weights
            weightOffset = byteOffset
            precondition(byteOffset + weightRegion.count <= weights.byteCount, "3-D convolution weights exceed their buffer")
        }

        /// The weight, `(outputChannels, K)` row-major floats.
        var weights: UnsafePointer<Float> {
            UnsafePointer((weightBuffer.baseAddress + weightOffset).assumingMemoryBound(to: Float.self))
        }

        /// Whether the kernel computes `geometry`: positive sizes, output channels and groups dividing evenly.
        public static func supports(_ geometry: Reference.VolumeConvolutionGeometry) -> Bool {
            let g = geometry
            return g.batch > 0 && g.groups > 0 && g.inputChannels % g.groups == 0 && g.outputChannels % g.groups == 0
                && g.outputChannels > 0 && g.inputChannels > 0 && g.outputSize.allSatisfy { $0 > 0 }
                && (0..<3).allSatisfy { g.kernel[$0] > 0 && g.stride[$0] > 0 && g.dilation[$0] > 0 && g.pad[$0] >= 0 }
        }

        /// Rows of the im2col matrix (`C/g * kd * kh * kw`).
        var depth: Int { geometry.inputChannelsPerGroup * geometry.kernel.reduce(1, *) }
        /// Columns of the im2col matrix (`OD * OH * OW`).
        var columns: Int { geometry.outputSize.reduce(1, *) }

        /// The im2col block's size bound, floats (1 MiB).
        static let blockFloats = 1 << 18

        /// Output rows `(od, oh)` per im2col block: as many as fit `blockFloats`, at least one.
        var rowsPerBlock: Int {
            let g = geometry, rows = g.outputSize[0] * g.outputSize[1]
            return Swift.max(1, Swift.min(rows, Self.blockFloats / Swift.max(depth * g.outputSize[2], 1)))
        }

        var readsInputAsColumns: Bool {
            let g = geometry
            return g.kernel == [1, 1, 1] && g.stride == [1, 1, 1] && g.pad == [0, 0, 0]
        }

        /// Floats of scratch one run needs: one im2col block (unless the input is read in place), then GEMM
        /// packing space.
        public var scratchCount: Int {
            let blockColumns = readsInputAsColumns ? columns : rowsPerBlock * geometry.outputSize[2]
            return (readsInputAsColumns ? 0 : depth * blockColumns)
                + GEMM.scratchCount(m: geometry.outputChannelsPerGroup, n: blockColumns, k: depth, packsLeft: true, packsRight: true,
                                    blocking: .default)
        }

        /// The weight bytes the kernel reads.
        public var weightRegion: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: weightBuffer.baseAddress + weightOffset, count: geometry.outputChannels * depth * MemoryLayout<Float>.size)
        }

        /// Computes `output (N, O, OD, OH, OW)` from `input (N, C, D, H, W)`. `epilogue.bias` has one value
        /// per output channel; `epilogue.residual` has the output's layout. `scratch` holds `scratchCount`
        /// floats. `output` must not alias `input`.
        public func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, epilogue: Epilogue,
                        scratch: UnsafeMutablePointer<Float>, instructionSet: InstructionSet = .active) {
            let g = geometry
            let inputVolume = g.inputSize.reduce(1, *), n = columns, k = depth, width = g.outputSize[2]
            let inputGroup = g.inputChannelsPerGroup * inputVolume, outputGroup = g.outputChannelsPerGroup * n
            let outputRows = g.outputSize[0] * g.outputSize[1]
            let block = readsInputAsColumns ? outputRows : rowsPerBlock
            let cols = scratch, gemmScratch = scratch + (readsInputAsColumns ? 0 : k * block * width)
            for image in 0..<g.batch {
                for group in 0..<g.groups {
                    let groupInput = input + (image * g.inputChannels) * inputVolume + group * inputGroup
                    for firstRow in stride(from: 0, to: outputRows, by: block) {
                        let rowCount = Swift.min(block, outputRows - firstRow), blockColumns = rowCount * width
                        let outputOffset = image * g.outputChannels * n + group * outputGroup + firstRow * width
                        let right: UnsafePointer<Float>
                        if readsInputAsColumns {
                            right = groupInput
                        } else {
                            fillColumns(groupInput, firstRow: firstRow, rowCount: rowCount, into: cols)
                            right = UnsafePointer(cols)
                        }
                        var groupEpilogue = epilogue
                        groupEpilogue.biasAxis = .rows
                        groupEpilogue.bias = epilogue.bias.map { $0 + group * g.outputChannelsPerGroup }
                        groupEpilogue.residual = epilogue.residual.map { $0 + outputOffset }
                        groupEpilogue.residualRowStride = n
                        GEMM.multiply(m: g.outputChannelsPerGroup, n: blockColumns, k: k,
                                      left: .strided(weights + group * g.outputChannelsPerGroup * k, rowStride: k, columnStride: 1),
                                      right: .strided(right, rowStride: readsInputAsColumns ? n : blockColumns, columnStride: 1),
                                      output: output + outputOffset, outputRowStride: n, epilogue: groupEpilogue,
                                      scratch: gemmScratch, instructionSet: instructionSet)
                    }
                }
            }
        }

        /// Writes the im2col columns of output rows `firstRow ..< firstRow + rowCount` (row `od * OH + oh`)
        /// of one image's group (`[C/g, D, H, W]` at `input`) into `cols` (`[K, rowCount * OW]`).
        func fillColumns(_ input: UnsafePointer<Float>, firstRow: Int, rowCount: Int, into cols: UnsafeMutablePointer<Float>) {
            let g = geometry
            let (inD, inH, inW) = (g.inputSize[0], g.inputSize[1], g.inputSize[2])
            let (outH, outW) = (g.outputSize[1], g.outputSize[2])
            let rowLength = rowCount * outW
            let depths = g.validOutputRanges(axis: 0), rows = g.validOutputRanges(axis: 1), widths = g.validOutputRanges(axis: 2)
            var row = cols
            for c in 0..<g.inputChannelsPerGroup {
                let channel = input + c * inD * inH * inW
                for kd in 0..<g.kernel[0] {
                    for kh in 0..<g.kernel[1] {
                        for kw in 0..<g.kernel[2] {
                            defer { row += rowLength }
                            row.update(repeating: 0, count: rowLength)
                            let valid = widths[kw]
                            if valid.isEmpty { continue }
                            let firstColumn = valid.lowerBound * g.stride[2] - g.pad[2] + kw * g.dilation[2]
                            for r in firstRow..<(firstRow + rowCount) {
                                let (od, oh) = (r / outH, r % outH)
                                guard depths[kd].contains(od), rows[kh].contains(oh) else { continue }
                                let id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0]
                                let ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1]
                                var source = channel + (id * inH + ih) * inW + firstColumn
                                var target = row + (r - firstRow) * outW + valid.lowerBound
                                let end = target + valid.count
                                while target < end {
                                    target.pointee = source.pointee
                                    target += 1
                                    source += g.stride[2]
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
