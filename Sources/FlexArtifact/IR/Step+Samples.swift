import FlexGraph

/// Which steps treat the samples of a batch independently: the rule the compiler's batch schedule
/// (`SampleSplit`: which steps may run one sample at a time) and a short batch's run (the execution
/// layer's `PartRunner`: which steps may skip the padding samples) both rest on.
extension Step {
    /// Operators whose output for a sample depends only on that sample (given per-sample shapes).
    public static func isSampleWise(_ op: any Operator) -> Bool {
        op is ConvolutionOperator || op is FullyConnectedOperator || op is PoolingOperator || op is BatchNormOperator
            || op is ActivationOperator || op is ClipOperator || op is ElementwiseBinaryOperator || isView(op)
    }

    /// How many of `steps`, from the first, are sample-wise with the batch as the leading axis of every
    /// value they read or write except weights (`isWeight`), and that batch (nil when no step is).
    public static func sampleWiseLead(
        _ steps: some Sequence<Step>, values: [Program.Value], isWeight: (ValueID) -> Bool
    ) -> (count: Int, batch: Int?) {
        var batch: Int?
        var count = 0
        for step in steps {
            guard isSampleWise(step.op) else { break }
            var stepBatch = batch
            for value in step.operands + step.outputs where !isWeight(value) {
                let shape = values[value].shape
                guard shape.rank >= 1, shape[0] == (stepBatch ?? shape[0]) else { return (count, batch) }
                stepBatch = shape[0]
            }
            batch = stepBatch
            count += 1
        }
        return (count, batch)
    }
}
