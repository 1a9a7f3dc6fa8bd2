import FlexTensor

extension Fast {
    /// 3-D convolution (NCDHW float32) as im2col + GEMM: per image and group,
    /// `out[O/g, OD*OH*OW] = W_g[O/g, C/g*kd*kh*kw] · cols[C/g*kd*kh*kw, OD*OH*OW]` with the step's
    /// epilogue (bias per output channel, NCDHW residual, clamp) fused into the GEMM.
    ///
    /// The weight is read in MXNet's layout `(O, C/g, kd, kh, kw)` (each group's rows are a row-major
    /// `[O/g, K]` matrix); `cols` is materialised in scratch, row `k = ((c*kd + z)*kh + y)*kw + x`, column
    /// `n = (od*OH + oh)*OW + ow`, zero where the tap falls in the padding. A 1x1x1 stride-1 unpadded
    /// convolution reads the input itself as `cols`.
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

        var readsInputAsColumns: Bool {
            let g = geometry
            return g.kernel == [1, 1, 1] && g.stride == [1, 1, 1] && g.pad == [0, 0, 0]
        }

        /// Floats of scratch one run needs: the im2col matrix (unless read in place), then GEMM packing space.
        public var scratchCount: Int {
            (readsInputAsColumns ? 0 : depth * columns)
                + GEMM.scratchCount(m: geometry.outputChannelsPerGroup, n: columns, k: depth, packsLeft: true, packsRight: true,
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
            let inputVolume = g.inputSize.reduce(1, *), n = columns, k = depth
            let inputGroup = g.inputChannelsPerGroup * inputVolume, outputGroup = g.outputChannelsPerGroup * n
            let cols = scratch, gemmScratch = scratch + (readsInputAsColumns ? 0 : k * n)
            for image in 0..<g.batch {
                for group in 0..<g.groups {
                    let groupInput = input + (image * g.inputChannels) * inputVolume + group * inputGroup
                    let outputOffset = image * g.outputChannels * n + group * outputGroup
                    if !readsInputAsColumns { fillColumns(groupInput, into: cols) }
                    var groupEpilogue = epilogue
                    groupEpilogue.biasAxis = .rows
                    groupEpilogue.bias = epilogue.bias.map { $0 + group * g.outputChannelsPerGroup }
                    groupEpilogue.residual = epilogue.residual.map { $0 + outputOffset }
                    groupEpilogue.residualRowStride = n
                    GEMM.multiply(m: g.outputChannelsPerGroup, n: n, k: k,
                                  left: .strided(weights + group * g.outputChannelsPerGroup * k, rowStride: k, columnStride: 1),
                                  right: .strided(readsInputAsColumns ? groupInput : UnsafePointer(cols), rowStride: n, columnStride: 1),
                                  output: output + outputOffset, outputRowStride: n, epilogue: groupEpilogue,
                                  scratch: gemmScratch, instructionSet: instructionSet)
                }
            }
        }

        /// Writes the im2col matrix of one image's group (`[C/g, D, H, W]` at `input`) into `cols`.
        func fillColumns(_ input: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>) {
            let g = geometry
            let (inD, inH, inW) = (g.inputSize[0], g.inputSize[1], g.inputSize[2])
            let out = g.outputSize
            let (outD, outH, outW) = (out[0], out[1], out[2])
            let depths = g.validOutputRanges(axis: 0), rows = g.validOutputRanges(axis: 1), widths = g.validOutputRanges(axis: 2)
            var row = cols
            for c in 0..<g.inputChannelsPerGroup {
                let channel = input + c * inD * inH * inW
                for kd in 0..<g.kernel[0] {
                    for kh in 0..<g.kernel[1] {
                        for kw in 0..<g.kernel[2] {
                            defer { row += outD * outH * outW }
                            row.update(repeating: 0, count: outD * outH * outW)
                            let valid = widths[kw]
                            if valid.isEmpty { continue }
                            let firstColumn = valid.lowerBound * g.stride[2] - g.pad[2] + kw * g.dilation[2]
                            for od in depths[kd] {
                                let id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0]
                                for oh in rows[kh] {
                                    let ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1]
                                    var source = channel + (id * inH + ih) * inW + firstColumn
                                    var target = row + (od * outH + oh) * outW + valid.lowerBound
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
}
