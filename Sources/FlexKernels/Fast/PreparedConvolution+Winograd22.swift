import CFlexKernels

extension Fast.PreparedConvolution {
    /// Winograd F(2x2, 3x3). The batch's tile rows, numbered image by image, are split between the threads
    /// (each thread reads all 16 transformed weight matrices for its rows); a chunk may span images. The
    /// AVX2 instruction set runs the GEMMs with AVX2 and the (cheap) transforms with the portable code.
    func runWinograd22(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, threadIndex: Int, threadCount: Int
    ) {
        typealias Winograd = Fast.Winograd22
        let g = geometry, layout = Winograd.ScratchLayout(g)
        let channels = g.inputChannels, filters = g.outputChannels
        let inputPlane = g.inputHeight * g.inputWidth, outputPlane = g.outputHeight * g.outputWidth
        let tileRows = Winograd.tileRows(g), perRow = Winograd.tilesPerRow(g), chunkRows = Winograd.chunkRows(g)
        let v = scratch, m = scratch + layout.vCount, table = UnsafeMutableRawPointer(m + layout.mCount)
        let panelStride = layout.vPanelStride
        let totalRows = batch * tileRows
        let firstRow = totalRows * threadIndex / threadCount, endRow = totalRows * (threadIndex + 1) / threadCount
        let hasEpilogue = !epilogue.isNone

        for chunkStart in stride(from: firstRow, to: endRow, by: chunkRows) {
            let rows = Swift.min(chunkRows, endRow - chunkStart), tiles = rows * perRow
            // Input transform into V (with zeros past the tiles in V's last panels).
            var inputChunk = flex_winograd_chunk(
                height: Int64(g.inputHeight), width: Int64(g.inputWidth),
                pad_h: Int64(g.padHeight), pad_w: Int64(g.padWidth),
                tile_row_start: Int64(chunkStart), tile_rows: Int64(rows), tiles_per_row: Int64(perRow),
                rows_per_image: Int64(tileRows), image_stride: Int64(g.inputImageCount))
            let matrixStride = Int64(layout.vMatrixStride)
            if instructionSet == .avx512 { flex_winograd22_table(&inputChunk, table) }
            for channel in 0..<channels {
                let plane = input + channel * inputPlane, destination = v + channel * Fast.GEMM.nr
                if instructionSet == .avx512 {
                    flex_winograd22_input_avx512(plane, &inputChunk, table, destination, matrixStride, Int64(panelStride))
                } else {
                    flex_winograd22_input_portable(plane, &inputChunk, destination, matrixStride, Int64(panelStride))
                }
            }
            // 16 GEMMs: M_p[O, tiles] = U_p[O, C] . V_p[C, tiles].
            for position in 0..<16 {
                let weights = packedWeights[position]
                if instructionSet == .avx512 && tiles <= Fast.GEMM.nr {
                    // One V panel (batch 1 at 7x7: 16 tiles): the F(4x4) kernel streaming U.
                    flex_winograd43_gemm16_avx512(Int64(filters), Int64(tiles), Int64(channels), weights.values,
                                                  Int64(weights.panelStride), v + position * layout.vMatrixStride,
                                                  m + position * layout.mMatrixStride, Int64(tiles))
                    continue
                }
                Fast.GEMM.run(
                    m: filters, n: tiles, k: channels,
                    left: .panels(weights.values, panelStride: weights.panelStride),
                    right: .panels(v + position * layout.vMatrixStride, panelStride: panelStride),
                    output: m + position * layout.mMatrixStride, outputRowStride: tiles, accumulate: false,
                    epilogue: .none, scratch: nil, threadIndex: 0, threadCount: 1, blocking: .default,
                    instructionSet: instructionSet)
            }
            // Output transform with the epilogue, one output channel at a time.
            var outputChunk = flex_winograd_chunk(
                height: Int64(g.outputHeight), width: Int64(g.outputWidth), pad_h: 0, pad_w: 0,
                tile_row_start: Int64(chunkStart), tile_rows: Int64(rows), tiles_per_row: Int64(perRow),
                rows_per_image: Int64(tileRows), image_stride: Int64(g.outputImageCount))
            for filter in 0..<filters {
                let offset = filter * outputPlane
                let products = m + filter * tiles, mStride = Int64(layout.mMatrixStride)
                var tile = epilogue.tile(row: filter, column: 0)
                tile.bias_per_column = 0
                tile.bias = epilogue.bias.map { $0 + filter }
                tile.residual = epilogue.residual.map { $0 + offset }
                tile.residual_stride = Int64(g.outputWidth)
                withUnsafePointer(to: &tile) { tilePointer in
                    let e = hasEpilogue ? tilePointer : nil
                    if instructionSet == .avx512 {
                        flex_winograd22_output_avx512(products, mStride, &outputChunk, output + offset, e,
                                                      filter + 1 < filters ? Int64(outputPlane) : 0)
                    } else {
                        flex_winograd22_output_portable(products, mStride, &outputChunk, output + offset, e)
                    }
                }
            }
        }
    }
}
