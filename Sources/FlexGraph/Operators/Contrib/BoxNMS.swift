import FlexKernels
import FlexTensor

/// MXNet `_contrib_box_nms` (alias `_contrib_box_non_maximum_suppression`): non-maximum suppression
/// over `(..., N, width)` rows of `[..., score, ..., x1, y1, x2, y2, ...]` (see `Reference.boxNMS`).
/// Attributes with MXNet's defaults: `overlap_thresh` 0.5, `valid_thresh` 0, `topk` -1,
/// `coord_start` 2, `score_index` 1, `id_index` -1, `background_id` -1, `force_suppress` False,
/// `in_format`/`out_format` `corner`. The output has the input's shape; MXNet's second output (the
/// kept rows' indices, `(..., N, 1)`) is hidden.
public struct BoxNMSOperator: Operator {
    public static let names = ["_contrib_box_nms", "_contrib_box_non_maximum_suppression"]
    public let opName: String
    public let parameters: Reference.BoxNMSParameters

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        let formats = Reference.BoxFormat.allCases.map(\.rawValue)
        parameters = Reference.BoxNMSParameters(
            overlapThreshold: try attributes.float("overlap_thresh", default: 0.5),
            validThreshold: try attributes.float("valid_thresh", default: 0),
            topK: try attributes.int("topk", default: -1),
            coordStart: try attributes.int("coord_start", default: 2),
            scoreIndex: try attributes.int("score_index", default: 1),
            idIndex: try attributes.int("id_index", default: -1),
            backgroundID: try attributes.int("background_id", default: -1),
            forceSuppress: try attributes.bool("force_suppress", default: false),
            inFormat: Reference.BoxFormat(rawValue: try attributes.choice("in_format", formats, default: "corner"))!,
            outFormat: Reference.BoxFormat(rawValue: try attributes.choice("out_format", formats, default: "corner"))!)
    }

    public var totalOutputCount: Int { 2 }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let data = inputs[0]
        guard data.rank >= 2 else { throw .invalidInputs("\(opName) needs data (..., num_box, box_width), got \(data)") }
        let width = data[data.rank - 1]
        let p = parameters
        let minimum = p.idIndex > 0 ? 6 : 5
        guard width >= minimum else {
            throw .invalidInputs("\(opName): rows of \(width) values; at least \(minimum) needed (score and 4 coordinates\(p.idIndex > 0 ? " and an id" : ""))")
        }
        let coordinates = p.coordStart...(p.coordStart + 3)
        guard p.coordStart >= 0, p.coordStart + 3 < width else {
            throw .invalidInputs("\(opName): coord_start=\(p.coordStart) puts coordinates \(coordinates) outside rows of \(width)")
        }
        guard p.scoreIndex >= 0, p.scoreIndex < width, !coordinates.contains(p.scoreIndex) else {
            throw .invalidInputs("\(opName): score_index=\(p.scoreIndex) must be in 0..<\(width) and not among the coordinates \(coordinates)")
        }
        if p.idIndex >= 0 {
            guard p.idIndex < width, !coordinates.contains(p.idIndex), p.idIndex != p.scoreIndex else {
                throw .invalidInputs("\(opName): id_index=\(p.idIndex) must be in 0..<\(width), not a coordinate or the score")
            }
        }
        return [data]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let data = inputs[0]
        let boxes = Double(data[data.rank - 2])
        return OperatorCost(flops: Double(data.elementCount / data[data.rank - 1]) * boxes * 10, bytes: Double(2 * data.elementCount * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let shape = inputs[0].shape
        let (count, width) = (shape[shape.rank - 2], shape[shape.rank - 1])
        Reference.boxNMS(input: inputs[0].floats, batches: shape.elementCount / max(count * width, 1), count: count, width: width,
                         parameters: parameters, output: outputs[0].floats)
    }
}
