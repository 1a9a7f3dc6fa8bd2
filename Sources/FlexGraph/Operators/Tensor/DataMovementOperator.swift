import FlexTensor

/// An operator that only moves elements (reshape, transpose, slice, concat, …): it works on every
/// dtype, moving `dtype.size` bytes per element, and its outputs keep the dtype of its inputs.
public protocol DataMovementOperator: Operator {}

extension DataMovementOperator {
    /// Every output has the inputs' dtype; the inputs must share one.
    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        guard let first = inputs.first else { return Array(repeating: .float32, count: outputCount) }
        if let other = inputs.first(where: { $0 != first }) {
            throw .invalidInputs("\(opName) needs inputs of one dtype, got \(first) and \(other)")
        }
        return Array(repeating: first, count: outputCount)
    }

    /// No arithmetic; every output element is read once and written once (4-byte elements assumed,
    /// the cost model's unit).
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let moved = outputs.reduce(0) { $0 + $1.elementCount }
        return OperatorCost(flops: 0, bytes: Double(2 * moved * 4))
    }
}

/// A data-movement operator whose other inputs are only read for their shapes or as indices
/// (`slice_like`, `broadcast_like`, `reshape_like`, `SequenceMask`): the output has the first
/// input's dtype, whatever the others' are.
public protocol FirstInputMovementOperator: Operator {}

extension FirstInputMovementOperator {
    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        Array(repeating: inputs.first ?? .float32, count: outputCount)
    }

    /// No arithmetic; every output element is read once and written once.
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: 0, bytes: Double(2 * outputs.reduce(0) { $0 + $1.elementCount } * 4))
    }
}
