extension Fast {
    /// The transformer block's kernels besides its dense layers: softmax with valid lengths, layer
    /// normalization and the erf GELU over contiguous rows (C, per instruction set), and GluonNLP's
    /// interleaved multi-head attention products as one small GEMM per (sample, head).
    public enum Transformer {
        /// Softmax of `rows` contiguous rows of `width` floats, MXNet's `softmax` along its last axis:
        /// row `r` normalizes `exp((x - max) / temperature)` over its first `validLengths[r]` elements
        /// (clamped to 0...width; the whole row when nil) and writes 0 past them. `output` may equal `input`.
        public static func softmaxRows(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                                       validLengths: UnsafePointer<Int32>?, temperature: Float,
                                       instructionSet: InstructionSet = .active) {
            Kernels(instructionSet).slots.softmax_rows!(input, output, Int64(rows), Int64(width), validLengths, temperature)
        }

        /// MXNet's `LayerNorm` over the last axis of `rows` contiguous rows of `width` floats:
        /// `(x - mean) / sqrt(variance + epsilon) * gamma[j] + beta[j]`, `gamma` and `beta` `(width,)`.
        /// `output` may equal `input`.
        public static func layerNormRows(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                                         gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
                                         instructionSet: InstructionSet = .active) {
            Kernels(instructionSet).slots.layer_norm_rows!(input, output, Int64(rows), Int64(width), gamma, beta, epsilon)
        }

        /// `output[i] = 0.5 x (1 + erf(x / sqrt 2))` (MXNet's `LeakyReLU(act_type=gelu)`) for `count`
        /// floats; `output` may equal `input`.
        public static func gelu(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
                                instructionSet: InstructionSet = .active) {
            Kernels(instructionSet).slots.gelu!(input, output, Int64(count))
        }

        /// The shapes of one interleaved attention product (`_contrib_interleaved_matmul_*`), in the
        /// layouts `Reference.interleavedScores` documents: projections `(seq, batch, heads * parts *
        /// headDim)` with a head's parts adjacent, attention `(batch * heads, queryLength, keyLength)`.
        public struct Attention: Sendable, Equatable {
            public enum Product: Sendable, Equatable {
                /// `scores = scale · q · kᵀ`, q from part `queryPart` of `queryParts`, k from `keyPart` of
                /// `keyParts` (self-attention: both from the same 3-part projection).
                case scores(queryParts: Int, queryPart: Int, keyParts: Int, keyPart: Int, scale: Float)
                /// `output (queryLength, batch, heads * headDim) = attention · v`, v part `valuePart` of `valueParts`.
                case weightedValues(valueParts: Int, valuePart: Int)
            }

            public var product: Product
            public var batch: Int
            public var heads: Int
            public var headDim: Int
            public var queryLength: Int
            public var keyLength: Int

            public init(product: Product, batch: Int, heads: Int, headDim: Int, queryLength: Int, keyLength: Int) {
                self.product = product
                self.batch = batch
                self.heads = heads
                self.headDim = headDim
                self.queryLength = queryLength
                self.keyLength = keyLength
            }

            /// The (M, N, K) of one head's GEMM.
            var gemmSize: (m: Int, n: Int, k: Int) {
                switch product {
                case .scores: (queryLength, keyLength, headDim)
                case .weightedValues: (queryLength, headDim, keyLength)
                }
            }

            /// Floats of scratch `run` needs (both operands packed on the fly).
            public var scratchCount: Int {
                let (m, n, k) = gemmSize
                return GEMM.scratchCount(m: m, n: n, k: k, packsLeft: true, packsRight: true, blocking: .default)
            }

            /// Computes the product. `first` is the queries (scores) or the projection holding the values
            /// (weighted values); `second` the keys' projection (scores; the same pointer as `first` for
            /// self-attention) or the attention weights. `scratch` holds `scratchCount` floats owned by the
            /// calling thread.
            public func run(first: UnsafePointer<Float>, second: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                            scratch: UnsafeMutablePointer<Float>, instructionSet: InstructionSet = .active) {
                let (m, n, k) = gemmSize
                let kernels = Kernels(instructionSet)
                for b in 0..<batch {
                    for h in 0..<heads {
                        switch product {
                        case .scores(let queryParts, let queryPart, let keyParts, let keyPart, let scale):
                            let queryRow = heads * queryParts * headDim, keyRow = heads * keyParts * headDim
                            let queries = first + b * queryRow + (h * queryParts + queryPart) * headDim
                            let keys = second + b * keyRow + (h * keyParts + keyPart) * headDim
                            let scores = output + (b * heads + h) * queryLength * keyLength
                            // B[p][j] = keys[j][p]: the keys read transposed.
                            GEMM.run(m: m, n: n, k: k,
                                     left: .strided(queries, rowStride: batch * queryRow, columnStride: 1),
                                     right: .strided(keys, rowStride: 1, columnStride: batch * keyRow),
                                     output: scores, outputRowStride: keyLength, accumulate: false, epilogue: .none,
                                     scratch: scratch, blocking: .default, kernels: kernels)
                            // MXNet scales the sum (GEMM alpha), not the queries.
                            for index in 0..<(queryLength * keyLength) { scores[index] *= scale }
                        case .weightedValues(let valueParts, let valuePart):
                            let valueRow = heads * valueParts * headDim
                            let values = first + b * valueRow + (h * valueParts + valuePart) * headDim
                            let weights = second + (b * heads + h) * queryLength * keyLength
                            GEMM.run(m: m, n: n, k: k,
                                     left: .strided(weights, rowStride: keyLength, columnStride: 1),
                                     right: .strided(values, rowStride: batch * valueRow, columnStride: 1),
                                     output: output + b * heads * headDim + h * headDim, outputRowStride: batch * heads * headDim,
                                     accumulate: false, epilogue: .none, scratch: scratch, blocking: .default, kernels: kernels)
                        }
                    }
                }
            }
        }
    }
}
