import Foundation

/// The core map (`CoreMap`) as an SVG picture, drawn the way the seed's figures are: the NeuronCores
/// in a row, each model a coloured bar over its consecutive cores (overlapping models on separate
/// rows, as `CoreMap.lanes` lays them out), shared cores filled red and marked "shared", and a line
/// per shared core naming the models that take turns on it. With `holders`, a row under the cores
/// shows which process holds each range of cores.
///
/// Every shared core's cell carries `class="core shared"` and `data-core="<index>"`, so tools (and
/// tests) can find it in the document.
///
/// Thread ownership: a value.
struct SVGCoreMap {
    var map: CoreMap
    var title: String
    /// Device core → label of the process holding it (e.g. `pid 1234`); empty: no holder row.
    var holders: [Int: String] = [:]

    static let cellWidth = 48
    static let cellHeight = 34
    static let barHeight = 26
    static let margin = 16
    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#bab0ac"]
    static let sharedFill = "#f4a6a6"
    static let sharedStroke = "#c0262d"

    init(map: CoreMap, title: String, holders: [Int: String] = [:]) {
        self.map = map
        self.title = title
        self.holders = holders
    }

    /// Every published model of `view`, on its device cores, with the holders row.
    init(view: MachineView) {
        var holders: [Int: String] = [:]
        for core in view.cores { if let pid = core.pid { holders[core.deviceCore] = "pid \(pid)" } }
        self.init(map: CoreMap(coreCount: view.deviceCoreCount, placements: view.placements),
                  title: "NeuronCores on this machine (\(view.deviceCoreCount))", holders: holders)
    }

    func write(to path: String) throws {
        do {
            try Data(render().utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw CommandLineError("cannot write the SVG to \(path): \(error.localizedDescription); give a writable --svg FILE")
        }
    }

    func render() -> String {
        let cell = Self.cellWidth, margin = Self.margin
        let lanes = CoreMap.lanes(of: map.placements)
        let groupLanes = CoreMap.lanes(of: map.groups.enumerated().map { CoreMap.Placement(name: "group \($0.offset)", cores: $0.element) })
        let shared = map.sharedCores
        let width = margin * 2 + max(1, map.coreCount) * cell
        var y = margin + 22
        var body: [String] = []
        body.append(text(x: margin, y: margin + 12, title, size: 15, weight: "bold", anchor: "start"))

        func bars(_ lanes: [[CoreMap.Placement]], colour: (CoreMap.Placement) -> String, cssClass: String) {
            for lane in lanes {
                for placement in lane {
                    guard let first = placement.cores.first, let last = placement.cores.last else { continue }
                    let x = margin + first * cell + 2
                    let w = (last - first + 1) * cell - 4
                    body.append("<g class=\"\(cssClass)\" data-name=\"\(Self.escaped(placement.name))\">"
                        + "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(w)\" height=\"\(Self.barHeight)\" rx=\"6\" fill=\"\(colour(placement))\"/>"
                        + text(x: x + w / 2, y: y + Self.barHeight / 2 + 5, placement.name, size: 13, weight: "bold", fill: "#ffffff")
                        + "</g>")
                }
                y += Self.barHeight + 6
            }
        }
        bars(groupLanes, colour: { _ in "#8a8a8a" }, cssClass: "group")
        let colours = Dictionary(map.placements.enumerated().map { ($0.element.name, Self.palette[$0.offset % Self.palette.count]) },
                                 uniquingKeysWith: { first, _ in first })
        bars(lanes, colour: { colours[$0.name] ?? Self.palette[0] }, cssClass: "model")

        y += 4
        for core in 0..<map.coreCount {
            let isShared = shared.contains(core)
            let x = margin + core * cell
            body.append("<g class=\"core\(isShared ? " shared" : "")\" data-core=\"\(core)\">"
                + "<rect x=\"\(x + 1)\" y=\"\(y)\" width=\"\(cell - 2)\" height=\"\(Self.cellHeight)\" rx=\"3\" "
                + "fill=\"\(isShared ? Self.sharedFill : "#eef1f5")\" stroke=\"\(isShared ? Self.sharedStroke : "#9aa5b1")\" stroke-width=\"\(isShared ? 3 : 1)\"/>"
                + text(x: x + cell / 2, y: y + Self.cellHeight / 2 + 5, "NC\(core)", size: 12, weight: isShared ? "bold" : "normal")
                + "</g>")
        }
        y += Self.cellHeight
        if !shared.isEmpty {
            y += 16
            for core in shared {
                body.append(text(x: margin + core * cell + cell / 2, y: y, "shared", size: 11, weight: "bold", fill: Self.sharedStroke))
            }
        }
        if !holders.isEmpty {
            y += 8
            var runs: [(first: Int, last: Int, label: String)] = []
            for core in 0..<map.coreCount {
                guard let label = holders[core] else { continue }
                if let last = runs.last, last.label == label, last.last == core - 1 { runs[runs.count - 1].last = core } else { runs.append((core, core, label)) }
            }
            for run in runs {
                let x = margin + run.first * cell + 2
                let w = (run.last - run.first + 1) * cell - 4
                body.append("<g class=\"holder\"><rect x=\"\(x)\" y=\"\(y)\" width=\"\(w)\" height=\"18\" fill=\"none\" stroke=\"#55606e\" stroke-dasharray=\"4 2\"/>"
                    + text(x: x + w / 2, y: y + 13, run.label, size: 11) + "</g>")
            }
            y += 18
        }
        y += 6
        for core in shared {
            y += 18
            let names = map.placements.filter { $0.cores.contains(core) }.map(\.name)
            body.append(text(x: margin, y: y, "NeuronCore \(core) is shared by \(CoreMap.list(names)): they take turns (model switching)",
                             size: 12, fill: Self.sharedStroke, anchor: "start"))
        }
        let height = y + margin
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <rect x="0" y="0" width="\(width)" height="\(height)" fill="#ffffff"/>
            \(body.joined(separator: "\n"))
            </svg>

            """
    }

    private func text(x: Int, y: Int, _ content: String, size: Int, weight: String = "normal", fill: String = "#1f2933",
                      anchor: String = "middle") -> String {
        "<text x=\"\(x)\" y=\"\(y)\" font-size=\"\(size)\" font-weight=\"\(weight)\" fill=\"\(fill)\" text-anchor=\"\(anchor)\">\(Self.escaped(content))</text>"
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
