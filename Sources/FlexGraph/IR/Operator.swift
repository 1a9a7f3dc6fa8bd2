import FlexTensor

/// Work an operator does for one execution, for the compiler's cost model.
public struct OperatorCost: Sendable, Equatable {
    /// Floating-point operations (a multiply-add counts 2).
    public var flops: Double
    /// Bytes read from inputs and parameters plus bytes written to outputs.
    public var bytes: Double

    public init(flops: Double, bytes: Double) {
        self.flops = flops
        self.bytes = bytes
    }
}

/// One MXNet operator: its attribute schema with MXNet's defaults, input names, shape and type
/// inference, cost and CPU execution. One conforming type per operator (or family of operators
/// sharing a kernel, e.g. `_plus_scalar` and `_minus_scalar`); `OperatorRegistry` lists them all.
///
/// Values are immutable after parsing and `Sendable`: a compiled model's steps hold them and run on
/// any NeuronCore thread.
public protocol Operator: Sendable {
    /// MXNet op names this type parses, as they appear in symbol JSON (`"Convolution"`, `"Concat"`, `"concat"`).
    static var names: [String] { get }

    /// Parses and validates attributes. `opName` is the MXNet name the node used (one of `names`).
    /// Read every attribute MXNet accepts (use `ignore` for the ones without effect on a CPU):
    /// any attribute left unread is rejected as unknown, as MXNet does.
    init(opName: String, attributes: inout AttributeReader) throws(OperatorError)

    /// The MXNet name this instance was parsed from (for writing symbol JSON back).
    var opName: String { get }

    /// Names of the inputs in MXNet's order (`["data", "weight", "bias"]`). MXNet names an input
    /// variable it creates implicitly `<node>_<inputName>`. Variadic ops return `arg0`, `arg1`, ….
    /// `inputCount` is the number of inputs the node has in the JSON (needed by variadic ops).
    func inputNames(inputCount: Int) -> [String]

    /// Indexes of inputs that are auxiliary states (`BatchNorm`'s moving mean and variance).
    var auxiliaryInputIndices: Set<Int> { get }

    /// Indexes of inputs whose values inference never reads (`SoftmaxOutput`'s label); the executor
    /// feeds an empty tensor for them when the user does not provide one.
    var unusedInputIndicesAtInference: Set<Int> { get }

    /// Number of outputs other nodes may reference (MXNet's "visible" outputs).
    var outputCount: Int { get }

    /// Number of outputs MXNet's `node_row_ptr` counts (visible plus hidden, e.g. 3 for BatchNorm).
    var totalOutputCount: Int { get }

    /// Output shapes for these input shapes; throws `.invalidInputs` stating expected vs actual.
    func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape]

    /// Output dtypes for these input dtypes. Default: every input that inference reads must be
    /// float32, and every output is float32 (FlexEG computes in float32).
    func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType]

    /// For each input, one shape it could have given the known ones (0 marks a dimension of any
    /// size), so an error about a missing or wrong input can say what the graph expects. A hint,
    /// not a constraint: FullyConnected accepts any data whose trailing dimensions multiply to its
    /// `(?,features)`. Default: nothing more is known.
    func expectedInputShapes(_ known: [Shape?]) -> [Shape?]

    /// Cost of one execution. Default: one flop per output element, bytes of all inputs and outputs.
    func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost

    /// Computes `outputs` from `inputs`. Shapes and dtypes are those inference produced, so this
    /// never fails. Outputs are preallocated and may hold garbage; they never alias inputs.
    func execute(inputs: [Tensor], outputs: [Tensor])
}

extension Operator {
    public func inputNames(inputCount: Int) -> [String] { ["data"] }
    public var auxiliaryInputIndices: Set<Int> { [] }
    public var unusedInputIndicesAtInference: Set<Int> { [] }
    public var outputCount: Int { 1 }
    public var totalOutputCount: Int { outputCount }
    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        for (index, type) in inputs.enumerated() where type != .float32 && !unusedInputIndicesAtInference.contains(index) {
            throw .unsupported("\(opName) computes in float32; input \(index) is \(type) (insert a Cast)")
        }
        return Array(repeating: .float32, count: outputCount)
    }
    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] { known }
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let elements = outputs.reduce(0) { $0 + $1.elementCount }
        let allElements = inputs.reduce(elements) { $0 + $1.elementCount }
        return OperatorCost(flops: Double(elements), bytes: Double(allElements * 4))
    }
}

/// Helpers operators use to validate inputs with messages that state expected vs actual.
extension Operator {
    public func requireInputCount(_ inputs: [Shape], _ count: Int) throws(OperatorError) {
        guard inputs.count == count else {
            throw .invalidInputs("\(opName) takes \(count) input(s), got \(inputs.count)")
        }
    }

    public func requireRank(_ shape: Shape, _ rank: Int, input name: String) throws(OperatorError) {
        guard shape.rank == rank else {
            throw .invalidInputs("\(opName) expects \(name) of rank \(rank), got shape \(shape)")
        }
    }
}
