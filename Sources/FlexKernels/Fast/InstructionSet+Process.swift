extension Fast.PreparedConvolution.Algorithm {
    /// The instruction set the algorithm's slowest piece runs at when the process uses `active`: its
    /// kernels run at `active` from `minimumTarget` up; below it some piece falls to portable C.
    public func instructionSet(running active: Fast.InstructionSet) -> Fast.InstructionSet {
        active >= minimumTarget ? active : .portable
    }
}

extension Fast.Pooling {
    /// The instruction set pooling runs at when the process uses `active`: AVX2 vectors at most (max
    /// pooling's AVX-512 plane kernel aside, reported with the rest).
    public static func instructionSet(running active: Fast.InstructionSet) -> Fast.InstructionSet { min(active, .avx2) }
}

extension Fast.Elementwise {
    /// The instruction set the elementwise kernels (adds, clamps) run at: AVX2 vectors at most.
    public static func instructionSet(running active: Fast.InstructionSet) -> Fast.InstructionSet { min(active, .avx2) }
}

extension Fast {
    /// The instruction set the plane kernels (`AdaptiveAveragePooling`, `BilinearResize`,
    /// `GroupNormalization`) run at when the process uses `active`: AVX2 vectors at most.
    public static func planeKernelsInstructionSet(running active: InstructionSet) -> InstructionSet { min(active, .avx2) }
}
