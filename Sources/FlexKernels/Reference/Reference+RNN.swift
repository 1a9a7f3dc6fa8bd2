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
        // Offsets of each (layer, direction)'s weights and biases in the flat vector.
        var weightOffsets: [(Int, Int)] = []
        var offset = 0
        for layer in 0..<layers {
            let input = layer == 0 ? inputSize : directions * hidden
            for _ in 0..<directions {
                weightOffsets.append((offset, offset + g * input))
                offset += g * input + g * hidden
            }
        }
        var biasOffsets: [Int] = []
        for _ in 0..<(layers * directions) {
            biasOffsets.append(offset)
            offset += 2 * g
        }
        var layerInput = Array(UnsafeBufferPointer(start: data, count: steps * batch * inputSize))
        var layerOutput = [Float](repeating: 0, count: steps * batch * directions * hidden)
        var gatesX = [Float](repeating: 0, count: g)
        var gatesH = [Float](repeating: 0, count: g)
        for layer in 0..<layers {
            let input = layer == 0 ? inputSize : directions * hidden
            for direction in 0..<directions {
                let index = layer * directions + direction
                let (wx, wh) = (parameters + weightOffsets[index].0, parameters + weightOffsets[index].1)
                let (bx, bh) = (parameters + biasOffsets[index], parameters + biasOffsets[index] + g)
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
                        for k in 0..<hidden {
                            let previous = h[n * hidden + k]
                            let value: Float
                            switch mode {
                            case .rnnTanh: value = Foundation.tanh(gatesX[k] + gatesH[k])
                            case .rnnRelu: value = max(gatesX[k] + gatesH[k], 0)
                            case .lstm:
                                let i = sigmoid(gatesX[k] + gatesH[k])
                                let f = sigmoid(gatesX[hidden + k] + gatesH[hidden + k])
                                let candidate = Foundation.tanh(gatesX[2 * hidden + k] + gatesH[2 * hidden + k])
                                let o = sigmoid(gatesX[3 * hidden + k] + gatesH[3 * hidden + k])
                                let next = f * c[n * hidden + k] + i * candidate
                                c[n * hidden + k] = next
                                value = o * Foundation.tanh(next)
                            case .gru:
                                let r = sigmoid(gatesX[k] + gatesH[k])
                                let z = sigmoid(gatesX[hidden + k] + gatesH[hidden + k])
                                let candidate = Foundation.tanh(gatesX[2 * hidden + k] + r * gatesH[2 * hidden + k])
                                value = (1 - z) * candidate + z * previous
                            }
                            layerOutput[(t * batch + n) * directions * hidden + direction * hidden + k] = value
                        }
                        for k in 0..<hidden { h[n * hidden + k] = layerOutput[(t * batch + n) * directions * hidden + direction * hidden + k] }
                    }
                }
                if let finalState { for i in 0..<(batch * hidden) { finalState[index * batch * hidden + i] = h[i] } }
                if let finalCell { for i in 0..<(batch * hidden) { finalCell[index * batch * hidden + i] = c[i] } }
            }
            layerInput = layerOutput
        }
        output.update(from: layerOutput, count: layerOutput.count)
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
}
