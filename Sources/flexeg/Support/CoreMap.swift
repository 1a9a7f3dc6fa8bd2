/// A text picture of where models sit on a device's NeuronCores, like the seed's diagrams: a row of
/// cores `0 ..< coreCount` with each model's name over the consecutive cores it occupies.
///
/// ```
/// models      [─ A ─][───── B ─────]    [───── D ─────]
///                             [─── C ───]
/// NeuronCore    0   1   2   3   4   5   6   7   8   9  10  11  12  13  14  15
/// shared                        ^
/// ```
/// Models that overlap go on separate rows; cores used by more than one model are marked `^` under
/// their number. In NeuronCore Group mode a `groups` row shows each group's cores. Each core is
/// `cellWidth` characters wide; a name longer than its span is cut to fit.
///
/// Thread ownership: a value.
struct CoreMap {
    struct Placement {
        var name: String
        /// Context indexes, consecutive and ascending.
        var cores: [Int]
    }

    var coreCount: Int
    var placements: [Placement]
    /// NeuronCore Groups' cores (context indexes); empty in FlexEG mode.
    var groups: [[Int]] = []

    static let cellWidth = 4
    static let labelWidth = 12

    /// Cores that more than one placement uses, ascending.
    var sharedCores: [Int] {
        (0..<coreCount).filter { core in placements.filter { $0.cores.contains(core) }.count > 1 }
    }

    /// The map's lines (no trailing newline), then one line per shared core naming its models.
    func render() -> [String] {
        var lines: [String] = []
        if !groups.isEmpty {
            let spans = groups.enumerated().map { Placement(name: "g\($0.offset)", cores: $0.element) }
            lines += Self.lanes(of: spans).enumerated().map { Self.row($0.offset == 0 ? "groups" : "", $0.element) }
        }
        let lanes = Self.lanes(of: placements)
        if lanes.isEmpty { lines.append(Self.row("models", [])) }
        lines += lanes.enumerated().map { Self.row($0.offset == 0 ? "models" : "", $0.element) }
        lines.append(Self.trimmed(Self.padded("NeuronCore") + (0..<coreCount).map { Self.cell(String($0)) }.joined()))
        let shared = sharedCores
        if !shared.isEmpty {
            var marks = Array(repeating: Character(" "), count: coreCount * Self.cellWidth)
            for core in shared { marks[core * Self.cellWidth + Self.cellWidth - 2] = "^" }
            lines.append(Self.trimmed(Self.padded("shared") + String(marks)))
            for core in shared {
                let names = placements.filter { $0.cores.contains(core) }.map(\.name)
                lines.append("^ NeuronCore \(core) is shared by \(Self.list(names)): they take turns (model switching)")
            }
        }
        return lines
    }

    /// Placements spread over rows so none overlaps another in its row (first row that fits).
    static func lanes(of placements: [Placement]) -> [[Placement]] {
        var lanes: [[Placement]] = []
        for placement in placements where !placement.cores.isEmpty {
            let cores = Set(placement.cores)
            if let lane = lanes.firstIndex(where: { $0.allSatisfy { cores.isDisjoint(with: $0.cores) } }) {
                lanes[lane].append(placement)
            } else {
                lanes.append([placement])
            }
        }
        return lanes
    }

    /// One row: `[─ name ─]` over each placement's cores.
    private static func row(_ label: String, _ placements: [Placement]) -> String {
        let width = (placements.compactMap { $0.cores.last }.max().map { $0 + 1 } ?? 0) * cellWidth
        var characters = Array(repeating: Character(" "), count: width)
        for placement in placements {
            guard let first = placement.cores.first, let last = placement.cores.last else { continue }
            let span = bracket(placement.name, width: (last - first + 1) * cellWidth - 1)
            for (offset, character) in span.enumerated() { characters[first * cellWidth + offset] = character }
        }
        return trimmed(padded(label) + String(characters))
    }

    /// `[─ name ─]` exactly `width` (≥ 3) characters wide, the name centred and cut to fit.
    static func bracket(_ name: String, width: Int) -> String {
        let inner = width - 2
        var text = name.count + 2 <= inner ? " \(name) " : String(name.prefix(inner))
        let left = (inner - text.count) / 2
        text = String(repeating: "─", count: left) + text + String(repeating: "─", count: inner - text.count - left)
        return "[" + text + "]"
    }

    private static func cell(_ text: String) -> String {
        String(repeating: " ", count: max(0, cellWidth - 1 - text.count)) + text + " "
    }

    private static func padded(_ label: String) -> String {
        label + String(repeating: " ", count: max(1, labelWidth - label.count))
    }

    private static func trimmed(_ line: String) -> String {
        String(line.reversed().drop { $0 == " " }.reversed())
    }

    /// `A`, `A and B`, `A, B and C`.
    static func list(_ names: [String]) -> String {
        names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}
