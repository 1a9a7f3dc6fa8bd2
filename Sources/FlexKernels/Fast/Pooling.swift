import CFlexKernels

extension Fast {
    /// 2-D max / average pooling over NCHW float32 data with MXNet `Pooling`'s window rules, vectorised
    /// along output rows for strides 1 and 2.
    public enum Pooling {
        public enum Kind: Sendable, Hashable {
            case max
            /// `countIncludePad`: divide by the window clipped to the padded input (MXNet's default `True`)
            /// rather than by the number of input elements in it.
            case average(countIncludePad: Bool)

            var code: Int32 {
                switch self {
                case .max: Int32(FLEX_POOL_MAX)
                case .average(true): Int32(FLEX_POOL_AVG_INCLUDE_PAD)
                case .average(false): Int32(FLEX_POOL_AVG_EXCLUDE_PAD)
                }
            }
        }

        /// MXNet's `pooling_convention`: how the output size rounds.
        public enum Convention: Sendable, Hashable {
            /// `OH = floor((H + 2 * padHeight - kernelHeight) / strideHeight) + 1`.
            case valid
            /// `OH = ceil((H + 2 * padHeight - kernelHeight) / strideHeight) + 1`.
            case full
        }

        /// Shape of a pooling over `[N, C, H, W]` giving `[N, C, OH, OW]`.
        public struct Geometry: Sendable, Hashable {
            public var channels: Int
            public var inputHeight: Int
            public var inputWidth: Int
            public var kernelHeight: Int
            public var kernelWidth: Int
            public var strideHeight: Int
            public var strideWidth: Int
            public var padHeight: Int
            public var padWidth: Int
            public var convention: Convention

            public init(
                channels: Int, inputHeight: Int, inputWidth: Int, kernel: (height: Int, width: Int),
                stride: (height: Int, width: Int), pad: (height: Int, width: Int) = (0, 0),
                convention: Convention = .valid
            ) {
                self.channels = channels
                self.inputHeight = inputHeight
                self.inputWidth = inputWidth
                kernelHeight = kernel.height
                kernelWidth = kernel.width
                strideHeight = stride.height
                strideWidth = stride.width
                padHeight = pad.height
                padWidth = pad.width
                self.convention = convention
            }

            static func outputSize(_ size: Int, kernel: Int, stride: Int, pad: Int, convention: Convention) -> Int {
                let span = size + 2 * pad - kernel
                return convention == .valid ? span / stride + 1 : (span + stride - 1) / stride + 1
            }
            public var outputHeight: Int {
                Self.outputSize(inputHeight, kernel: kernelHeight, stride: strideHeight, pad: padHeight, convention: convention)
            }
            public var outputWidth: Int {
                Self.outputSize(inputWidth, kernel: kernelWidth, stride: strideWidth, pad: padWidth, convention: convention)
            }

            var plane: flex_plane_geometry {
                flex_plane_geometry(
                    in_h: Int64(inputHeight), in_w: Int64(inputWidth), out_h: Int64(outputHeight),
                    out_w: Int64(outputWidth), kernel_h: Int64(kernelHeight), kernel_w: Int64(kernelWidth),
                    stride_h: Int64(strideHeight), stride_w: Int64(strideWidth), pad_h: Int64(padHeight),
                    pad_w: Int64(padWidth), dilation_h: 1, dilation_w: 1)
            }
        }

        /// Pools `batch` images; the `batch * channels` planes are split between the threads.
        /// Preconditions: positive sizes, strides and kernel, `pad < kernel` on each axis.
        public static func run(
            _ kind: Kind, geometry: Geometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
            batch: Int, threadIndex: Int = 0, threadCount: Int = 1, instructionSet: InstructionSet = .best
        ) {
            var plane = geometry.plane
            precondition(plane.kernel_h > 0 && plane.kernel_w > 0 && plane.stride_h > 0 && plane.stride_w > 0
                         && plane.pad_h < plane.kernel_h && plane.pad_w < plane.kernel_w
                         && plane.out_h > 0 && plane.out_w > 0, "invalid pooling geometry \(geometry)")
            let inputPlane = geometry.inputHeight * geometry.inputWidth
            let outputPlane = geometry.outputHeight * geometry.outputWidth
            for index in partition(batch * geometry.channels, threadIndex: threadIndex, threadCount: threadCount) {
                switch instructionSet {
                case .avx2FMA, .avx512: flex_pool_plane_avx2(input + index * inputPlane, output + index * outputPlane, &plane, kind.code)
                case .portable: flex_pool_plane_portable(input + index * inputPlane, output + index * outputPlane, &plane, kind.code)
                }
            }
        }
    }
}
