import FlexKernels
import Testing

/// Parity of the paths that only wide or strided convolutions take: the transposed GEMM with more than
/// one NC block of output channels (its pixel panels packed over all K first, rows then split between
/// threads or not), its 16 x 16 transposing epilogue and its batch in chunks, and the plain GEMM of a
/// strided 1x1 convolution (its input sampled once). Errors come from `FastConvolutionTests.errors` (a direct Double convolution).
@Suite("FastConvolution wide and strided")
struct FastConvolutionWideTests {
    typealias Case = FastConvolutionTests.Case
    static func conv(
        _ c: Int, _ o: Int, _ h: Int, _ w: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        pad: (Int, Int) = (0, 0), groups: Int = 1, batch: Int = 1
    ) -> Case {
        FastConvolutionTests.conv(c, o, h, w, kernel: kernel, stride: stride, pad: pad, groups: groups, batch: batch)
    }

    /// More than 512 output channels (not a multiple of 16), 7x7 and odd planes, panels across images, K
    /// not a multiple of 16.
    static let wideCases: [Case] = [
        conv(19, 530, 13, 13, kernel: (1, 1), stride: (2, 2), batch: 3),     // ResNet stage 4's downsample, small
        conv(33, 600, 5, 5, kernel: (1, 1), batch: 2),
        conv(5, 520, 7, 7, kernel: (3, 3), pad: (1, 1), batch: 2),
        conv(7, 521, 13, 13, kernel: (1, 1), stride: (2, 2), batch: 5),      // more pixel panels than channel panels
        conv(16, 513, 4, 9, kernel: (1, 1)),
    ]

    static let stridedCases: [Case] = [
        conv(6, 4, 9, 40, kernel: (1, 1), stride: (2, 2), groups: 2, batch: 2),
        conv(5, 7, 11, 13, kernel: (1, 1), stride: (3, 2)),
        conv(5, 7, 10, 29, kernel: (1, 1), stride: (2, 3), batch: 2),
        conv(3, 9, 28, 66, kernel: (1, 1), stride: (2, 2)),                  // two whole vectors per row, a tail
        conv(3, 300, 60, 60, kernel: (1, 1), stride: (2, 2), batch: 3),      // transposed: one image per chunk
    ]

    @Test("transposed GEMM, more than one NC block of channels", arguments: runnableInstructionSets,
          FastConvolutionTests.EpilogueKind.allCases)
    func wide(instructionSet: Fast.InstructionSet, epilogue: FastConvolutionTests.EpilogueKind) {
        for testCase in Self.wideCases {
            let (worst, _) = FastConvolutionTests.errors(testCase, algorithm: .transposedGEMM, instructionSet: instructionSet,
                                                         epilogueKind: epilogue)
            #expect(worst < 1e-5, "\(testCase.testDescription): scaled error \(worst)")
        }
    }

    @Test("GEMM of strided 1x1 convolutions", arguments: runnableInstructionSets,
          FastConvolutionTests.EpilogueKind.allCases)
    func strided(instructionSet: Fast.InstructionSet, epilogue: FastConvolutionTests.EpilogueKind) {
        for testCase in Self.stridedCases {
            for algorithm in [Fast.PreparedConvolution.Algorithm.gemm, .transposedGEMM]
            where Fast.PreparedConvolution.supports(algorithm, geometry: testCase.geometry) {
                let (worst, _) = FastConvolutionTests.errors(testCase, algorithm: algorithm, instructionSet: instructionSet,
                                                             epilogueKind: epilogue)
                #expect(worst < 1e-5, "\(algorithm) \(testCase.testDescription): scaled error \(worst)")
            }
        }
    }

    @Test("a batch whose products would outgrow the cache runs in chunks")
    func chunks() {
        let g = Self.stridedCases[4].geometry
        let prepared = Fast.PreparedConvolution(geometry: g, weights: randomFloats(g.weightCount, seed: 41),
                                                algorithm: .transposedGEMM)
        // One image's products (and pixel panels) in scratch, not the batch's.
        #expect(prepared.scratchCount < 2 * g.outputImageCount + g.outputHeight * g.outputWidth * g.inputChannels + 6 * g.inputChannels)
    }
}
