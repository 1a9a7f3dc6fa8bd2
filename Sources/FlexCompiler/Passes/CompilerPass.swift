import FlexArtifact

/// One rewrite of a `Program`. Passes never touch host steps (`Step.isHost`) except to remove them
/// when dead, and leave the program valid: topologically ordered, every operand produced before use.
package protocol CompilerPass: Sendable {
    /// Short name shown in progress reports and errors (`"fold-batchnorm"`).
    var name: String { get }
    func run(on program: inout Program) throws(CompileError)
}

/// Passes run in order, reporting progress before each.
package struct PassPipeline: Sendable {
    package var passes: [any CompilerPass]

    package init(_ passes: [any CompilerPass]) { self.passes = passes }

    /// The optimizations `Compiler.compile` runs, in order.
    package static let standard = PassPipeline([
        ShapeInferencePass(),
        DeadNodeRemoval(),
        ConstantFolding(),
        BatchNormFolding(),
        DeadNodeRemoval(),
        EpilogueFusion(),
        ShapeInferencePass(),
    ])

    /// Runs every pass. `progress` gets `(pass name, index)` before each pass.
    package func run(on program: inout Program, progress: (String, Int) -> Void = { _, _ in }) throws(CompileError) {
        for (index, pass) in passes.enumerated() {
            progress(pass.name, index)
            try pass.run(on: &program)
        }
    }
}
