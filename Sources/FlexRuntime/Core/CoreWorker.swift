import FlexTensor

/// The thread-confined side of a NeuronCore: the stage runners of the models loaded on it and which
/// model is active (its weights in cache).
///
/// Thread ownership: created and used only on its core's thread; never shared.
final class CoreWorker {
    private let core: NeuronCore
    private var runners: [Int: any StageRunner] = [:]
    private var activeModel: Int?

    init(core: NeuronCore) {
        self.core = core
    }

    /// Runs jobs until a `.stop` job arrives.
    func run() {
        while true {
            switch core.nextJob() {
            case .install(let model, let stage, let done):
                install(model, stage: stage)
                done.fulfill(())
            case .run(let job):
                execute(job)
            case .remove(let modelID, let done):
                runners[modelID] = nil
                if activeModel == modelID {
                    activeModel = nil
                    core.counters.withLock { $0.activeModel = nil }
                }
                done.fulfill(())
            case .stop(let done):
                runners.removeAll()
                activeModel = nil
                done.fulfill(())
                return
            }
        }
    }

    private func install(_ model: LoadedModel, stage: Int) {
        let runner = model.model.makeStageRunner(stage: stage)
        runners[model.id] = runner
        guard activeModel == nil else { return }
        // An idle core takes the new model's weights right away, as a load onto a free core does.
        runner.activate()
        activeModel = model.id
        core.counters.withLock { $0.activeModel = model.id }
    }

    private func execute(_ job: StageJob) {
        let model = job.request.model
        guard let runner = runners[model.id] else {
            preconditionFailure("NeuronCore \(core.index) has no runner for model \(model.id) (\(model.name))")
        }
        let clock = ContinuousClock()
        let start = clock.now
        if job.stage == 0 { job.request.started.withLock { $0 = start } }
        var switchTime: Duration?
        if activeModel != model.id {
            runner.activate()
            if activeModel != nil { switchTime = start.duration(to: clock.now) }
            activeModel = model.id
        }
        core.counters.withLock { counters in
            counters.activeModel = model.id
            counters.runningModel = model.id
            if let switchTime {
                counters.switches += 1
                counters.switchTime += switchTime
            }
        }
        let outputs = job.request.rows.map { runner.run(job.inputs, rows: $0) } ?? runner.run(job.inputs)
        let elapsed = start.duration(to: clock.now)
        core.counters.withLock { counters in
            counters.runningModel = nil
            counters.executions += 1
            counters.busyTime += elapsed
        }
        model.stageFinished(job, outputs: outputs)
    }
}
