extension Fast {
    /// The im2col matrix of one image and one group of a convolution, never materialised: GEMM packs its
    /// B panels straight from the NCHW input.
    ///
    /// Row `k = (c * kernelHeight + ky) * kernelWidth + kx` (the order of a weight row `[C/g, kh, kw]`),
    /// column `n = oy * OW + ox`; the element is `input[c][oy * sh - ph + ky * dh][ox * sw - pw + kx * dw]`,
    /// or 0 in the padding.
    struct Im2ColSource {
        /// The group's first input channel plane (`[C / groups, H, W]` follows).
        let input: UnsafePointer<Float>
        let geometry: ConvolutionGeometry

        /// Packs rows `kStart ..< kStart + kCount` of columns `columnStart ..< columnStart + columnCount`
        /// into 16-column panels of `kCount * 16` floats each (tail lanes zero).
        func pack(kStart: Int, kCount: Int, columnStart: Int, columnCount: Int, into scratch: UnsafeMutablePointer<Float>) {
            let g = geometry, nr = GEMM.nr
            let height = g.inputHeight, width = g.inputWidth, plane = height * width
            let outputWidth = g.outputWidth, kernelArea = g.kernelHeight * g.kernelWidth
            for panel in 0..<(columnCount + nr - 1) / nr {
                let column0 = columnStart + panel * nr
                let columns = Swift.min(nr, columnStart + columnCount - column0)
                let destination = scratch + panel * kCount * nr
                let firstY = column0 / outputWidth, firstX = column0 % outputWidth
                var channel = kStart / kernelArea
                var ky = kStart % kernelArea / g.kernelWidth
                var kx = kStart % g.kernelWidth
                for p in 0..<kCount {
                    let row = destination + p * nr
                    let channelBase = input + channel * plane
                    let xOffset = kx * g.dilationWidth - g.padWidth
                    var lane = 0, oy = firstY, ox = firstX
                    while lane < columns {
                        let count = Swift.min(outputWidth - ox, columns - lane)
                        let iy = oy * g.strideHeight - g.padHeight + ky * g.dilationHeight
                        if iy < 0 || iy >= height {
                            for j in 0..<count { row[lane + j] = 0 }
                        } else {
                            let sourceRow = channelBase + iy * width
                            let x0 = ox * g.strideWidth + xOffset
                            let (low, high) = validRange(start: x0, step: g.strideWidth, count: count, limit: width)
                            for j in 0..<low { row[lane + j] = 0 }
                            if g.strideWidth == 1 {
                                for j in low..<high { row[lane + j] = sourceRow[x0 + j] }
                            } else {
                                for j in low..<high { row[lane + j] = sourceRow[x0 + j * g.strideWidth] }
                            }
                            for j in high..<count { row[lane + j] = 0 }
                        }
                        lane += count
                        oy += 1
                        ox = 0
                    }
                    for j in columns..<nr { row[j] = 0 }
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
}

/// The indices `j` in `0 ..< count` with `0 <= start + j * step < limit`, as `low ..< high`
/// (`low == high` when none; `step > 0`).
@inline(__always)
func validRange(start: Int, step: Int, count: Int, limit: Int) -> (Int, Int) {
    let low = start >= 0 ? 0 : Swift.min(count, (-start + step - 1) / step)
    let high = start >= limit ? 0 : Swift.min(count, (limit - 1 - start) / step + 1)
    return (low, Swift.max(low, high))
}
