import FlexKernels
import Testing

/// Parity of `Fast.PreparedConvolution`'s `.direct` algorithm against a direct Double convolution (through
/// `FastConvolutionTests.errors`): stems and small odd geometries, every column stride path of the phase
/// split (1, 2, and 3 by the scalar path), output widths around the 8- and 16-column vectors and the 24- and
/// 48-column tiles, output channels not a multiple of 8 or 16, batch 2 and 3, each epilogue and splits between threads.
@Suite("Fast.PreparedConvolution direct")
struct FastDirectConvolutionTests {
    typealias Case = FastConvolutionTests.Case

    static func conv(
        _ c: Int, _ o: Int, _ h: Int, _ w: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        pad: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), batch: Int = 1
    ) -> Case {
        FastConvolutionTests.conv(c, o, h, w, kernel: kernel, stride: stride, pad: pad, dilation: dilation, batch: batch)
    }

    static let mobileNetStem = conv(3, 32, 37, 35, kernel: (3, 3), stride: (2, 2), pad: (1, 1), batch: 2)
    static let resNetStem = conv(3, 64, 29, 41, kernel: (7, 7), stride: (2, 2), pad: (3, 3))
    static let wide = conv(2, 20, 6, 101, kernel: (3, 3), pad: (1, 1))                 // tiles of 48 + 32 + 21 columns, 8 + 8 + 4 channels
    static let batched = conv(2, 33, 5, 5, kernel: (1, 1), batch: 3)

    static let cases: [Case] = FastConvolutionTests.gemmCases.filter { $0.geometry.groups == 1 } + [
        mobileNetStem, resNetStem, wide, batched,
        conv(3, 24, 23, 34, kernel: (3, 3), stride: (2, 2), pad: (1, 1)),             // 17 outputs a row, 8 extra channels
        conv(1, 17, 9, 32, kernel: (3, 3), pad: (1, 1)),                              // one channel, 32 outputs a row
        conv(2, 16, 19, 50, kernel: (5, 5), stride: (3, 3), pad: (2, 2)),             // stride 3: scalar split
        conv(4, 20, 13, 31, kernel: (3, 3), stride: (2, 1), pad: (2, 1), dilation: (2, 2)),
        conv(3, 5, 33, 16, kernel: (2, 4), stride: (1, 2), pad: (0, 1)),              // more rows than a band
        conv(3, 13, 9, 40, kernel: (3, 3), pad: (1, 1)),                              // one tile of 16 + 16 + 8 columns
        conv(2, 9, 5, 60, kernel: (3, 3), pad: (1, 1)),                               // 4 chunks: tiles of 32 + 28 columns
        conv(1, 8, 3, 112, kernel: (1, 3), pad: (0, 1)),                              // the stems' 112: 48 + 32 + 32
    ]

    @Test("matches the direct convolution", arguments: runnableInstructionSets, FastConvolutionTests.EpilogueKind.allCases)
    func parity(instructionSet: Fast.InstructionSet, epilogue: FastConvolutionTests.EpilogueKind) {
        for testCase in Self.cases {
            let (worst, _) = FastConvolutionTests.errors(testCase, algorithm: .direct, instructionSet: instructionSet,
                                                         epilogueKind: epilogue)
            #expect(worst < 1e-5, "\(testCase.testDescription): scaled error \(worst)")
        }
    }

    @Test("restores from saved packed weights")
    func restore() throws {
        let g = Self.resNetStem.geometry
        let weights = randomFloats(g.weightCount, seed: 41), input = randomFloats(g.batch * g.inputImageCount, seed: 42)
        let prepared = Fast.PreparedConvolution(geometry: g, weights: weights, algorithm: .direct)
        let saved = try prepared.packedWeights.map { matrix in
            try Fast.PackedMatrix(rows: matrix.rows, columns: matrix.columns, role: matrix.role, packedValues: matrix.packedValues)
        }
        let restored = try Fast.PreparedConvolution(geometry: g, algorithm: .direct, packedWeights: saved)
        #expect(restored.scratchCount == prepared.scratchCount)
        var first = [Float](repeating: 0, count: g.batch * g.outputImageCount), second = first
        var scratch = [Float](repeating: 0, count: prepared.scratchCount)
        prepared.run(input: input, output: &first, scratch: &scratch)
        restored.run(input: input, output: &second, scratch: &scratch)
        #expect(first == second)
        #expect(throws: Fast.PreparedConvolution.WeightsError.self) {
            try Fast.PreparedConvolution(geometry: g, algorithm: .direct, packedWeights: [])
        }
    }

    @Test("chosen for stems only, and only for an AVX2 or AVX-512 target")
    func choice() {
        let mobilenet = Self.conv(3, 32, 224, 224, kernel: (3, 3), stride: (2, 2), pad: (1, 1)).geometry
        #expect(Fast.PreparedConvolution.preferredAlgorithm(for: mobilenet, target: .avx512) == .direct)
        #expect(Fast.PreparedConvolution.preferredAlgorithm(for: mobilenet, target: .avx2) == .direct)
        #expect(Fast.PreparedConvolution.preferredAlgorithm(for: mobilenet, target: .portable) == .gemm)
        #expect(!Fast.PreparedConvolution.directIsProfitable(mobilenet, target: .portable))
        for target in Fast.InstructionSet.allCases {
            #expect(Fast.PreparedConvolution.preferredAlgorithm(for: Self.conv(32, 32, 56, 56, kernel: (1, 1)).geometry, target: target) == .gemm)
            #expect(Fast.PreparedConvolution.preferredAlgorithm(for: Self.conv(3, 8, 56, 56, kernel: (3, 3)).geometry, target: target) == .gemm)
        }
        #expect(!Fast.PreparedConvolution.supports(.direct, geometry: Self.conv(4, 4, 8, 8, kernel: (3, 3)).geometry.grouped(2)))
    }
}

private extension Reference.ConvolutionGeometry {
    func grouped(_ groups: Int) -> Self {
        var copy = self
        copy.groups = groups
        return copy
    }
}
