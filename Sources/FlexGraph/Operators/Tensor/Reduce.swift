import FlexKernels
import FlexTensor

/// MXNet `sum` (`sum_axis`), `mean`, `max` (`max_axis`) and `min` (`min_axis`) over `axis`: None or
/// `()` reduces every axis; an int or tuple (negatives allowed, no duplicates) reduces those, or with
/// `exclude` all the others. Without `keepdims` the reduced axes are removed (a full reduction gives
/// `(1,)`); with it they stay as size 1. `max`/`min` need a non-empty input.
public struct ReduceOperator: Operator {
    static let functions: [String: Reference.ReduceFunction] = [
        "sum": .sum, "sum_axis": .sum, "mean": .mean, "max": .max, "max_axis": .max, "min": .min, "min_axis": .min,
    ]
    public static let names = functions.keys.sorted()
    public let opName: String
    public let function: Reference.ReduceFunction
    /// nil: every axis.
    public let axis: [Int]?
    public let keepDims: Bool
    public let exclude: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        function = Self.functions[opName]!
        axis = try attributes.intTuple("axis")
        keepDims = try attributes.bool("keepdims", default: false)
        exclude = try attributes.bool("exclude", default: false)
    }

    /// Which input axes are reduced (MXNet's `ReduceAxesShapeImpl` rules).
    func reducedAxes(_ input: Shape) throws(OperatorError) -> [Bool] {
        guard let axis, !axis.isEmpty else { return Array(repeating: true, count: input.rank) }
        var chosen = [Bool](repeating: false, count: input.rank)
        for value in axis {
            let position = try input.normalizedAxis(value, attribute: "axis", op: opName)
            guard !chosen[position] else { throw .invalidInputs("\(opName): axis \(Shape(axis)) names axis \(position) twice") }
            chosen[position] = true
        }
        return exclude ? chosen.map { !$0 } : chosen
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let input = inputs[0]
        if function == .max || function == .min {
            guard input.elementCount > 0 else { throw .invalidInputs("\(opName) needs a non-empty input, got shape \(input)") }
        }
        let reduced = try reducedAxes(input)
        if keepDims {
            return [Shape(input.dims.indices.map { reduced[$0] ? 1 : input[$0] })]
        }
        let kept = input.dims.indices.filter { !reduced[$0] }.map { input[$0] }
        return [Shape(kept.isEmpty ? [1] : kept)]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(inputs[0].elementCount), bytes: Double((inputs[0].elementCount + outputs[0].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let input = inputs[0]
        guard let reduced = try? reducedAxes(input.shape) else { return }
        Reference.reduce(function, input: input.floats, shape: input.shape.dims, reduced: reduced, output: outputs[0].floats)
    }
}
