import FlexTensor

/// Attribute parsing the convolution, pooling and normalization operators share: per-axis tuples
/// that default by kernel rank, MXNet's optional booleans, and the data layout check.
enum NeuralNetworkAttributes {
    /// A per-spatial-axis tuple such as `stride`, `pad` or `dilate`: absent or `()` gives `fallback`
    /// for every axis; otherwise it must have `rank` values, each at least `minimum`
    /// (MXNet: "Stride must have the same number of dimensions with kernel_size").
    static func spatialTuple(_ attributes: inout AttributeReader, _ name: String, rank: Int, default fallback: Int,
                             minimum: Int) throws(OperatorError) -> [Int] {
        guard let values = try attributes.intTuple(name), !values.isEmpty else {
            return Array(repeating: fallback, count: rank)
        }
        let text = attributes.raw[name] ?? ""
        guard values.count == rank else {
            throw .invalidAttribute(name, value: text, expected: "\(rank) value(s), one per kernel axis")
        }
        guard values.allSatisfy({ $0 >= minimum }) else {
            throw .invalidAttribute(name, value: text, expected: "values of at least \(minimum)")
        }
        return values
    }

    /// A kernel tuple of 1 to `maxRank` positive sizes.
    static func kernel(_ attributes: inout AttributeReader, maxRank: Int) throws(OperatorError) -> [Int] {
        let text = attributes.raw["kernel"] ?? ""
        guard let kernel = try attributes.intTuple("kernel") else { throw .missingAttribute("kernel") }
        guard (1...maxRank).contains(kernel.count), kernel.allSatisfy({ $0 >= 1 }) else {
            throw .invalidAttribute("kernel", value: text, expected: "1 to \(maxRank) positive sizes such as (3, 3)")
        }
        return kernel
    }

    /// MXNet's `dmlc::optional<bool>`: `None` or absence gives nil.
    static func optionalBool(_ attributes: inout AttributeReader, _ name: String) throws(OperatorError) -> Bool? {
        if attributes.raw[name] == nil || attributes.raw[name] == "None" {
            attributes.ignore(name)
            return nil
        }
        return try attributes.bool(name, default: false)
    }

    /// The channel-first layout FlexEG computes in for a kernel of `rank` spatial axes.
    static func channelFirstLayout(rank: Int) -> String {
        ["NCW", "NCHW", "NCDHW"][rank - 1]
    }

    /// Reads `layout` (one of `choices`, or `None`) and accepts only the channel-first layout for
    /// `rank` spatial axes; channel-last layouts are valid MXNet but not implemented.
    static func requireChannelFirstLayout(_ attributes: inout AttributeReader, op: String, rank: Int,
                                          choices: [String]) throws(OperatorError) {
        let layout = try attributes.choice("layout", ["None"] + choices, default: "None")
        let expected = channelFirstLayout(rank: rank)
        guard layout == "None" || layout == expected else {
            throw .unsupported("\(op) layout \(layout) with a \(rank)-D kernel; FlexEG computes \(expected) only")
        }
    }

    /// Product of `dims` (1 when empty).
    /// `num_filter` (required, ≥ 1) and `num_group` (default 1, ≥ 1, dividing `num_filter`), as
    /// Convolution and Deconvolution both take them.
    static func filtersAndGroups(_ attributes: inout AttributeReader) throws(OperatorError) -> (filters: Int, groups: Int) {
        let filters = try attributes.requiredInt("num_filter")
        guard filters >= 1 else { throw .invalidAttribute("num_filter", value: String(filters), expected: "at least 1") }
        let groups = try attributes.int("num_group", default: 1)
        guard groups >= 1 else { throw .invalidAttribute("num_group", value: String(groups), expected: "at least 1") }
        guard filters % groups == 0 else {
            throw .invalidAttribute("num_filter", value: String(filters), expected: "a multiple of num_group=\(groups)")
        }
        return (filters, groups)
    }

    /// Validates the cuDNN-only attributes (`workspace` in MB, `cudnn_tune`, `cudnn_off`), which have
    /// no effect on a CPU. `workspace`'s MXNet default differs per operator.
    static func validateCUDNNAttributes(_ attributes: inout AttributeReader, defaultWorkspace: Int) throws(OperatorError) {
        let workspace = try attributes.int("workspace", default: defaultWorkspace)
        guard workspace >= 0 else { throw .invalidAttribute("workspace", value: String(workspace), expected: "a non-negative size in MB") }
        _ = try attributes.choice("cudnn_tune", ["None", "off", "limited_workspace", "fastest"], default: "None")
        _ = try attributes.bool("cudnn_off", default: false)
    }

    static func product(_ dims: ArraySlice<Int>) -> Int { dims.reduce(1, *) }

    /// `axis` counted from the end when negative, or nil when outside `0..<rank`.
    static func normalizedAxis(_ axis: Int, rank: Int) -> Int? {
        let value = axis < 0 ? axis + rank : axis
        return (0..<rank).contains(value) ? value : nil
    }

    /// Bytes of float32 tensors of these shapes.
    static func bytes(_ shapes: [Shape]) -> Double {
        Double(shapes.reduce(0) { $0 + $1.elementCount } * 4)
    }

    /// `(2,2)`-style rendering of a tuple attribute for messages.
    static func render(_ values: [Int]) -> String { Shape(values).description }
}
