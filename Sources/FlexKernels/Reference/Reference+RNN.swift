import Foundation

extension Reference {
    /// The recurrent cells of MXNet's fused `RNN` operator.
    public enum RNNMode: String, Sendable, CaseIterable {
        case rnnRelu = "rnn_relu", rnnTanh = "rnn_tanh", lstm, gru

        /// Gates per cell: 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n), 1 otherwise.
        public var gates: Int { self == .lstm ? 4 : (self == .gru ? 3 : 1) }
    }

    /// Number of floats in MXNet's flat `RNN` parameter vector: every layer's and direction's
    /// `W_i2h (G*H, in)` and `W_h2h (G*H, H)` first, then all `b_i2h (G*H)` and `b_h2h (G*H)`.
    public static func rnnParameterCount(mode: RNNMode, inputSize: Int, hidden: Int, layers: Int, directions: Int) -> Int {
        let g = mode.gates * hidden
        var count = 0
        for layer in 0..<layers {
            let input = layer == 0 ? inputSize : directions * hidden
            count += directions * (g * input + g * hidden + 2 * g)
        }
        return count
    }

    /// MXNet's fused `RNN` forward at inference (its CPU kernel's cell equations; GRU as cuDNN:
    /// `n = tanh(W_n x + b_in + r * (U_n h + b_hn))`, `h' = (1 - z) * n + z * h`). `data (T, N, I)`,
    /// `state`/`cell (L*D, N, H)`; `output (T, N, D*H)`; `finalState`/`finalCell` like `state`.
    public static func rnn(mode: RNNMode, data: UnsafePointer<Float>, steps: Int, batch: Int, inputSize: Int,
                           hidden: Int, layers: Int, directions: Int, parameters: UnsafePointer<Float>,
                           state: UnsafePointer<Float>, cell: UnsafePointer<Float>?,
                           output: UnsafeMutablePointer<Float>,
                           finalState: UnsafeMutablePointer<Float>?, finalCell: UnsafeMutablePointer<Float>?) {
        let g = mode.gates * hidden
        let offsets = rnnParameterOffsets(mode: mode, inputSize: inputSize, hidden: hidden, layers: layers, directions: directions)
        var layerInput = Array(UnsafeBufferPointer(start: data, count: steps * batch * inputSize))
        var layerOutput = [Float](repeating: 0, count: steps * batch * directions * hidden)
        var gatesX = [Float](repeating: 0, count: g)
        var gatesH = [Float](repeating: 0, count: g)
        for layer in 0..<layers {
            let input = layer == 0 ? inputSize : directions * hidden
            for direction in 0..<directions {
                let index = layer * directions + direction
                let (wx, wh) = (parameters + offsets[index].input, parameters + offsets[index].recurrent)
                let (bx, bh) = (parameters + offsets[index].bias, parameters + offsets[index].bias + g)
                var h = Array(UnsafeBufferPointer(start: state + index * batch * hidden, count: batch * hidden))
                var c = cell.map { Array(UnsafeBufferPointer(start: $0 + index * batch * hidden, count: batch * hidden)) } ?? []
                for step in 0..<steps {
                    let t = direction == 0 ? step : steps - 1 - step
                    for n in 0..<batch {
                        let x = t * batch * input + n * input
                        for row in 0..<g {
                            var sx = bx[row], sh = bh[row]
                            for k in 0..<input { sx += wx[row * input + k] * layerInput[x + k] }
                            for k in 0..<hidden { sh += wh[row * hidden + k] * h[n * hidden + k] }
                            gatesX[row] = sx
                            gatesH[row] = sh
                        }
                        let out = (t * batch + n) * directions * hidden + direction * hidden
                        layerOutput.withUnsafeMutableBufferPointer { layerOutput in
                            h.withUnsafeMutableBufferPointer { h in
                                c.withUnsafeMutableBufferPointer { c in
                                    rnnCell(mode: mode, hidden: hidden, inputGates: gatesX, hiddenGates: gatesH,
                                            state: h.baseAddress! + n * hidden, cell: c.baseAddress.map { $0 + n * hidden },
                                            output: layerOutput.baseAddress! + out)
                                }
                            }
                        }
                    }
                }
                if let finalState { for i in 0..<(batch * hidden) { finalState[index * batch * hidden + i] = h[i] } }
                if let finalCell { for i in 0..<(batch * hidden) { finalCell[index * batch * hidden + i] = c[i] } }
            }
            layerInput = layerOutput
        }
        output.update(from: layerOutput, count: layerOutput.count)
    }

    /// Where each (layer, direction)'s `W_i2h`, `W_h2h` and bias pair (`b_i2h` then `b_h2h`) start in the
    /// flat parameter vector, in (layer, direction) order.
    public static func rnnParameterOffsets(mode: RNNMode, inputSize: Int, hidden: Int, layers: Int, directions: Int)
        -> [(input: Int, recurrent: Int, bias: Int)]
    {
        let g = mode.gates * hidden
        var weights: [(Int, Int)] = []
        var offset = 0
        for layer in 0..<layers {
            let input = layer == 0 ? inputSize : directions * hidden
            for _ in 0..<directions {
                weights.append((offset, offset + g * input))
                offset += g * input + g * hidden
            }
        }
        return weights.enumerated().map { index, pair in (pair.0, pair.1, offset + 2 * g * index) }
    }

    /// One sample's cell update from its input-side gates `W x + b_i2h` and hidden-side gates
    /// `U h + b_h2h` (each `gates * hidden`, in MXNet's gate order): writes the new hidden state to
    /// `output` and `state` (`hidden` each), and LSTM's new cell to `cell`. `output` must not alias
    /// `state`.
    @inline(__always)
    public static func rnnCell(mode: RNNMode, hidden: Int, inputGates x: UnsafePointer<Float>, hiddenGates h: UnsafePointer<Float>,
                               state: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>?,
                               output: UnsafeMutablePointer<Float>) {
        for k in 0..<hidden {
            let value: Float
            switch mode {
            case .rnnTanh: value = Foundation.tanh(x[k] + h[k])
            case .rnnRelu: value = max(x[k] + h[k], 0)
            case .lstm:
                let i = sigmoid(x[k] + h[k])
                let f = sigmoid(x[hidden + k] + h[hidden + k])
                let candidate = Foundation.tanh(x[2 * hidden + k] + h[2 * hidden + k])
                let o = sigmoid(x[3 * hidden + k] + h[3 * hidden + k])
                let next = f * cell![k] + i * candidate
                cell![k] = next
                value = o * Foundation.tanh(next)
            case .gru:
                let r = sigmoid(x[k] + h[k])
                let z = sigmoid(x[hidden + k] + h[hidden + k])
                let candidate = Foundation.tanh(x[2 * hidden + k] + r * h[2 * hidden + k])
                value = (1 - z) * candidate + z * state[k]
            }
            output[k] = value
        }
        for k in 0..<hidden { state[k] = output[k] }
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
}
