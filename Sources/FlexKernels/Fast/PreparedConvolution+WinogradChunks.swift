import CFlexKernels

extension Fast.PreparedConvolution {
    /// Where one Winograd variant (F(4x4, 3x3) or F(2x2, 3x3)) keeps its scratch, and how it
    /// tiles the batch: `positions` transformed matrices (36 or 16), V's GEMM B panels `vPanelStride`
    /// floats apart in matrices `vMatrixStride` apart, M's `[O, tiles]` matrices `mMatrixStride` apart.
    struct WinogradScratch {
        var positions: Int
        var tileRows: Int
        var tilesPerRow: Int
        var chunkRows: Int
        var v: UnsafeMutablePointer<Float>
        var m: UnsafeMutablePointer<Float>
        var vPanelStride: Int
        var vMatrixStride: Int
        var mMatrixStride: Int
    }

    /// The chunk loop both Winograd variants run over the batch's tile rows, numbered image by image: per
    /// chunk of `chunkRows` rows (which may span images) it
    ///
    /// 1. calls `prepareInput` once with the chunk, then `transformInput(plane, chunk, destination, next)`
    ///    for every input channel: channel `c`'s plane of the first image into V's panels at
    ///    `destination` (`next`: the following channel's plane, to prefetch; nil for the last);
    /// 2. runs the `positions` GEMMs `M_p[O, tiles] = U_p[O, C] . V_p[C, tiles]` (U the pre-packed
    ///    weights; one V panel goes through the family's single-panel kernel streaming U, if it has one);
    /// 3. calls `transformOutput(products, chunk, output, epilogue, nextPlane)` for every output channel:
    ///    M's row of that channel into the output plane with the epilogue fused (`nextPlane`: floats to
    ///    the next channel's plane, to prefetch; 0 for the last).
    func runWinogradChunks(
        _ scratch: WinogradScratch, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, kernels: Fast.Kernels,
        prepareInput: (inout flex_winograd_chunk) -> Void,
        transformInput: (UnsafePointer<Float>, inout flex_winograd_chunk, UnsafeMutablePointer<Float>, UnsafePointer<Float>?) -> Void,
        transformOutput: (UnsafePointer<Float>, inout flex_winograd_chunk, UnsafeMutablePointer<Float>,
                          UnsafePointer<flex_epilogue>?, Int64) -> Void
    ) {
        let g = geometry, s = scratch
        let channels = g.inputChannels, filters = g.outputChannels
        let inputPlane = g.inputHeight * g.inputWidth, outputPlane = g.outputHeight * g.outputWidth
        let totalRows = batch * s.tileRows
        let gemm16 = kernels.slots.winograd_gemm16
        let hasEpilogue = !epilogue.isNone

        for chunkStart in stride(from: 0, to: totalRows, by: s.chunkRows) {
            let rows = Swift.min(s.chunkRows, totalRows - chunkStart), tiles = rows * s.tilesPerRow
            // Input transform into V (with zeros past the tiles in V's last panels).
            var inputChunk = flex_winograd_chunk(
                height: Int64(g.inputHeight), width: Int64(g.inputWidth),
                pad_h: Int64(g.padHeight), pad_w: Int64(g.padWidth),
                tile_row_start: Int64(chunkStart), tile_rows: Int64(rows), tiles_per_row: Int64(s.tilesPerRow),
                rows_per_image: Int64(s.tileRows), image_stride: Int64(g.inputImageCount))
            prepareInput(&inputChunk)
            for channel in 0..<channels {
                let plane = input + channel * inputPlane
                transformInput(plane, &inputChunk, s.v + channel * Fast.GEMM.nr, channel + 1 < channels ? plane + inputPlane : nil)
            }
            for position in 0..<s.positions {
                let weights = packedWeights[position]
                if let gemm16, tiles <= Fast.GEMM.nr {
                    // One V panel (batch 1 at 14x14 for F(4x4), 7x7 for F(2x2)): a kernel streaming U.
                    gemm16(Int64(filters), Int64(tiles), Int64(channels), weights.values, Int64(weights.panelStride),
                           s.v + position * s.vMatrixStride, s.m + position * s.mMatrixStride, Int64(tiles))
                    continue
                }
                Fast.GEMM.run(
                    m: filters, n: tiles, k: channels,
                    left: .panels(weights.values, panelStride: weights.panelStride),
                    right: .panels(s.v + position * s.vMatrixStride, panelStride: s.vPanelStride),
                    output: s.m + position * s.mMatrixStride, outputRowStride: tiles, accumulate: false,
                    epilogue: .none, scratch: nil, blocking: .default, kernels: kernels)
            }
            // Output transform with the epilogue, one output channel at a time.
            var outputChunk = flex_winograd_chunk(
                height: Int64(g.outputHeight), width: Int64(g.outputWidth), pad_h: 0, pad_w: 0,
                tile_row_start: Int64(chunkStart), tile_rows: Int64(rows), tiles_per_row: Int64(s.tilesPerRow),
                rows_per_image: Int64(s.tileRows), image_stride: Int64(g.outputImageCount))
            for filter in 0..<filters {
                let offset = filter * outputPlane
                var tile = epilogue.tile(row: filter, column: 0)
                tile.bias_per_column = 0
                tile.bias = epilogue.bias.map { $0 + filter }
                tile.residual = epilogue.residual.map { $0 + offset }
                tile.residual_stride = Int64(g.outputWidth)
                withUnsafePointer(to: &tile) { tilePointer in
                    transformOutput(s.m + filter * tiles, &outputChunk, output + offset, hasEpilogue ? tilePointer : nil,
                                    filter + 1 < filters ? Int64(outputPlane) : 0)
                }
            }
        }
    }
}
