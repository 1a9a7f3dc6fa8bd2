import CFlexKernels
import FlexTensor

extension Fast {
    /// A convolution with its weights prepared once (packed into GEMM panels, or Winograd-transformed)
    /// and run many times on NCHW float32 activations. Geometry, weight layout and padding follow MXNet
    /// `Convolution` (see `Reference.ConvolutionGeometry`); the fast paths agree with `Reference.convolution`
    /// up to float rounding.
    ///
    /// Ownership: the value is immutable after `init` and may be shared by any number of threads. Each
    /// `run` call uses only the `scratch` the caller passes, which must hold `scratchCount` floats and
    /// belong to the calling thread for the call's duration (give each concurrent call its own scratch).
    public struct PreparedConvolution: Sendable {
        /// How the convolution is computed.
        public enum Algorithm: String, Sendable, CaseIterable {
            /// Weights `[O/g, C/g * kh * kw]` packed as GEMM A; the input's im2col matrix packed on the fly
            /// as B (read directly for 1x1 stride-1 unpadded kernels). Works for every geometry.
            case gemm
            /// One filter per output channel (`C / groups == 1`), vectorised along output rows.
            case depthwise
            /// Winograd F(4x4, 3x3): 3x3 kernels, stride 1, dilation 1, groups 1.
            case winograd
            /// The transposed GEMM `out^T[OH*OW, O] = im2col(x)^T . W^T` (groups 1), then a transposing
            /// pass applying the epilogue: the GEMM's columns are then the output channels, so small output
            /// planes (ResNet's and MobileNet's 7x7) do not leave most of each 32-column tile empty.
            case transposedGEMM = "gemm-transposed"
            /// Direct loops over the input (groups 1) for few input channels: 8 output channels x 48
            /// columns per register tile with AVX-512, 4 x 24 with AVX2, each tap 3 vector loads; weights
            /// packed as `.transposedGEMM`'s.
            case direct
            /// Winograd F(2x2, 3x3): 3x3 kernels, stride 1, dilation 1, groups 1 (small planes at batch 1).
            case winograd22
        }

        public let geometry: Reference.ConvolutionGeometry
        public let algorithm: Algorithm
        /// The family whose kernels `run` uses (the running CPU must support it).
        public let instructionSet: InstructionSet
        /// Floats of scratch each `run` call needs.
        public let scratchCount: Int

        /// The prepared weights, for storing in a compiled artifact (restore with
        /// `init(geometry:algorithm:packedWeights:instructionSet:)`). `.gemm`: one `.left` matrix
        /// `[O/g, C/g * kh * kw]` per group. `.winograd`: 36 `.left` matrices `[O, C]`, matrix `p` holding
        /// element `(p / 6, p % 6)` of each transformed filter `G g G^T`. `.transposedGEMM`: one `.right`
        /// matrix `[C * kh * kw, O]` (the weights transposed), as is `.direct`'s. `.depthwise`: none.
        /// `.winograd22`: 16 `.left` matrices `[O, C]`, matrix `p` holding element `(p / 4, p % 4)` of `G g G^T`.
        public let packedWeights: [PackedMatrix]
        /// `.depthwise`: the weights `[O, kh * kw]`, at `planeWeightsOffset` bytes into the buffer (a copy
        /// of the caller's, or the caller's own buffer for `init(depthwise:filters:byteOffset:)`).
        let planeWeights: TensorBuffer?
        let planeWeightsOffset: Int

        /// Prepares `weights` (`geometry.weightCount` floats, layout `[O, C / groups, kh, kw]`) for the
        /// algorithm `preferredAlgorithm(for:target:)` picks for the instruction set `target`, to run with
        /// `instructionSet`'s kernels (by default the process's; packed weights do not depend on it).
        ///
        /// Precondition: `geometry.problem == nil`; check it first to report bad input.
        public init(
            geometry: Reference.ConvolutionGeometry, weights: UnsafePointer<Float>, target: InstructionSet,
            instructionSet: InstructionSet = .active
        ) {
            if let problem = geometry.problem { preconditionFailure("invalid convolution: \(problem)") }
            self.init(geometry: geometry, weights: weights, algorithm: Self.preferredAlgorithm(for: geometry, target: target),
                      instructionSet: instructionSet)
        }

