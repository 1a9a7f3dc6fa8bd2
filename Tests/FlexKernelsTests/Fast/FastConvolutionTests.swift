import FlexKernels
import Testing

/// Parity of `Fast.PreparedConvolution` (every algorithm, every instruction set this CPU runs) against a
/// direct Double convolution, over geometries with odd sizes, padding, strides, dilation, groups and tails
/// of the vector loops, with each epilogue part; output and scratch are guarded against writes past their
/// ends.
@Suite("Fast.PreparedConvolution")
struct FastConvolutionTests {
    typealias Geometry = Reference.ConvolutionGeometry

    struct Case: CustomTestStringConvertible, Sendable {
        let geometry: Geometry
        var testDescription: String {
            let g = geometry
            return "\(g.batch)x\(g.inputChannels)x\(g.inputHeight)x\(g.inputWidth) -> \(g.outputChannels), kernel \(g.kernelHeight)x\(g.kernelWidth), stride \(g.strideHeight)x\(g.strideWidth), pad \(g.padHeight)x\(g.padWidth), dilate \(g.dilationHeight)x\(g.dilationWidth), groups \(g.groups)"
        }
    }

    static func conv(
        _ c: Int, _ o: Int, _ h: Int, _ w: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        pad: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, batch: Int = 1
    ) -> Case {
        Case(geometry: Geometry(
            batch: batch, inputChannels: c, inputHeight: h, inputWidth: w, outputChannels: o,
            kernelHeight: kernel.0, kernelWidth: kernel.1, strideHeight: stride.0, strideWidth: stride.1,
            padHeight: pad.0, padWidth: pad.1, dilationHeight: dilation.0, dilationWidth: dilation.1, groups: groups))
    }

    static let gemmCases: [Case] = [
        conv(7, 13, 5, 9, kernel: (1, 1), batch: 2),                         // pointwise fast path
        conv(6, 5, 9, 8, kernel: (1, 1), stride: (2, 2)),                    // strided 1x1 through im2col
        conv(5, 11, 9, 10, kernel: (3, 3), pad: (1, 1), batch: 2),
        conv(4, 7, 11, 7, kernel: (3, 3), stride: (2, 2), pad: (1, 1)),
        conv(3, 8, 17, 19, kernel: (7, 7), stride: (2, 2), pad: (3, 3)),     // ResNet stem shape, small
        conv(4, 6, 12, 13, kernel: (3, 3), pad: (2, 2), dilation: (2, 2)),
        conv(6, 9, 8, 9, kernel: (3, 3), pad: (1, 1), groups: 3),
        conv(4, 4, 7, 6, kernel: (1, 3), pad: (0, 1), groups: 2),
        conv(3, 5, 6, 20, kernel: (5, 2), stride: (1, 3), pad: (2, 0)),
        conv(2, 3, 2, 3, kernel: (5, 5), pad: (2, 2)),                       // kernel larger than the image
        conv(3, 5, 9, 40, kernel: (3, 3), stride: (2, 2), pad: (1, 1)),      // whole panels at input step 2
        conv(2, 3, 5, 36, kernel: (1, 1), stride: (2, 2)),                   // strided 1x1, panels at step 2
        conv(3, 4, 6, 35, kernel: (3, 3), pad: (1, 1)),                      // whole panels at input step 1
        conv(5, 1030, 3, 5, kernel: (1, 1), batch: 2),                       // pointwise, 1024+ rows: input packed
    ]

