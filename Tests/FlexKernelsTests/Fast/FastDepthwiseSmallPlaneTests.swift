import FlexKernels
import Testing

/// Parity of the depthwise kernel on small "same"-size 3x3 planes, which the AVX-512 code computes as one
/// flat row per plane (masked loads per tap): planes of 1 to 6 chunks of 16, a channel multiplier, batch 2,
/// each epilogue (the residual read flat too) and channel splits between threads; planes that stay on the
/// row-by-row code (14x14, one row, padding other than 1) alongside.
@Suite("Fast.PreparedConvolution depthwise on small planes")
struct FastDepthwiseSmallPlaneTests {
    static func depthwise(_ c: Int, _ h: Int, _ w: Int, multiplier: Int = 1, pad: Int = 1, batch: Int = 1) -> FastConvolutionTests.Case {
        FastConvolutionTests.conv(c, c * multiplier, h, w, kernel: (3, 3), pad: (pad, pad), groups: c, batch: batch)
    }

    static let cases: [FastConvolutionTests.Case] = [
        depthwise(37, 7, 7, batch: 2),          // MobileNet's 7x7: 4 flat chunks
        depthwise(5, 3, 5),                     // one partial chunk
        depthwise(4, 8, 8, multiplier: 2),      // exactly 4 chunks, two filters per input channel
        depthwise(3, 9, 9),                     // 6 chunks, the last 1 lane
        depthwise(3, 5, 11),                    // rows not a divisor of 16
        depthwise(3, 14, 14),                   // row by row
        depthwise(3, 1, 13),                    // one row: row by row
        depthwise(3, 7, 7, pad: 0),             // 5x5 output: not "same" size
    ]

    @Test("matches the direct convolution", arguments: runnableInstructionSets, FastConvolutionTests.EpilogueKind.allCases)
    func parity(instructionSet: Fast.InstructionSet, epilogue: FastConvolutionTests.EpilogueKind) {
        for testCase in Self.cases {
            let (worst, _) = FastConvolutionTests.errors(testCase, algorithm: .depthwise, instructionSet: instructionSet,
                                                         epilogueKind: epilogue)
            #expect(worst < 1e-5, "\(testCase.testDescription): scaled error \(worst)")
        }
    }

    @Test("split between threads", arguments: [2, 3, 5], [false, true])
    func threads(threadCount: Int, concurrent: Bool) {
        for testCase in [Self.cases[0], Self.cases[2]] {
            let (worst, _) = FastConvolutionTests.errors(testCase, algorithm: .depthwise, instructionSet: .best,
                                                         epilogueKind: .biasResidualClip, threadCount: threadCount,
                                                         concurrent: concurrent)
            #expect(worst < 1e-5, "\(testCase.testDescription): \(worst)")
        }
    }
}
