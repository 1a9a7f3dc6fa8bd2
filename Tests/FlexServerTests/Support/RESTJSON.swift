import Foundation

/// The REST JSON the tests send and read: an infer request with one `data` tensor, and a reply's outputs.
enum RESTJSON {
    /// An infer request whose `data` input is `values` with `shape` and `datatype` (the demo models take
    /// FP32 `[1, 3, 32, 32]`), and the request `id` when given.
    static func inferBody(_ values: [Float], shape: [Int] = [1, 3, 32, 32], datatype: String = "FP32", id: String? = nil) -> String {
        let data = values.map { "\($0)" }.joined(separator: ",")
        let idPart = id.map { "\"id\":\"\($0)\"," } ?? ""
        return #"{\#(idPart)"inputs":[{"name":"data","shape":\#(shape),"datatype":"\#(datatype)","data":[\#(data)]}]}"#
    }

    /// The config override (`…/load`'s `parameters.config`) that moves a model to `startIndex`.
    static func startIndexConfig(_ startIndex: Int) -> String {
        #"{"parameters": {"NEURON_CORE_START_INDEX": {"string_value": "\#(startIndex)"}}}"#
    }

    /// A repository load request body that places the model at `startIndex`.
    static func loadBody(startIndex: Int) -> String {
        let config = startIndexConfig(startIndex).replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"parameters": {"config": "\#(config)"}}"#
    }

    /// The first entry of a decoded reply's `outputs` (nil when it has none).
    static func firstOutput(_ reply: Any?) -> [String: Any]? {
        ((reply as? [String: Any])?["outputs"] as? [[String: Any]])?.first
    }

    /// A JSON array of numbers as floats (an output's `data`; empty when it is not an array).
    static func floats(_ value: Any?) -> [Float] {
        ((value as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.floatValue }
    }
}
