/// Device memory accounting per NeuronCore.
///
/// A load charges each of its cores the stage's weights (once per core, model object and stage: all
/// instances of one compiled model share its weights), the instance's workspace (`workspaceBytes(stage)`)
/// and activations for every in-flight slot (`activationBytes(stage) × maxInFlight`). Reservations are all-or-nothing; releasing
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
        /// The instance's workspace plus its in-flight requests' activations.
        var instanceBytes: Int
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
            let instance = Self.sum([max(0, model.workspaceBytes(stage: stage)),
                                     Self.product(max(0, model.activationBytes(stage: stage)), slots)])
            let needed = Self.sum([weights, instance])
            guard needed <= free(core: core) else {
                throw .outOfMemory(model: model.name, core: core, needed: needed, free: free(core: core), budget: budgets[core])
            }
            charges.append(Charge(core: core, weights: key, weightBytes: max(0, model.weightBytes(stage: stage)), instanceBytes: instance))
        }
        for charge in charges {
            if weightUsers[charge.weights, default: 0] == 0 { used[charge.core] += charge.weightBytes }
            weightUsers[charge.weights, default: 0] += 1
            used[charge.core] += charge.instanceBytes
        }
        return charges
    }

    /// `a + b + …`, or `Int.max` when it overflows (a need no budget meets).
    private static func sum(_ terms: [Int]) -> Int {
        terms.reduce(0) { total, term in
            let (result, overflow) = total.addingReportingOverflow(term)
            return overflow ? Int.max : result
        }
    }

    /// `a × b`, or `Int.max` when it overflows.
    private static func product(_ a: Int, _ b: Int) -> Int {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : result
    }

    /// Frees what `reserve` charged.
    mutating func release(_ charges: [Charge]) {
        for charge in charges {
            used[charge.core] -= charge.instanceBytes
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