    static let depthwiseCases: [Case] = [
        conv(5, 5, 9, 21, kernel: (3, 3), pad: (1, 1), groups: 5, batch: 2),
        conv(4, 4, 13, 37, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 4),
        conv(3, 3, 11, 40, kernel: (5, 5), pad: (2, 2), groups: 3),
        conv(3, 3, 10, 30, kernel: (3, 3), pad: (2, 2), dilation: (2, 2), groups: 3),
        conv(3, 6, 8, 25, kernel: (3, 3), pad: (1, 1), groups: 3),           // channel multiplier 2
        conv(2, 2, 9, 31, kernel: (3, 3), stride: (3, 3), pad: (1, 1), groups: 2),
        conv(2, 2, 4, 5, kernel: (3, 3), groups: 2),                         // no vector interior
        conv(3, 3, 7, 7, kernel: (3, 3), pad: (1, 1), groups: 3, batch: 2),  // MobileNet's 7x7 planes
        conv(2, 2, 14, 14, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 2),
        conv(2, 2, 5, 33, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 2), // 17 outputs: one past a vector
        conv(2, 2, 6, 16, kernel: (3, 3), pad: (1, 1), groups: 2),           // exactly one vector per row
        conv(2, 2, 9, 35, kernel: (3, 3), stride: (2, 2), pad: (2, 2), dilation: (2, 2), groups: 2),
        conv(2, 2, 8, 18, kernel: (3, 2), stride: (1, 2), pad: (0, 1), groups: 2),
        conv(2, 2, 6, 11, kernel: (3, 3), stride: (1, 2), pad: (2, 1), groups: 2), // uneven strides and pads
        conv(2, 2, 130, 130, kernel: (3, 3), pad: (1, 1), groups: 2),       // AVX2: too big to pad, interior path
        conv(3, 3, 3, 3, kernel: (3, 3), pad: (1, 1), groups: 3),           // rows of 3: a vector spans rows
        conv(3, 3, 5, 6, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 3), // stride 2, 3x3 outputs
        conv(2, 2, 9, 23, kernel: (3, 3), stride: (2, 2), groups: 2),        // stride 2 unpadded, odd width
        // AVX2 computes small 3x3 planes 8 channels at a time, interleaved: whole groups and a rest of 3,
        // rows of 7, of 8 + 6 and of 8 + 4 columns, strides 1 and 2, with and without padding, the largest
        // planes it takes (28x28 padded to 30x30; at stride 2, 56x56) and ones just over them.
        conv(19, 19, 7, 7, kernel: (3, 3), pad: (1, 1), groups: 19, batch: 2),
        conv(16, 16, 14, 14, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 16),
        conv(8, 8, 14, 14, kernel: (3, 3), pad: (1, 1), groups: 8),
        conv(9, 9, 10, 14, kernel: (3, 3), groups: 9),
        conv(8, 8, 11, 13, kernel: (3, 3), stride: (2, 2), groups: 8),
        conv(8, 8, 28, 28, kernel: (3, 3), pad: (1, 1), groups: 8),
        conv(8, 8, 29, 28, kernel: (3, 3), pad: (1, 1), groups: 8),
        conv(9, 9, 56, 56, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 9),
        conv(8, 8, 58, 58, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 8),
        conv(8, 8, 20, 60, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 8), // few rows, too many columns
        conv(8, 8, 6, 3, kernel: (3, 3), pad: (1, 1), groups: 8, batch: 2), // rows of 3: a store spans 3 rows
        conv(8, 8, 5, 4, kernel: (3, 3), stride: (2, 2), pad: (1, 1), groups: 8), // 3x2 outputs
    ]

    static let winogradCases: [Case] = [
        conv(4, 5, 9, 11, kernel: (3, 3), pad: (1, 1), batch: 2),
        conv(3, 4, 16, 16, kernel: (3, 3)),
        conv(5, 3, 14, 40, kernel: (3, 3), pad: (1, 1)),                     // full 8-tile groups
        conv(3, 4, 21, 130, kernel: (3, 3), pad: (1, 1)),                    // several chunks of tile rows
        conv(17, 19, 7, 7, kernel: (3, 3), pad: (1, 1)),
        conv(2, 2, 3, 3, kernel: (3, 3), pad: (1, 1)),
    ]

    enum EpilogueKind: CaseIterable { case none, biasReLU, biasResidualClip }

    /// A geometry's input, weights, bias and residual (fixed seeds), and its references per epilogue.
    static let operands = ReferenceCache<([Float], [Float], [Float], [Float])>()
    static let references = ReferenceCache<(values: [Double], magnitude: [Double])>()

