import FlexKernels
import FlexTensor

/// MXNet `_arange` (`start`, required; `stop`, default None meaning `[0, start)`; `step` 1; `repeat`
/// 1; `dtype` float32) and `_contrib_arange_like` (`start` 0, `step` 1, `repeat` 1, `axis` None; the
/// output has `data`'s shape, or `(data.shape[axis],)`, and dtype). Element `i` is
/// `DType(start) + (i / repeat) * DType(step)` computed in the output dtype, as MXNet's `range_fwd`
/// kernel does (an int32 `arange_like` with step 0.5 repeats `start`). `_arange` has
/// `ceil((stop - start) / step) * repeat` elements; its shape is static. `infer_range=True`, which
/// takes `stop` from the graph, is not implemented.
public struct ArangeOperator: Operator {
    public static let names = ["_arange", "_contrib_arange_like"]
    static let dtypes = ["bfloat16", "float16", "float32", "float64", "int32", "int64", "int8", "uint8"]
    public let opName: String
    public let start: Double
    public let stop: Double?
    public let step: Double
    public let repeatCount: Int
    /// `_arange`'s dtype (nil for `arange_like`, which takes its input's).
    public let dtype: DType?
    /// `arange_like`'s axis.
    public let axis: Int?

    var isLike: Bool { opName == "_contrib_arange_like" }

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        attributes.ignore("ctx")
        repeatCount = try attributes.int("repeat", default: 1)
        guard repeatCount >= 1 else { throw .invalidAttribute("repeat", value: String(repeatCount), expected: "a positive integer") }
        step = try attributes.double("step", default: 1)
        if opName == "_contrib_arange_like" {
            start = try attributes.double("start", default: 0)
            stop = nil
            dtype = nil
            axis = try attributes.int("axis")
        } else {
            guard attributes.raw["start"] != nil else { throw .missingAttribute("start") }
            let first = try attributes.double("start", default: 0)
            if attributes.raw["stop"].map({ $0 != "None" }) ?? false {
                start = first
                stop = try attributes.double("stop", default: 0)
            } else {
                _ = attributes.string("stop")
                start = 0
                stop = first
            }
            guard step != 0 else { throw .invalidAttribute("step", value: "0", expected: "a non-zero step") }
            dtype = try attributes.dtype("dtype", Self.dtypes, default: "float32", op: opName)
            axis = nil
            if try attributes.bool("infer_range", default: false) {
                throw .unsupported("\(opName) with infer_range=True (stop taken from the graph)")
            }
        }
    }

    public func inputNames(inputCount: Int) -> [String] { isLike ? ["data"] : [] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        if isLike {
            try requireInputCount(inputs, 1)
            guard let axis else { return inputs }
            let position = try inputs[0].normalizedAxis(axis, attribute: "axis", op: opName)
            return [Shape([inputs[0][position]])]
        }
        try requireInputCount(inputs, 0)
        let count = ((stop! - start) / step).rounded(.up)
        guard count > 0 else {
            throw .invalidInputs("\(opName): the range from \(start) to \(stop!) by \(step) is empty")
        }
        return [Shape([Int(count) * repeatCount])]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { [dtype ?? inputs[0]] }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(outputs[0].elementCount), bytes: Double(outputs[0].elementCount * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let output = outputs[0]
        let start = Reference.roundTrip(start, through: output.dtype)
        let step = Reference.roundTrip(step, through: output.dtype)
        for i in 0..<output.elementCount {
            let index = Double(i / repeatCount)
            if output.dtype.isFloatingPoint {
                // In the output's precision: Float(start) + Float(index) * Float(step) for float32.
                let value = output.dtype == .float64 ? start + index * step : Double(Float(start) + Float(index) * Float(step))
                Reference.storeReal(value, output.rawPointer, output.dtype, i)
            } else {
                Reference.storeInteger(Int64(start) &+ Int64(i / repeatCount) &* Int64(step), output.rawPointer, output.dtype, i)
            }
        }
    }
}
