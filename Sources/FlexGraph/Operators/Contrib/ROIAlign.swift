import FlexKernels
import FlexTensor

/// MXNet `_contrib_ROIAlign(data, rois, pooled_size, spatial_scale, sample_ratio=-1,
/// position_sensitive=False, aligned=False)`: bilinear ROI pooling of NCHW `data` over `rois`
/// `(R, 5)` (`[batch, x1, y1, x2, y2]` in image coordinates, scaled by `spatial_scale`) into
/// `(R, C, PH, PW)`, or `(R, C / (PH*PW), PH, PW)` when position-sensitive. See `Reference.roiAlign`.
public struct ROIAlignOperator: Operator {
    public static let names = ["_contrib_ROIAlign"]
    public let opName: String
    public let pooledSize: (height: Int, width: Int)
    public let spatialScale: Float
    public let sampleRatio: Int
    public let positionSensitive: Bool
    public let aligned: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        guard let size = try attributes.intTuple("pooled_size") else { throw .missingAttribute("pooled_size") }
        guard size.count == 2, size.allSatisfy({ $0 > 0 }) else {
            throw .invalidAttribute("pooled_size", value: attributes.raw["pooled_size"] ?? "", expected: "two positive sizes (height, width)")
        }
        pooledSize = (size[0], size[1])
        spatialScale = try attributes.requiredFloat("spatial_scale")
        sampleRatio = try attributes.int("sample_ratio", default: -1)
        positionSensitive = try attributes.bool("position_sensitive", default: false)
        aligned = try attributes.bool("aligned", default: false)
    }

    public func inputNames(inputCount: Int) -> [String] { ["data", "rois"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        let (data, rois) = (inputs[0], inputs[1])
        try requireRank(data, 4, input: "data")
        guard rois.rank == 2, rois[1] == 5 || rois[1] == 4 else {
            throw .invalidInputs("\(opName) needs rois of shape (R, 5) ([batch, x1, y1, x2, y2]), got \(rois)")
        }
        let bins = pooledSize.height * pooledSize.width
        var channels = data[1]
        if positionSensitive {
            guard channels % bins == 0 else {
                throw .invalidInputs("\(opName) position_sensitive needs data channels divisible by \(bins) (pooled_size), got \(data)")
            }
            channels /= bins
        }
        return [Shape([rois[0], channels, pooledSize.height, pooledSize.width])]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(outputs[0].elementCount * 4 * 8), bytes: Double((inputs[0].elementCount + outputs[0].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let (data, rois) = (inputs[0].shape, inputs[1].shape)
        Reference.roiAlign(data: inputs[0].floats, channels: data[1], height: data[2], width: data[3],
                           rois: inputs[1].floats, roiCount: rois[0], roiColumns: rois[1],
                           pooledHeight: pooledSize.height, pooledWidth: pooledSize.width, spatialScale: spatialScale,
                           sampleRatio: sampleRatio, positionSensitive: positionSensitive, aligned: aligned,
                           output: outputs[0].floats)
    }
}