        /// Prepares `weights` (`geometry.weightCount` floats, layout `[O, C / groups, kh, kw]`) for
        /// `algorithm`, to run with `instructionSet`'s kernels.
        ///
        /// Preconditions: `geometry.problem == nil` and `supports(algorithm, geometry)`; check them first to
        /// report bad input.
        public init(
            geometry: Reference.ConvolutionGeometry, weights: UnsafePointer<Float>, algorithm: Algorithm,
            instructionSet: InstructionSet = .active
        ) {
            if let problem = geometry.problem { preconditionFailure("invalid convolution: \(problem)") }
            precondition(Self.supports(algorithm, geometry: geometry), "\(algorithm) cannot compute \(geometry)")
            self.geometry = geometry
            self.algorithm = algorithm
            self.instructionSet = instructionSet
            switch algorithm {
            case .gemm:
                let rows = geometry.outputChannelsPerGroup
                let depth = geometry.inputChannelsPerGroup * geometry.kernelHeight * geometry.kernelWidth
                packedWeights = (0..<geometry.groups).map { group in
                    PackedMatrix(rows: rows, columns: depth, role: .left, source: weights + group * rows * depth,
                                 rowStride: depth)
                }
                planeWeights = nil
                planeWeightsOffset = 0
                scratchCount = Self.gemmScratchCount(geometry)
            case .depthwise:
                let count = geometry.weightCount
                let buffer = TensorBuffer(byteCount: count * MemoryLayout<Float>.stride)
                buffer.baseAddress.assumingMemoryBound(to: Float.self).update(from: weights, count: count)
                packedWeights = []
                planeWeights = buffer
                planeWeightsOffset = 0
                scratchCount = 0
            case .winograd:
                packedWeights = Winograd.transformWeights(weights, geometry: geometry)
                planeWeights = nil
                planeWeightsOffset = 0
                scratchCount = Winograd.scratchCount(geometry: geometry)
            case .winograd22:
                packedWeights = Winograd22.transformWeights(weights, geometry: geometry)
                planeWeights = nil
                planeWeightsOffset = 0
                scratchCount = Winograd22.scratchCount(geometry: geometry)
            case .transposedGEMM, .direct:
                let depth = geometry.inputChannels * geometry.kernelHeight * geometry.kernelWidth
                packedWeights = [PackedMatrix(rows: depth, columns: geometry.outputChannels, role: .right, source: weights,
                                              rowStride: 1, columnStride: depth)]
                planeWeights = nil
                planeWeightsOffset = 0
                scratchCount = algorithm == .direct ? Self.directScratchCount(geometry) : Self.transposedScratchCount(geometry)
            }
        }

        /// The weight bytes `run` reads, where it reads them: the packed or transformed panels, or the
        /// depthwise filters.
        public var weightRegions: [UnsafeRawBufferPointer] {
            if let planeWeights {
                return [UnsafeRawBufferPointer(start: planeWeights.baseAddress + planeWeightsOffset,
                                               count: geometry.weightCount * MemoryLayout<Float>.size)]
            }
            return packedWeights.map(\.packedBytes)
        }

        /// Prepared weights that do not fit the convolution they are restored for.
        public struct WeightsError: Error, CustomStringConvertible {
            public let description: String
        }

