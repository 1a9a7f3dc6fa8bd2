import FlexArtifact
import FlexGraph
import FlexTensor

/// How a part runs a batch: its first `prefix` steps one sample at a time (all of them for sample 0, then
/// for sample 1, …, as if compiled for batch 1), the rest step by step over the whole batch.
///
/// A convolutional network's activations for a whole batch outgrow the caches (MobileNetV2's first
/// expansion is 4.8 MB per image), so step-by-step over the batch streams every activation through memory;
/// sample by sample keeps one image's activations cache-resident, as at batch 1. Steps heavy in weights
/// and light in activations lose by it when their kernel, given the whole batch, reads the weights once
/// for all samples: dense layers (a GEMM with a row per sample) and transposed-GEMM convolutions (a row per
/// pixel of every image). So the split point maximizes, over the steps after it, `(samples − 1) × weight
/// bytes of such steps − 2 × samples × activation bytes per sample` (weights re-read against activations
/// written and read back). Other kernels loop over the images with the same weights, which gains nothing
/// measurable over sample by sample (ResNet-50 at batch 8: stage 3 batched was 3% slower).
///
/// Valid for the prefix when every step in it treats samples independently and every value it computes
/// or receives has the batch as its leading axis (`Step.sampleWiseLead`).
struct SampleSplit: Equatable {
    /// Samples the prefix runs one at a time (1: none; the whole part runs step by step over the batch).
    var samples: Int
    /// Steps run sample by sample (all of them when `samples` is 1, which is the same thing).
    var prefix: Int

    /// The split of `steps`; `weightBytes(value)` is a constant operand's stored size, nil for other values;
    /// `sharesWeights(step)` whether the step's kernel reads its weights once for the whole batch.
    static func plan(steps: ArraySlice<Step>, values: [Program.Value], weightBytes: (ValueID) -> Int?,
                     sharesWeights: (Step) -> Bool) -> SampleSplit {
        let whole = SampleSplit(samples: 1, prefix: steps.count)
        let (separable, batch) = Step.sampleWiseLead(steps, values: values, isWeight: { weightBytes($0) != nil })
        let n = Double(batch ?? 1)
        let scores = steps.prefix(separable).map { step in
            let weights = sharesWeights(step) ? step.operands.compactMap(weightBytes).reduce(0, +) : 0
            let activations = step.outputs.reduce(0) { $0 + values[$1].byteCount } / Swift.max(batch ?? 1, 1)
            return (n - 1) * Double(weights) - 2 * n * Double(activations)
        }
        guard let batch, batch > 1, separable > 0 else { return whole }
        // Steps after the separable ones run batched whatever the split; among split points up to there,
        // the one whose batched suffix gains most (the end of the separable steps gains nothing).
        var best = separable, bestGain = 0.0, suffix = 0.0
        for index in stride(from: separable - 1, through: 0, by: -1) {
            suffix += scores[index]
            if suffix > bestGain {
                bestGain = suffix
                best = index
            }
        }
        return best == 0 ? whole : SampleSplit(samples: batch, prefix: best)
    }
}
