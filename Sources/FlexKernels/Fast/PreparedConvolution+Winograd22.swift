import CFlexKernels

extension Fast.PreparedConvolution {
    /// Winograd F(2x2, 3x3) through the shared chunk loop (`runWinogradChunks`). The AVX2 family runs the
    /// GEMMs with AVX2 and the (cheap) transforms with the portable code.
    func runWinograd22(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, kernels: Fast.Kernels
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
        let usesTable = kernels.slots.winograd22_uses_table != 0
        let transformInput = kernels.slots.winograd22_input!, transformOutput = kernels.slots.winograd22_output!
        runWinogradChunks(
            chunks, input: input, output: output, batch: batch, epilogue: epilogue,
            kernels: kernels,
            prepareInput: { chunk in if usesTable { flex_winograd22_table(&chunk, table) } },
            transformInput: { plane, chunk, destination, _ in
                transformInput(plane, &chunk, table, destination, vStride, panelStride)
            },
            transformOutput: { products, chunk, destination, e, nextPlane in
                transformOutput(products, mStride, &chunk, destination, e, nextPlane)
            })
    }
}
