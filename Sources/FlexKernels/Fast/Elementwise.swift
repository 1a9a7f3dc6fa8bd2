extension Fast {
    /// Vectorised elementwise helpers over dense float32 arrays; outputs may alias inputs.
    public enum Elementwise {
        /// `output[i] = a[i] + b[i]` for `i < count`, with `instructionSet`'s kernel.
        public static func add(
            _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
            instructionSet: InstructionSet = .active
        ) {
            Kernels(instructionSet).slots.add!(a, b, output, Int64(count))
        }

        /// `output[i] = activation(input[i])` for `i < count` (ReLU, ReLU6, clip), with `instructionSet`'s
        /// kernel.
        public static func activation(
            _ activation: Activation, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
            instructionSet: InstructionSet = .active
        ) {
            guard let (lower, upper) = activation.bounds else {
                if input != UnsafePointer(output) { output.update(from: input, count: count) }
                return
            }
            Kernels(instructionSet).slots.clamp!(input, output, Int64(count), lower, upper)
        }
    }
}
