import CFlexKernels

extension Fast.PreparedConvolution {
    /// Winograd F(2x2, 3x3) through the shared chunk loop (`runWinogradChunks`); each thread reads all 16
    /// transformed weight matrices for its tile rows. The AVX2 instruction set runs the GEMMs with AVX2
    /// and the (cheap) transforms with the portable code.
    func runWinograd22(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, threadIndex: Int, threadCount: Int
    ) {
        typealias Winograd = Fast.Winograd22
        let g = geometry, layout = Winograd.ScratchLayout(g)
        let v = scratch, m = scratch + layout.vCount, table = UnsafeMutableRawPointer(m + layout.mCount)
        let chunks = WinogradScratch(
            positions: 16, tileRows: Winograd.tileRows(g), tilesPerRow: Winograd.tilesPerRow(g),
            chunkRows: Winograd.chunkRows(g), v: v, m: m, vPanelStride: layout.vPanelStride,
            vMatrixStride: layout.vMatrixStride, mMatrixStride: layout.mMatrixStride)
        let vStride = Int64(layout.vMatrixStride), panelStride = Int64(layout.vPanelStride)
        let mStride = Int64(layout.mMatrixStride)
        let avx512 = instructionSet == .avx512
        runWinogradChunks(
            chunks, input: input, output: output, batch: batch, epilogue: epilogue,
            threadIndex: threadIndex, threadCount: threadCount,
            prepareInput: { chunk in if avx512 { flex_winograd22_table(&chunk, table) } },
            transformInput: { plane, chunk, destination, _ in
                if avx512 {
                    flex_winograd22_input_avx512(plane, &chunk, table, destination, vStride, panelStride)
                } else {
                    flex_winograd22_input_portable(plane, &chunk, destination, vStride, panelStride)
                }
            },
            transformOutput: { products, chunk, destination, e, nextPlane in
                if avx512 {
                    flex_winograd22_output_avx512(products, mStride, &chunk, destination, e, nextPlane)
                } else {
                    flex_winograd22_output_portable(products, mStride, &chunk, destination, e)
                }
            })
    }
}
