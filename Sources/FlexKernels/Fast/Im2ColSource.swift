import CFlexKernels

extension Fast {
    /// The im2col matrix of one image and one group of a convolution, never materialised: GEMM packs its
    /// B panels (or, transposed, its A panels) straight from the input, which must already carry the
    /// convolution's zero padding (see `PaddedInput`).
    ///
    /// Row `k = (c * kernelHeight + ky) * kernelWidth + kx` (the order of a weight row `[C/g, kh, kw]`),
    /// column `n = oy * OW + ox`; the element is `padded[c][oy * sh + ky * dh][ox * sw + kx * dw]`.
    struct Im2ColSource {
        /// The group's first padded channel plane (`[C / groups, paddedHeight, paddedWidth]` follows).
        let input: UnsafePointer<Float>
        let paddedHeight: Int
        let paddedWidth: Int
        let geometry: Reference.ConvolutionGeometry
        let kernels: Kernels
        /// Floats from one image's padded input to the next: columns `n` of several images follow one
        /// another, image `n / (OH * OW)` (0: one image).
        var imageStride = 0

        /// The input offset of output pixel `column` (counting through the images).
        @inline(__always)
        func offset(ofColumn column: Int) -> Int {
            let g = geometry, plane = g.outputHeight * g.outputWidth
            let image = column / plane, pixel = column % plane
            return image * imageStride + pixel / g.outputWidth * g.strideHeight * paddedWidth + pixel % g.outputWidth * g.strideWidth
        }

        /// Packs rows `kStart ..< kStart + kCount` of columns `columnStart ..< columnStart + columnCount`
        /// into panels of `width` columns, `kCount * width` floats each (tail lanes zero): GEMM B panels with
        /// width 16, or A panels of the transposed matrix (rows are then the output pixels) with width 6.
        ///
        /// Each panel's columns are fixed offsets into a channel plane; a row k adds one shift to all of
        /// them, so a row is a copy when the columns are consecutive input pixels, else loads at the
        /// precomputed offsets (with a family's `im2col_panel` kernel, AVX2 and AVX-512: vector loads at steps 1
        /// and 2).
        func pack(kStart: Int, kCount: Int, columnStart: Int, columnCount: Int, width: Int = GEMM.nr,
                  into scratch: UnsafeMutablePointer<Float>) {
            let g = geometry
            let plane = paddedHeight * paddedWidth
            let rowStep = g.dilationHeight * paddedWidth, columnStep = g.dilationWidth
            if let panel = kernels.slots.im2col_panel {
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: width) { offsets in
                    for index in 0..<(columnCount + width - 1) / width {
                        let column0 = columnStart + index * width
                        let columns = Swift.min(width, columnStart + columnCount - column0)
                        for lane in 0..<columns { offsets[lane] = Int32(offset(ofColumn: column0 + lane)) }
                        panel(input, Int64(plane), Int64(rowStep), Int64(columnStep), Int64(g.kernelHeight),
                              Int64(g.kernelWidth), Int64(kStart), Int64(kCount), offsets.baseAddress!,
                              Int64(columns), Int64(width), scratch + index * kCount * width)
                    }
                }
                return
            }
            withUnsafeTemporaryAllocation(of: Int.self, capacity: width) { offsets in
                for panel in 0..<(columnCount + width - 1) / width {
                    let column0 = columnStart + panel * width
                    let columns = Swift.min(width, columnStart + columnCount - column0)
                    for lane in 0..<columns { offsets[lane] = offset(ofColumn: column0 + lane) }
                    let consecutive = columns == width && offsets[width - 1] - offsets[0] == width - 1
                    let destination = scratch + panel * kCount * width
                    var channel = kStart / (g.kernelHeight * g.kernelWidth)
                    var ky = kStart / g.kernelWidth % g.kernelHeight, kx = kStart % g.kernelWidth
                    for p in 0..<kCount {
                        let source = input + channel * plane + ky * rowStep + kx * columnStep
                        let row = destination + p * width
                        if consecutive {
                            let start = source + offsets[0]
                            for lane in 0..<width { row[lane] = start[lane] }
                        } else {
                            for lane in 0..<columns { row[lane] = source[offsets[lane]] }
                            for lane in columns..<width { row[lane] = 0 }
                        }
                        kx += 1
                        if kx == g.kernelWidth {
                            kx = 0
                            ky += 1
                            if ky == g.kernelHeight {
                                ky = 0
                                channel += 1
                            }
                        }
                    }
                }
            }
        }

        /// Packs all `kCount` rows (from row 0) of columns `columnStart ..< columnStart + columnCount` as
        /// transposed-GEMM A panels of `GEMM.mr` columns, `panelStride` floats apart (each `kCount * mr`
        /// floats, tail lanes zero): for packing every row at once, 16 rows at a time across all panels.
        func packPixelPanels(kCount: Int, columnStart: Int, columnCount: Int, into destination: UnsafeMutablePointer<Float>,
                             panelStride: Int) {
            let g = geometry
            let plane = Int64(paddedHeight * paddedWidth), rowStep = Int64(g.dilationHeight * paddedWidth)
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: columnCount) { offsets in
                for lane in 0..<columnCount { offsets[lane] = Int32(offset(ofColumn: columnStart + lane)) }
                kernels.slots.im2col_pixel_panels!(input, plane, rowStep, Int64(g.dilationWidth), Int64(g.kernelHeight),
                                                   Int64(g.kernelWidth), Int64(kCount), offsets.baseAddress!,
                                                   Int64(columnCount), destination, Int64(panelStride))
            }
        }
    }

    /// Copies of input channel planes with a zero border, so im2col packing needs no bounds checks.
    enum PaddedInput {
        /// Writes `channels` planes of `height` x `width` from `source` into `destination` as planes of
        /// `(height + 2 * padHeight)` x `(width + 2 * padWidth)` with the input in the middle.
        static func copy(
            _ source: UnsafePointer<Float>, channels: Int, height: Int, width: Int, padHeight: Int, padWidth: Int,
            into destination: UnsafeMutablePointer<Float>
        ) {
            let paddedWidth = width + 2 * padWidth, paddedHeight = height + 2 * padHeight
            for channel in 0..<channels {
                let to = destination + channel * paddedHeight * paddedWidth
                let from = source + channel * height * width
                to.update(repeating: 0, count: padHeight * paddedWidth)
                for y in 0..<height {
                    let row = to + (padHeight + y) * paddedWidth
                    row.update(repeating: 0, count: padWidth)
                    (row + padWidth).update(from: from + y * width, count: width)
                    (row + padWidth + width).update(repeating: 0, count: padWidth)
                }
                (to + (padHeight + height) * paddedWidth).update(repeating: 0, count: padHeight * paddedWidth)
            }
        }
    }
}
