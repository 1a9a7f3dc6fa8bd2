import CFlexKernels

extension Fast {
    /// Packed single-precision matrix multiply with a fused epilogue:
    /// `C[M x N] = epilogue((C if accumulate) + A[M x K] . B[K x N])`.
    ///
    /// C is row-major with row stride `outputRowStride`. A and B are `Operand`s: either pre-packed
    /// (`PackedMatrix`, typically the weights) or strided matrices packed on the fly into the caller's
    /// scratch. Blocking follows Goto/BLIS: NC columns of B are packed per KC-deep slice, MC rows of A are
    /// streamed against them, and a C macro-kernel computes each MC x NC block in 6x16 tiles (6x32 with
    /// AVX-512; the portable family calls a micro-kernel per tile); the epilogue is applied to each tile as
    /// its last K slice leaves the registers.
    public enum GEMM {
        /// Micro-tile rows (the panel width of a `.left` `PackedMatrix`).
        public static let mr = Int(FLEX_GEMM_MR)
        /// Micro-tile columns (the panel width of a `.right` `PackedMatrix`).
        public static let nr = Int(FLEX_GEMM_NR)

        /// Cache blocking (in elements), chosen for a 32 KiB+ L1 and a 512 KiB+ L2: a KC x 16 B
        /// micro-panel stays in L1, an MC x KC block of A in L2.
        public struct Blocking: Sendable, Hashable {
            public var mc: Int
            public var kc: Int
            public var nc: Int

            public init(mc: Int, kc: Int, nc: Int) {
                precondition(mc > 0 && mc % GEMM.mr == 0, "mc must be a positive multiple of \(GEMM.mr)")
                precondition(kc > 0, "kc must be positive")
                precondition(nc > 0 && nc % GEMM.nr == 0, "nc must be a positive multiple of \(GEMM.nr)")
                self.mc = mc
                self.kc = kc
                self.nc = nc
            }

            public static let `default` = Blocking(mc: 72, kc: 256, nc: 512)
        }

        /// One operand of a GEMM.
        public enum Operand: @unchecked Sendable {
            /// Pre-packed; its role must match the side it is used on and its dimensions the GEMM's.
            case packed(PackedMatrix)
            /// Element (i, j) at `pointer[i * rowStride + j * columnStride]` (a transpose is a swap of the
            /// strides). Packed on the fly into scratch.
            case strided(UnsafePointer<Float>, rowStride: Int, columnStride: Int)
        }

        /// Floats of scratch one thread needs for `multiply` with these sizes and operands.
        public static func scratchCount(
            m: Int, n: Int, k: Int, left: Operand, right: Operand, blocking: Blocking = .default
        ) -> Int {
            scratchCount(m: m, n: n, k: k, packsLeft: !left.isPacked, packsRight: !right.isPacked, blocking: blocking)
        }

        /// Scratch floats: a KC x NC block of B panels (if B is packed on the fly), then A's panels (if A
        /// is): all of A when `packsLeftOnce`, else an MC x KC block.
        static func scratchCount(m: Int, n: Int, k: Int, packsLeft: Bool, packsRight: Bool, blocking: Blocking) -> Int {
            let rightCount = packsRight ? rightScratchCount(n: n, k: k, blocking: blocking) : 0
            let leftCount = !packsLeft ? 0
                : packsLeftOnce(m: m, n: n, k: k, blocking: blocking) ? roundUp(m, mr) * k
                : Swift.min(blocking.kc, Swift.max(k, 1)) * Swift.min(blocking.mc, roundUp(m, mr))
            return rightCount + leftCount
        }

        /// Floats of one packed KC x NC block of B.
        static func rightScratchCount(n: Int, k: Int, blocking: Blocking) -> Int {
            Swift.min(blocking.kc, Swift.max(k, 1)) * Swift.min(blocking.nc, roundUp(n, nr))
        }

        /// Whether an A packed on the fly is packed whole before the first column block instead of block by
        /// block inside each: the driver would otherwise pack it again for every NC columns of C (a dense
        /// layer of 128 rows and 3072 columns packed its activations 6 times, ~10% of its time). Only while
        /// the whole of A stays a few MiB.
        static func packsLeftOnce(m: Int, n: Int, k: Int, blocking: Blocking) -> Bool {
            n > blocking.nc && roundUp(m, mr) * k <= 1 << 20
        }

