import FlexKernels
import Testing

@Suite("Fast.Pooling")
struct FastPoolingTests {
    typealias Geometry = Reference.PoolingGeometry

    /// A 2-D geometry over `planes` planes, with MXNet's `valid` (floor) or `full` (ceil) output size.
    static func geometry(
        planes: Int, _ h: Int, _ w: Int, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int) = (0, 0),
        full: Bool = false
    ) -> Geometry {
        func size(_ input: Int, _ k: Int, _ s: Int, _ p: Int) -> Int {
            let span = input + 2 * p - k
            return (full ? (span + s - 1) / s : span / s) + 1
        }
        return Geometry(planes: planes, inputSize: [1, h, w],
                        outputSize: [1, size(h, kernel.0, stride.0, pad.0), size(w, kernel.1, stride.1, pad.1)],
                        kernel: [1, kernel.0, kernel.1], stride: [1, stride.0, stride.1], pad: [0, pad.0, pad.1])
    }

    /// Pooling by MXNet's (Caffe's) window rules, written independently of the kernels.
    static func reference(_ kind: Reference.PoolingKind, _ g: Geometry, input: [Float]) -> [Float] {
        let (h, w, oh, ow) = (g.inputSize[1], g.inputSize[2], g.outputSize[1], g.outputSize[2])
        var output = [Float]()
        for plane in 0..<g.planes {
            for y in 0..<oh {
                for x in 0..<ow {
                    let ys = y * g.stride[1] - g.pad[1], xs = x * g.stride[2] - g.pad[2]
                    let ye = min(ys + g.kernel[1], h + g.pad[1]), xe = min(xs + g.kernel[2], w + g.pad[2])
                    let values = (max(ys, 0)..<min(ye, h)).flatMap { iy in
                        (max(xs, 0)..<min(xe, w)).map { ix in input[(plane * h + iy) * w + ix] }
                    }
                    switch kind {
                    case .average(let includePad):
                        let divisor = includePad ? (ye - ys) * (xe - xs) : values.count
                        output.append(divisor == 0 ? 0 : values.reduce(0, +) / Float(divisor))
                    default: output.append(values.max() ?? -Float.greatestFiniteMagnitude)
                    }
                }
            }
        }
        return output
    }

    static func pool(_ kind: Reference.PoolingKind, _ g: Geometry, input: [Float],
                     instructionSet: Fast.InstructionSet = .active) -> [Float] {
        let output = GuardedBuffer(count: g.planes * g.outputSize[1] * g.outputSize[2])
        Fast.Pooling.run(kind, g, input: input, output: output.pointer, instructionSet: instructionSet)
        output.expectIntact("\(kind) pooling \(g), \(instructionSet)")
        return output.values
    }

    static let geometries: [Geometry] = [
        geometry(planes: 6, 112, 112, kernel: (3, 3), stride: (2, 2), pad: (1, 1)),
        geometry(planes: 4, 9, 37, kernel: (2, 2), stride: (2, 2)),
        geometry(planes: 4, 10, 41, kernel: (3, 3), stride: (2, 2), full: true),
        geometry(planes: 4, 7, 30, kernel: (3, 3), stride: (1, 1), pad: (1, 1)),
        geometry(planes: 2, 8, 29, kernel: (3, 2), stride: (3, 3), pad: (1, 1)),
        geometry(planes: 4, 5, 5, kernel: (5, 5), stride: (1, 1)),
    ]
    static let kinds: [Reference.PoolingKind] = [.max, .average(countIncludePad: true), .average(countIncludePad: false)]

    @Test("max and average match an independent reference and Reference.pooling",
          arguments: runnableInstructionSets, kinds)
    func parity(instructionSet: Fast.InstructionSet, kind: Reference.PoolingKind) {
        for g in Self.geometries {
            let input = randomFloats(g.planes * g.inputSize[1] * g.inputSize[2], seed: 9, in: -3...3)
            let expected = Self.reference(kind, g, input: input)
            var library = [Float](repeating: .nan, count: expected.count)
            Reference.pooling(kind, g, input: input, output: &library)
            let actual = Self.pool(kind, g, input: input, instructionSet: instructionSet)
            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
            let worstLibrary = zip(actual, library).map { abs($0 - $1) }.max() ?? 0
            #expect(actual.count == expected.count && worst <= 1e-6 && worstLibrary <= 1e-6,
                    "\(g): \(worst), vs Reference \(worstLibrary)")
        }
    }

    @Test("supports 2-D max and average only")
    func support() {
        let g = Self.geometries[0]
        #expect(Fast.Pooling.supports(.max, g) && Fast.Pooling.supports(.average(countIncludePad: false), g))
        #expect(!Fast.Pooling.supports(.sum, g) && !Fast.Pooling.supports(.lp(p: 2), g))
        let volume = Geometry(planes: 1, inputSize: [4, 4, 4], outputSize: [2, 2, 2], kernel: [2, 2, 2],
                              stride: [2, 2, 2], pad: [0, 0, 0])
        #expect(!Fast.Pooling.supports(.max, volume))
    }

    @Test("global max and average match Reference.pooling over whole planes", arguments: runnableInstructionSets, kinds)
    func global(instructionSet: Fast.InstructionSet, kind: Reference.PoolingKind) {
        // Plane sizes around the 16-float vector loop: tails, a single element, ResNet's 7x7, a 1-D row.
        for (h, w) in [(7, 7), (1, 1), (4, 4), (5, 7), (1, 33), (14, 14)] {
            let g = Geometry(planes: 5, inputSize: [1, h, w], outputSize: [1, 1, 1], kernel: [1, h, w], stride: [1, 1, 1], pad: [0, 0, 0])
            #expect(Fast.Pooling.isGlobal(kind, g))
            let input = randomFloats(g.planes * h * w, seed: UInt64(h * 100 + w), in: -3...3)
            var expected = [Float](repeating: .nan, count: g.planes)
            Reference.pooling(kind, g, input: input, output: &expected)
            let actual = GuardedBuffer(count: g.planes)
            Fast.Pooling.global(kind, g, input: input, output: actual.pointer, instructionSet: instructionSet)
            actual.expectIntact("global \(kind) pooling \(h)x\(w)")
            let worst = zip(actual.values, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(h)x\(w): \(worst)")
        }
        #expect(!Fast.Pooling.isGlobal(kind, Self.geometries[0]))
        let padded = Geometry(planes: 1, inputSize: [1, 3, 3], outputSize: [1, 1, 1], kernel: [1, 3, 3], stride: [1, 1, 1], pad: [0, 1, 1])
        #expect(!Fast.Pooling.isGlobal(kind, padded))
    }

    /// Values printed by MXNet 1.9.1 `mx.nd.Pooling` on `arange` inputs.
    @Test("agrees with MXNet's own outputs")
    func mxnet() {
        let input = (0..<25).map(Float.init)
        let g = Self.geometry(planes: 1, 5, 5, kernel: (3, 3), stride: (2, 2), pad: (1, 1))
        let included = Self.pool(.average(countIncludePad: true), g, input: input)
        let expectedIncluded: [Float] = [4.0 / 3, 3, 8.0 / 3, 7, 12, 9, 8, 13, 28.0 / 3]
        #expect(zip(included, expectedIncluded).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(Self.pool(.average(countIncludePad: false), g, input: input) == [3, 4.5, 6, 10.5, 12, 13.5, 18, 19.5, 21])
        let full = Self.geometry(planes: 1, 4, 4, kernel: (3, 3), stride: (2, 2), full: true)
        #expect(Self.pool(.average(countIncludePad: true), full, input: Array(input[0..<16])) == [5, 6.5, 11, 12.5])
        let maxFull = Self.geometry(planes: 1, 5, 5, kernel: (2, 2), stride: (2, 2), full: true)
        #expect(Self.pool(.max, maxFull, input: input.map { $0 - 100 }) == [-94, -92, -91, -84, -82, -81, -79, -77, -76])
    }
}
