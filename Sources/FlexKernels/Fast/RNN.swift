import Foundation

extension Fast {
    /// MXNet's fused `RNN` forward at inference with its gate products as GEMMs: per layer and direction,
    /// one GEMM of every time step's inputs against `W_i2h` (`T·N` rows, bias fused), then per time step
    /// one GEMM of the hidden state against `W_h2h` (`N` rows, packed once per layer and direction). The
    /// cell equations are `Reference.rnnCell`, the reference's own. Layouts: `data (T, N, I)`, `state`/`cell (L·D, N, H)`,
    /// `output (T, N, D·H)`, the flat parameter vector as `Reference.rnnParameterCount` describes it.
    ///
    /// Immutable; `run` uses only the scratch its caller owns.
    public struct RNN: Sendable, Equatable {
        public var mode: Reference.RNNMode
        public var steps: Int
        public var batch: Int
        public var inputSize: Int
        public var hidden: Int
        public var layers: Int
        public var directions: Int

        public init(mode: Reference.RNNMode, steps: Int, batch: Int, inputSize: Int, hidden: Int, layers: Int, directions: Int) {
            self.mode = mode
            self.steps = steps
            self.batch = batch
            self.inputSize = inputSize
            self.hidden = hidden
            self.layers = layers
            self.directions = directions
        }

        /// Gate rows of one layer and direction (`G·H`).
        var gateWidth: Int { mode.gates * hidden }
        /// Widest layer input.
        var widestInput: Int { Swift.max(inputSize, layers > 1 ? directions * hidden : 0) }
        var layerOutputCount: Int { steps * batch * directions * hidden }

        /// Scratch regions, in floats: input gates of every step, one step's hidden gates, `W_h2h` packed,
        /// h and c, two layer buffers (ping-pong between layers), then the GEMMs' own packing space.
        private var regions: (inputGates: Int, stepGates: Int, packedRecurrent: Int, state: Int, layerBuffer: Int, gemm: Int) {
            let g = gateWidth
            let inputGEMM = GEMM.scratchCount(m: steps * batch, n: g, k: widestInput, packsLeft: true, packsRight: true, blocking: .default)
            let stepGEMM = GEMM.scratchCount(m: batch, n: g, k: hidden, packsLeft: true, packsRight: false, blocking: .default)
            return (steps * batch * g, batch * g, roundUp(g, GEMM.nr) * hidden, batch * hidden,
                    layers > 1 ? layerOutputCount : 0, Swift.max(inputGEMM, stepGEMM))
        }

        /// Floats of scratch `run` needs.
        public var scratchCount: Int {
            let r = regions
            return r.inputGates + r.stepGates + r.packedRecurrent + 2 * r.state + 2 * r.layerBuffer + r.gemm
        }

        /// Runs the forward pass. `state` and LSTM's `cell` are the begin states, nil for zeros (Gluon's
        /// default begin state); `finalState`/`finalCell` receive the end states when given. `scratch`
        /// holds `scratchCount` floats owned by the caller.
        public func run(data: UnsafePointer<Float>, parameters: UnsafePointer<Float>, state: UnsafePointer<Float>?,
                        cell: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                        finalState: UnsafeMutablePointer<Float>?, finalCell: UnsafeMutablePointer<Float>?,
                        scratch: UnsafeMutablePointer<Float>, instructionSet: InstructionSet = .active) {
            let kernels = Kernels(instructionSet)
            let g = gateWidth, r = regions
            let inputGates = scratch, stepGates = inputGates + r.inputGates, packedRecurrent = stepGates + r.stepGates
            let h = packedRecurrent + r.packedRecurrent, c = h + r.state
            let buffers = [c + r.state, c + r.state + r.layerBuffer]
            let gemmScratch = buffers[1] + r.layerBuffer

            let offsets = Reference.rnnParameterOffsets(mode: mode, inputSize: inputSize, hidden: hidden, layers: layers,
                                                        directions: directions)
            var layerInput = data
            for layer in 0..<layers {
                let input = layer == 0 ? inputSize : directions * hidden
                let layerOutput = layer == layers - 1 ? output : buffers[layer % 2]
                let outputRow = directions * hidden
                for direction in 0..<directions {
                    let index = layer * directions + direction
                    let wx = parameters + offsets[index].input, wh = parameters + offsets[index].recurrent
                    let bx = parameters + offsets[index].bias, bh = bx + g
                    // Gates from the inputs of every step: (T·N × I) · W_i2hᵀ (I × G) + b_i2h.
                    GEMM.run(m: steps * batch, n: g, k: input,
                             left: .strided(layerInput, rowStride: input, columnStride: 1),
                             right: .strided(wx, rowStride: 1, columnStride: input),
                             output: inputGates, outputRowStride: g, accumulate: false,
                             epilogue: Epilogue(bias: bx, biasAxis: .columns), scratch: gemmScratch,
                             blocking: .default, kernels: kernels)
                    // W_h2hᵀ (H × G) packed once for every step.
                    let (panels, panelStride, _) = GEMM.RightSource.strided(wh, rowStride: 1, columnStride: hidden)
                        .panels(kStart: 0, kCount: hidden, columnStart: 0, columnCount: g, scratch: packedRecurrent)
                    if let state { h.update(from: state + index * batch * hidden, count: batch * hidden) } else { h.update(repeating: 0, count: batch * hidden) }
                    if let cell { c.update(from: cell + index * batch * hidden, count: batch * hidden) } else { c.update(repeating: 0, count: batch * hidden) }
                    for step in 0..<steps {
                        let t = direction == 0 ? step : steps - 1 - step
                        GEMM.run(m: batch, n: g, k: hidden,
                                 left: .strided(h, rowStride: hidden, columnStride: 1),
                                 right: .panels(panels, panelStride: panelStride),
                                 output: stepGates, outputRowStride: g, accumulate: false,
                                 epilogue: Epilogue(bias: bh, biasAxis: .columns), scratch: gemmScratch,
                                 blocking: .default, kernels: kernels)
                        for n in 0..<batch {
                            let x = inputGates + (t * batch + n) * g, s = stepGates + n * g
                            let out = layerOutput + (t * batch + n) * outputRow + direction * hidden
                            Reference.rnnCell(mode: mode, hidden: hidden, inputGates: x, hiddenGates: s, state: h + n * hidden,
                                              cell: c + n * hidden, output: out)
                        }
                    }
                    if let finalState { (finalState + index * batch * hidden).update(from: h, count: batch * hidden) }
                    if let finalCell { (finalCell + index * batch * hidden).update(from: c, count: batch * hidden) }
                }
                layerInput = UnsafePointer(layerOutput)
            }
        }
    }
}
