import FlexKernels
import Testing

/// Parity of the depthwise kernel on narrow 3x3 stride-1 planes (at most 14 outputs a row), which the
/// AVX-512 code computes one input row per vector, shifted for the three taps, with running partial sums
/// down the plane: MobileNet's 7x7 and 14x14, one row, odd sizes, paddings 0 to 2, a channel multiplier,
/// batch 2, each epilogue (residual rows included) and channel splits between threads; a 15-wide plane,
/// just past the narrow code, alongside.
@Suite("Fast.PreparedConvolution depthwise on narrow planes")
struct FastDepthwiseNarrowPlaneTests {
    static func depthwise(_ c: Int, _ h: Int, _ w: Int, multiplier: Int = 1, pad: (Int, Int) = (1, 1), batch: Int = 1)
        -> FastConvolutionTests.Case {
        FastConvolutionTests.conv(c, c * multiplier, h, w, kernel: (3, 3), pad: pad, groups: c, batch: batch)
    }

    static let cases: [FastConvolutionTests.Case] = [
        depthwise(37, 7, 7, batch: 2),                  // MobileNet's 7x7
        depthwise(5, 14, 14),                           // MobileNet's 14x14: 16 lanes with the padding
        depthwise(4, 8, 8, multiplier: 2),              // two filters per input channel
        depthwise(3, 1, 13),                            // one row
        depthwise(3, 20, 5),                            // tall
        depthwise(3, 7, 7, pad: (0, 0)),                // 5x5 output
        depthwise(3, 9, 10, pad: (2, 2)),               // 11x12 output
        depthwise(3, 6, 11, pad: (0, 2)),               // 4x13 output
        depthwise(3, 5, 15),                            // 15 outputs a row: the chunked code
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
