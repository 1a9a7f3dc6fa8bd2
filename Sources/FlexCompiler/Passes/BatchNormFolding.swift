import FlexArtifact
import FlexGraph
import FlexTensor

/// Folds an inference `BatchNorm` into the `Convolution` or `FullyConnected` that feeds it, when that
/// layer's output has no other consumer and every parameter involved is constant:
///
///     s  = γ / √(moving_var + eps)        (γ = 1 when fix_gamma)
///     w' = w · s   (per output channel: axis 0 of the weight)
///     b' = (b − moving_mean) · s + β      (b = 0 when the layer had no bias)
///
/// The layer gains a bias if it had none (`no_bias` becomes `False`) and takes over the BatchNorm's
/// output value. BatchNorm's channel axis must be the layer's channel axis (1 for NCHW convolution
/// and flattened dense layers, the last axis for `flatten=False` dense layers). Every MXNet alias of
/// the three operators (`_npx_batch_norm`, `_npx_convolution`, …) qualifies.
package struct BatchNormFolding: CompilerPass {
    package let name = "fold-batchnorm"

    package init() {}

    package func run(on program: inout Program) throws(CompileError) {
        var producers = program.producers()
        var uses = program.useCounts()
        var removed = Set<Int>()
        for index in program.steps.indices {
            let norm = program.steps[index]
            guard let batchNorm = norm.op as? BatchNormOperator, !norm.isHost, norm.inputs.count == 5,
                  norm.outputs.dropFirst().allSatisfy({ uses[$0] == 0 }),
                  let layerIndex = producers[norm.inputs[0]], !removed.contains(layerIndex) else { continue }
            let layer = program.steps[layerIndex]
            guard !layer.isHost, layer.epilogue.isEmpty, layer.outputs.count == 1, uses[layer.outputs[0]] == 1,
                  layer.inputs.count >= 2, let weight = program.constants[layer.inputs[1]],
                  let channelAxis = Self.channelAxis(of: layer, rank: program.values[layer.outputs[0]].shape.rank),
                  batchNorm.channelAxis(rank: program.values[norm.inputs[0]].shape.rank) == channelAxis,
                  let gamma = program.constants[norm.inputs[1]], let beta = program.constants[norm.inputs[2]],
                  let mean = program.constants[norm.inputs[3]], let variance = program.constants[norm.inputs[4]] else { continue }
            let channels = weight.shape.rank > 0 ? weight.shape[0] : 0
            let bias = layer.inputs.count >= 3 ? program.constants[layer.inputs[2]] : nil
            guard layer.inputs.count < 3 || bias != nil,
                  [gamma, beta, mean, variance].allSatisfy({ $0.elementCount == channels }),
                  bias.map({ $0.elementCount == channels }) ?? true,
                  [weight, gamma, beta, mean, variance].allSatisfy({ $0.dtype == .float32 }),
                  bias.map({ $0.dtype == .float32 }) ?? true else { continue }

            let foldedWeight = Tensor(zeros: weight.shape)
            let foldedBias = Tensor(zeros: [channels])
            let perChannel = channels == 0 ? 0 : weight.elementCount / channels
            // Pointers taken once (the tensors kept alive meanwhile): the per-element loop touches no storage references.
            withExtendedLifetime((weight, gamma, beta, mean, variance, bias, foldedWeight, foldedBias)) {
                let gammas = gamma.floats, variances = variance.floats, means = mean.floats, betas = beta.floats
                let weights = weight.floats, folded = foldedWeight.floats, foldedBiases = foldedBias.floats
                let biases = bias?.floats
                for channel in 0..<channels {
                    let g = batchNorm.fixGamma ? 1 : Double(gammas[channel])
                    let scale = g / (Double(variances[channel]) + Double(batchNorm.eps)).squareRoot()
                    let base = channel * perChannel
                    for element in base..<(base + perChannel) {
                        folded[element] = Float(Double(weights[element]) * scale)
                    }
                    let b = biases.map { Double($0[channel]) } ?? 0
                    foldedBiases[channel] = Float((b - Double(means[channel])) * scale + Double(betas[channel]))
                }
            }

            var attributes = layer.attributes
            attributes["no_bias"] = "False"
            let op: any Operator
            do {
                op = try OperatorRegistry.makeOperator(opName: layer.opName, nodeName: layer.name, attributes: attributes)
            } catch {
                throw .pass(pass: name, node: layer.name, message: "re-parsing with a bias failed: \(error)")
            }
            for operand in layer.inputs.dropFirst() { uses[operand] -= 1 }
            for operand in norm.inputs { uses[operand] -= 1 }
            let weightID = program.addConstant(name: "\(layer.name)_weight_bnfold", foldedWeight)
            let biasID = program.addConstant(name: "\(layer.name)_bias_bnfold", foldedBias)
            uses.append(contentsOf: [1, 1])
            producers.append(contentsOf: [nil, nil])
            program.steps[layerIndex] = Step(
                name: layer.name, op: op, attributes: attributes, inputs: [layer.inputs[0], weightID, biasID],
                outputs: [norm.outputs[0]], fusedNodes: layer.fusedNodes + [norm.name] + norm.fusedNodes)
            producers[norm.outputs[0]] = layerIndex
            removed.insert(index)
        }
        program.steps = program.steps.indices.filter { !removed.contains($0) }.map { program.steps[$0] }
    }

    /// The output axis holding `layer`'s output channels (axis 0 of its weight), or nil if `layer` is
    /// not a convolution or dense layer: 1 for convolutions (channel-first) and flattening dense
    /// layers, the last axis for `flatten=False` dense layers.
    static func channelAxis(of layer: Step, rank: Int) -> Int? {
        if layer.op is ConvolutionOperator { return 1 }
        if let dense = layer.op as? FullyConnectedOperator { return dense.flatten ? 1 : rank - 1 }
        return nil
    }
}