    /// Runs one convolution; returns (worst scaled error, relative L2 error).
    static func errors(
        _ testCase: Case, algorithm: Fast.PreparedConvolution.Algorithm, instructionSet: Fast.InstructionSet,
        epilogueKind: EpilogueKind
    ) -> (Double, Double) {
        let g = testCase.geometry, batch = g.batch
        let (input, weights, bias, residual) = operands.value(testCase.testDescription) {
            (randomFloats(batch * g.inputImageCount, seed: 11), randomFloats(g.weightCount, seed: 12),
             randomFloats(g.outputChannels, seed: 13), randomFloats(batch * g.outputImageCount, seed: 14))
        }
        let activation: Fast.Activation = switch epilogueKind {
        case .none: .identity
        case .biasReLU: .relu
        case .biasResidualClip: .clip(lower: -0.3, upper: 0.6)
        }
        // The inputs depend only on the geometry (fixed seeds), so one reference serves every algorithm and ISA.
        let reference = references.value("\(testCase.testDescription) \(epilogueKind)") {
            referenceConvolution(g, input: input, weights: weights, bias: epilogueKind == .none ? nil : bias,
                                 residual: epilogueKind == .biasResidualClip ? residual : nil, activation: activation)
        }

        let prepared = weights.withUnsafeBufferPointer {
            Fast.PreparedConvolution(geometry: g, weights: $0.baseAddress!, algorithm: algorithm,
                                     instructionSet: instructionSet)
        }
        let output = GuardedBuffer(count: batch * g.outputImageCount)
        let scratch = GuardedBuffer(count: prepared.scratchCount)
        input.withUnsafeBufferPointer { inputBuffer in
            bias.withUnsafeBufferPointer { biasBuffer in
                residual.withUnsafeBufferPointer { residualBuffer in
                    let epilogue = Fast.Epilogue(
                        bias: epilogueKind == .none ? nil : biasBuffer.baseAddress,
                        residual: epilogueKind == .biasResidualClip ? residualBuffer.baseAddress : nil,
                        activation: activation)
                    prepared.run(input: inputBuffer.baseAddress!, output: output.pointer, epilogue: epilogue,
                                 scratch: scratch.pointer)
                }
            }
        }
        let label = "\(algorithm) \(instructionSet) \(testCase.testDescription)"
        output.expectIntact("\(label) output")
        scratch.expectIntact("\(label) scratch")
        let values = output.values
        return (worstScaledError(values, reference.values, magnitude: reference.magnitude),
                relativeL2Error(values, reference.values))
    }

    @Test("GEMM (im2col and pointwise)", arguments: runnableInstructionSets, EpilogueKind.allCases)
    func gemm(instructionSet: Fast.InstructionSet, epilogue: EpilogueKind) {
        for testCase in Self.gemmCases {
            let (worst, _) = Self.errors(testCase, algorithm: .gemm, instructionSet: instructionSet, epilogueKind: epilogue)
            #expect(worst < 1e-5, "\(testCase.testDescription): scaled error \(worst)")
        }
    }

    /// Every single-group GEMM case, plus small planes where the transposed GEMM is chosen (ResNet's
    /// and MobileNet's 7x7, one panel of pixels or less).
    static let transposedCases: [Case] = gemmCases.filter { $0.geometry.groups == 1 } + [
        conv(20, 40, 7, 7, kernel: (3, 3), pad: (1, 1), batch: 2),
        conv(37, 33, 7, 7, kernel: (1, 1)),
        conv(9, 17, 2, 2, kernel: (1, 1)),
        conv(8, 48, 9, 9, kernel: (3, 3), stride: (2, 2), pad: (1, 1)),
    ]

    @Test("transposed GEMM", arguments: runnableInstructionSets, EpilogueKind.allCases)
    func transposedGEMM(instructionSet: Fast.InstructionSet, epilogue: EpilogueKind) {
        for testCase in Self.transposedCases {
            let (worst, _) = Self.errors(testCase, algorithm: .transposedGEMM, instructionSet: instructionSet,
                                         epilogueKind: epilogue)
            #expect(worst < 1e-5, "\(testCase.testDescription): scaled error \(worst)")
        }
    }

    @Test("depthwise", arguments: runnableInstructionSets, EpilogueKind.allCases)
    func depthwise(instructionSet: Fast.InstructionSet, epilogue: EpilogueKind) {
        for testCase in Self.depthwiseCases {
            let (worst, _) = Self.errors(testCase, algorithm: .depthwise, instructionSet: instructionSet,
                                         epilogueKind: epilogue)
            #expect(worst < 1e-5, "\(testCase.testDescription): scaled error \(worst)")
        }
    }

