import FlexRuntimeTesting
import FlexRuntime
import FlexTensor
import Foundation
import Testing

/// Inputs checked against the model's specs, stage outputs against its outputs, and misuse.
@Suite struct ValidationTests {
    static let model = SyntheticModel(name: "Checked", stageCount: 1, shape: [2, 3])

    @Test func inputsMustMatchTheSpecs() throws {
        try withRuntime(cores: 1) { runtime in
            let loaded = try runtime.load(Self.model, at: 0)
            let cases: [([String: Tensor], String)] = [
                ([:], "missing input \"data\" ((2,3) float32); the model takes data (2,3) float32"),
                (["data": Tensor(zeros: [2, 3]), "label": Tensor(zeros: [1])], "unknown input \"label\"; the model takes data (2,3) float32"),
                (["data": Tensor(zeros: [3, 2])], "input \"data\" has shape (3,2) but the model expects (2,3)"),
                (["data": Tensor(zeros: [2, 3], dtype: .float64)], "input \"data\" is float64 but the model expects float32"),
            ]
            for (inputs, problem) in cases {
                let error = runtimeError { try loaded.infer(inputs) }
                #expect(error == .invalidInput(model: "Checked", problem: problem))
                #expect(error?.status == .invalid)
            }
            #expect(runtime.snapshot().models[0].errors == 4)
        }
    }

    @Test func inputsAreCopiedAtSubmit() throws {
        let gate = Gate()
        let model = SyntheticModel(name: "Copying", stageCount: 1) { event in
            if event.phase == .started { _ = gate.pass() }
        }
        try withRuntime(cores: 1) { runtime in
            let loaded = try runtime.load(model, at: 0)
            let inputs = taggedInput(10)
            let pending = try loaded.submit(inputs)
            inputs["data"]!.floats[0] = -1000
            gate.open()
            #expect(try isSyntheticAnswer(pending.wait(), tag: 10, stageCount: 1))
        }
    }

    /// A model whose last stage returns the wrong shape.
    final class WrongOutputModel: PipelineModel {
        let name = "Wrong"
        let stageCount = 1
        let inputs = [TensorSpec(name: "data", shape: [4])]
        let outputs = [TensorSpec(name: "output", shape: [4])]
        func weightBytes(stage: Int) -> Int { 0 }
        func workspaceBytes(stage: Int) -> Int { 0 }
        func activationBytes(stage: Int) -> Int { 0 }
        func makeStageRunner(stage: Int) -> any StageRunner { Runner() }

        final class Runner: StageRunner {
            func run(_ inputs: [Tensor]) -> [Tensor] { [Tensor(zeros: [5])] }
            func activate() {}
        }
    }

    @Test func stageOutputsThatMissTheSpecsFailTheRequest() throws {
        try withRuntime(cores: 1) { runtime in
            let loaded = try runtime.load(WrongOutputModel(), at: 0)
            let error = runtimeError { try loaded.infer(taggedInput(1)) }
            #expect(error == .stageFailed(model: "Wrong", stage: 0, problem: "output \"output\" came out (5,) float32, expected (4,) float32"))
            #expect(error?.status == .executionCompletedWithError)
            #expect(runtime.snapshot().models[0].errorsByStatus == ["NRT_EXEC_COMPLETED_WITH_ERR": 1])
        }
    }

    @Test func blockingCallsFromACoreThreadAreRefused() throws {
        let target = Shared<LoadedModel?>(nil)
        let seen = Shared<[RuntimeError?]>([])
        let model = SyntheticModel(name: "Reentrant", stageCount: 1) { event in
            guard event.phase == .started, let loaded = target.current else { return }
            let inferError = runtimeError { try loaded.infer(taggedInput(0)) }
            let unloadError = runtimeError { try loaded.unload() }
            let loadError = runtimeError { try loaded.runtime.load(SyntheticModel(name: "Nested", stageCount: 1), at: 0) }
            seen.withLock { $0 = [inferError, unloadError, loadError] }
        }
        try withRuntime(cores: 1) { runtime in
            let loaded = try runtime.load(model, at: 0)
            target.withLock { $0 = loaded }
            #expect(try isSyntheticAnswer(loaded.infer(taggedInput(4)), tag: 4, stageCount: 1))
            let errors = seen.current
            #expect(errors.count == 3)
            #expect(errors.allSatisfy { $0?.status == .executionCoreBusy })
            #expect(errors.first??.description.contains("NeuronCore 0's own thread") == true)
            target.withLock { $0 = nil }
        }
    }

    @Test func statusCodesMirrorTheNeuronRuntime() {
        #expect(NRTStatus.resource.rawValue == 4)
        #expect(NRTStatus.timeout.rawValue == 5)
        #expect(NRTStatus.queueFull.rawValue == 7)
        #expect(NRTStatus.loadNotEnoughCores.rawValue == 9)
        #expect(NRTStatus.executionCoreBusy.rawValue == 1005)
        #expect(NRTStatus.queueFull.description == "NRT_QUEUE_FULL (7)")
    }
}
