extension Reference {
    /// Box encodings of MXNet's detection operators.
    public enum BoxFormat: String, Sendable, CaseIterable {
        /// `[xmin, ymin, xmax, ymax]`.
        case corner
        /// `[x, y, width, height]`, `(x, y)` the centre.
        case center
    }

    /// The overlap of two boxes along one axis (`a[0], a[2]` against `b[0], b[2]`), 0 if none
    /// (MXNet's `Intersect`).
    @inline(__always)
    static func intersect(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ format: BoxFormat) -> Float {
        let width: Float
        if format == .corner {
            width = min(a[2], b[2]) - max(a[0], b[0])
        } else {
            let (aw, bw) = (a[2] / 2, b[2] / 2)
            width = min(b[0] + bw, a[0] + aw) - max(b[0] - bw, a[0] - aw)
        }
        return width > 0 ? width : 0
    }

    @inline(__always)
    static func boxArea(_ box: UnsafePointer<Float>, _ format: BoxFormat) -> Float {
        let (w, h) = format == .corner ? (box[2] - box[0], box[3] - box[1]) : (box[2], box[3])
        return w < 0 || h < 0 ? 0 : w * h
    }

    /// Parameters of `boxNMS`, named as MXNet's `_contrib_box_nms` attributes.
    public struct BoxNMSParameters: Sendable {
        public var overlapThreshold: Float, validThreshold: Float, topK: Int
        public var coordStart: Int, scoreIndex: Int, idIndex: Int, backgroundID: Int
        public var forceSuppress: Bool, inFormat: BoxFormat, outFormat: BoxFormat
        public init(overlapThreshold: Float, validThreshold: Float, topK: Int, coordStart: Int, scoreIndex: Int, idIndex: Int,
                    backgroundID: Int, forceSuppress: Bool, inFormat: BoxFormat, outFormat: BoxFormat) {
            (self.overlapThreshold, self.validThreshold, self.topK) = (overlapThreshold, validThreshold, topK)
            (self.coordStart, self.scoreIndex, self.idIndex, self.backgroundID) = (coordStart, scoreIndex, idIndex, backgroundID)
            (self.forceSuppress, self.inFormat, self.outFormat) = (forceSuppress, inFormat, outFormat)
        }
    }

    /// MXNet's `_contrib_box_nms` over `[batches, count, width]` rows, as its CPU kernel does: rows
    /// whose score is above `validThreshold` (and whose id is not `backgroundID`) are ordered by
    /// score, highest first (ties in row order), within each batch; only the first `topK` of them
    /// (all when negative) take part; each, unless already suppressed, suppresses the later ones whose
    /// IoU with it exceeds `overlapThreshold` (of the same id unless `forceSuppress` or `idIndex < 0`).
    /// The survivors are written first in that order, every other row is -1, and the box
    /// coordinates are converted when `outFormat` differs (rows whose first coordinate is negative
    /// are left as they are). `topK == 0` copies the input; no valid row at all gives all -1.
    public static func boxNMS(input: UnsafePointer<Float>, batches: Int, count: Int, width: Int,
                              parameters p: BoxNMSParameters, output: UnsafeMutablePointer<Float>) {
        let total = batches * count * width
        let topK = p.topK < 0 ? count : min(count, p.topK)
        if topK < 1 {
            output.update(from: input, count: total)
            return
        }
        output.update(repeating: -1, count: total)
        for b in 0..<batches {
            let rows = input + b * count * width
            var order = (0..<count).filter { row in
                let score = rows[row * width + p.scoreIndex]
                let background = p.backgroundID >= 0 && p.idIndex >= 0 && Int(rows[row * width + p.idIndex]) == p.backgroundID
                return score > p.validThreshold && !background
            }
            order.sort { rows[$0 * width + p.scoreIndex] > rows[$1 * width + p.scoreIndex] || 
                (rows[$0 * width + p.scoreIndex] == rows[$1 * width + p.scoreIndex] && $0 < $1) }
            var kept = Array(order.prefix(topK)).map { Optional($0) }
            let areas = kept.map { boxArea(rows + $0! * width + p.coordStart, p.inFormat) }
            for ref in kept.indices {
                guard let r = kept[ref] else { continue }
                let refBox = rows + r * width + p.coordStart
                for pos in (ref + 1)..<max(ref + 1, kept.count) {
                    guard let q = kept[pos] else { continue }
                    if !p.forceSuppress && p.idIndex >= 0 && Int(rows[r * width + p.idIndex]) != Int(rows[q * width + p.idIndex]) { continue }
                    let box = rows + q * width + p.coordStart
                    let overlap = intersect(refBox, box, p.inFormat) * intersect(refBox + 1, box + 1, p.inFormat)
                    let iou = overlap / (areas[ref] + areas[pos] - overlap)
                    if iou > p.overlapThreshold { kept[pos] = nil }
                }
            }
            var written = 0
            for row in kept.compactMap({ $0 }) {
                (output + (b * count + written) * width).update(from: rows + row * width, count: width)
                written += 1
            }
        }
        guard p.inFormat != p.outFormat else { return }
        for row in 0..<(batches * count) {
            let box = output + row * width + p.coordStart
            guard box[0] >= 0 else { continue }
            if p.outFormat == .center {
                let (l, t, r, bottom) = (box[0], box[1], box[2], box[3])
                (box[0], box[1], box[2], box[3]) = ((l + r) / 2, (t + bottom) / 2, r - l, bottom - t)
            } else {
                let (x, y, w, h) = (box[0], box[1], box[2] / 2, box[3] / 2)
                (box[0], box[1], box[2], box[3]) = (x - w, y - h, x + w, y + h)
            }
        }
    }
}