        /// Restores a `.gemm`, `.winograd` or `.winograd22` convolution from `packedWeights` saved from one prepared for
        /// the same geometry and algorithm (no repacking or transform). Throws if their number, roles or
        /// dimensions differ from what the algorithm needs; `.depthwise` is prepared from raw weights only.
        public init(
            geometry: Reference.ConvolutionGeometry, algorithm: Algorithm, packedWeights: [PackedMatrix],
            instructionSet: InstructionSet = .active
        ) throws(WeightsError) {
            if let problem = geometry.problem { throw WeightsError(description: "invalid convolution: \(problem)") }
            guard Self.supports(algorithm, geometry: geometry) else {
                throw WeightsError(description: "\(algorithm) cannot compute this convolution")
            }
            let count: Int, rows: Int, columns: Int, role: PackedMatrix.Role
            let depth = geometry.inputChannelsPerGroup * geometry.kernelHeight * geometry.kernelWidth
            switch algorithm {
            case .gemm:
                (count, rows, columns, role) = (geometry.groups, geometry.outputChannelsPerGroup, depth, .left)
                scratchCount = Self.gemmScratchCount(geometry)
            case .winograd:
                (count, rows, columns, role) = (36, geometry.outputChannels, geometry.inputChannels, .left)
                scratchCount = Winograd.scratchCount(geometry: geometry)
            case .winograd22:
                (count, rows, columns, role) = (16, geometry.outputChannels, geometry.inputChannels, .left)
                scratchCount = Winograd22.scratchCount(geometry: geometry)
            case .transposedGEMM, .direct:
                (count, rows, columns, role) = (1, depth, geometry.outputChannels, .right)
                scratchCount = algorithm == .direct ? Self.directScratchCount(geometry) : Self.transposedScratchCount(geometry)
            case .depthwise:
                throw WeightsError(description: "a depthwise convolution is prepared from its raw weights")
            }
            guard packedWeights.count == count else {
                throw WeightsError(description: "\(algorithm) needs \(count) packed matrices, got \(packedWeights.count)")
            }
            for (index, matrix) in packedWeights.enumerated()
            where matrix.role != role || matrix.rows != rows || matrix.columns != columns {
                throw WeightsError(description:
                    "packed matrix \(index) is \(matrix.role) \(matrix.rows)x\(matrix.columns), \(algorithm) needs \(role) \(rows)x\(columns)")
            }
            self.geometry = geometry
            self.algorithm = algorithm
            self.instructionSet = instructionSet
            self.packedWeights = packedWeights
            planeWeights = nil
            planeWeightsOffset = 0
        }

        /// A depthwise convolution reading its filters `[O, kh * kw]` (`geometry.weightCount` float32s at
        /// `byteOffset` bytes into `filters`) in place: every convolution restored from one buffer shares
        /// its weights. Precondition: `supports(.depthwise, geometry)`.
        public init(depthwise geometry: Reference.ConvolutionGeometry, filters: TensorBuffer, byteOffset: Int,
                    instructionSet: InstructionSet = .active) {
            precondition(geometry.problem == nil && Self.supports(.depthwise, geometry: geometry), "not a depthwise convolution: \(geometry)")
            precondition(byteOffset + geometry.weightCount * MemoryLayout<Float>.size <= filters.byteCount, "filters exceed their buffer")
            self.geometry = geometry
            algorithm = .depthwise
            self.instructionSet = instructionSet
            packedWeights = []
            planeWeights = filters
            planeWeightsOffset = byteOffset
            scratchCount = 0
        }

        /// Whether `algorithm` can compute convolutions of `geometry`.
        public static func supports(_ algorithm: Algorithm, geometry: Reference.ConvolutionGeometry) -> Bool {
            switch algorithm {
            case .gemm: true
            case .depthwise: geometry.inputChannelsPerGroup == 1
            case .winograd: Winograd.supports(geometry)
            case .winograd22: Winograd22.supports(geometry)
            case .transposedGEMM, .direct: geometry.groups == 1
            }
        }

