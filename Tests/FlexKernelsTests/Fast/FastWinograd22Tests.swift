import FlexKernels
import Testing

/// Parity of Winograd F(2x2, 3x3) against a direct Double convolution over odd plane sizes (7x7, 5x5,
/// 1x1, clipped tiles), padding 0, 1 and 2, chunks spanning images and ending inside them, tile rows of
/// more than one 16-tile vector, and every epilogue. F(2x2)'s transforms only add and
/// halve, so its tolerances are 10x tighter than F(4x4)'s.
@Suite("Fast.PreparedConvolution Winograd F(2x2)")
struct FastWinograd22Tests {
    typealias Case = FastConvolutionTests.Case
    static let relativeTolerance = 1e-5, worstTolerance = 1e-5

    static let cases: [Case] = [
        FastConvolutionTests.conv(17, 19, 7, 7, kernel: (3, 3), pad: (1, 1)),             // 16 tiles, one panel
        FastConvolutionTests.conv(6, 7, 7, 7, kernel: (3, 3), pad: (1, 1), batch: 3),     // chunk spans images
        FastConvolutionTests.conv(5, 6, 5, 5, kernel: (3, 3), pad: (1, 1), batch: 3),     // 9 tiles, clipped
        FastConvolutionTests.conv(3, 4, 1, 1, kernel: (3, 3), pad: (1, 1), batch: 3),     // 1x1 planes
        FastConvolutionTests.conv(4, 5, 9, 11, kernel: (3, 3), batch: 3),                 // no padding: 7x9 out
        FastConvolutionTests.conv(3, 5, 11, 40, kernel: (3, 3), pad: (1, 1)),             // 20 per row: 16 + 4
        FastConvolutionTests.conv(3, 4, 9, 9, kernel: (3, 3), pad: (2, 2), batch: 2),     // wider padding
        FastConvolutionTests.conv(2, 3, 130, 6, kernel: (3, 3), pad: (1, 1), batch: 2),   // chunks end inside images
    ]

    static func check(_ testCase: Case, instructionSet: Fast.InstructionSet, epilogue: FastConvolutionTests.EpilogueKind) {
        let (worst, relative) = FastConvolutionTests.errors(
            testCase, algorithm: .winograd22, instructionSet: instructionSet, epilogueKind: epilogue)
        let label = "\(testCase.testDescription), \(instructionSet), \(epilogue)"
        #expect(relative < relativeTolerance, "\(label): relative L2 error \(relative)")
        #expect(worst < worstTolerance, "\(label): scaled error \(worst)")
    }

    @Test("every instruction set and epilogue", arguments: runnableInstructionSets, FastConvolutionTests.EpilogueKind.allCases)
    func parity(instructionSet: Fast.InstructionSet, epilogue: FastConvolutionTests.EpilogueKind) {
        for testCase in Self.cases { Self.check(testCase, instructionSet: instructionSet, epilogue: epilogue) }
    }

    /// Above 128 x 128 channels chunks hold 64 tiles: 7x7 planes give 4 images a chunk, so batch 5 has a
    /// second chunk of one image; 14x14 planes (49 tiles) give chunks of 9 tile rows ending inside images.
    @Test("64-tile chunks", arguments: runnableInstructionSets)
    func manyChannels(instructionSet: Fast.InstructionSet) {
        for testCase in [FastConvolutionTests.conv(130, 129, 7, 7, kernel: (3, 3), pad: (1, 1), batch: 5),
                         FastConvolutionTests.conv(129, 130, 14, 14, kernel: (3, 3), pad: (1, 1), batch: 2)] {
            Self.check(testCase, instructionSet: instructionSet, epilogue: .biasResidualClip)
        }
    }

    @Test("restored from its 16 transformed matrices, which no other algorithm takes")
    func restore() throws {
        let g = FastConvolutionTests.conv(6, 5, 7, 7, kernel: (3, 3), pad: (1, 1)).geometry
        let weights = randomFloats(g.weightCount, seed: 3)
        let prepared = weights.withUnsafeBufferPointer {
            Fast.PreparedConvolution(geometry: g, weights: $0.baseAddress!, algorithm: .winograd22)
        }
        #expect(prepared.packedWeights.count == 16)
        let restored = try Fast.PreparedConvolution(geometry: g, algorithm: .winograd22, packedWeights: prepared.packedWeights)
        #expect(restored.scratchCount == prepared.scratchCount)
        #expect(throws: Fast.PreparedConvolution.WeightsError.self) {
            try Fast.PreparedConvolution(geometry: g, algorithm: .winograd, packedWeights: prepared.packedWeights)
        }
        let strided = FastConvolutionTests.conv(6, 5, 7, 7, kernel: (3, 3), stride: (2, 2), pad: (1, 1)).geometry
        #expect(!Fast.PreparedConvolution.supports(.winograd22, geometry: strided))
    }

    @Test("chosen for ResNet-50's 512-channel 7x7 layer below 16 F(4x4) tiles, not for 256 at 14x14; from AVX2 up")
    func choice() {
        typealias Algorithm = Fast.PreparedConvolution.Algorithm
        let choices: [(Int, Algorithm)] = [(1, .winograd22), (2, .winograd22), (4, .winograd), (8, .winograd)]
        for (batch, expected) in choices {
            let g = FastConvolutionTests.conv(512, 512, 7, 7, kernel: (3, 3), pad: (1, 1), batch: batch).geometry
            #expect(FastConvolutionTests.preferred(g) == expected, "batch \(batch)")
            // The same on AVX2 (Zen 3, ms per image at batch 1 / 2 / 4: F(2x2) 1.66 / 1.64 / 1.72, F(4x4)
            // 4.25 / 1.95 / 1.14, the transposed GEMM 2.85 / 2.77 / 2.76), and never for the portable family.
            #expect(Fast.PreparedConvolution.preferredAlgorithm(for: g, target: .avx2) == expected, "batch \(batch), AVX2")
            #expect(Fast.PreparedConvolution.preferredAlgorithm(for: g, target: .portable) != .winograd22, "batch \(batch), portable")
        }
        let narrow = FastConvolutionTests.conv(64, 64, 7, 7, kernel: (3, 3), pad: (1, 1)).geometry
        #expect(FastConvolutionTests.preferred(narrow) != .winograd22)
        let resnet14 = FastConvolutionTests.conv(256, 256, 14, 14, kernel: (3, 3), pad: (1, 1)).geometry
        #expect(FastConvolutionTests.preferred(resnet14) == .winograd)
    }
}
