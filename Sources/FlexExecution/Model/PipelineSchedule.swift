import FlexArtifact
import FlexGraph
import FlexTensor

/// Which work each pipeline stage does, in order, and the tensors crossing between stages: stage 0
/// receives the model inputs, stage `s + 1` receives what stage `s` sends, the last stage sends the
/// model outputs. A value produced in stage `a` and needed in stage `b > a + 1` passes through the
/// stages in between.
package struct PipelineSchedule: Sendable {
    package enum Unit: Sendable, Equatable {
        /// Part `part` of subgraph `subgraph` (index into `CompiledModel.subgraphs`).
        case part(subgraph: Int, part: Int)
        /// A host-graph operator node run as is.
        case host(node: Int)
    }

    package var units: [[Unit]]
    var receives: [[ModelValue]]
    var sends: [[ModelValue]]
}

extension CompiledModel {
    /// Places every unit in a stage (parts where the artifact says, host nodes in the latest stage
    /// producing one of their operands) and lists each stage's boundary tensors. Throws when a part
    /// would read a value produced in a later stage.
    static func schedule(graph: Graph, subgraphs: [Subgraph], subgraphOfNode: [Int: Int], inputs: [ValueRef],
                         outputs: [ValueRef], constants: Set<ValueRef>, cores: Int) throws(CompileError) -> PipelineSchedule {
        var units = [[PipelineSchedule.Unit]](repeating: [], count: cores)
        var definedAt: [ModelValue: Int] = [:]
        var definitions: [ModelValue] = []
        var lastUse: [ModelValue: Int] = [:]
        for ref in inputs {
            definedAt[.graph(ref)] = -1
            definitions.append(.graph(ref))
        }
        func use(_ value: ModelValue, at stage: Int) {
            if case .graph(let ref) = value, constants.contains(ref) { return }
            lastUse[value] = max(lastUse[value] ?? -1, stage)
        }
        func stage(of value: ModelValue) -> Int {
            if case .graph(let ref) = value, constants.contains(ref) { return -1 }
            return definedAt[value] ?? -1
        }

        for (index, node) in graph.nodes.enumerated() where !node.isVariable {
            if let subgraphIndex = subgraphOfNode[index] {
                let subgraph = subgraphs[subgraphIndex]
                for (partIndex, part) in subgraph.artifact.parts.enumerated() {
                    for value in part.receives {
                        let key = subgraph.modelValue(of: value)
                        guard stage(of: key) <= part.stage else {
                            throw .invalidCompiledModel(node: node.name, message: "stage \(part.stage) reads '\(subgraph.artifact.values[value].name)', which is only computed in stage \(stage(of: key))")
                        }
                        use(key, at: part.stage)
                    }
                    for value in part.sends {
                        let key = subgraph.modelValue(of: value)
                        definedAt[key] = part.stage
                        definitions.append(key)
                    }
                    units[part.stage].append(.part(subgraph: subgraphIndex, part: partIndex))
                }
            } else {
                let operands = node.inputs.map { ModelValue.graph($0) }
                let placed = operands.map(stage(of:)).max().map { max($0, 0) } ?? 0
                for operand in operands { use(operand, at: placed) }
                for output in 0..<node.outputCount {
                    definedAt[.graph(ValueRef(node: index, output: output))] = placed
                    definitions.append(.graph(ValueRef(node: index, output: output)))
                }
                units[placed].append(.host(node: index))
            }
        }
        for ref in outputs { use(.graph(ref), at: cores) }

        var receives: [[ModelValue]] = [inputs.map { .graph($0) }]
        for stage in 1..<max(cores, 1) {
            receives.append(definitions.filter { value in
                (definedAt[value] ?? -1) < stage && (lastUse[value] ?? -1) >= stage
            })
        }
        var sends = Array(receives.dropFirst())
        sends.append(outputs.map { .graph($0) })
        return PipelineSchedule(units: units, receives: receives, sends: sends)
    }
}
