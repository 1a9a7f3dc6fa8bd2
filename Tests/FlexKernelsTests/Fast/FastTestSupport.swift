import FlexKernels
import Synchronization
import Testing

/// Deterministic pseudo-random numbers (SplitMix64), so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Reference results computed once per key and shared by every test case that asks for them: the
/// Double references are most of the parity tests' time in a debug build, and they do not depend on the
/// instruction set, algorithm or blocking under test (their inputs come from fixed seeds). Any thread.
final class ReferenceCache<Value: Sendable>: Sendable {
    private let table = Mutex<[String: Value]>([:])

    func value(_ key: String, compute: () -> Value) -> Value {
        if let known = table.withLock({ $0[key] }) { return known }
        let value = compute()
        table.withLock { $0[key] = value }
        return value
    }
}

/// `count` floats uniform in `range`.
func randomFloats(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Float.random(in: range, using: &generator) }
}

/// Instruction sets this machine can run (the portable one always).
let runnableInstructionSets = Fast.InstructionSet.allCases.filter(\.isSupported)

/// The largest error of `actual` against `expected`, each element scaled by its `magnitude` (the sum of
/// absolute values of the terms that produced it, so the bound is independent of cancellation).
func worstScaledError(_ actual: [Float], _ expected: [Double], magnitude: [Double]) -> Double {
    precondition(actual.count == expected.count && expected.count == magnitude.count)
    var worst = 0.0
    for index in actual.indices {
        let error = abs(Double(actual[index]) - expected[index]) / (magnitude[index] + 1e-3)
        if !(error <= worst) { worst = error.isNaN ? .infinity : error }
    }
    return worst
}

/// `||actual - expected||_2 / ||expected||_2`.
func relativeL2Error(_ actual: [Float], _ expected: [Double]) -> Double {
    var difference = 0.0, norm = 0.0
    for index in actual.indices {
        difference += (Double(actual[index]) - expected[index]) * (Double(actual[index]) - expected[index])
        norm += expected[index] * expected[index]
    }
    return (difference / max(norm, 1e-30)).squareRoot()
}

/// What the epilogue does to one value, computed independently of the kernels.
func referenceEpilogue(_ value: Double, bias: Double, residual: Double, activation: Fast.Activation) -> Double {
    let x = value + bias + residual
    switch activation {
    case .identity: return x
    case .relu: return max(x, 0)
    case .relu6: return min(max(x, 0), 6)
    case .clip(let lower, let upper): return min(max(x, Double(lower)), Double(upper))
    }
}

/// Direct NCHW convolution in Double, MXNet conventions, with the epilogue. Returns the output and each
/// element's magnitude (sum of absolute values of its terms).
func referenceConvolution(
    _ g: Reference.ConvolutionGeometry, input: [Float], weights: [Float], bias: [Float]?,
    residual: [Float]?, activation: Fast.Activation
) -> (values: [Double], magnitude: [Double]) {
    let oh = g.outputHeight, ow = g.outputWidth, cg = g.inputChannelsPerGroup, og = g.outputChannelsPerGroup
    let batch = g.batch
    var values = [Double](repeating: 0, count: batch * g.outputImageCount)
    var magnitude = values
    for n in 0..<batch {
        for o in 0..<g.outputChannels {
            let group = o / og
            for y in 0..<oh {
                for x in 0..<ow {
                    var sum = 0.0, size = 0.0
                    for c in 0..<cg {
                        let channel = group * cg + c
                        for ky in 0..<g.kernelHeight {
                            let iy = y * g.strideHeight - g.padHeight + ky * g.dilationHeight
                            guard iy >= 0 && iy < g.inputHeight else { continue }
                            for kx in 0..<g.kernelWidth {
                                let ix = x * g.strideWidth - g.padWidth + kx * g.dilationWidth
                                guard ix >= 0 && ix < g.inputWidth else { continue }
                                let w = Double(weights[((o * cg + c) * g.kernelHeight + ky) * g.kernelWidth + kx])
                                let v = Double(input[((n * g.inputChannels + channel) * g.inputHeight + iy) * g.inputWidth + ix])
                                sum += w * v
                                size += abs(w * v)
                            }
                        }
                    }
                    let index = ((n * g.outputChannels + o) * oh + y) * ow + x
                    let b = bias.map { Double($0[o]) } ?? 0, r = residual.map { Double($0[index]) } ?? 0
                    values[index] = referenceEpilogue(sum, bias: b, residual: r, activation: activation)
                    magnitude[index] = size + abs(b) + abs(r)
                }
            }
        }
    }
    return (values, magnitude)
}

/// A float32 buffer of `count` elements with `guardCount` canary floats before and after it, so that a
/// kernel test fails on any write past either end (outputs and scratch are handed to kernels this way).
/// The canary is a signalling-NaN bit pattern no kernel computes; `damage` reports overwritten guards.
final class GuardedBuffer: @unchecked Sendable {
    /// Floats of guard on each side: 256 bytes, four 64-byte lines (more than one AVX-512 store).
    static let guardCount = 64
    static let canary = Float(bitPattern: 0x7FA5_A5A5)

    let count: Int
    private let base: UnsafeMutablePointer<Float>

    /// `count` elements set to `value` (NaN by default, so unwritten outputs fail comparisons).
    init(count: Int, repeating value: Float = .nan) {
        self.count = count
        base = .allocate(capacity: count + 2 * Self.guardCount)
        base.initialize(repeating: Self.canary, count: Self.guardCount)
        (base + Self.guardCount).initialize(repeating: value, count: count)
        (base + Self.guardCount + count).initialize(repeating: Self.canary, count: Self.guardCount)
    }

    /// A copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { base.deallocate() }

    /// The first of the `count` elements.
    var pointer: UnsafeMutablePointer<Float> { base + Self.guardCount }

    var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Which guard floats were written, as offsets from the first element (negative: before it, `count` or
    /// more: after the end); nil when both guards are intact.
    var damage: String? {
        let before = (0..<Self.guardCount).filter { base[$0].bitPattern != Self.canary.bitPattern }.map { $0 - Self.guardCount }
        let after = (0..<Self.guardCount).filter { pointer[count + $0].bitPattern != Self.canary.bitPattern }.map { count + $0 }
        let written = before + after
        guard let first = written.first, let last = written.last else { return nil }
        return "\(written.count) guard floats of a \(count)-float buffer written, at offsets \(first)...\(last)"
    }

    /// Records an issue naming `what` when a guard was overwritten.
    func expectIntact(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if let damage { Issue.record("\(what): \(damage)", sourceLocation: sourceLocation) }
    }
}