    @Test("Winograd F(4x4, 3x3)", arguments: runnableInstructionSets, EpilogueKind.allCases)
    func winograd(instructionSet: Fast.InstructionSet, epilogue: EpilogueKind) {
        for testCase in Self.winogradCases {
            let (worst, relative) = Self.errors(testCase, algorithm: .winograd, instructionSet: instructionSet,
                                                epilogueKind: epilogue)
            #expect(relative < 1e-4, "\(testCase.testDescription): relative L2 error \(relative)")
            #expect(worst < 1e-3, "\(testCase.testDescription): scaled error \(worst)")
        }
    }

    /// The fast paths against the project's own float reference kernel (what operators fall back to).
    @Test("agrees with Reference.convolution", arguments: runnableInstructionSets)
    func matchesReferenceKernel(instructionSet: Fast.InstructionSet) {
        let cases: [(Case, Fast.PreparedConvolution.Algorithm)] = Self.gemmCases.map { ($0, .gemm) }
            + Self.depthwiseCases.map { ($0, .depthwise) } + Self.winogradCases.map { ($0, .winograd) }
            + Self.transposedCases.map { ($0, .transposedGEMM) }
        for (testCase, algorithm) in cases {
            let g = testCase.geometry
            let input = randomFloats(g.batch * g.inputImageCount, seed: 21)
            let weights = randomFloats(g.weightCount, seed: 22), bias = randomFloats(g.outputChannels, seed: 23)
            var expected = [Float](repeating: 0, count: g.batch * g.outputImageCount)
            Reference.convolution(g, input: input, weight: weights, bias: bias, output: &expected)
            let prepared = Fast.PreparedConvolution(geometry: g, weights: weights, algorithm: algorithm,
                                                    instructionSet: instructionSet)
            let actual = GuardedBuffer(count: expected.count), scratch = GuardedBuffer(count: prepared.scratchCount)
            bias.withUnsafeBufferPointer { biasBuffer in
                prepared.run(input: input, output: actual.pointer, epilogue: Fast.Epilogue(bias: biasBuffer.baseAddress),
                             scratch: scratch.pointer)
            }
            actual.expectIntact("\(algorithm) \(testCase.testDescription) output")
            scratch.expectIntact("\(algorithm) \(testCase.testDescription) scratch")
            let error = relativeL2Error(actual.values, expected.map(Double.init))
            #expect(error < (algorithm == .winograd ? 1e-4 : 1e-6), "\(algorithm) \(testCase.testDescription): \(error)")
        }
    }

