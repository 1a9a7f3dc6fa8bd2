import FlexKernels
import Testing

/// Parity of Winograd F(4x4, 3x3) against a direct Double convolution where its chunks of tile rows span
/// images (batches whose planes hold fewer tiles than a chunk, chunk boundaries inside an image), where
/// a tile row holds more than one 16-tile vector.
@Suite("Fast.PreparedConvolution Winograd batches")
struct FastWinogradTests {
    typealias Case = FastConvolutionTests.Case

    static let cases: [Case] = [
        FastConvolutionTests.conv(6, 7, 14, 14, kernel: (3, 3), pad: (1, 1), batch: 5),   // 16 tiles per image
        FastConvolutionTests.conv(5, 6, 28, 27, kernel: (3, 3), pad: (1, 1), batch: 3),   // 49 tiles, 7 per row
        FastConvolutionTests.conv(3, 5, 11, 70, kernel: (3, 3), pad: (1, 1), batch: 3),   // 18 per row: 16 + 2
        FastConvolutionTests.conv(4, 3, 10, 23, kernel: (3, 3), batch: 4),                // no padding, clipped tiles
        FastConvolutionTests.conv(3, 4, 9, 9, kernel: (3, 3), pad: (2, 2), batch: 2),     // wider padding
        FastConvolutionTests.conv(2, 3, 130, 6, kernel: (3, 3), pad: (1, 1), batch: 2),   // chunks end inside images
    ]

    @Test("batches, every instruction set and epilogue",
          arguments: runnableInstructionSets, FastConvolutionTests.EpilogueKind.allCases)
    func batches(instructionSet: Fast.InstructionSet, epilogue: FastConvolutionTests.EpilogueKind) {
        for testCase in Self.cases {
            let (worst, relative) = FastConvolutionTests.errors(
                testCase, algorithm: .winograd, instructionSet: instructionSet, epilogueKind: epilogue)
            #expect(relative < 1e-4, "\(testCase.testDescription): relative L2 error \(relative)")
            #expect(worst < 1e-3, "\(testCase.testDescription): scaled error \(worst)")
        }
    }

    /// Above 128 x 128 channels chunks hold 32 tiles: here 10 rows of 3 tiles, the second chunk starting
    /// inside the fourth image. (One epilogue: the Double reference is slow at this size.)
    @Test("32-tile chunks", arguments: runnableInstructionSets)
    func manyChannels(instructionSet: Fast.InstructionSet) {
        let testCase = FastConvolutionTests.conv(130, 130, 10, 10, kernel: (3, 3), pad: (1, 1), batch: 4)
        let (worst, relative) = FastConvolutionTests.errors(
            testCase, algorithm: .winograd, instructionSet: instructionSet, epilogueKind: .biasResidualClip)
        #expect(relative < 1e-4, "\(instructionSet): relative L2 error \(relative)")
        #expect(worst < 1e-3, "\(instructionSet): scaled error \(worst)")
    }

    @Test("chosen for small planes once the batch holds 8 tiles (16 at 512 channels, else F(2x2))")
    func choice() {
        for (batch, expected) in [(1, Fast.PreparedConvolution.Algorithm.winograd22), (2, .winograd22), (4, .winograd), (8, .winograd)] {
            let g = FastConvolutionTests.conv(512, 512, 7, 7, kernel: (3, 3), pad: (1, 1), batch: batch).geometry
            #expect(FastConvolutionTests.preferred(g) == expected, "batch \(batch)")
        }
        let resnet = FastConvolutionTests.conv(256, 256, 14, 14, kernel: (3, 3), pad: (1, 1)).geometry
        #expect(FastConvolutionTests.preferred(resnet) == .winograd)
    }
}
