import FlexGraph
import FlexTensor

/// Index of a value in `Program.values`.
public typealias ValueID = Int

/// The compiler's IR: a model as a flat list of steps over numbered values, in topological order.
///
/// Values are produced by exactly one of: a model input, a constant (a parameter or a folded
/// subgraph), or a step output. Passes rewrite the program in place; `compacted()` renumbers values
/// and drops the ones nothing refers to any more.
public struct Program: Sendable {
    /// One tensor flowing through the program.
    public struct Value: Sendable, Equatable {
        /// Unique within the program: a variable's name, `<node>_output` or `<node>_output<i>`.
        public var name: String
        public var shape: Shape
        public var dtype: DType

        public init(name: String, shape: Shape, dtype: DType) {
            self.name = name
            self.shape = shape
            self.dtype = dtype
        }

        public var byteCount: Int { shape.elementCount * dtype.size }
        public var spec: TensorSpec { TensorSpec(name: name, shape: shape, dtype: dtype) }
    }

    public var values: [Value]
    /// Model inputs in the order callers supply them.
    public var inputs: [ValueID]
    /// Model outputs in head order (may repeat, and may be inputs or constants).
    public var outputs: [ValueID]
    /// Weights and folded values, by value. Read-only once the program runs.
    public var constants: [ValueID: Tensor]
    public var steps: [Step]

    public init(values: [Value], inputs: [ValueID], outputs: [ValueID], constants: [ValueID: Tensor], steps: [Step]) {
        self.values = values
        self.inputs = inputs
        self.outputs = outputs
        self.constants = constants
        self.steps = steps
    }

    /// Adds a value and returns its id.
    public mutating func addValue(_ value: Value) -> ValueID {
        values.append(value)
        return values.count - 1
    }

    /// Adds a constant value holding `tensor`.
    public mutating func addConstant(name: String, _ tensor: Tensor) -> ValueID {
        let id = addValue(Value(name: name, shape: tensor.shape, dtype: tensor.dtype))
        constants[id] = tensor
        return id
    }

    /// Index of the step producing each value (nil for inputs, constants and orphans).
    public func producers() -> [Int?] {
        var result = [Int?](repeating: nil, count: values.count)
        for (index, step) in steps.enumerated() {
            for value in step.outputs { result[value] = index }
        }
        return result
    }

    /// Steps reading each value (operands and epilogue operands), in order.
    public func consumers() -> [[Int]] {
        var result = [[Int]](repeating: [], count: values.count)
        for (index, step) in steps.enumerated() {
            for value in step.operands { result[value].append(index) }
        }
        return result
    }

    /// Number of reads of each value by steps plus one per appearance among the outputs.
    public func useCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: values.count)
        for step in steps { for value in step.operands { counts[value] += 1 } }
        for value in outputs { counts[value] += 1 }
        return counts
    }

    /// Sum of the bytes of all constants.
    public var constantBytes: Int { constants.values.reduce(0) { $0 + $1.byteCount } }

    /// The same program with only the values that inputs, outputs, constants referenced by steps or
    /// outputs, and step operands/results refer to, renumbered in first-appearance order
    /// (inputs, then constants in step order, then step results).
    public func compacted() -> Program {
        var mapping = [ValueID?](repeating: nil, count: values.count)
        var newValues: [Value] = []
        func map(_ id: ValueID) -> ValueID {
            if let mapped = mapping[id] { return mapped }
            newValues.append(values[id])
            mapping[id] = newValues.count - 1
            return newValues.count - 1
        }
        let newInputs = inputs.map(map)
        var newSteps = steps
        for index in newSteps.indices {
            newSteps[index].inputs = newSteps[index].inputs.map(map)
            newSteps[index].epilogue = newSteps[index].epilogue.map { $0.mappingOperand(map) }
            newSteps[index].outputs = newSteps[index].outputs.map(map)
        }
        let newOutputs = outputs.map(map)
        var newConstants: [ValueID: Tensor] = [:]
        for (id, tensor) in constants {
            if let mapped = mapping[id] { newConstants[mapped] = tensor }
        }
        return Program(values: newValues, inputs: newInputs, outputs: newOutputs, constants: newConstants, steps: newSteps)
    }
}
