import FlexTensor

extension LoadedModel {
    /// Checks `inputs` against `model.inputs` (names, shapes, dtypes) and returns them in spec order:
    /// copies when `copying` (the caller may reuse its tensors as soon as the submit returns), else
    /// the caller's own tensors (it handed them over).
    func validated(_ inputs: [String: Tensor], copying: Bool = true) throws(RuntimeError) -> [Tensor] {
        let specs = model.inputs
        let expected = specs.map(\.description).joined(separator: ", ")
        let unknown = inputs.keys.filter { name in !specs.contains { $0.name == name } }.sorted()
        guard unknown.isEmpty else {
            let list = unknown.map { "\"\($0)\"" }.joined(separator: ", ")
            throw failed(.invalidInput(model: name, problem: "unknown input\(unknown.count == 1 ? "" : "s") \(list); the model takes \(expected)"))
        }
        var ordered: [Tensor] = []
        ordered.reserveCapacity(specs.count)
        for spec in specs {
            guard let tensor = inputs[spec.name] else {
                throw failed(.invalidInput(model: name, problem: "missing input \"\(spec.name)\" (\(spec.shape) \(spec.dtype)); the model takes \(expected)"))
            }
            guard tensor.shape == spec.shape else {
                throw failed(.invalidInput(model: name, problem: "input \"\(spec.name)\" has shape \(tensor.shape) but the model expects \(spec.shape)"))
            }
            guard tensor.dtype == spec.dtype else {
                throw failed(.invalidInput(model: name, problem: "input \"\(spec.name)\" is \(tensor.dtype) but the model expects \(spec.dtype)"))
            }
            ordered.append(copying ? tensor.copy() : tensor)
        }
        return ordered
    }

    /// Checks that `rows` (data-carrying leading samples) is within every input's batch: 1 ... its leading
    /// dimension.
    func checkRows(_ rows: Int, of inputs: [Tensor]) throws(RuntimeError) {
        for (tensor, spec) in zip(inputs, model.inputs) {
            guard let batch = tensor.shape.dims.first, rows >= 1, rows <= batch else {
                let batch = tensor.shape.dims.first.map { "1...\($0)" } ?? "none (it has no batch axis)"
                throw failed(.invalidInput(model: name, problem: "\(rows) rows of data asked for input \"\(spec.name)\" \(tensor.shape); valid: \(batch)"))
            }
        }
    }

    /// Why the last stage's `outputs` miss `model.outputs`, or nil when they match.
    func outputProblem(_ outputs: [Tensor]) -> String? {
        let specs = model.outputs
        guard outputs.count == specs.count else {
            return "it returned \(outputs.count) tensors but the model has \(specs.count) outputs (\(specs.map(\.description).joined(separator: ", ")))"
        }
        for (tensor, spec) in zip(outputs, specs) where tensor.shape != spec.shape || tensor.dtype != spec.dtype {
            return "output \"\(spec.name)\" came out \(tensor.shape) \(tensor.dtype), expected \(spec.shape) \(spec.dtype)"
        }
        return nil
    }
}
