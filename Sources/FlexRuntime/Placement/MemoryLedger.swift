/// Device memory accounting per NeuronCore.
///
/// A load charges each of its cores the stage's weights (once per core, model object and stage: all
/// instances of one compiled model share its weights) plus activations for every in-flight slot
/// (`activationBytes(stage) × maxInFlight`, per instance). Reservations are all-or-nothing; releasing
/// one frees its activations, and the weights when the last instance using them goes.
///
/// Thread ownership: a plain value inside the runtime's state lock.
struct MemoryLedger: Sendable {
    struct WeightKey: Hashable, Sendable {
        var core: Int
        var model: ObjectIdentifier
        var stage: Int
    }

    /// What one load holds on one core.
    struct Charge: Sendable, Equatable {
        var core: Int
        var weights: WeightKey
        var weightBytes: Int
        var activationBytes: Int
    }

    let budgets: [Int]
    private(set) var used: [Int]
    private var weightUsers: [WeightKey: Int] = [:]

    init(coreCount: Int, budgetPerCore: Int) {
        budgets = Array(repeating: budgetPerCore, count: coreCount)
        used = Array(repeating: 0, count: coreCount)
    }

    func free(core: Int) -> Int { budgets[core] - used[core] }

    /// Charges a model of `cores.count` stages on `cores` with `slots` in-flight requests, or throws
    /// `outOfMemory` for the first core that cannot take it (charging nothing).
    mutating func reserve(model: any PipelineModel, cores: [Int], slots: Int) throws(RuntimeError) -> [Charge] {
        var charges: [Charge] = []
        for (stage, core) in cores.enumerated() {
            let key = WeightKey(core: core, model: ObjectIdentifier(model), stage: stage)
            let weights = weightUsers[key] == nil ? max(0, model.weightBytes(stage: stage)) : 0
            let (activations, overflow) = max(0, model.activationBytes(stage: stage)).multipliedReportingOverflow(by: slots)
            let needed = overflow ? Int.max : weights.addingReportingOverflow(activations).overflow ? Int.max : weights + activations
            guard needed <= free(core: core) else {
                throw .outOfMemory(model: model.name, core: core, needed: needed, free: free(core: core), budget: budgets[core])
            }
            charges.append(Charge(core: core, weights: key, weightBytes: max(0, model.weightBytes(stage: stage)), activationBytes: activations))
        }
        for charge in charges {
            if weightUsers[charge.weights, default: 0] == 0 { used[charge.core] += charge.weightBytes }
            weightUsers[charge.weights, default: 0] += 1
            used[charge.core] += charge.activationBytes
        }
        return charges
    }

    /// Frees what `reserve` charged.
    mutating func release(_ charges: [Charge]) {
        for charge in charges {
            used[charge.core] -= charge.activationBytes
            let users = weightUsers[charge.weights, default: 1] - 1
            if users == 0 {
                weightUsers[charge.weights] = nil
                used[charge.core] -= charge.weightBytes
            } else {
                weightUsers[charge.weights] = users
            }
        }
    }
}
