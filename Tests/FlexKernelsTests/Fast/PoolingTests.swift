import FlexKernels
import Testing

@Suite("Fast.Pooling")
struct PoolingTests {
    typealias Geometry = Fast.Pooling.Geometry

    /// Pooling by MXNet's (Caffe's) window rules, written independently of the kernels.
    static func reference(_ kind: Fast.Pooling.Kind, _ g: Geometry, batch: Int, input: [Float]) -> [Float] {
        var output = [Float]()
        for plane in 0..<(batch * g.channels) {
            for y in 0..<g.outputHeight {
                for x in 0..<g.outputWidth {
                    let ys = y * g.strideHeight - g.padHeight, xs = x * g.strideWidth - g.padWidth
                    let ye = min(ys + g.kernelHeight, g.inputHeight + g.padHeight)
                    let xe = min(xs + g.kernelWidth, g.inputWidth + g.padWidth)
                    let rows = max(ys, 0)..<min(ye, g.inputHeight), columns = max(xs, 0)..<min(xe, g.inputWidth)
                    let values = rows.flatMap { iy in
                        columns.map { ix in input[(plane * g.inputHeight + iy) * g.inputWidth + ix] }
                    }
                    switch kind {
                    case .max: output.append(values.max() ?? -Float.greatestFiniteMagnitude)
                    case .average(let includePad):
                        let divisor = includePad ? (ye - ys) * (xe - xs) : values.count
                        output.append(divisor == 0 ? 0 : values.reduce(0, +) / Float(divisor))
                    }
                }
            }
        }
        return output
    }

    static func pool(_ kind: Fast.Pooling.Kind, _ g: Geometry, batch: Int, input: [Float],
                     instructionSet: Fast.InstructionSet = .best, threadCount: Int = 1) -> [Float] {
        var output = [Float](repeating: .nan, count: batch * g.channels * g.outputHeight * g.outputWidth)
        for index in 0..<threadCount {
            Fast.Pooling.run(kind, geometry: g, input: input, output: &output, batch: batch, threadIndex: index,
                             threadCount: threadCount, instructionSet: instructionSet)
        }
        return output
    }

    static let geometries: [Geometry] = [
        Geometry(channels: 3, inputHeight: 112, inputWidth: 112, kernel: (3, 3), stride: (2, 2), pad: (1, 1)),
        Geometry(channels: 2, inputHeight: 9, inputWidth: 37, kernel: (2, 2), stride: (2, 2)),
        Geometry(channels: 2, inputHeight: 10, inputWidth: 41, kernel: (3, 3), stride: (2, 2), convention: .full),
        Geometry(channels: 2, inputHeight: 7, inputWidth: 30, kernel: (3, 3), stride: (1, 1), pad: (1, 1)),
        Geometry(channels: 1, inputHeight: 8, inputWidth: 29, kernel: (3, 2), stride: (3, 3), pad: (1, 1)),
        Geometry(channels: 2, inputHeight: 5, inputWidth: 5, kernel: (5, 5), stride: (1, 1)),
    ]
    static let kinds: [Fast.Pooling.Kind] = [.max, .average(countIncludePad: true), .average(countIncludePad: false)]

    @Test("max and average match the reference", arguments: runnableInstructionSets, kinds)
    func parity(instructionSet: Fast.InstructionSet, kind: Fast.Pooling.Kind) {
        for g in Self.geometries {
            let batch = 2
            let input = randomFloats(batch * g.channels * g.inputHeight * g.inputWidth, seed: 9, in: -3...3)
            let expected = Self.reference(kind, g, batch: batch, input: input)
            for threadCount in [1, 3] {
                let actual = Self.pool(kind, g, batch: batch, input: input, instructionSet: instructionSet,
                                       threadCount: threadCount)
                let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                #expect(actual.count == expected.count && worst <= 1e-6, "\(g), \(threadCount) threads: \(worst)")
            }
        }
    }

    /// Values printed by MXNet 1.9.1 `mx.nd.Pooling` on `arange` inputs.
    @Test("agrees with MXNet's own outputs")
    func mxnet() {
        let input = (0..<25).map(Float.init)
        let g = Geometry(channels: 1, inputHeight: 5, inputWidth: 5, kernel: (3, 3), stride: (2, 2), pad: (1, 1))
        let included = Self.pool(.average(countIncludePad: true), g, batch: 1, input: input)
        let expectedIncluded: [Float] = [4.0 / 3, 3, 8.0 / 3, 7, 12, 9, 8, 13, 28.0 / 3]
        #expect(zip(included, expectedIncluded).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(Self.pool(.average(countIncludePad: false), g, batch: 1, input: input)
            == [3, 4.5, 6, 10.5, 12, 13.5, 18, 19.5, 21])
        let full = Geometry(channels: 1, inputHeight: 4, inputWidth: 4, kernel: (3, 3), stride: (2, 2), convention: .full)
        #expect(Self.pool(.average(countIncludePad: true), full, batch: 1, input: Array(input[0..<16])) == [5, 6.5, 11, 12.5])
        let maxFull = Geometry(channels: 1, inputHeight: 5, inputWidth: 5, kernel: (2, 2), stride: (2, 2), convention: .full)
        #expect(Self.pool(.max, maxFull, batch: 1, input: input.map { $0 - 100 })
            == [-94, -92, -91, -84, -82, -81, -79, -77, -76])
    }
}
