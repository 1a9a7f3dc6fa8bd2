import Foundation

/// NeuronCore index lists in the notation of `NEURON_RT_VISIBLE_CORES`: single indexes and inclusive
/// ranges separated by commas (`3`, `2-5`, `1,3`, `0-1,4,6-7`).
///
/// Thread ownership: stateless.
enum CoreList {
    /// Parses `text` into ascending, distinct core indexes. Returns nil (with the reason) for empty
    /// items, non-numbers, descending ranges or repeated cores.
    static func parse(_ text: String) -> Result<[Int], ParseProblem> {
        var cores: [Int] = []
        for rawItem in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = rawItem.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { return .failure(.emptyItem) }
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2,
                  let low = Int(bounds[0].trimmingCharacters(in: .whitespaces)), low >= 0,
                  let high = Int(bounds[bounds.count - 1].trimmingCharacters(in: .whitespaces)), high >= 0
            else { return .failure(.notAnIndex(item)) }
            guard low <= high else { return .failure(.descendingRange(item)) }
            cores.append(contentsOf: low...high)
        }
        let distinct = Set(cores)
        guard distinct.count == cores.count else {
            let repeated = cores.first { core in cores.filter { $0 == core }.count > 1 }!
            return .failure(.repeated(repeated))
        }
        return .success(cores.sorted())
    }

    enum ParseProblem: Error, Equatable, CustomStringConvertible {
        case emptyItem
        case notAnIndex(String)
        case descendingRange(String)
        case repeated(Int)

        var description: String {
            switch self {
            case .emptyItem: "an empty item between commas"
            case .notAnIndex(let item): "\"\(item)\" is neither a core index nor a range like 2-5"
            case .descendingRange(let item): "range \"\(item)\" runs backwards"
            case .repeated(let core): "core \(core) is listed twice"
            }
        }
    }

    /// `[0, 1, 2, 5, 7, 8]` → `0-2,5,7-8`.
    static func format(_ cores: [Int]) -> String {
        runs(of: cores).map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }

    /// Indexes for prose: up to eight listed (`0, 1, 2`), longer lists compressed to runs (`0-62`).
    static func formatIndexes(_ indexes: [Int]) -> String {
        if indexes.count <= 8 { return indexes.map(String.init).joined(separator: ", ") }
        return runs(of: indexes).map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ", ")
    }

    private static func runs(of values: [Int]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for value in values.sorted() {
            if let last = result.last, last.upperBound + 1 == value {
                result[result.count - 1] = last.lowerBound...value
            } else {
                result.append(value...value)
            }
        }
        return result
    }
}
