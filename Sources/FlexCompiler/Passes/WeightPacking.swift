import FlexGraph
import FlexKernels
import FlexTensor

/// Stores weights in the layout their fast kernel reads, so loading a compiled model packs nothing:
///
/// - a `Convolution` weight becomes the prepared form of the algorithm its kernel picks (GEMM panels
///   per group, or Winograd-transformed filters; depthwise filters stay dense);
/// - a `FullyConnected` weight `(num_hidden, features)`, or the weight `(O, C, 1, 1)` of 1x1
///   convolutions over 1x1 planes (`StepKernel.isDenseConvolution`), becomes the GEMM right operand
///   `weightᵀ` in 16-column panels.
///
/// A weight is packed only when every step reading it is a fast-kernel step of that kind reading it
/// as its weight (and, for convolutions, all agree on the algorithm). Runs on each artifact as it is
/// cut from the program: packing is a property of the artifact's stored form, not of the graph.
public enum WeightPacking {
    public static func pack(_ weights: [ValueID: ArtifactWeight], steps: [Step], values: [Program.Value]) -> [ValueID: ArtifactWeight] {
        var readers: [ValueID: [(step: Step, position: Int?)]] = [:]
        for step in steps {
            for (position, input) in step.inputs.enumerated() where weights[input] != nil { readers[input, default: []].append((step, position)) }
            for operand in step.epilogue.compactMap(\.operand) where weights[operand] != nil { readers[operand, default: []].append((step, nil)) }
        }
        var result = weights
        for (id, weight) in weights {
            guard case .dense(let tensor) = weight, tensor.dtype == .float32, let uses = readers[id],
                  uses.allSatisfy({ $0.position == 1 }) else { continue }
            let geometries = uses.map { StepKernel.convolutionGeometry($0.step, values: values) }
            if geometries.allSatisfy({ $0.map(StepKernel.isDenseConvolution) ?? false }) {
                let (outputs, inputs) = (tensor.shape[0], tensor.elementCount / Swift.max(tensor.shape[0], 1))
                result[id] = .packed(Fast.PackedMatrix(rows: inputs, columns: outputs, role: .right, source: tensor.floats,
                                                       rowStride: 1, columnStride: inputs))
            } else if geometries.allSatisfy({ $0 != nil }) {
                let prepared = geometries.map { Fast.PreparedConvolution(geometry: $0!, weights: tensor.floats, target: .active) }
                let algorithm = prepared[0].algorithm
                guard algorithm != .depthwise, prepared.allSatisfy({ $0.algorithm == algorithm }) else { continue }
                result[id] = .convolution(algorithm: algorithm, matrices: prepared[0].packedWeights)
            } else if tensor.shape.rank == 2, uses.allSatisfy({ $0.step.op is FullyConnectedOperator && StepKernel.isCandidate($0.step, values: values) }) {
                let (hidden, features) = (tensor.shape[0], tensor.shape[1])
                result[id] = .packed(Fast.PackedMatrix(rows: features, columns: hidden, role: .right, source: tensor.floats,
                                                       rowStride: 1, columnStride: features))
            }
        }
        return result
    }
}
