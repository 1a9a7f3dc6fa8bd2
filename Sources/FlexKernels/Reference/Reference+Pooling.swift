import Foundation

extension Reference {
    /// What a pooling window computes (MXNet's `pool_type`, with `avg`'s `count_include_pad` and
    /// `lp`'s `p_value`).
    public enum PoolingKind: Sendable, Equatable {
        /// Largest element in the window (padding never wins; an empty window gives `-Float.greatestFiniteMagnitude`).
        case max
        /// Mean of the window. With `countIncludePad`, the divisor is the window clipped to the padded
        /// input (`min(start + kernel, size + pad) - start` per axis); without, the window clipped to the input.
        case average(countIncludePad: Bool)
        /// Sum of the window.
        case sum
        /// `(sum x^p)^(1/p)` for p in 1, 2, 3 (no absolute value, as MXNet computes it).
        case lp(p: Int)
    }

    /// Geometry of 1-D, 2-D or 3-D pooling over `planes` independent `(depth, height, width)` planes
    /// (N*C planes of NCW, NCHW or NCDHW data; lower ranks use size 1, kernel 1, stride 1, pad 0 for the
    /// missing leading axes). Axis order in the arrays is `[depth, height, width]`.
    ///
    /// Windows start at `o * stride - pad` and span `kernel` elements; the output sizes are given (they
    /// depend on MXNet's pooling convention), and windows are clipped to the input.
    public struct PoolingGeometry: Sendable, Equatable {
        public var planes: Int
        public var inputSize: [Int]
        public var outputSize: [Int]
        public var kernel: [Int]
        public var stride: [Int]
        public var pad: [Int]

        public init(planes: Int, inputSize: [Int], outputSize: [Int], kernel: [Int], stride: [Int], pad: [Int]) {
            precondition([inputSize, outputSize, kernel, stride, pad].allSatisfy { $0.count == 3 }, "pooling geometry needs 3 axes")
            self.planes = planes
            self.inputSize = inputSize
            self.outputSize = outputSize
            self.kernel = kernel
            self.stride = stride
            self.pad = pad
        }
    }

    /// Pools `input` (`(planes, inputSize...)`) into `output` (`(planes, outputSize...)`) with MXNet's
    /// CPU semantics. `output` must not alias `input`.
    public static func pooling(_ kind: PoolingKind, _ geometry: PoolingGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let g = geometry
        let (inD, inH, inW) = (g.inputSize[0], g.inputSize[1], g.inputSize[2])
        let (outD, outH, outW) = (g.outputSize[0], g.outputSize[1], g.outputSize[2])
        let inputPlane = inD * inH * inW, outputPlane = outD * outH * outW
        // Window bounds per axis and output index: (clipped start, clipped end, padded extent).
        func windows(_ axis: Int) -> [(start: Int, end: Int, padded: Int)] {
            let size = g.inputSize[axis]
            return (0..<g.outputSize[axis]).map { o in
                let start = o * g.stride[axis] - g.pad[axis]
                let end = Swift.min(start + g.kernel[axis], size + g.pad[axis])
                return (Swift.max(start, 0), Swift.min(end, size), end - start)
            }
        }
        let depthWindows = windows(0), heightWindows = windows(1), widthWindows = windows(2)
        for plane in 0..<g.planes {
            let x = input + plane * inputPlane
            var y = output + plane * outputPlane
            for dw in depthWindows {
                for hw in heightWindows {
                    for ww in widthWindows {
                        y.pointee = pool(kind, x, depth: dw, height: hw, width: ww, rowStride: inW, sliceStride: inH * inW)
                        y += 1
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func pool(_ kind: PoolingKind, _ x: UnsafePointer<Float>, depth: (start: Int, end: Int, padded: Int),
                             height: (start: Int, end: Int, padded: Int), width: (start: Int, end: Int, padded: Int),
                             rowStride: Int, sliceStride: Int) -> Float {
        switch kind {
        case .max:
            var best = -Float.greatestFiniteMagnitude
            for d in depth.start..<Swift.max(depth.start, depth.end) {
                for h in height.start..<Swift.max(height.start, height.end) {
                    let row = x + d * sliceStride + h * rowStride
                    for w in width.start..<Swift.max(width.start, width.end) where row[w] > best { best = row[w] }
                }
            }
            return best
        case .average(let countIncludePad):
            let divisor = countIncludePad
                ? depth.padded * height.padded * width.padded
                : (depth.end - depth.start) * (height.end - height.start) * (width.end - width.start)
            return windowSum(x, depth: depth, height: height, width: width, rowStride: rowStride, sliceStride: sliceStride,
                             divisor: Float(divisor)) { $0 }
        case .sum:
            return windowSum(x, depth: depth, height: height, width: width, rowStride: rowStride, sliceStride: sliceStride, divisor: 1) { $0 }
        case .lp(let p):
            switch p {
            case 1:
                return windowSum(x, depth: depth, height: height, width: width, rowStride: rowStride, sliceStride: sliceStride, divisor: 1) { $0 }
            case 2:
                return windowSum(x, depth: depth, height: height, width: width, rowStride: rowStride, sliceStride: sliceStride, divisor: 1) { $0 * $0 }
                    .squareRoot()
            default:
                return Foundation.cbrt(windowSum(x, depth: depth, height: height, width: width, rowStride: rowStride, sliceStride: sliceStride,
                                                 divisor: 1) { $0 * $0 * $0 })
            }
        }
    }

    /// `sum(f(x) / divisor)` over the clipped window (MXNet divides each term, not the sum).
    @inline(__always)
    private static func windowSum(_ x: UnsafePointer<Float>, depth: (start: Int, end: Int, padded: Int),
                                  height: (start: Int, end: Int, padded: Int), width: (start: Int, end: Int, padded: Int),
                                  rowStride: Int, sliceStride: Int, divisor: Float, _ f: (Float) -> Float) -> Float {
        var sum: Float = 0
        for d in depth.start..<Swift.max(depth.start, depth.end) {
            for h in height.start..<Swift.max(height.start, height.end) {
                let row = x + d * sliceStride + h * rowStride
                for w in width.start..<Swift.max(width.start, width.end) { sum += f(row[w]) / divisor }
            }
        }
        return sum
    }
}
