import FlexKernels
import FlexTensor

/// MXNet `Pooling` (alias `_npx_pooling`): max, avg, sum or lp pooling over the spatial axes of NCW,
/// NCHW or NCDHW data (1-D, 2-D or 3-D kernels).
///
/// Output size per spatial axis (`x` input, `k` kernel, `p` pad, `s` stride, default 1):
/// - `valid` (default): `1 + floor((x + 2p - k) / s)`;
/// - `full`: `1 + ceil((x + 2p - k) / s)` (the last window may run past the padding and is clipped);
/// - `same` (1-D only, `pad` must be 0): `ceil(x / s)`, windows start at `o * s` and are clipped at the end
///   (MXNet's native kernel; MXNet 1.9.1 itself only runs `sum`/`lp` this way, given a 3-value zero
///   `pad`: its MKL-DNN path rejects `max`/`avg` with `same`);
/// - `global_pool`: the kernel is the whole spatial extent (`kernel`, `stride`, `pad` ignored), output 1.
///
/// `avg` divides by the window clipped to the padded input when `count_include_pad` (default True), by
/// the window clipped to the input otherwise; `lp` needs `p_value` 1, 2 or 3. `cudnn_off` has no effect;
/// `layout` must be channel-first. MXNet 1.9.1 (built with MKL-DNN, as distributed) gives max pooling
/// with a kernel a hidden workspace output, so `totalOutputCount` is 2 there.
public struct PoolingOperator: Operator {
    public static let names = ["Pooling", "_npx_pooling"]
    public static let poolTypes = ["max", "avg", "sum", "lp"]
    public static let conventions = ["valid", "full", "same"]
    public let opName: String
    /// Kernel size per spatial axis; empty only with `global_pool`.
    public let kernel: [Int]
    public let stride: [Int]
    public let pad: [Int]
    /// One of `poolTypes`.
    public let poolType: String
    /// One of `conventions`.
    public let poolingConvention: String
    public let globalPool: Bool
    public let countIncludePad: Bool
    /// `p_value` for `lp` pooling (1, 2 or 3); nil for other types.
    public let pValue: Int?

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        globalPool = try attributes.bool("global_pool", default: false)
        let kernel = try attributes.intTuple("kernel") ?? []
        if kernel.isEmpty {
            guard globalPool else { throw .missingAttribute("kernel") }
            // Global pooling without a kernel ignores stride and pad; MXNet does not check their length.
            stride = try attributes.intTuple("stride") ?? []
            pad = try attributes.intTuple("pad") ?? []
        } else {
            guard (1...3).contains(kernel.count), kernel.allSatisfy({ $0 >= 1 }) else {
                throw .invalidAttribute("kernel", value: attributes.raw["kernel"] ?? "", expected: "1 to 3 positive sizes such as (2, 2)")
            }
            stride = try NeuralNetworkAttributes.spatialTuple(&attributes, "stride", rank: kernel.count, default: 1, minimum: 1)
            if attributes.raw["pooling_convention"] == "same" {
                // MXNet 1.9.1 reads pad[0...2] for `same` whatever the kernel rank: it must be all zeros.
                guard (try attributes.intTuple("pad") ?? []).allSatisfy({ $0 == 0 }) else {
                    throw .invalidAttribute("pad", value: attributes.raw["pad"] ?? "", expected: "no padding with pooling_convention=same")
                }
                pad = Array(repeating: 0, count: kernel.count)
            } else {
                pad = try NeuralNetworkAttributes.spatialTuple(&attributes, "pad", rank: kernel.count, default: 0, minimum: 0)
            }
        }
        self.kernel = kernel
        poolType = try attributes.choice("pool_type", Self.poolTypes, default: "max")
        poolingConvention = try attributes.choice("pooling_convention", Self.conventions, default: "valid")
        _ = try attributes.bool("cudnn_off", default: false)
        let p = try attributes.int("p_value")
        if poolType == "lp" {
            guard let p else { throw .missingAttribute("p_value") }
            guard (1...3).contains(p) else { throw .invalidAttribute("p_value", value: String(p), expected: "1, 2 or 3 for lp pooling") }
        }
        pValue = poolType == "lp" ? p : nil
        countIncludePad = try NeuralNetworkAttributes.optionalBool(&attributes, "count_include_pad") ?? true
        let layout = try attributes.choice("layout", ["None", "NCW", "NCHW", "NCDHW", "NWC", "NHWC", "NDHWC"], default: "None")
        if layout != "None" {
            guard ["NCW", "NCHW", "NCDHW"].contains(layout), kernel.isEmpty || layout == NeuralNetworkAttributes.channelFirstLayout(rank: kernel.count) else {
                throw .unsupported("\(opName) layout \(layout)\(kernel.isEmpty ? "" : " with a \(kernel.count)-D kernel"); FlexEG computes channel-first layouts only")
            }
        }
    }

    public var totalOutputCount: Int { poolType == "max" && !kernel.isEmpty ? 2 : 1 }

    /// The kernel's computation.
    public var kind: Reference.PoolingKind {
        switch poolType {
        case "avg": .average(countIncludePad: countIncludePad)
        case "sum": .sum
        case "lp": .lp(p: pValue ?? 1)
        default: .max
        }
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let data = inputs[0]
        if poolingConvention == "same", data.rank != 3 {
            throw .invalidInputs("\(opName) with pooling_convention=same supports only 1-D pooling of 3-D data (N, C, W), got \(data)")
        }
        guard (3...5).contains(data.rank) else {
            throw .invalidInputs("\(opName) expects 3-D, 4-D or 5-D data (NCW, NCHW or NCDHW), got \(data)")
        }
        if globalPool {
            return [Shape(Array(data.dims.prefix(2)) + Array(repeating: 1, count: data.rank - 2))]
        }
        guard data.rank == kernel.count + 2 else {
            throw .invalidInputs("\(opName) with kernel \(NeuralNetworkAttributes.render(kernel)) expects \(kernel.count + 2)-D data "
                                 + "(\(NeuralNetworkAttributes.channelFirstLayout(rank: kernel.count))), got \(data)")
        }
        var output = Array(data.dims.prefix(2))
        for axis in 0..<kernel.count {
            let padded = data[axis + 2] + 2 * pad[axis]
            guard kernel[axis] <= padded else {
                throw .invalidInputs("\(opName) kernel \(NeuralNetworkAttributes.render(kernel)) exceeds data \(data) "
                                     + "padded by \(pad[axis]) on axis \(axis + 2) (\(padded) wide)")
            }
            switch poolingConvention {
            case "valid": output.append(1 + (padded - kernel[axis]) / stride[axis])
            case "full": output.append(1 + (padded - kernel[axis] + stride[axis] - 1) / stride[axis])
            default: output.append((padded + stride[axis] - 1) / stride[axis])
            }
        }
        return [Shape(output)]
    }

    /// The kernel geometry for `data` and the inferred `output` (global pooling spans the input).
    public func geometry(data: Shape, output: Shape) -> Reference.PoolingGeometry {
        let rank = data.rank - 2
        let lead = 3 - rank
        let spatial = Array(data.dims.dropFirst(2))
        return Reference.PoolingGeometry(
            planes: data[0] * data[1],
            inputSize: Array(repeating: 1, count: lead) + spatial,
            outputSize: Array(repeating: 1, count: lead) + Array(output.dims.dropFirst(2)),
            kernel: Array(repeating: 1, count: lead) + (globalPool ? spatial : kernel),
            stride: Array(repeating: 1, count: lead) + (globalPool ? Array(repeating: 1, count: rank) : stride),
            pad: Array(repeating: 0, count: lead) + (globalPool ? Array(repeating: 0, count: rank) : pad))
    }

    /// One flop per window element per output.
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let window = globalPool ? NeuralNetworkAttributes.product(inputs[0].dims.dropFirst(2)) : kernel.reduce(1, *)
        return OperatorCost(flops: Double(window * outputs[0].elementCount), bytes: NeuralNetworkAttributes.bytes(inputs + outputs))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.pooling(kind, geometry(data: inputs[0].shape, output: outputs[0].shape), input: inputs[0].floats, output: outputs[0].floats)
    }
}