    @Test("restores from saved packed weights; mismatched weights are a clear error")
    func restore() throws {
        for (testCase, algorithm) in [(Self.gemmCases[6], Fast.PreparedConvolution.Algorithm.gemm),
                                      (Self.winogradCases[0], .winograd), (Self.gemmCases[2], .transposedGEMM)] {
            let g = testCase.geometry
            let weights = randomFloats(g.weightCount, seed: 31), input = randomFloats(g.batch * g.inputImageCount, seed: 32)
            let prepared = Fast.PreparedConvolution(geometry: g, weights: weights, algorithm: algorithm)
            let saved = try prepared.packedWeights.map { matrix in
                try Fast.PackedMatrix(rows: matrix.rows, columns: matrix.columns, role: matrix.role,
                                      packedValues: matrix.packedValues)
            }
            let restored = try Fast.PreparedConvolution(geometry: g, algorithm: algorithm, packedWeights: saved)
            #expect(restored.scratchCount == prepared.scratchCount)
            var first = [Float](repeating: 0, count: g.batch * g.outputImageCount), second = first
            var scratch = [Float](repeating: 0, count: prepared.scratchCount)
            prepared.run(input: input, output: &first, scratch: &scratch)
            restored.run(input: input, output: &second, scratch: &scratch)
            #expect(first == second)
            #expect(throws: Fast.PreparedConvolution.WeightsError.self) {
                try Fast.PreparedConvolution(geometry: g, algorithm: algorithm, packedWeights: Array(saved.dropLast()))
            }
        }
        let g = Self.winogradCases[0].geometry
        let prepared = Fast.PreparedConvolution(geometry: g, weights: randomFloats(g.weightCount, seed: 1), algorithm: .gemm)
        do {
            _ = try Fast.PreparedConvolution(geometry: g, algorithm: .winograd, packedWeights: prepared.packedWeights)
            Issue.record("GEMM weights accepted for Winograd")
        } catch {
            #expect(error.description == "winograd needs 36 packed matrices, got 1")
        }
    }

    /// The algorithm chosen for an AVX-512 target (the measured choices below).
    static func preferred(_ geometry: Geometry) -> Fast.PreparedConvolution.Algorithm {
        Fast.PreparedConvolution.preferredAlgorithm(for: geometry, target: .avx512)
    }

    @Test("every algorithm chosen for a target has its fast kernels at that target", arguments: Fast.InstructionSet.allCases)
    func choiceRespectsTarget(target: Fast.InstructionSet) {
        let geometries = (Self.gemmCases + Self.depthwiseCases + Self.winogradCases + Self.transposedCases).map(\.geometry) + [
            Self.conv(3, 64, 224, 224, kernel: (7, 7), stride: (2, 2), pad: (3, 3)).geometry,
            Self.conv(3, 32, 224, 224, kernel: (3, 3), stride: (2, 2), pad: (1, 1)).geometry,
            Self.conv(512, 512, 7, 7, kernel: (3, 3), pad: (1, 1)).geometry,
            Self.conv(256, 256, 7, 7, kernel: (3, 3), pad: (1, 1)).geometry,
        ]
        var chosen = Set<Fast.PreparedConvolution.Algorithm>()
        for g in geometries {
            let algorithm = Fast.PreparedConvolution.preferredAlgorithm(for: g, target: target)
            chosen.insert(algorithm)
            #expect(algorithm.minimumTarget <= target, "\(algorithm) chosen for \(target)")
            #expect(Fast.PreparedConvolution.supports(algorithm, geometry: g))
        }
        // The algorithms with vector kernels from AVX2 or AVX-512 up are chosen where they pay, and only there.
        #expect(chosen.isSuperset(of: [.direct, .transposedGEMM, .winograd22]) == (target >= .avx2), "\(target): \(chosen)")
    }

    @Test("algorithm choice and support")
    func algorithms() {
        let depthwise = Self.depthwiseCases[0].geometry
        #expect(Self.preferred(depthwise) == .depthwise)
        #expect(!Fast.PreparedConvolution.supports(.winograd, geometry: Self.gemmCases[3].geometry))
        #expect(!Fast.PreparedConvolution.supports(.depthwise, geometry: Self.gemmCases[0].geometry))
        let resnet = Self.conv(64, 64, 56, 56, kernel: (3, 3), pad: (1, 1)).geometry
        #expect(Self.preferred(resnet) == .winograd)
        let stem = Self.conv(3, 64, 224, 224, kernel: (7, 7), stride: (2, 2), pad: (3, 3)).geometry
        #expect(Self.preferred(stem) == .direct)
        #expect(Fast.PreparedConvolution.preferredAlgorithm(for: stem, target: .avx2) == .direct)
        #expect(Fast.PreparedConvolution.preferredAlgorithm(for: stem, target: .portable) == .gemm)
        // 7x7 planes fill a 32-column tile and a half-empty second one; as 6-pixel panels they waste 5 of 54.
        for (c, o, kernel, pad) in [(2048, 512, 1, 0), (960, 160, 1, 0)] {
            let small = Self.conv(c, o, 7, 7, kernel: (kernel, kernel), pad: (pad, pad)).geometry
            #expect(Self.preferred(small) == .transposedGEMM)
        }
        // AVX2's 16-column tiles: a 7x7 plane fills 49 of 64 lanes, 6-pixel panels 49 of 54; at 14x14 196 of
        // 208 lanes is close enough to 196 of 198.
        func preferredAtAVX2(_ g: Geometry) -> Fast.PreparedConvolution.Algorithm {
            Fast.PreparedConvolution.preferredAlgorithm(for: g, target: .avx2)
        }
        #expect(preferredAtAVX2(Self.conv(960, 160, 7, 7, kernel: (1, 1)).geometry) == .transposedGEMM)
        #expect(preferredAtAVX2(Self.conv(160, 960, 7, 7, kernel: (1, 1)).geometry) == .transposedGEMM)
        #expect(preferredAtAVX2(Self.conv(384, 64, 14, 14, kernel: (1, 1)).geometry) == .gemm)
        // ResNet's 3x3 512 -> 512 at 7x7 runs Winograd F(2x2) at batch 1 (FastWinograd22Tests).
        let resnet7x7 = Self.conv(512, 512, 7, 7, kernel: (3, 3), pad: (1, 1)).geometry
        #expect(Self.preferred(resnet7x7) == .winograd22)
        #expect(Self.preferred(Self.conv(256, 1024, 14, 14, kernel: (1, 1)).geometry) == .gemm)
        // ResNet's strided 1x1s down to 14x14 and 7x7: the transposed GEMM samples their pixel panels once;
        // with few channels, or larger planes, GEMM is as fast.
        for (c, o, size) in [(512, 1024, 28), (512, 256, 28), (1024, 2048, 14), (1024, 512, 14)] {
            let strided = Self.conv(c, o, size, size, kernel: (1, 1), stride: (2, 2)).geometry
            #expect(Self.preferred(strided) == .transposedGEMM)
        }
        for (c, o, size) in [(256, 128, 56), (256, 512, 56), (512, 128, 28)] {
            let strided = Self.conv(c, o, size, size, kernel: (1, 1), stride: (2, 2)).geometry
            #expect(Self.preferred(strided) == .gemm)
        }
        #expect(Self.preferred(Self.conv(512, 8, 7, 7, kernel: (1, 1)).geometry) == .gemm)
        #expect(!Fast.PreparedConvolution.supports(.transposedGEMM, geometry: Self.gemmCases[6].geometry))
        #expect(stem.outputHeight == 112 && stem.outputWidth == 112)
        var bad = stem
        bad.groups = 5
        #expect(bad.problem == "groups 5 must divide input channels 3 and output channels 64")
    }
}

