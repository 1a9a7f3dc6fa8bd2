import FlexKernels
import FlexTensor

/// MXNet `SequenceMask(data, sequence_length, use_sequence_length=False, value=0, axis=0)`: with
/// `use_sequence_length`, the steps `t >= sequence_length[b]` of every sequence `b` are set to
/// `value`; otherwise `data` passes through. `axis` is the time axis, 0 (`(T, B, …)`) or 1
/// (`(B, T, …)`); `sequence_length` is `(B,)`, its values truncated to integers.
public struct SequenceMaskOperator: FirstInputMovementOperator {
    public static let names = ["SequenceMask"]
    public let opName: String
    public let useSequenceLength: Bool
    public let value: Double
    public let axis: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        useSequenceLength = try attributes.bool("use_sequence_length", default: false)
        value = Double(try attributes.float("value", default: 0))
        axis = try attributes.int("axis", default: 0)
        guard axis == 0 || axis == 1 else { throw .invalidAttribute("axis", value: String(axis), expected: "0 or 1") }
    }

    public func inputNames(inputCount: Int) -> [String] { useSequenceLength ? ["data", "sequence_length"] : ["data"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, useSequenceLength ? 2 : 1)
        let data = inputs[0]
        guard data.rank >= 2 else { throw .invalidInputs("\(opName) needs data of rank 2 or more, got \(data)") }
        if useSequenceLength {
            let batch = data[1 - axis]
            guard inputs[1] == Shape([batch]) else {
                throw .invalidInputs("\(opName) with axis=\(axis) needs sequence_length of shape (\(batch),), got \(inputs[1])")
            }
        }
        return [data]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let (data, output) = (inputs[0], outputs[0])
        output.rawPointer.copyMemory(from: data.rawPointer, byteCount: data.byteCount)
        guard useSequenceLength else { return }
        let lengths = inputs[1]
        let steps = data.shape[axis]
        let batch = data.shape[1 - axis]
        let inner = data.shape.product(2..<data.shape.rank)
        for b in 0..<batch {
            let length = Int(Reference.loadInteger(lengths.rawPointer, lengths.dtype, b))
            for t in max(length, 0)..<max(steps, length) where t < steps {
                let row = axis == 0 ? t * batch + b : b * steps + t
                for i in 0..<inner { Reference.storeReal(value, output.rawPointer, output.dtype, row * inner + i) }
            }
        }
    }
}
