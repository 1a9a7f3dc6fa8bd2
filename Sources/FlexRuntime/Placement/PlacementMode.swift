/// How a context index (`mx.neuron(i)`) turns into cores.
///
/// - FlexEG: context `i` is a core; a model of k stages takes cores `i ..< i + k` (stage j on core i + j).
/// - NeuronCore Groups (legacy, `NEURONCORE_GROUP_SIZES`): context `g` is group g, fixed at start; a
///   model of k stages takes the group's first k cores, and may not need more than the group has.
///
/// Core numbers here are context indexes: positions among the process's cores.
///
/// Thread ownership: an immutable value, fixed when the runtime starts.
public enum PlacementMode: Sendable, Equatable {
    case flexibleExecutionGroups
    /// Each group's context-index range, in group order.
    case neuronCoreGroups([Range<Int>])

    /// Lays `sizes` out in order from core 0.
    static func groups(sizes: [Int]) -> PlacementMode {
        var start = 0
        return .neuronCoreGroups(sizes.map { size in
            defer { start += size }
            return start ..< start + size
        })
    }

    /// The cores (context indexes, stage 0 first) of a `stageCount`-stage model placed at `context` on a
    /// process with `coreCount` cores. Throws `notEnoughCores` / `groupTooSmall` with the valid choices.
    func cores(forModel name: String, stageCount: Int, at context: Int, coreCount: Int) throws(RuntimeError) -> Range<Int> {
        switch self {
        case .flexibleExecutionGroups:
            guard context >= 0, context + stageCount <= coreCount else {
                let validStarts = stageCount <= coreCount ? Array(0...(coreCount - stageCount)) : []
                throw .notEnoughCores(model: name, needed: stageCount, start: context, available: coreCount, validStarts: validStarts)
            }
            return context ..< context + stageCount
        case .neuronCoreGroups(let groups):
            guard groups.indices.contains(context), groups[context].count >= stageCount else {
                throw .groupTooSmall(model: name, needed: stageCount, group: context, groupSizes: groups.map(\.count))
            }
            return groups[context].lowerBound ..< groups[context].lowerBound + stageCount
        }
    }
}
