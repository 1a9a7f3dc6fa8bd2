import FlexGraph
import FlexKernels
import FlexTensor

/// Estimates how long a step takes on one NeuronCore from its FLOPs and bytes (`Operator.cost`),
/// with a roofline: `max(flops / flopsPerSecond, bytes / bytesPerSecond)`. Only the ratios between
/// estimates matter for partitioning; the figures are those of one modest CPU core.
///
/// Convolutions the fast kernels compute with Winograd do fewer multiplications than their direct FLOP
/// count: F(4x4, 3x3) ones have their FLOPs divided by `winogradSpeedup`, F(2x2, 3x3) ones by
/// `winograd22Speedup`.
public struct CostModel: Sendable, Equatable {
    /// Sustained float32 FLOP/s of one core.
    public var flopsPerSecond: Double
    /// Sustained memory bandwidth of one core, bytes/s (also used for boundary transfers).
    public var bytesPerSecond: Double
    /// How much faster than its direct FLOP count a Winograd convolution runs (4 in theory, less
    /// after the transforms).
    public var winogradSpeedup: Double
    /// The same for F(2x2, 3x3) (2.25 in theory; measured 1.6 on ResNet-50's 512@7 layers against the
    /// transposed GEMM they replace).
    public var winograd22Speedup: Double

    public init(flopsPerSecond: Double = 50e9, bytesPerSecond: Double = 10e9, winogradSpeedup: Double = 2.5,
                winograd22Speedup: Double = 1.6) {
        self.flopsPerSecond = flopsPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.winogradSpeedup = winogradSpeedup
        self.winograd22Speedup = winograd22Speedup
    }

    /// Counts every convolution's direct FLOPs (what GFLOP/s figures are reported against).
    public static let directFLOPs = CostModel(winogradSpeedup: 1, winograd22Speedup: 1)

    /// The step's operator cost plus its epilogue (one flop per element per operation; a fused add
    /// reads its operand).
    public func cost(of step: Step, in program: Program) -> OperatorCost {
        let inputs = step.inputs.map { program.values[$0].shape }
        let outputs = step.outputs.map { program.values[$0].shape }
        var cost = step.op.cost(inputs: inputs, outputs: outputs)
        if let geometry = StepKernel.convolutionGeometry(step, values: program.values) {
            switch Fast.PreparedConvolution.preferredAlgorithm(for: geometry) {
            case .winograd: cost.flops /= winogradSpeedup
            case .winograd22: cost.flops /= winograd22Speedup
            default: break
            }
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
