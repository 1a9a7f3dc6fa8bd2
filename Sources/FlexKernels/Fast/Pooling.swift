import CFlexKernels

extension Fast {
    /// 2-D max and average pooling over NCHW float32 planes with MXNet `Pooling`'s window rules (the same
    /// geometry and results as `Reference.pooling`), vectorised along output rows for strides 1 and 2.
    public enum Pooling {
        /// Whether `run` computes `kind` over `geometry`: max or average pooling over 2-D planes (the depth
        /// axis has size, kernel and stride 1 and no padding) with positive sizes, kernel and stride.
        public static func supports(_ kind: Reference.PoolingKind, _ geometry: Reference.PoolingGeometry) -> Bool {
            let g = geometry
            switch kind {
            case .max, .average: break
            case .sum, .lp: return false
            }
            return g.inputSize[0] == 1 && g.outputSize[0] == 1 && g.kernel[0] == 1 && g.stride[0] == 1 && g.pad[0] == 0
                && (1...2).allSatisfy { axis in
                    g.inputSize[axis] > 0 && g.outputSize[axis] > 0 && g.kernel[axis] > 0 && g.stride[axis] > 0
                        && g.pad[axis] >= 0
                }
        }

        /// Pools `geometry.planes` planes of `input` (`[planes, H, W]`) into `output` (`[planes, OH, OW]`)
        /// with `instructionSet`'s kernels. Precondition: `supports(kind, geometry)`. `output` must not alias
        /// `input`.
        public static func run(
            _ kind: Reference.PoolingKind, _ geometry: Reference.PoolingGeometry,
            input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, instructionSet: InstructionSet = .active
        ) {
            precondition(supports(kind, geometry), "no fast pooling for \(kind) over \(geometry)")
            let g = geometry
            let code: Int32 = switch kind {
            case .average(countIncludePad: true): Int32(FLEX_POOL_AVG_INCLUDE_PAD)
            case .average(countIncludePad: false): Int32(FLEX_POOL_AVG_EXCLUDE_PAD)
            default: Int32(FLEX_POOL_MAX)
            }
            var plane = flex_plane_geometry(
                in_h: Int64(g.inputSize[1]), in_w: Int64(g.inputSize[2]),
                out_h: Int64(g.outputSize[1]), out_w: Int64(g.outputSize[2]),
                kernel_h: Int64(g.kernel[1]), kernel_w: Int64(g.kernel[2]),
                stride_h: Int64(g.stride[1]), stride_w: Int64(g.stride[2]),
                pad_h: Int64(g.pad[1]), pad_w: Int64(g.pad[2]), dilation_h: 1, dilation_w: 1)
            let inputPlane = g.inputSize[1] * g.inputSize[2], outputPlane = g.outputSize[1] * g.outputSize[2]
            let pool = Kernels(instructionSet).slots.pool_plane!
            for index in 0..<g.planes {
                pool(input + index * inputPlane, output + index * outputPlane, &plane, code)
            }
        }

        /// Whether `geometry` pools each whole plane into one value (MXNet `global_pool`, or a kernel
        /// covering the unpadded input exactly), which `global` computes for max and average pooling.
        public static func isGlobal(_ kind: Reference.PoolingKind, _ geometry: Reference.PoolingGeometry) -> Bool {
            switch kind {
            case .max, .average: break
            case .sum, .lp: return false
            }
            let g = geometry
            return g.outputSize == [1, 1, 1] && g.kernel == g.inputSize && g.pad == [0, 0, 0] && g.inputSize.allSatisfy { $0 > 0 }
        }

        /// Global max or average pooling: `output[p]` is the max or mean of plane `p` of `input`
        /// (`[planes, count]`, `count` = depth × height × width > 0), with `instructionSet`'s kernels.
        /// Precondition: `isGlobal(kind, geometry)`.
        public static func global(
            _ kind: Reference.PoolingKind, _ geometry: Reference.PoolingGeometry,
            input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, instructionSet: InstructionSet = .active
        ) {
            precondition(isGlobal(kind, geometry), "no fast global pooling for \(kind) over \(geometry)")
            let code = kind == .max ? Int32(FLEX_POOL_MAX) : Int32(FLEX_POOL_AVG_INCLUDE_PAD)
            let count = geometry.inputSize.reduce(1, *)
            Kernels(instructionSet).slots.global_pool!(input, output, Int64(geometry.planes), Int64(count), code)
        }
    }
}
