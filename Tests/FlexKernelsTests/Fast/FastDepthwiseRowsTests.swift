import FlexKernels
import Testing

/// Parity of the depthwise 3x3 kernels that walk input rows (AVX-512: each input row loaded once per
/// 16-column chunk, split or shifted into the taps, running partial sums carried down the plane), for
/// stride 1 (narrow chunks of at most 14 outputs in one vector, wider ones in two) and stride 2: MobileNet's
/// 7x7 and 14x14, one row, odd sizes, paddings 0 to 2, a channel multiplier, batch 2, each epilogue
/// (residual rows included) and channel splits between threads.
@Suite("Fast.PreparedConvolution depthwise by input rows")
struct FastDepthwiseRowsTests {
    static func depthwise(_ c: Int, _ h: Int, _ w: Int, multiplier: Int = 1, stride: Int = 1, pad: (Int, Int) = (1, 1),
                          batch: Int = 1) -> FastConvolutionTests.Case {
        FastConvolutionTests.conv(c, c * multiplier, h, w, kernel: (3, 3), stride: (stride, stride), pad: pad, groups: c,
                                  batch: batch)
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
        depthwise(3, 5, 15),                            // 15 outputs a row: two vectors
        depthwise(2, 6, 37),                            // 16 + 16 + 5 outputs a row
        depthwise(5, 14, 14, stride: 2, batch: 2),      // MobileNet's 14 -> 7
        depthwise(3, 13, 37, stride: 2),                // odd height, 19 outputs a row
        depthwise(3, 9, 33, stride: 2, pad: (0, 0)),    // 4x16: the last tap at column 32
        depthwise(4, 8, 34, multiplier: 2, stride: 2, pad: (2, 1)),
        depthwise(2, 1, 5, stride: 2),                  // one input row
    ]

    @Test("matches the direct convolution", arguments: runnableInstructionSets, FastConvolutionTests.EpilogueKind.allCases)
    func parity(instructionSet: Fast.InstructionSet, epilogue: FastConvolutionTests.EpilogueKind) {
        for testCase in Self.cases {
            let (worst, _) = FastConvolutionTests.errors(testCase, algorithm: .depthwise, instructionSet: instructionSet,
                                                         epilogueKind: epilogue)
            #expect(worst < 1e-5, "\(testCase.testDescription): scaled error \(worst)")
        }
    }
}
