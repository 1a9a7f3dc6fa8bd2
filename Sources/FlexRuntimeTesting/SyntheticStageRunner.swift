import FlexRuntime
import Foundation
import FlexTensor

/// One stage of a `SyntheticModel` instance: adds 1 to its tensor after doing the model's `StageWork`.
///
/// Thread ownership: confined to its NeuronCore's thread (see `StageRunner`).
final class SyntheticStageRunner: StageRunner {
    private let model: SyntheticModel
    private let stage: Int
    /// Sum of the weights last read; kept so the reads are not optimized away.
    private var weightChecksum: Float = 0

    init(model: SyntheticModel, stage: Int) {
        self.model = model
        self.stage = stage
    }

    func activate() {
        weightChecksum = readWeights()
        model.report(.activated, stage: stage, tag: nil)
    }

    func run(_ inputs: [Tensor]) -> [Tensor] {
        let input = inputs[0]
        let tag = input.element(at: 0) - Float(stage)
        model.report(.started, stage: stage, tag: tag)
        switch model.work {
        case .none:
            break
        case .spin(let duration):
            let clock = ContinuousClock()
            let end = clock.now + duration
            while clock.now < end {}
        case .sleep(let duration):
            Thread.sleep(forTimeInterval: duration.seconds)
        case .weightPasses(let passes):
            for _ in 0..<passes { weightChecksum += readWeights() }
        }
        let output = Tensor(zeros: input.shape)
        for index in 0..<input.elementCount { output.floats[index] = input.floats[index] + 1 }
        model.report(.finished, stage: stage, tag: tag)
        return [output]
    }

    private func readWeights() -> Float {
        let buffer = model.weights[stage]
        let values = buffer.baseAddress.assumingMemoryBound(to: Float.self)
        var sum: Float = 0
        for index in 0..<(buffer.byteCount / 4) { sum += values[index] }
        return sum
    }
}
