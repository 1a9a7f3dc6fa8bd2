extension Fast.PreparedConvolution {
    /// Per image and group: `out[O/g, OH*OW] = W_g[O/g, C/g*kh*kw] . im2col(x_g)[C/g*kh*kw, OH*OW]`, each
    /// GEMM split between the threads.
    func runGEMM(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, threadIndex: Int, threadCount: Int
    ) {
        let g = geometry
        let inputPlane = g.inputHeight * g.inputWidth, outputPlane = g.outputHeight * g.outputWidth
        let inputGroup = g.inputChannelsPerGroup * inputPlane, outputGroup = g.outputChannelsPerGroup * outputPlane
        let isPointwise = g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
            && g.padHeight == 0 && g.padWidth == 0
        for image in 0..<batch {
            for group in 0..<g.groups {
                let groupInput = input + image * g.inputImageCount + group * inputGroup
                let outputOffset = image * g.outputImageCount + group * outputGroup
                let right: Fast.GEMM.RightSource = isPointwise
                    ? .strided(groupInput, rowStride: inputPlane, columnStride: 1)
                    : .im2col(Fast.Im2ColSource(input: groupInput, geometry: g))
                var groupEpilogue = epilogue
                groupEpilogue.biasAxis = .rows
                groupEpilogue.bias = epilogue.bias.map { $0 + group * g.outputChannelsPerGroup }
                groupEpilogue.residual = epilogue.residual.map { $0 + outputOffset }
                groupEpilogue.residualRowStride = outputPlane
                let weights = packedWeights[group]
                Fast.GEMM.run(
                    m: weights.rows, n: outputPlane, k: weights.columns, left: .panels(weights.values, panelStride: weights.panelStride), right: right,
                    output: output + outputOffset, outputRowStride: outputPlane, accumulate: false,
                    epilogue: groupEpilogue, scratch: scratch, threadIndex: threadIndex, threadCount: threadCount,
                    blocking: .default, instructionSet: instructionSet)
            }
        }
    }
}
