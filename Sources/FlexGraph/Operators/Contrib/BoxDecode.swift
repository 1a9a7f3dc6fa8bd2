import Foundation
import FlexKernels
import FlexTensor

/// MXNet `_contrib_box_decode(data, anchors, std0=1, std1=1, std2=1, std3=1, clip=-1,
/// format='center')`: box regression deltas `data (B, N, 4)` applied to `anchors (1 or B, N, 4)`
/// (encoded as `format` says), giving corner boxes `(B, N, 4)`: centre `x = dx*std0*aw + ax`,
/// `y = dy*std1*ah + ay`, size `w = exp(min(dw*std2, clip)) * aw` (the `min` only when `clip > 0`),
/// likewise `h`.
public struct BoxDecodeOperator: Operator {
    public static let names = ["_contrib_box_decode"]
    public let opName: String
    public let std: [Float]
    public let clip: Float
    public let format: Reference.BoxFormat

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        std = [try attributes.float("std0", default: 1), try attributes.float("std1", default: 1),
               try attributes.float("std2", default: 1), try attributes.float("std3", default: 1)]
        clip = try attributes.float("clip", default: -1)
        format = Reference.BoxFormat(rawValue: try attributes.choice("format", Reference.BoxFormat.allCases.map(\.rawValue), default: "center"))!
    }

    public func inputNames(inputCount: Int) -> [String] { ["data", "anchors"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        let (data, anchors) = (inputs[0], inputs[1])
        guard data.rank == 3, data[2] == 4 else { throw .invalidInputs("\(opName) needs data (batch, N, 4), got \(data)") }
        guard anchors.rank == 3, anchors[2] == 4, anchors[1] == data[1], anchors[0] == 1 || anchors[0] == data[0] else {
            throw .invalidInputs("\(opName) needs anchors (1, \(data[1]), 4) for data \(data), got \(anchors)")
        }
        return [data]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let (deltas, anchors, output) = (inputs[0].floats, inputs[1].floats, outputs[0].floats)
        let (batch, count) = (inputs[0].shape[0], inputs[0].shape[1])
        let sharedAnchors = inputs[1].shape[0] == 1
        for b in 0..<batch {
            for n in 0..<count {
                let x = deltas + (b * count + n) * 4
                let a = anchors + ((sharedAnchors ? 0 : b * count) + n) * 4
                let (ax, ay, aw, ah) = format == .corner
                    ? ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2, a[2] - a[0], a[3] - a[1]) : (a[0], a[1], a[2], a[3])
                let ox = x[0] * std[0] * aw + ax
                let oy = x[1] * std[1] * ah + ay
                var dw = x[2] * std[2]
                var dh = x[3] * std[3]
                if clip > 0 {
                    dw = min(dw, clip)
                    dh = min(dh, clip)
                }
                let ow = Foundation.exp(dw) * aw / 2
                let oh = Foundation.exp(dh) * ah / 2
                let out = output + (b * count + n) * 4
                (out[0], out[1], out[2], out[3]) = (ox - ow, oy - oh, ox + ow, oy + oh)
            }
        }
    }
}