/// A short batch's convolution (`run(…, images:)`): every algorithm computes the first images as the whole
/// batch's run does and leaves the rest of the output untouched.
@Suite("Fast.PreparedConvolution, leading images")
struct FastConvolutionLeadingImagesTests {
    @Test(arguments: runnableInstructionSets, Fast.PreparedConvolution.Algorithm.allCases)
    func theFirstImagesOnly(instructionSet: Fast.InstructionSet, algorithm: Fast.PreparedConvolution.Algorithm) {
        let depthwise = algorithm == .depthwise
        let g = Reference.ConvolutionGeometry(
            batch: 3, inputChannels: 8, inputHeight: 10, inputWidth: 9, outputChannels: 8, kernelHeight: 3, kernelWidth: 3,
            strideHeight: 1, strideWidth: 1, padHeight: 1, padWidth: 1, groups: depthwise ? 8 : 1)
        guard Fast.PreparedConvolution.supports(algorithm, geometry: g) else {
            Issue.record("\(algorithm) does not take the test's geometry")
            return
        }
        let input = randomFloats(3 * g.inputImageCount, seed: 51), weights = randomFloats(g.weightCount, seed: 52)
        let bias = randomFloats(8, seed: 53)
        let prepared = Fast.PreparedConvolution(geometry: g, weights: weights, algorithm: algorithm, instructionSet: instructionSet)
        var scratch = [Float](repeating: 0, count: max(prepared.scratchCount, 1))
        var whole = [Float](repeating: 0, count: 3 * g.outputImageCount)
        var leading = [Float](repeating: .nan, count: 3 * g.outputImageCount)
        bias.withUnsafeBufferPointer { b in
            let epilogue = Fast.Epilogue(bias: b.baseAddress, activation: .relu)
            prepared.run(input: input, output: &whole, epilogue: epilogue, scratch: &scratch)
            prepared.run(input: input, output: &leading, epilogue: epilogue, scratch: &scratch, images: 2)
        }
        let image = g.outputImageCount
        // Winograd's tiles of all images share GEMMs, so fewer images round differently.
        let worst = zip(leading[..<(2 * image)], whole[..<(2 * image)]).map { abs($0 - $1) }.max() ?? .nan
        #expect(worst <= 1e-5, "\(algorithm): the first two images differ by \(worst)")
        let untouched = leading[(2 * image)...].allSatisfy { $0.isNaN }
        #expect(untouched, "\(algorithm) wrote the third image")
    }
}
