extension Reference {
    /// A pointwise activation a producer (convolution, dense layer) applies to its own output, so that
    /// the compiler can fuse MXNet's `Activation` and parameter-free `LeakyReLU` nodes into it.
    public enum FusedActivation: Sendable, Equatable {
        case activation(ActivationFunction)
        case leakyReLU(LeakyReLUFunction)

        @inline(__always)
        public func apply(_ x: Float) -> Float {
            switch self {
            case .activation(let function): function.apply(x)
            case .leakyReLU(let function): function.apply(x)
            }
        }

        /// Applies the activation in place to `count` elements.
        public func apply(to values: UnsafeMutablePointer<Float>, count: Int) {
            switch self {
            case .activation(let function): Reference.activation(function, input: values, output: values, count: count)
            case .leakyReLU(let function): Reference.leakyReLU(function, input: values, output: values, count: count)
            }
        }
    }
}
