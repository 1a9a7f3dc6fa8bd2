import FlexGraph
import FlexKernels
import FlexTensor

/// Estimates how long a step takes on one NeuronCore from its FLOPs and bytes (`Operator.cost`),
/// with a roofline: `max(flops / flopsPerSecond, bytes / bytesPerSecond)`. Only the ratios between
/// estimates matter for partitioning; the figures are those of one modest CPU core.
///
/// Convolutions run at their kernel's speed: a convolution's FLOPs are divided by its algorithm's entry
/// in `convolutionSpeedups` (how much faster per direct FLOP than the plain GEMM; absent: 1).
public struct CostModel: Sendable, Equatable {
    /// Sustained float32 FLOP/s of one core.
    public var flopsPerSecond: Double
    /// Sustained memory bandwidth of one core, bytes/s (also used for boundary transfers).
    public var bytesPerSecond: Double
    /// Speed per direct FLOP of each convolution algorithm against the plain GEMM.
    public var convolutionSpeedups: [Fast.PreparedConvolution.Algorithm: Double]

    /// Measured on ResNet-50 v1 at batch 1 on one core (`flexeg bench --profile`, direct-equivalent
    /// GFLOP/s per kernel family): GEMM 205, transposed GEMM 193, Winograd F(4x4) 480 (4x fewer
    /// multiplies in theory), F(2x2) 300 (2.25x in theory), the direct stem convolution 229.
    public static let measuredConvolutionSpeedups: [Fast.PreparedConvolution.Algorithm: Double] = [
        .transposedGEMM: 0.94, .winograd: 2.35, .winograd22: 1.45, .direct: 1.1,
    ]

    public init(flopsPerSecond: Double = 50e9, bytesPerSecond: Double = 10e9,
                convolutionSpeedups: [Fast.PreparedConvolution.Algorithm: Double] = measuredConvolutionSpeedups) {
        self.flopsPerSecond = flopsPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.convolutionSpeedups = convolutionSpeedups
    }

    /// Counts every convolution's direct FLOPs (what GFLOP/s figures are reported against).
    public static let directFLOPs = CostModel(convolutionSpeedups: [:])

    /// The step's operator cost plus its epilogue (one flop per element per operation; a fused add
    /// reads its operand).
    public func cost(of step: Step, in program: Program) -> OperatorCost {
        let inputs = step.inputs.map { program.values[$0].shape }
        let outputs = step.outputs.map { program.values[$0].shape }
        var cost = step.op.cost(inputs: inputs, outputs: outputs)
        if let geometry = StepKernel.convolutionGeometry(step, values: program.values),
           let speedup = convolutionSpeedups[Fast.PreparedConvolution.preferredAlgorithm(for: geometry, target: .active)] {
            cost.flops /= speedup
        }
        if let first = step.outputs.first {
            let value = program.values[first]
            for operation in step.epilogue {
                cost.flops += Double(value.shape.elementCount)
                if operation.operand != nil { cost.bytes += Double(value.byteCount) }
            }
        }
        return cost
    }

    /// Estimated seconds for `cost`.
    public func seconds(_ cost: OperatorCost) -> Double {
        max(cost.flops / flopsPerSecond, cost.bytes / bytesPerSecond)
    }

    /// Estimated seconds to move `bytes` between cores.
    public func transferSeconds(bytes: Int) -> Double {
        Double(bytes) / bytesPerSecond
    }
}