        /// The algorithm expected to be fastest on CPUs of the family `target`: depthwise for one input channel
        /// per group, direct where `directIsProfitable` says so, Winograd F(2x2) where `Winograd22.isProfitable`
        /// does, F(4x4) where `Winograd.isProfitable` does, the transposed GEMM where `transposedIsProfitable`
        /// does, else GEMM; never one whose `minimumTarget` is above `target`. Depends on nothing but its
        /// arguments (not on the CPU it runs on), so a compiler can choose for another machine.
        public static func preferredAlgorithm(for geometry: Reference.ConvolutionGeometry, target: InstructionSet) -> Algorithm {
            if geometry.inputChannelsPerGroup == 1 && geometry.groups > 1 { return .depthwise }
            if directIsProfitable(geometry, target: target) { return .direct }
            if Algorithm.winograd22.minimumTarget <= target && Winograd22.supports(geometry) && Winograd22.isProfitable(geometry) {
                return .winograd22
            }
            if Winograd.supports(geometry) && Winograd.isProfitable(geometry) { return .winograd }
            if Algorithm.transposedGEMM.minimumTarget <= target && geometry.groups == 1 && transposedIsProfitable(geometry, target: target) {
                return .transposedGEMM
            }
            return .gemm
        }

        /// Computes the convolution of `geometry.batch` images (the first `images` of them, when given) with
        /// `instructionSet`'s kernels.
        ///
        /// `input` is `[N, C, H, W]` and `output` `[N, O, OH, OW]`, both dense NCHW; the epilogue's bias has
        /// O values and its residual the output's layout. `scratch` holds `scratchCount` floats (nil is
        /// allowed when that is 0).
        public func run(
            input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, epilogue: Epilogue = .none,
            scratch: UnsafeMutablePointer<Float>?, images: Int? = nil
        ) {
            precondition(scratchCount == 0 || scratch != nil, "convolution needs \(scratchCount) floats of scratch")
            precondition((images ?? 0) <= geometry.batch, "\(images ?? 0) images of a batch of \(geometry.batch)")
            let batch = images ?? geometry.batch, kernels = Kernels(instructionSet)
            switch algorithm {
            case .gemm:
                runGEMM(input: input, output: output, batch: batch, epilogue: epilogue, scratch: scratch!, kernels: kernels)
            case .depthwise:
                runDepthwise(input: input, output: output, batch: batch, epilogue: epilogue, kernels: kernels)
            case .winograd:
                runWinograd(input: input, output: output, batch: batch, epilogue: epilogue, scratch: scratch!, kernels: kernels)
            case .winograd22:
                runWinograd22(input: input, output: output, batch: batch, epilogue: epilogue, scratch: scratch!, kernels: kernels)
            case .transposedGEMM:
                runTransposedGEMM(input: input, output: output, batch: batch, epilogue: epilogue, scratch: scratch!,
                                  kernels: kernels)
            case .direct:
                runDirect(input: input, output: output, batch: batch, epilogue: epilogue, scratch: scratch!, kernels: kernels)
            }
        }
    }
}

extension Fast.PreparedConvolution.Algorithm {
    /// The lowest instruction-set family that has this algorithm's fast kernels, below which
    /// `preferredAlgorithm(for:target:)` never picks it (every algorithm still runs, correctly, on every
    /// family). `.direct`'s kernels and `.transposedGEMM`'s transposing epilogue are AVX2 and AVX-512 (the
    /// portable ones scalar loops). `.winograd22`'s 16 GEMMs are the time (its input and output transforms
    /// run portable C below AVX-512 and cost little: ResNet-50's 512 -> 512 layer at 7x7, batch 1, on a
    /// Zen 3 core, 1.76 ms against 1.74 with AVX2 transforms, and 2.84 with the transposed GEMM). The
    /// others' kernels exist for every family.
    public var minimumTarget: Fast.InstructionSet {
        switch self {
        case .direct, .transposedGEMM, .winograd22: .avx2
        case .gemm, .depthwise, .winograd: .portable
        }
    }
}
