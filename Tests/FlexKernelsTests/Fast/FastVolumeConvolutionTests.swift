import FlexKernels
import FlexTensor
import Testing

/// `Fast.VolumeConvolution` (3-D im2col + GEMM) against `Reference.convolution3D` (itself checked
/// against MXNet by the `ops_conv3d` fixture), with the fused epilogue computed separately.
@Suite("Fast.VolumeConvolution")
struct FastVolumeConvolutionTests {
    typealias Geometry = Reference.VolumeConvolutionGeometry

    static let geometries: [Geometry] = [
        // I3D's 5x7x7 stride-2 stem, its 3x1x1 inflation and 1x3x3 spatial convolution.
        Geometry(batch: 1, inputChannels: 3, outputChannels: 8, inputSize: [6, 13, 14], kernel: [5, 7, 7],
                 stride: [2, 2, 2], pad: [2, 3, 3]),
        Geometry(batch: 2, inputChannels: 8, outputChannels: 6, inputSize: [4, 6, 7], kernel: [3, 1, 1], pad: [1, 0, 0]),
        Geometry(batch: 1, inputChannels: 5, outputChannels: 7, inputSize: [3, 9, 9], kernel: [1, 3, 3], stride: [1, 2, 2],
                 pad: [0, 1, 1]),
        // Dilation with a tap range that misses the input entirely on one axis; groups; depthwise; 1x1x1.
        Geometry(batch: 1, inputChannels: 4, outputChannels: 6, inputSize: [5, 4, 8], kernel: [3, 3, 2], stride: [2, 1, 3],
                 pad: [1, 3, 0], dilation: [1, 3, 1]),
        Geometry(batch: 2, inputChannels: 6, outputChannels: 4, groups: 2, inputSize: [4, 5, 5], kernel: [2, 3, 3], pad: [1, 1, 1]),
        Geometry(batch: 1, inputChannels: 4, outputChannels: 4, groups: 4, inputSize: [4, 5, 6], kernel: [3, 3, 3], pad: [1, 1, 1]),
        Geometry(batch: 2, inputChannels: 9, outputChannels: 5, inputSize: [3, 4, 5], kernel: [1, 1, 1]),
        // 168 output rows of K = 108 x OW = 20: two im2col blocks of at most 121 rows, the last one partial.
        Geometry(batch: 1, inputChannels: 4, outputChannels: 3, inputSize: [12, 14, 20], kernel: [3, 3, 3], pad: [1, 1, 1]),
    ]

    @Test(arguments: geometries)
    func matchesReference(geometry g: Geometry) {
        let out = g.outputSize.reduce(1, *)
        let outputCount = g.batch * g.outputChannels * out
        let input = randomFloats(g.batch * g.inputChannels * g.inputSize.reduce(1, *), seed: 11)
        let weightCount = g.outputChannels * g.inputChannelsPerGroup * g.kernel.reduce(1, *)
        let weights = TensorBuffer(byteCount: (weightCount + 3) * MemoryLayout<Float>.size)
        let offset = 3 * MemoryLayout<Float>.size  // not at the buffer's start, as in an artifact
        let weightValues = randomFloats(weightCount, seed: 12)
        let weightPointer = (weights.baseAddress + offset).assumingMemoryBound(to: Float.self)
        weightValues.withUnsafeBufferPointer { weightPointer.update(from: $0.baseAddress!, count: weightCount) }
        let bias = randomFloats(g.outputChannels, seed: 13), residual = randomFloats(outputCount, seed: 14)

        var plain = [Float](repeating: 0, count: outputCount)
        input.withUnsafeBufferPointer { x in
            Reference.convolution3D(g, input: x.baseAddress!, weight: weightPointer, bias: nil, output: &plain)
        }
        let kernel = Fast.VolumeConvolution(geometry: g, weights: weights, byteOffset: offset)
        for instructionSet in runnableInstructionSets {
            for (useBias, useResidual, activation) in [(false, false, Fast.Activation.identity), (true, true, .relu)] {
                let expected = plain.indices.map { index in
                    referenceEpilogue(Double(plain[index]), bias: useBias ? Double(bias[index / out % g.outputChannels]) : 0,
                                      residual: useResidual ? Double(residual[index]) : 0, activation: activation)
                }
                let output = GuardedBuffer(count: outputCount)
                let scratch = GuardedBuffer(count: kernel.scratchCount)
                input.withUnsafeBufferPointer { x in
                    bias.withUnsafeBufferPointer { b in
                        residual.withUnsafeBufferPointer { r in
                            kernel.run(input: x.baseAddress!, output: output.pointer,
                                       epilogue: Fast.Epilogue(bias: useBias ? b.baseAddress : nil, residual: useResidual ? r.baseAddress : nil,
                                                               activation: activation),
                                       scratch: scratch.pointer, instructionSet: instructionSet)
                        }
                    }
                }
                output.expectIntact("output of \(g) at \(instructionSet)")
                scratch.expectIntact("scratch of \(g) at \(instructionSet)")
                #expect(relativeL2Error(output.values, expected) < 1e-5, "\(g) at \(instructionSet), bias \(useBias), residual \(useResidual)")
            }
        }
    }

