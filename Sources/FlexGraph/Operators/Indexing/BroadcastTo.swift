import FlexKernels
import FlexTensor

/// MXNet `broadcast_axis` (alias `broadcast_axes`: axes `axis` of size 1 become `size`) and
/// `broadcast_like(lhs, rhs, lhs_axes=None, rhs_axes=None)` (`lhs` broadcast to `rhs`'s shape, or
/// only its axes `lhs_axes` to the sizes of `rhs`'s `rhs_axes`). The output keeps the (first)
/// input's dtype; `rhs` is only read for its shape.
public struct BroadcastToOperator: FirstInputMovementOperator {
    public static let names = ["broadcast_axis", "broadcast_axes", "broadcast_like"]
    public let opName: String
    public let axes: [Int]
    public let sizes: [Int]
    public let lhsAxes: [Int]?
    public let rhsAxes: [Int]?

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        if opName == "broadcast_like" {
            axes = []
            sizes = []
            lhsAxes = try attributes.intTuple("lhs_axes")
            rhsAxes = try attributes.intTuple("rhs_axes")
            guard (lhsAxes?.count ?? 0) == (rhsAxes?.count ?? 0) else {
                throw .invalidAttribute("rhs_axes", value: attributes.raw["rhs_axes"] ?? "None", expected: "as many axes as lhs_axes")
            }
        } else {
            axes = try attributes.intTuple("axis", default: [])
            sizes = try attributes.intTuple("size", default: [])
            guard axes.count == sizes.count else {
                throw .invalidAttribute("size", value: attributes.raw["size"] ?? "()", expected: "one size per axis in axis (\(axes.count))")
            }
            lhsAxes = nil
            rhsAxes = nil
        }
    }

    public func inputNames(inputCount: Int) -> [String] { opName == "broadcast_like" ? ["lhs", "rhs"] : ["data"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        let data = inputs.first ?? Shape([])
        var output = data
        if opName == "broadcast_like" {
            try requireInputCount(inputs, 2)
            let like = inputs[1]
            if let lhsAxes, let rhsAxes, !lhsAxes.isEmpty {
                for (l, r) in zip(lhsAxes, rhsAxes) {
                    output[try data.normalizedAxis(l, attribute: "lhs_axes", op: opName)] = like[try like.normalizedAxis(r, attribute: "rhs_axes", op: opName)]
                }
            } else {
                guard data.rank == like.rank else {
                    throw .invalidInputs("\(opName): lhs \(data) cannot be broadcast like rhs \(like) (ranks differ)")
                }
                output = like
            }
        } else {
            try requireInputCount(inputs, 1)
            for (axis, size) in zip(axes, sizes) {
                output[try data.normalizedAxis(axis, attribute: "axis", op: opName)] = size
            }
        }
        for axis in 0..<data.rank where data[axis] != output[axis] && data[axis] != 1 {
            throw .invalidInputs("\(opName): axis \(axis) of \(data) has size \(data[axis]); only size-1 axes can be broadcast (to \(output[axis]))")
        }
        return [output]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        let output = outputs[0]
        let strides = Reference.contiguousStrides(data.shape.dims)
        let sourceStrides = data.shape.dims.indices.map { data.shape[$0] == 1 ? 0 : strides[$0] }
        Reference.copyStrided(elementSize: data.dtype.size, shape: output.shape.dims, source: data.rawPointer, sourceStrides: sourceStrides,
                              destination: output.rawPointer, destinationStrides: Reference.contiguousStrides(output.shape.dims))
    }
}
