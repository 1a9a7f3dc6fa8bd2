import CFlexKernels

extension Fast {
    /// One instruction-set family's C micro-kernels (`flex_kernel_table`): the one place a kernel is chosen
    /// by instruction set. Every fast kernel calls through the table of the `InstructionSet` it is given
    /// (by default `InstructionSet.active`'s); a slot that is nil means the family has no
    /// kernel for that job and the caller does it another way (see `CFlexKernels.h`).
    struct Kernels: @unchecked Sendable {
        let table: UnsafePointer<flex_kernel_table>
        /// The family these kernels belong to.
        let instructionSet: InstructionSet

        /// The family's table. Precondition: the running CPU supports `instructionSet`.
        init(_ instructionSet: InstructionSet) {
            precondition(instructionSet.isSupported,
                         "this CPU cannot run the \(instructionSet) kernels (it runs up to \(InstructionSet.host))")
            self = Self.all[Int(instructionSet.rank)]
        }

        private init(table: UnsafePointer<flex_kernel_table>, instructionSet: InstructionSet) {
            self.table = table
            self.instructionSet = instructionSet
        }

        /// The tables of every family, in `InstructionSet` order, resolved once.
        private static let all: [Kernels] = InstructionSet.allCases.map {
            Kernels(table: flex_kernels_for($0.rank)!, instructionSet: $0)
        }

        /// The slots, read through the table.
        @inline(__always) var slots: flex_kernel_table { table.pointee }
    }
}
