extension Fast.GEMM {
    /// Where the micro-panels of A come from.
    enum LeftSource {
        /// 6-row panels already laid out like a `.left` `PackedMatrix` (`panelStride` floats apart, each
        /// holding all K).
        case panels(UnsafePointer<Float>, panelStride: Int)
        case strided(UnsafePointer<Float>, rowStride: Int, columnStride: Int)
        /// The transposed im2col matrix of a convolution input: rows are output pixels (packed straight
        /// from the image).
        case im2col(Fast.Im2ColSource)

        /// The first panel of the block after (`rowStart`, `kStart`) in the driver's order (the next MC rows
        /// of `rows`, else the first rows of the next KC slice), or nil when there is none or A is packed on
        /// the fly.
        func nextPanel(kStart: Int, kCount: Int, rowStart: Int, rows: Range<Int>, k: Int) -> UnsafePointer<Float>? {
            guard case .panels(let base, let panelStride) = self else { return nil }
            if rowStart < rows.upperBound { return base + rowStart / mr * panelStride + kStart * mr }
            if kStart + kCount < k { return base + rows.lowerBound / mr * panelStride + (kStart + kCount) * mr }
            return nil
        }

        /// The first 6-row panel of A's rows `rowStart ..< rowStart + rowCount` (a multiple of 6 from the
        /// range start) over K `kStart ..< kStart + kCount`, and the distance between consecutive panels;
        /// packs into `scratch` if needed.
        @inline(__always)
        func panels(kStart: Int, kCount: Int, rowStart: Int, rowCount: Int, scratch: UnsafeMutablePointer<Float>?)
            -> (UnsafePointer<Float>, Int)
        {
            switch self {
            case .panels(let base, let panelStride):
                return (base + rowStart / mr * panelStride + kStart * mr, panelStride)
            case .strided(let pointer, let rowStride, let columnStride):
                let scratch = scratch!
                for panel in 0..<(rowCount + mr - 1) / mr {
                    let row0 = rowStart + panel * mr
                    let rows = Swift.min(mr, rowStart + rowCount - row0)
                    let destination = scratch + panel * kCount * mr
                    for lane in 0..<mr {
                        if lane < rows {
                            let source = pointer + (row0 + lane) * rowStride + kStart * columnStride
                            for p in 0..<kCount { destination[p * mr + lane] = source[p * columnStride] }
                        } else {
                            for p in 0..<kCount { destination[p * mr + lane] = 0 }
                        }
                    }
                }
                return (UnsafePointer(scratch), kCount * mr)
            case .im2col(let source):
                let scratch = scratch!
                source.pack(kStart: kStart, kCount: kCount, columnStart: rowStart, columnCount: rowCount, width: mr, into: scratch)
                return (UnsafePointer(scratch), kCount * mr)
            }
        }
    }

    /// Where the micro-panels of B come from.
    enum RightSource {
        /// 16-column panels already laid out like a `.right` `PackedMatrix` (`panelStride` floats apart,
        /// each holding all K).
        case panels(UnsafePointer<Float>, panelStride: Int)
        case strided(UnsafePointer<Float>, rowStride: Int, columnStride: Int)
        /// The implicit im2col matrix of a convolution input (packed straight from the image).
        case im2col(Fast.Im2ColSource)
        /// A row-major matrix (column stride 1) a macro-kernel reads in place, without packing (see
        /// `readsInPlace`).
        case inPlace(UnsafePointer<Float>, rowStride: Int)

        var needsScratch: Bool {
            switch self {
            case .panels, .inPlace: false
            case .strided, .im2col: true
            }
        }

        /// The same matrix as a source every kernel family can use (an in-place one packed instead).
        var packable: RightSource {
            if case .inPlace(let pointer, let rowStride) = self { return .strided(pointer, rowStride: rowStride, columnStride: 1) }
            return self
        }

        /// The first 16-column panel of B's columns `columnStart ..< columnStart + columnCount` over K
        /// `kStart ..< kStart + kCount`, the distance between consecutive panels and between the rows of
        /// a panel (16 when packed); packs into `scratch` if needed.
        @inline(__always)
        func panels(
            kStart: Int, kCount: Int, columnStart: Int, columnCount: Int, scratch: UnsafeMutablePointer<Float>?
        ) -> (UnsafePointer<Float>, Int, Int) {
            switch self {
            case .panels(let base, let panelStride):
                return (base + columnStart / nr * panelStride + kStart * nr, panelStride, nr)
            case .inPlace(let pointer, let rowStride):
                return (pointer + kStart * rowStride + columnStart, nr, rowStride)
            case .strided(let pointer, let rowStride, let columnStride):
                let scratch = scratch!
                let panels = (columnCount + nr - 1) / nr, fullPanels = columnStride == 1 ? columnCount / nr : 0
                let panelSize = kCount * nr
                // Full panels of a row-contiguous B: row by row, so B is read sequentially.
                for p in 0..<kCount {
                    let from = pointer + (kStart + p) * rowStride + columnStart, to = scratch + p * nr
                    for panel in 0..<fullPanels {
                        let source = from + panel * nr, destination = to + panel * panelSize
                        for lane in 0..<nr { destination[lane] = source[lane] }
                    }
                }
                // Remaining panels (a partial one, or all of them when columns are strided), zero-padded.
                for panel in fullPanels..<panels {
                    let column0 = columnStart + panel * nr
                    let columns = Swift.min(nr, columnStart + columnCount - column0)
                    let destination = scratch + panel * panelSize
                    let source = pointer + kStart * rowStride + column0 * columnStride
                    for p in 0..<kCount {
                        let from = source + p * rowStride, to = destination + p * nr
                        for lane in 0..<columns { to[lane] = from[lane * columnStride] }
                        for lane in columns..<nr { to[lane] = 0 }
                    }
                }
                return (UnsafePointer(scratch), panelSize, nr)
            case .im2col(let source):
                let scratch = scratch!
                source.pack(kStart: kStart, kCount: kCount, columnStart: columnStart, columnCount: columnCount,
                            into: scratch)
                return (UnsafePointer(scratch), kCount * nr, nr)
            }
        }
    }
}
