import FlexTensor

/// `_neuron_subgraph_op`: one region of a model compiled by FlexEG's compiler, as Neuron-MXNet writes
/// compiled checkpoints. Inputs are the region's inputs (`data0`, `data1`, …) followed by the compiled
/// artifact, a 1-D uint8 parameter named `<node>_neuronbin`; outputs are the region's outputs.
///
/// Everything shape inference needs is in the string attributes, MXNet style:
/// `num_neuron_cores` (`"4"`), `input_shapes` (`"[(1,3,224,224)]"`), `output_shapes` (`"[(1,1000)]"`)
/// and optionally `output_dtypes` (`"[float32]"`, float32 by default).
///
/// This type only describes the node: the region's computation lives in the artifact, which FlexGraph
/// cannot decode (it sits above FlexGraph). Compiled graphs run through FlexCompiler's `CompiledModel`.
public struct NeuronSubgraphOperator: Operator {
    public static let names = ["_neuron_subgraph_op"]
    public let opName: String
    /// NeuronCores the region was compiled for (pipeline stages).
    public let coreCount: Int
    /// Shapes of the region inputs, artifact excluded.
    public let regionInputShapes: [Shape]
    public let outputShapes: [Shape]
    public let outputTypes: [DType]

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        coreCount = try attributes.requiredInt("num_neuron_cores")
        guard coreCount >= 1 else {
            throw .invalidAttribute("num_neuron_cores", value: String(coreCount), expected: "a positive integer")
        }
        regionInputShapes = try Self.shapeList(&attributes, "input_shapes")
        outputShapes = try Self.shapeList(&attributes, "output_shapes")
        guard !outputShapes.isEmpty else {
            throw .invalidAttribute("output_shapes", value: attributes.raw["output_shapes"] ?? "", expected: "at least one shape")
        }
        if let text = attributes.string("output_dtypes") {
            let names = Self.listItems(text)
            var types: [DType] = []
            for name in names {
                guard let type = DType(rawValue: name) else {
                    throw .invalidAttribute("output_dtypes", value: text, expected: "a list of dtype names such as [float32]")
                }
                types.append(type)
            }
            guard types.count == outputShapes.count else {
                throw .invalidAttribute("output_dtypes", value: text, expected: "\(outputShapes.count) dtypes, one per output shape")
            }
            outputTypes = types
        } else {
            outputTypes = Array(repeating: .float32, count: outputShapes.count)
        }
    }

    public func inputNames(inputCount: Int) -> [String] {
        (0..<max(inputCount - 1, 0)).map { "data\($0)" } + ["neuronbin"]
    }

    public var outputCount: Int { outputShapes.count }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, regionInputShapes.count + 1)
        for (index, (actual, expected)) in zip(inputs, regionInputShapes).enumerated() where actual != expected {
            throw .invalidInputs("\(opName) was compiled for input \(index) of shape \(expected), got \(actual)")
        }
        try requireRank(inputs[inputs.count - 1], 1, input: "neuronbin")
        return outputShapes
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        guard inputs.last == .uint8 else {
            throw .invalidInputs("\(opName) expects its last input (neuronbin) as uint8, got \(inputs.last.map(\.rawValue) ?? "none")")
        }
        return outputTypes
    }

    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] {
        known.indices.map { $0 < regionInputShapes.count ? regionInputShapes[$0] : known[$0] }
    }

    /// Not runnable here: the artifact is decoded and run by FlexCompiler's `CompiledModel`, which the
    /// facade uses for any graph holding this operator. Reaching this is a routing bug, not bad input.
    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        preconditionFailure("_neuron_subgraph_op runs through FlexCompiler.CompiledModel, not GraphExecutor")
    }

    /// `[(1,3,224,224), (2,)]` → shapes; `[]` → none.
    static func shapeList(_ attributes: inout AttributeReader, _ name: String) throws(OperatorError) -> [Shape] {
        let text = try attributes.requiredString(name)
        var shapes: [Shape] = []
        var rest = Substring(text.trimmingCharacters(in: " "))
        guard rest.hasPrefix("["), rest.hasSuffix("]") else {
            throw .invalidAttribute(name, value: text, expected: "a list of shapes such as [(1,3,224,224)]")
        }
        rest = rest.dropFirst().dropLast()
        while let open = rest.firstIndex(of: "(") {
            guard let close = rest[open...].firstIndex(of: ")"), let shape = Shape(parsing: String(rest[open...close])),
                  shape.dims.allSatisfy({ $0 >= 0 }) else {
                throw .invalidAttribute(name, value: text, expected: "a list of shapes such as [(1,3,224,224)]")
            }
            shapes.append(shape)
            rest = rest[rest.index(after: close)...]
        }
        return shapes
    }

    /// `[float32, uint8]` → `["float32", "uint8"]`.
    static func listItems(_ text: String) -> [String] {
        text.trimmingCharacters(in: " []").split(separator: ",").map { $0.trimmingCharacters(in: " '\"") }.filter { !$0.isEmpty }
    }
}
