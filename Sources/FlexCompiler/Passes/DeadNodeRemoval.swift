import FlexArtifact

/// Removes steps none of whose outputs reach a model output, then constants nothing reads.
/// Model inputs stay, even unused: they are part of the model's calling convention.
package struct DeadNodeRemoval: CompilerPass {
    package let name = "remove-dead-nodes"

    package init() {}

    package func run(on program: inout Program) throws(CompileError) {
        var live = [Bool](repeating: false, count: program.values.count)
        for value in program.outputs { live[value] = true }
        var keep = [Bool](repeating: false, count: program.steps.count)
        for index in program.steps.indices.reversed() {
            let step = program.steps[index]
            guard step.outputs.contains(where: { live[$0] }) else { continue }
            keep[index] = true
            for operand in step.operands { live[operand] = true }
        }
        program.steps = program.steps.indices.filter { keep[$0] }.map { program.steps[$0] }
        program.constants = program.constants.filter { live[$0.key] }
    }
}
