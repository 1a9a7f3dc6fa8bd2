import FlexGraph
import FlexTensor

/// Whether a part runs one batch sample at a time: every step computed for sample 0, then every step for
/// sample 1, …, as if the part were compiled for batch 1, instead of each step for the whole batch.
///
/// A convolutional network's activations for a whole batch outgrow the caches (MobileNetV2's first
/// expansion is 4.8 MB per image), so step-by-step over the batch streams every activation through
/// memory; sample by sample keeps one image's activations cache-resident, as at batch 1. Dense layers
/// lose by it (each sample re-reads their weights), so a part splits only when its dense-layer weights
/// are small next to the activations it would otherwise stream.
///
/// Valid when every step treats samples independently (the operators below) and every value the part
/// computes or receives has the batch as its leading axis. Arena values then keep their planned offsets
/// and use the first `1 / samples` of their bytes: one sample's pass follows the plan's step order, and a
/// pass ends with every arena value dead.
enum SampleSplit {
    /// The number of samples to split `steps` into (1: run the batch as planned). `isWeight` tells the
    /// steps' constant operands.
    static func samples(steps: ArraySlice<Step>, values: [Program.Value], isWeight: (ValueID) -> Bool) -> Int {
        var batch: Int?
        var activationBytes = 0, denseWeightBytes = 0
        for step in steps {
            guard isSampleWise(step.op) else { return 1 }
            for value in step.operands + step.outputs where !isWeight(value) {
                let shape = values[value].shape
                guard shape.rank >= 1, shape[0] == (batch ?? shape[0]) else { return 1 }
                batch = shape[0]
            }
            activationBytes += step.outputs.reduce(0) { $0 + values[$1].byteCount }
            if step.op is FullyConnectedOperator || isDenseConvolution(step, values: values) {
                denseWeightBytes += step.inputs.dropFirst().filter(isWeight).reduce(0) { $0 + values[$1].byteCount }
            }
        }
        guard let batch, batch > 1, denseWeightBytes <= activationBytes else { return 1 }
        return batch
    }

    /// Operators whose output for a sample depends only on that sample (given per-sample shapes).
    static func isSampleWise(_ op: any Operator) -> Bool {
        op is ConvolutionOperator || op is FullyConnectedOperator || op is PoolingOperator || op is BatchNormOperator
            || op is ActivationOperator || op is ClipOperator || op is ElementwiseBinaryOperator || StepKernel.isView(op)
    }

    private static func isDenseConvolution(_ step: Step, values: [Program.Value]) -> Bool {
        StepKernel.convolutionGeometry(step, values: values).map(StepKernel.isDenseConvolution) ?? false
    }

    /// `values` with every non-weight value's leading axis divided by `samples`.
    static func sampleValues(_ values: [Program.Value], samples: Int, isWeight: (ValueID) -> Bool) -> [Program.Value] {
        guard samples > 1 else { return values }
        return values.indices.map { id in
            var value = values[id]
            if !isWeight(id), value.shape.rank >= 1, value.shape[0] % samples == 0 {
                value.shape = Shape([value.shape[0] / samples] + value.shape.dims.dropFirst())
            }
            return value
        }
    }
}
