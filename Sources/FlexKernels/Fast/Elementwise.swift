import CFlexKernels

extension Fast {
    /// Vectorised elementwise helpers over dense float32 arrays. Each call computes part `threadIndex`
    /// of `threadCount` (contiguous, in multiples of 64 elements); outputs may alias inputs.
    public enum Elementwise {
        /// `output[i] = a[i] + b[i]` for `i < count`.
        public static func add(
            _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
            threadIndex: Int = 0, threadCount: Int = 1, instructionSet: InstructionSet = .best
        ) {
            let range = partition(count, threadIndex: threadIndex, threadCount: threadCount, granule: 64)
            let n = Int64(range.count), i = range.lowerBound
            switch instructionSet {
            case .avx2FMA, .avx512: flex_add_avx2(a + i, b + i, output + i, n)
            case .portable: flex_add_portable(a + i, b + i, output + i, n)
            }
        }

        /// `output[i] = a[i] * b[i]` for `i < count`.
        public static func multiply(
            _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
            threadIndex: Int = 0, threadCount: Int = 1, instructionSet: InstructionSet = .best
        ) {
            let range = partition(count, threadIndex: threadIndex, threadCount: threadCount, granule: 64)
            let n = Int64(range.count), i = range.lowerBound
            switch instructionSet {
            case .avx2FMA, .avx512: flex_mul_avx2(a + i, b + i, output + i, n)
            case .portable: flex_mul_portable(a + i, b + i, output + i, n)
            }
        }

        /// `output[i] = activation(input[i])` for `i < count` (ReLU, ReLU6, clip).
        public static func activation(
            _ activation: Activation, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
            threadIndex: Int = 0, threadCount: Int = 1, instructionSet: InstructionSet = .best
        ) {
            let range = partition(count, threadIndex: threadIndex, threadCount: threadCount, granule: 64)
            let n = Int64(range.count), i = range.lowerBound
            guard let (lower, upper) = activation.bounds else {
                if input != UnsafePointer(output) { (output + i).update(from: input + i, count: range.count) }
                return
            }
            switch instructionSet {
            case .avx2FMA, .avx512: flex_clamp_avx2(input + i, output + i, n, lower, upper)
            case .portable: flex_clamp_portable(input + i, output + i, n, lower, upper)
            }
        }

        /// Per-channel bias then activation over NCHW-like data `[batch, channels, inner]` (inner = H * W):
        /// `output[n][c][i] = activation(input[n][c][i] + bias[c])`. The `batch * channels` planes are
        /// split between the threads.
        public static func channelBias(
            input: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
            batch: Int, channels: Int, inner: Int, activation: Activation = .identity,
            threadIndex: Int = 0, threadCount: Int = 1, instructionSet: InstructionSet = .best
        ) {
            let planes = partition(batch * channels, threadIndex: threadIndex, threadCount: threadCount)
            let bounds = activation.bounds
            var plane = planes.lowerBound
            while plane < planes.upperBound {
                // Runs of planes within one image share a contiguous slice of `bias`.
                let channel = plane % channels, run = Swift.min(channels - channel, planes.upperBound - plane)
                let offset = plane * inner
                switch instructionSet {
                case .avx2FMA, .avx512:
                    flex_channel_bias_avx2(input + offset, bias + channel, output + offset, Int64(run), Int64(inner),
                                           bounds == nil ? 0 : 1, bounds?.lower ?? 0, bounds?.upper ?? 0)
                case .portable:
                    flex_channel_bias_portable(input + offset, bias + channel, output + offset, Int64(run), Int64(inner),
                                               bounds == nil ? 0 : 1, bounds?.lower ?? 0, bounds?.upper ?? 0)
                }
                plane += run
            }
        }
    }
}
