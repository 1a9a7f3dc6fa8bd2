import FlexGraph
import FlexTensor

/// Elementwise addition of two same-shape inputs, standing in for MXNet's `elemwise_add` (or any
/// name passed as `opName`) in tests written before the real operators exist.
struct TestAddOperator: Operator {
    static let names = ["elemwise_add"]
    let opName: String

    init(opName: String = "elemwise_add") { self.opName = opName }

    init(opName: String, attributes: inout AttributeReader) throws(OperatorError) { self.opName = opName }

    func inputNames(inputCount: Int) -> [String] { ["lhs", "rhs"] }

    func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        guard inputs[0] == inputs[1] else { throw .invalidInputs("\(opName) needs equal shapes, got \(inputs[0]) and \(inputs[1])") }
        return [inputs[0]]
    }

    func execute(inputs: [Tensor], outputs: [Tensor]) {
        for index in 0..<outputs[0].elementCount {
            outputs[0].floats[index] = inputs[0].floats[index] + inputs[1].floats[index]
        }
    }
}

/// `clip(a_min, a_max)` with MXNet's semantics, for fusion tests.
struct TestClipOperator: Operator {
    static let names = ["clip"]
    let opName = "clip"
    let low: Float
    let high: Float

    init(low: Float, high: Float) {
        self.low = low
        self.high = high
    }

    init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        low = try attributes.requiredFloat("a_min")
        high = try attributes.requiredFloat("a_max")
    }

    func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return inputs
    }

    func execute(inputs: [Tensor], outputs: [Tensor]) {
        for index in 0..<outputs[0].elementCount {
            let x = inputs[0].floats[index]
            outputs[0].floats[index] = x > high ? high : (x < low ? low : x)
        }
    }
}
