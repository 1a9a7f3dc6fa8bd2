import FlexKernels
import FlexTensor

/// MXNet `_contrib_BilinearResize2D(data[, like], height=1, width=1, scale_height=None,
/// scale_width=None, mode='size', align_corners=True)`: bilinear resizing of NCHW data. The output
/// size by `mode` (MXNet's `BilinearSampleOpInferShape`): `size` — `(height, width)`, or
/// `int(scale_height * H)`, `int(scale_width * W)` when `scale_height` is set; `odd_scale` — an even
/// size times the scale, an odd one `int((n - 1) * scale) + 1`; `like` — the second input's H and W;
/// `to_even_down`/`to_even_up`/`to_odd_down`/`to_odd_up` — the nearest even/odd size below/above
/// (kept when it already is one).
public struct BilinearResize2DOperator: Operator {
    public static let names = ["_contrib_BilinearResize2D"]
    static let modes = ["like", "odd_scale", "size", "to_even_down", "to_even_up", "to_odd_down", "to_odd_up"]
    public let opName: String
    public let height: Int
    public let width: Int
    public let scaleHeight: Float?
    public let scaleWidth: Float?
    public let mode: String
    public let alignCorners: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        height = try attributes.int("height", default: 1)
        width = try attributes.int("width", default: 1)
        for (name, value) in [("height", height), ("width", width)] where !(1...10000).contains(value) {
            throw .invalidAttribute(name, value: String(value), expected: "1...10000")
        }
        scaleHeight = try attributes.float("scale_height")
        scaleWidth = try attributes.float("scale_width")
        mode = try attributes.choice("mode", Self.modes, default: "size")
        alignCorners = try attributes.bool("align_corners", default: true)
        if mode == "odd_scale", scaleHeight == nil || scaleWidth == nil {
            throw .missingAttribute(scaleHeight == nil ? "scale_height" : "scale_width")
        }
        if mode == "size", scaleHeight != nil, scaleWidth == nil { throw .missingAttribute("scale_width") }
    }

    public func inputNames(inputCount: Int) -> [String] { mode == "like" ? ["data", "like"] : ["data"] }

    func outputSize(_ data: Shape, like: Shape?) -> (Int, Int) {
        let (h, w) = (data[2], data[3])
        switch mode {
        case "size":
            guard let scaleHeight, let scaleWidth else { return (height, width) }
            return (Int(scaleHeight * Float(h)), Int(scaleWidth * Float(w)))
        case "odd_scale":
            func odd(_ n: Int, _ scale: Float) -> Int { n % 2 == 0 ? Int(Float(n) * scale) : Int(Float(n - 1) * scale) + 1 }
            return (odd(h, scaleHeight!), odd(w, scaleWidth!))
        case "like": return (like![2], like![3])
        case "to_even_down": return (h % 2 == 0 ? h : h - 1, w % 2 == 0 ? w : w - 1)
        case "to_even_up": return (h % 2 == 0 ? h : h + 1, w % 2 == 0 ? w : w + 1)
        case "to_odd_down": return (h % 2 == 1 ? h : h - 1, w % 2 == 1 ? w : w - 1)
        default: return (h % 2 == 1 ? h : h + 1, w % 2 == 1 ? w : w + 1)
        }
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, mode == "like" ? 2 : 1)
        try requireRank(inputs[0], 4, input: "data")
        if mode == "like" { try requireRank(inputs[1], 4, input: "like") }
        let (h, w) = outputSize(inputs[0], like: mode == "like" ? inputs[1] : nil)
        guard h > 0, w > 0 else { throw .invalidInputs("\(opName) mode \(mode): data \(inputs[0]) resizes to an empty \(h)x\(w)") }
        return [Shape([inputs[0][0], inputs[0][1], h, w])]
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] {
        guard inputs[0] == .float32 else { throw .unsupported("\(opName) computes in float32; data is \(inputs[0]) (insert a Cast)") }
        return [.float32]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        OperatorCost(flops: Double(outputs[0].elementCount * 8), bytes: Double((inputs[0].elementCount + outputs[0].elementCount) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let (s, o) = (inputs[0].shape, outputs[0].shape)
        Reference.bilinearResize(input: inputs[0].floats, planes: s[0] * s[1], height: s[2], width: s[3],
                                 output: outputs[0].floats, outputHeight: o[2], outputWidth: o[3], alignCorners: alignCorners)
    }
}
