import FlexKernels
import Testing

/// Parity of `Fast.GEMM.multiply` against a Double reference over shapes with tails (sizes not multiples
/// of the 6x16 micro-tile or the cache blocks), transposes, leading dimensions, packed and on-the-fly
/// operands and every epilogue part, with C and the scratch guarded against writes past their ends.
@Suite("Fast.GEMM")
struct FastGEMMTests {
    /// Each combination the AVX-512 kernels specialise full tiles for, and some they do not.
    enum EpilogueKind: CaseIterable {
        case none, rowBias, rowBiasReLU, rowBiasResidual, rowBiasResidualReLU, columnBiasResidualClip, accumulateReLU6,
             accumulateRowBiasResidualReLU
    }

    struct Problem {
        let m: Int, n: Int, k: Int
        var packLeft = false, packRight = false, transposeLeft = false, transposeRight = false
        var epilogue = EpilogueKind.none
        /// Floats past each row of a row-major B (2 unless set).
        var rightRowPadding = 2
    }

    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (6, 16, 8), (7, 17, 9), (5, 15, 3), (13, 33, 300), (37, 50, 19), (64, 3, 70), (4, 20, 0),
        (2, 97, 1), (12, 64, 16), (24, 70, 40),
        (8, 40, 33), (49, 64, 40),  // 2- and 1-row last panels: odd k in a second set of accumulators
        (1027, 37, 21),  // 1024+ rows: a row-major B whose rows are not whole cache lines is packed
        // B's row stride (n + 2) a whole number of cache lines: read in place, the last tile's missing
        // columns not read (AVX2: 16-column tiles, 46 = 2 x 16 + 14; over KC rows, so slices accumulate).
        (13, 46, 300), (7, 14, 37), (2, 30, 9),
    ]

    /// A problem's A, B, initial C, bias and residual, and its references per epilogue.
    static let operands = ReferenceCache<([Float], [Float], [Float], [Float], [Float])>()
    static let references = ReferenceCache<(values: [Double], magnitude: [Double])>()

    /// Runs `problem` and returns the worst scaled error against the reference.
    static func error(
        _ p: Problem, instructionSet: Fast.InstructionSet, blocking: Fast.GEMM.Blocking
    ) -> Double {
        let (m, n, k) = (p.m, p.n, p.k)
        // Leading dimensions wider than the matrices, so strides are exercised.
        let lda = (p.transposeLeft ? m : k) + 3, ldb = (p.transposeRight ? k : n) + p.rightRowPadding, ldc = n + 5
        // Operands and reference depend on the logical problem only (fixed seeds), not on packing, blocking or ISA.
        let key = "\(m)x\(n)x\(k) \(p.transposeLeft) \(p.transposeRight) \(ldb)"
        let (a, b, initialC, bias, residual) = operands.value(key) {
            (randomFloats((p.transposeLeft ? k : m) * lda, seed: UInt64(m * 1000 + k)),
             randomFloats((p.transposeRight ? n : k) * ldb, seed: UInt64(k * 1000 + n + 7)),
             randomFloats(m * ldc, seed: 99), randomFloats(max(m, n), seed: 5), randomFloats(m * (n + 1), seed: 6))
        }
        func aAt(_ i: Int, _ p0: Int) -> Float { p.transposeLeft ? a[p0 * lda + i] : a[i * lda + p0] }
        func bAt(_ p0: Int, _ j: Int) -> Float { p.transposeRight ? b[j * ldb + p0] : b[p0 * ldb + j] }

        let (expected, magnitude) = references.value("\(key) \(p.epilogue)") { () -> (values: [Double], magnitude: [Double]) in
            var expected = [Double](), magnitude = [Double]()
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0, size = 0.0
                    for q in 0..<k {
                        sum += Double(aAt(i, q)) * Double(bAt(q, j))
                        size += abs(Double(aAt(i, q)) * Double(bAt(q, j)))
                    }
                    var extra = 0.0, activation = Fast.Activation.identity, residualValue = 0.0
                    switch p.epilogue {
                    case .none: break
                    case .rowBias: extra = Double(bias[i])
                    case .rowBiasReLU: extra = Double(bias[i]); activation = .relu
                    case .rowBiasResidual: extra = Double(bias[i]); residualValue = Double(residual[i * (n + 1) + j])
                    case .rowBiasResidualReLU:
                        extra = Double(bias[i]); residualValue = Double(residual[i * (n + 1) + j]); activation = .relu
                    case .accumulateRowBiasResidualReLU:
                        extra = Double(initialC[i * ldc + j]) + Double(bias[i]); residualValue = Double(residual[i * (n + 1) + j])
                        activation = .relu
                    case .columnBiasResidualClip:
                        extra = Double(bias[j]); residualValue = Double(residual[i * (n + 1) + j])
                        activation = .clip(lower: -0.5, upper: 0.75)
                    case .accumulateReLU6: extra = Double(initialC[i * ldc + j]); activation = .relu6
                    }
                    expected.append(referenceEpilogue(sum, bias: extra, residual: residualValue, activation: activation))
                    magnitude.append(size + abs(extra) + abs(residualValue))
                }
            }
            return (expected, magnitude)
        }

        let guarded = GuardedBuffer(initialC)
        a.withUnsafeBufferPointer { aBuffer in
            b.withUnsafeBufferPointer { bBuffer in
                bias.withUnsafeBufferPointer { biasBuffer in
                    residual.withUnsafeBufferPointer { residualBuffer in
                        let left: Fast.GEMM.Operand
                        let (ars, acs) = p.transposeLeft ? (1, lda) : (lda, 1)
                        let (brs, bcs) = p.transposeRight ? (1, ldb) : (ldb, 1)
                        if p.packLeft {
                            left = .packed(Fast.PackedMatrix(rows: m, columns: k, role: .left, source: aBuffer.baseAddress!,
                                                             rowStride: ars, columnStride: acs))
                        } else {
                            left = .strided(aBuffer.baseAddress!, rowStride: ars, columnStride: acs)
                        }
                        let right: Fast.GEMM.Operand
                        if p.packRight {
                            right = .packed(Fast.PackedMatrix(rows: k, columns: n, role: .right, source: bBuffer.baseAddress!,
                                                              rowStride: brs, columnStride: bcs))
                        } else {
                            right = .strided(bBuffer.baseAddress!, rowStride: brs, columnStride: bcs)
                        }
                        var epilogue = Fast.Epilogue.none
                        var accumulate = false
                        switch p.epilogue {
                        case .none: break
                        case .rowBias: epilogue = Fast.Epilogue(bias: biasBuffer.baseAddress)
                        case .rowBiasReLU: epilogue = Fast.Epilogue(bias: biasBuffer.baseAddress, activation: .relu)
                        case .rowBiasResidual:
                            epilogue = Fast.Epilogue(bias: biasBuffer.baseAddress, residual: residualBuffer.baseAddress,
                                                     residualRowStride: n + 1)
                        case .rowBiasResidualReLU:
                            epilogue = Fast.Epilogue(bias: biasBuffer.baseAddress, residual: residualBuffer.baseAddress,
                                                     residualRowStride: n + 1, activation: .relu)
                        case .accumulateRowBiasResidualReLU:
                            accumulate = true
                            epilogue = Fast.Epilogue(bias: biasBuffer.baseAddress, residual: residualBuffer.baseAddress,
                                                     residualRowStride: n + 1, activation: .relu)
                        case .columnBiasResidualClip:
                            epilogue = Fast.Epilogue(
                                bias: biasBuffer.baseAddress, biasAxis: .columns, residual: residualBuffer.baseAddress,
                                residualRowStride: n + 1, activation: .clip(lower: -0.5, upper: 0.75))
                        case .accumulateReLU6: accumulate = true; epilogue = Fast.Epilogue(activation: .relu6)
                        }
                        let scratchCount = Fast.GEMM.scratchCount(m: m, n: n, k: k, left: left, right: right, blocking: blocking)
                        let scratch = GuardedBuffer(count: scratchCount)
                        Fast.GEMM.multiply(
                            m: m, n: n, k: k, left: left, right: right, output: guarded.pointer, outputRowStride: ldc,
                            accumulate: accumulate, epilogue: epilogue, scratch: scratch.pointer, blocking: blocking,
                            instructionSet: instructionSet)
                        scratch.expectIntact("\(m)x\(n)x\(k) GEMM scratch")
                    }
                }
            }
        }
        guarded.expectIntact("\(m)x\(n)x\(k) GEMM output")
        let c = guarded.values
        // Padding columns of C beyond n must be untouched.
        for i in 0..<m {
            for j in n..<ldc where c[i * ldc + j] != initialC[i * ldc + j] { return .infinity }
        }
        let actual = (0..<m).flatMap { i in (0..<n).map { j in c[i * ldc + j] } }
        return worstScaledError(actual, expected, magnitude: magnitude)
    }

    static let tolerance = 1e-5
    static let smallBlocking = Fast.GEMM.Blocking(mc: 12, kc: 7, nc: 32)
    /// NC an odd number of 16-column panels: AVX-512's 32-column tiles end on a single panel in every block.
    static let oddBlocking = Fast.GEMM.Blocking(mc: 18, kc: 5, nc: 48)

    @Test("operand forms and shapes", arguments: runnableInstructionSets,
          [Fast.GEMM.Blocking.default, smallBlocking, oddBlocking])
    func operandForms(instructionSet: Fast.InstructionSet, blocking: Fast.GEMM.Blocking) {
        for (m, n, k) in Self.shapes {
            for form in 0..<8 {
                var problem = Problem(m: m, n: n, k: k)
                problem.packLeft = form & 1 != 0
                problem.packRight = form & 2 != 0
                problem.transposeLeft = form & 4 != 0 && !problem.packLeft
                problem.transposeRight = form & 4 != 0 && !problem.packRight
                let error = Self.error(problem, instructionSet: instructionSet, blocking: blocking)
                #expect(error < Self.tolerance, "\(m)x\(n)x\(k) form \(form): scaled error \(error)")
            }
        }
    }

    @Test("fused epilogues", arguments: runnableInstructionSets, EpilogueKind.allCases)
    func epilogues(instructionSet: Fast.InstructionSet, kind: EpilogueKind) {
        for (m, n, k) in Self.shapes {
            for blocking in [Fast.GEMM.Blocking.default, Self.smallBlocking] {
                var problem = Problem(m: m, n: n, k: k, packLeft: true)
                problem.epilogue = kind
                let error = Self.error(problem, instructionSet: instructionSet, blocking: blocking)
                #expect(error < Self.tolerance, "\(m)x\(n)x\(k) \(kind): scaled error \(error)")
            }
        }
    }

    /// B read in place with a last column tile of at most 8 columns (AVX2 computes only those): row
    /// stride 48, whole cache lines, which the default padding of 2 never gives such a tile.
    @Test("in-place B with a narrow last tile", arguments: runnableInstructionSets, [EpilogueKind.none, .columnBiasResidualClip])
    func inPlaceNarrowTail(instructionSet: Fast.InstructionSet, kind: EpilogueKind) {
        for (m, n, k) in [(13, 36, 40), (2, 33, 7), (7, 40, 300)] {
            let problem = Problem(m: m, n: n, k: k, packLeft: true, epilogue: kind, rightRowPadding: 48 - n)
            let error = Self.error(problem, instructionSet: instructionSet, blocking: .default)
            #expect(error < Self.tolerance, "\(m)x\(n)x\(k) \(kind): scaled error \(error)")
        }
    }

    /// Which row-major B each family reads in place (the shapes above rely on it to reach those paths).
    @Test func rowMajorOperandsReadInPlace() {
        // 48 floats: three whole cache lines a row.
        #expect(Fast.GEMM.readsInPlace(rowStride: 48, depth: 300, rows: 13, instructionSet: .avx2))
        #expect(Fast.GEMM.readsInPlace(rowStride: 48, depth: 300, rows: 13, instructionSet: .avx512))
        #expect(!Fast.GEMM.readsInPlace(rowStride: 48, depth: 300, rows: 13, instructionSet: .portable))
        // Rows that straddle cache lines: AVX2 packs them; AVX-512 only for 1024+ rows of C.
        #expect(!Fast.GEMM.readsInPlace(rowStride: 49, depth: 64, rows: 13, instructionSet: .avx2))
        #expect(Fast.GEMM.readsInPlace(rowStride: 49, depth: 64, rows: 13, instructionSet: .avx512))
        #expect(!Fast.GEMM.readsInPlace(rowStride: 49, depth: 64, rows: 1024, instructionSet: .avx512))
        // 12544 floats (a 112 x 112 plane): 784 lines, rows fall in 4 of L1's 64 sets.
        #expect(Fast.GEMM.readsInPlace(rowStride: 12544, depth: 32, rows: 32, instructionSet: .avx2))
        #expect(!Fast.GEMM.readsInPlace(rowStride: 12544, depth: 256, rows: 32, instructionSet: .avx2))
    }
}
