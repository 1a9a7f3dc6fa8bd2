import FlexKernels
import FlexTensor

/// MXNet `slice_like(data, shape_like, axes=())`: `data[0:shape_like.shape[a]]` on each axis `a` of
/// `axes` (negatives allowed), or on every axis when `axes` is empty (then both inputs have one
/// rank). Only `shape_like`'s shape is read; the output keeps `data`'s dtype.
public struct SliceLikeOperator: FirstInputMovementOperator {
    public static let names = ["slice_like"]
    public let opName: String
    public let axes: [Int]

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        axes = try attributes.intTuple("axes", default: [])
    }

    public func inputNames(inputCount: Int) -> [String] { ["data", "shape_like"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        let (data, like) = (inputs[0], inputs[1])
        var output = data
        if axes.isEmpty {
            guard data.rank == like.rank else {
                throw .invalidInputs("\(opName) without axes needs data and shape_like of one rank, got \(data) and \(like)")
            }
            for axis in 0..<data.rank { output[axis] = like[axis] }
        } else {
            for axis in axes {
                let position = try data.normalizedAxis(axis, attribute: "axes", op: opName)
                guard position < like.rank else {
                    throw .invalidInputs("\(opName): axis \(axis) is out of range for shape_like of shape \(like)")
                }
                output[position] = like[position]
            }
        }
        for axis in 0..<data.rank where output[axis] > data[axis] {
            throw .invalidInputs("\(opName): shape_like \(like) is larger than data \(data) on axis \(axis)")
        }
        return [output]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        let rank = data.shape.rank
        Reference.slice(elementSize: data.dtype.size, shape: data.shape.dims, begin: Array(repeating: 0, count: rank),
                        step: Array(repeating: 1, count: rank), outputShape: outputs[0].shape.dims,
                        source: data.rawPointer, destination: outputs[0].rawPointer)
    }
}
