import FlexKernels
import FlexTensor

/// MXNet's fused `RNN` (GluonNLP's LSTM language models, Gluon's `rnn.LSTM`/`GRU`/`RNN` layers) at
/// inference: `data (T, N, I)` in TNC layout, `parameters` (the flat vector of
/// `Reference.rnnParameterCount`), `state (L*D, N, H)` and for LSTM `state_cell`; outputs
/// `(T, N, D*H)`, plus the final state (and cell) with `state_outputs`. Attributes: `state_size`,
/// `num_layers`, `mode` (required), `bidirectional`, `p` (dropout, none at inference),
/// `lstm_state_clip_min/max` and `lstm_state_clip_nan`; `projection_size` and `use_sequence_length`
/// are not implemented.
///
/// Gluon's default begin state is `_zeros(shape=(L*D, 0, H))`, whose 0 MXNet's (backward) shape
/// inference replaces by the batch size; FlexEG infers shapes forward only, so a state of that
/// shape, 0 where the batch goes, is taken as the zero state MXNet makes of it.
///
/// The LSTM state clip is parsed but not applied, because MXNet 1.9.1 on a CPU does not apply it
/// either: its native RNN kernel stops on its own input checks, and the oneDNN kernel that runs
/// instead ignores the clip (checked in fixture `ops_rnn`, head `lstm2bi_clip`). Only cuDNN clips.
public struct RNNOperator: Operator {
    public static let names = ["RNN"]
    public let opName: String
    public let mode: Reference.RNNMode
    public let hidden: Int
    public let layers: Int
    public let directions: Int
    public let stateOutputs: Bool
    /// `lstm_state_clip_min...lstm_state_clip_max` as written (not applied, see above).
    public let clip: ClosedRange<Float>?

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        hidden = try attributes.requiredInt("state_size")
        layers = try attributes.requiredInt("num_layers")
        guard hidden >= 1 else { throw .invalidAttribute("state_size", value: String(hidden), expected: "a positive integer") }
        guard layers >= 1 else { throw .invalidAttribute("num_layers", value: String(layers), expected: "a positive integer") }
        guard attributes.raw["mode"] != nil else { throw .missingAttribute("mode") }
        mode = Reference.RNNMode(rawValue: try attributes.choice("mode", Reference.RNNMode.allCases.map(\.rawValue), default: "lstm"))!
        directions = try attributes.bool("bidirectional", default: false) ? 2 : 1
        _ = try attributes.float("p", default: 0)
        stateOutputs = try attributes.bool("state_outputs", default: false)
        if try attributes.int("projection_size") != nil { throw .unsupported("\(opName) with projection_size (LSTMP)") }
        let low = try attributes.float("lstm_state_clip_min")
        let high = try attributes.float("lstm_state_clip_max")
        _ = try attributes.bool("lstm_state_clip_nan", default: false)
        if let low, let high {
            guard low <= high else {
                throw .invalidAttribute("lstm_state_clip_max", value: String(high), expected: "at least lstm_state_clip_min (\(low))")
            }
            clip = low...high
        } else {
            clip = nil
        }
        if try attributes.bool("use_sequence_length", default: false) {
            throw .unsupported("\(opName) with use_sequence_length=True")
        }
    }

    public func inputNames(inputCount: Int) -> [String] {
        mode == .lstm ? ["data", "parameters", "state", "state_cell"] : ["data", "parameters", "state"]
    }

    public var outputCount: Int { stateOutputs ? (mode == .lstm ? 3 : 2) : 1 }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, mode == .lstm ? 4 : 3)
        let data = inputs[0]
        try requireRank(data, 3, input: "data")
        let count = Reference.rnnParameterCount(mode: mode, inputSize: data[2], hidden: hidden, layers: layers, directions: directions)
        guard inputs[1] == Shape([count]) else {
            throw .invalidInputs("\(opName) needs parameters of shape (\(count),) for data \(data), got \(inputs[1])")
        }
        let state = Shape([layers * directions, data[1], hidden])
        let unknownBatch = Shape([layers * directions, 0, hidden])
        for index in 2..<inputs.count where inputs[index] != state && inputs[index] != unknownBatch {
            throw .invalidInputs("\(opName) needs \(index == 2 ? "state" : "state_cell") of shape \(state), got \(inputs[index])")
        }
        return [Shape([data[0], data[1], directions * hidden])] + Array(repeating: state, count: outputCount - 1)
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        var result = known
        guard let data = known[0], data.rank == 3 else { return result }
        let count = Reference.rnnParameterCount(mode: mode, inputSize: data[2], hidden: hidden, layers: layers, directions: directions)
        if result.count > 1, result[1] == nil { result[1] = Shape([count]) }
        for index in 2..<result.count where result[index] == nil { result[index] = Shape([layers * directions, data[1], hidden]) }
        return result
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let steps = Double(inputs[0][0] * inputs[0][1])
        return OperatorCost(flops: 2 * steps * Double(inputs[1][0]), bytes: Double((inputs[1][0] + inputs[0].elementCount + outputs[0].elementCount) * 4))
    }

    /// The fast kernel's geometry for data of this (valid) shape; nil when a dimension is zero.
    public func fastRNN(data: Shape) -> Fast.RNN? {
        guard data.rank == 3, data.elementCount > 0 else { return nil }
        return Fast.RNN(mode: mode, steps: data[0], batch: data[1], inputSize: data[2], hidden: hidden, layers: layers,
                        directions: directions)
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0].shape
        // An empty begin state stands for zeros (see above).
        let stateShape = Shape([layers * directions, data[1], hidden])
        let states = inputs[2...].map { $0.elementCount == 0 ? Tensor(zeros: stateShape) : $0 }
        Reference.rnn(mode: mode, data: inputs[0].floats, steps: data[0], batch: data[1], inputSize: data[2], hidden: hidden,
                      layers: layers, directions: directions, parameters: inputs[1].floats, state: states[0].floats,
                      cell: mode == .lstm ? UnsafePointer(states[1].floats) : nil, output: outputs[0].floats,
                      finalState: stateOutputs ? outputs[1].floats : nil,
                      finalCell: stateOutputs && mode == .lstm ? outputs[2].floats : nil)
    }
}

/// MXNet `_rnn_param_concat` (Gluon's recurrent layers pack their weights with it): `Concat` of
/// `num_args` inputs along `dim` (default 1).
public struct RNNParamConcatOperator: DataMovementOperator {
    public static let names = ["_rnn_param_concat"]
    public let opName: String
    let concat: ConcatOperator

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        concat = try ConcatOperator(opName: "Concat", attributes: &attributes)
    }

    public func inputNames(inputCount: Int) -> [String] { concat.inputNames(inputCount: inputCount) }
    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] { try concat.inferShapes(inputs) }
    public func execute(inputs: [Tensor], outputs: [Tensor]) { concat.execute(inputs: inputs, outputs: outputs) }
}