        /// Computes C with `instructionSet`'s kernels (by default the process's).
        ///
        /// `scratch` holds `scratchCount(...)` floats owned by the calling thread for the duration of the
        /// call. A, B and the epilogue's inputs are only read.
        public static func multiply(
            m: Int, n: Int, k: Int,
            left: Operand, right: Operand,
            output: UnsafeMutablePointer<Float>, outputRowStride: Int,
            accumulate: Bool = false, epilogue: Epilogue = .none,
            scratch: UnsafeMutablePointer<Float>,
            blocking: Blocking = .default, instructionSet: InstructionSet = .active
        ) {
            if case .packed(let a) = left {
                precondition(a.role == .left && a.rows == m && a.columns == k,
                             "left operand packed as \(a.role) \(a.rows)x\(a.columns), GEMM needs left \(m)x\(k)")
            }
            if case .packed(let b) = right {
                precondition(b.role == .right && b.rows == k && b.columns == n,
                             "right operand packed as \(b.role) \(b.rows)x\(b.columns), GEMM needs right \(k)x\(n)")
            }
            var leftSource: LeftSource = switch left {
            case .packed(let a): .panels(a.values, panelStride: a.panelStride)
            case .strided(let p, let rs, let cs): .strided(p, rowStride: rs, columnStride: cs)
            }
            if !left.isPacked, packsLeftOnce(m: m, n: n, k: k, blocking: blocking) {
                // Scratch layout as `scratchCount` sizes it: B's block first (when B is packed), then all of A.
                let wholeLeft = scratch + (right.isPacked ? 0 : rightScratchCount(n: n, k: k, blocking: blocking))
                let (base, panelStride) = leftSource.panels(kStart: 0, kCount: k, rowStart: 0, rowCount: m, scratch: wholeLeft)
                leftSource = .panels(base, panelStride: panelStride)
            }
            let rightSource: RightSource = switch right {
            case .packed(let b): .panels(b.values, panelStride: b.panelStride)
            case .strided(let p, let rs, 1) where readsInPlace(rowStride: rs, depth: k, rows: m, blocking: blocking,
                                                               instructionSet: instructionSet): .inPlace(p, rowStride: rs)
            case .strided(let p, let rs, let cs): .strided(p, rowStride: rs, columnStride: cs)
            }
            run(m: m, n: n, k: k, left: leftSource, right: rightSource, output: output,
                outputRowStride: outputRowStride, accumulate: accumulate, epilogue: epilogue, scratch: scratch,
                blocking: blocking, kernels: Kernels(instructionSet))
        }

        /// Whether a row-major B (column stride 1, `rowStride` floats between rows, `depth` rows) is read in
        /// place by `instructionSet`'s macro-kernel for a C of `rows` rows, instead of being packed. In place
        /// saves packing's copy; it loses when the rows of a column tile (AVX-512: 32 columns, two cache lines
        /// a row; AVX2: 16 columns, one line), up to KC rows, alias in L1 (AVX-512 cores: 48 KiB 12-way;
        /// AVX2 cores: 32 KiB 8-way): a row stride of `s` whole cache lines maps the rows to `64 / gcd(s, 64)`
        /// of its 64 sets. Up to four times the sets' capacity still pays off (measured: misses then come
        /// from L2 and are prefetched). Rows that are not whole cache lines make loads straddle two lines:
        /// with AVX-512 (measured 7% on 1x1 256->1024 @14, rows of 784 bytes) packing, a cost per B element,
        /// wins once C has 1024 rows to reuse it (`flexeg-kernel-bench`, "1x1 convolutions @14"; at 576 rows
        /// and fewer in place is faster); with AVX2 (Zen 2: 1x1 2048->512 @7, rows of 196 bytes, 60 vs 72
        /// GFLOP/s) packing wins at any size. Families without a macro-kernel always pack.
        public static func readsInPlace(
            rowStride: Int, depth: Int, rows: Int, blocking: Blocking = .default, instructionSet: InstructionSet = .active
        ) -> Bool {
            let (linesPerRow, ways): (Int, Int)
            switch instructionSet {
            case .portable: return false
            case .avx2: (linesPerRow, ways) = (1, 8)
            case .avx512: (linesPerRow, ways) = (2, 12)
            }
            let bytes = rowStride * MemoryLayout<Float>.size
            guard bytes % 64 == 0 else { return instructionSet == .avx512 && rows < 1024 }
            var (a, b) = (bytes / 64, 64)
            while b != 0 { (a, b) = (b, a % b) }
            let sets = 64 / a
            return linesPerRow * Swift.min(depth, blocking.kc) <= 4 * ways * sets
        }

