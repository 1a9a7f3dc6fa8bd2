import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import Foundation
import MXNetFormat

/// What `flexeg bench` runs: the compiled model, its input tensors and its FLOPs per request.
struct BenchSetup {
    var name: String
    var model: CompiledModel
    /// Whether the checkpoint was compiled here (false: it was a compiled checkpoint).
    var compiledHere: Bool
    var compileSeconds: Double
    /// One tensor per model input, by name.
    var inputs: [String: Tensor]
    /// Elements per request: the first input's leading dimension.
    var batch: Int
    /// Direct FLOPs of one request (multiply-add = 2; Winograd convolutions count their direct FLOPs).
    var flopsPerRequest: Double

    /// Loads `PREFIX-symbol.json` / `PREFIX-EEEE.params`, compiles for `cores` unless the checkpoint is
    /// compiled (then it must be compiled for `cores`), and makes the inputs `assignments` describe.
    static func prepare(prefix: String, epoch: Int, inputs assignments: [InputAssignment], cores: Int,
                        progress: ProgressLine) throws -> BenchSetup {
        progress.show("loading \(prefix)")
        let checkpoint = try Checkpoint.load(prefix: prefix, epoch: epoch)
        let graph = try Graph(symbol: checkpoint.symbol)
        let parameters = checkpoint.argParams.merging(checkpoint.auxParams) { argument, _ in argument }
        var tensors: [String: Tensor] = [:]
        for assignment in assignments {
            guard tensors[assignment.name] == nil else { throw CommandLineError("input '\(assignment.name)' is given twice") }
            tensors[assignment.name] = try Self.tensor(for: assignment, seed: UInt64(tensors.count + 1))
        }

        let start = ContinuousClock.now
        let model: CompiledModel
        let compiledHere = !CompiledModel.isCompiled(graph)
        if compiledHere {
            model = try CompiledModel(Compiler.compile(graph: graph, parameters: parameters, inputShapes: tensors.mapValues(\.shape), cores: cores) { step in
                progress.show("compiling for \(cores) core\(cores == 1 ? "" : "s"): \(step.pass) \(Int(step.fraction * 100))%")
            })
        } else {
            model = try CompiledModel(graph: graph, parameters: parameters)
            guard model.stageCount == cores else {
                throw CommandLineError("\(prefix) is compiled for \(model.stageCount) NeuronCore\(model.stageCount == 1 ? "" : "s"); run it with --cores \(model.stageCount), or bench the uncompiled checkpoint")
            }
        }
        let compileSeconds = (ContinuousClock.now - start).seconds

        for spec in model.inputs {
            guard let tensor = tensors[spec.name] else {
                throw CommandLineError("missing --input \(spec.name)=\(spec.shape.dims.map(String.init).joined(separator: ","))")
            }
            guard tensor.shape == spec.shape else {
                throw CommandLineError("input '\(spec.name)' is \(tensor.shape), but the compiled model takes \(spec.shape)")
            }
        }
        for name in tensors.keys.sorted() where !model.inputs.contains(where: { $0.name == name }) {
            throw CommandLineError("the model has no input '\(name)' (inputs: \(model.inputs.map(\.name).joined(separator: ", ")))")
        }
        let batch = model.inputs.first.map { $0.shape.rank > 0 ? $0.shape[0] : 1 } ?? 1
        let flops = model.summary(costModel: CostModel.directFLOPs).stages.reduce(0) { $0 + $1.flops }
        let name = URL(fileURLWithPath: prefix).lastPathComponent
        return BenchSetup(name: name, model: model, compiledHere: compiledHere, compileSeconds: compileSeconds,
                          inputs: tensors.mapValues { $0.dtype == .float32 ? $0 : $0.converted(to: .float32) },
                          batch: max(batch, 1), flopsPerRequest: flops)
    }

    /// `NAME=FILE.npy` reads the file; `NAME=D0,D1,...` makes a tensor of that shape with values uniform in
    /// [-1, 1) from a fixed seed.
    private static func tensor(for assignment: InputAssignment, seed: UInt64) throws -> Tensor {
        if assignment.value.hasSuffix(".npy") {
            return try NDArray(npyFile: assignment.value).tensor
        }
        let text = assignment.value.trimmingCharacters(in: CharacterSet(charactersIn: "()[] "))
        let dims = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !dims.isEmpty, dims.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw CommandLineError("--input \(assignment.name)=\(assignment.value): expected a shape of positive sizes such as 1,3,224,224, or a .npy file")
        }
        let tensor = Tensor(zeros: Shape(dims.map { $0! }))
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        let values = tensor.floats
        for index in 0..<tensor.elementCount {
            // SplitMix64, top 24 bits as a float in [-1, 1).
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            values[index] = Float(z >> 40) / Float(1 << 23) - 1
        }
        return tensor
    }
}