    @Test func rejectsGeometriesItCannotRun() {
        #expect(!Fast.VolumeConvolution.supports(Geometry(batch: 1, inputChannels: 6, outputChannels: 4, groups: 4,
                                                          inputSize: [3, 3, 3], kernel: [1, 1, 1])))
        #expect(!Fast.VolumeConvolution.supports(Geometry(batch: 1, inputChannels: 2, outputChannels: 2,
                                                          inputSize: [2, 3, 3], kernel: [3, 1, 1])))
    }
}

/// `Fast.Pooling.runVolume` against `Reference.pooling` (checked against MXNet by `ops_conv3d`).
@Suite("Fast.Pooling 3-D")
struct FastVolumePoolingTests {
    typealias Geometry = Reference.PoolingGeometry

    static let geometries: [Geometry] = [
        // I3D's temporal pool2 (2x1x1 stride 2), its stem pool (1x3x3 / (2, 2, 2) pad (0, 1, 1): 2-D slices
        // with depth stride 2), a padded 3x3x3, and `full` windows clipped at the end of every axis.
        Geometry(planes: 3, inputSize: [4, 5, 6], outputSize: [2, 5, 6], kernel: [2, 1, 1], stride: [2, 1, 1], pad: [0, 0, 0]),
        Geometry(planes: 2, inputSize: [4, 9, 9], outputSize: [2, 5, 5], kernel: [1, 3, 3], stride: [2, 2, 2], pad: [0, 1, 1]),
        Geometry(planes: 2, inputSize: [5, 7, 8], outputSize: [3, 4, 4], kernel: [3, 3, 3], stride: [2, 2, 2], pad: [1, 1, 1]),
        Geometry(planes: 2, inputSize: [6, 7, 8], outputSize: [3, 3, 4], kernel: [3, 3, 3], stride: [2, 2, 2], pad: [0, 0, 0]),
    ]

    @Test(arguments: geometries)
    func matchesReference(geometry g: Geometry) {
        let input = randomFloats(g.planes * g.inputSize.reduce(1, *), seed: 21)
        let count = g.planes * g.outputSize.reduce(1, *)
        for kind in [Reference.PoolingKind.max, .average(countIncludePad: true), .average(countIncludePad: false)] {
            #expect(Fast.Pooling.supportsVolume(kind, g))
            var expected = [Float](repeating: 0, count: count)
            input.withUnsafeBufferPointer { Reference.pooling(kind, g, input: $0.baseAddress!, output: &expected) }
            for instructionSet in runnableInstructionSets {
                let output = GuardedBuffer(count: count), scratch = GuardedBuffer(count: Fast.Pooling.volumeScratchCount(g))
                input.withUnsafeBufferPointer {
                    Fast.Pooling.runVolume(kind, g, input: $0.baseAddress!, output: output.pointer, scratch: scratch.pointer,
                                           instructionSet: instructionSet)
                }
                output.expectIntact("\(kind) over \(g) at \(instructionSet)")
                scratch.expectIntact("scratch of \(kind) over \(g) at \(instructionSet)")
                #expect(relativeL2Error(output.values, expected.map(Double.init)) < 1e-6, "\(kind) over \(g) at \(instructionSet)")
            }
        }
    }

    @Test func leavesTwoDimensionalAndOtherKindsToOtherKernels() {
        let planar = Geometry(planes: 1, inputSize: [1, 4, 4], outputSize: [1, 2, 2], kernel: [1, 2, 2], stride: [1, 2, 2], pad: [0, 0, 0])
        #expect(!Fast.Pooling.supportsVolume(.max, planar))
        #expect(!Fast.Pooling.supportsVolume(.sum, FastVolumePoolingTests.geometries[0]))
    }
}