        /// The driver behind `multiply`, also used by convolutions with their own operand sources.
        static func run(
            m: Int, n: Int, k: Int, left: LeftSource, right: RightSource,
            output: UnsafeMutablePointer<Float>, outputRowStride ldc: Int,
            accumulate: Bool, epilogue: Epilogue, scratch: UnsafeMutablePointer<Float>?,
            blocking: Blocking, kernels: Kernels
        ) {
            precondition(m >= 0 && n >= 0 && k >= 0, "negative GEMM size \(m)x\(n)x\(k)")
            let rowRange = 0..<m, columnRange = 0..<n
            guard !rowRange.isEmpty, !columnRange.isEmpty else { return }

            let slots = kernels.slots
            let kc = Swift.min(blocking.kc, Swift.max(k, 1))
            let rightScratch = scratch
            // B is read in place only by a macro-kernel; the portable micro-kernel reads packed panels.
            let right = slots.sgemm_macro != nil ? right : right.packable
            let leftScratch = scratch.map { $0 + (right.needsScratch ? kc * Swift.min(blocking.nc, roundUp(n, nr)) : 0) }
            let hasEpilogue = !epilogue.isNone

            for jc in stride(from: columnRange.lowerBound, to: columnRange.upperBound, by: blocking.nc) {
                let ncur = Swift.min(blocking.nc, columnRange.upperBound - jc)
                var pc = 0
                repeat {
                    let kcur = Swift.min(kc, k - pc)
                    let isFirst = pc == 0, isLast = pc + kcur >= k
                    let (bBase, bStride, bRowStride) = right.panels(
                        kStart: pc, kCount: kcur, columnStart: jc, columnCount: ncur, scratch: rightScratch)
                    for ic in stride(from: rowRange.lowerBound, to: rowRange.upperBound, by: blocking.mc) {
                        let mcur = Swift.min(blocking.mc, rowRange.upperBound - ic)
                        let (aBase, aStride) = left.panels(
                            kStart: pc, kCount: kcur, rowStart: ic, rowCount: mcur, scratch: leftScratch)
                        let add: Int32 = (accumulate || !isFirst) ? 1 : 0
                        if let macro = slots.sgemm_macro {
                            let c = output + ic * ldc + jc
                            // Pre-packed A (weights) is streamed from memory: the macro-kernel prefetches the
                            // next block's first panel too.
                            let after = left.nextPanel(kStart: pc, kCount: kcur, rowStart: ic + blocking.mc, rows: rowRange, k: k)
                            if isLast && hasEpilogue {
                                var tile = epilogue.tile(row: ic, column: jc)
                                macro(Int64(mcur), Int64(ncur), Int64(kcur), aBase, Int64(aStride), bBase,
                                      Int64(bStride), Int64(bRowStride), c, Int64(ldc), add, &tile, after)
                            } else {
                                macro(Int64(mcur), Int64(ncur), Int64(kcur), aBase, Int64(aStride), bBase,
                                      Int64(bStride), Int64(bRowStride), c, Int64(ldc), add, nil, after)
                            }
                            continue
                        }
                        let kernel = slots.sgemm_kernel!
                        for jr in 0..<(ncur + nr - 1) / nr {
                            let column = jc + jr * nr
                            let cols = Swift.min(nr, jc + ncur - column)
                            let b = bBase + jr * bStride
                            for ir in 0..<(mcur + mr - 1) / mr {
                                let row = ic + ir * mr
                                let rows = Swift.min(mr, ic + mcur - row)
                                let c = output + row * ldc + column
                                let a = aBase + ir * aStride
                                if isLast && hasEpilogue {
                                    var tile = epilogue.tile(row: row, column: column)
                                    kernel(Int64(kcur), a, b, c, Int64(ldc), Int64(rows), Int64(cols), add, &tile)
                                } else {
                                    kernel(Int64(kcur), a, b, c, Int64(ldc), Int64(rows), Int64(cols), add, nil)
                                }
                            }
                        }
                    }
                    pc += kcur
                } while pc < k
            }
        }
    }
}

/// `value` rounded up to a multiple of `multiple`.
@inline(__always)
func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }

extension Fast.GEMM.Operand {
    var isPacked: Bool { if case .packed = self { true } else { false } }
}
