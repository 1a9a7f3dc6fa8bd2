import Dispatch
import FlexKernels

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

/// A pointer handed to parts of a kernel that run on other threads (each writes a disjoint region).
struct SharedPointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}

/// Calls `part(0 ..< count)` one after the other, or all at once on Dispatch's threads.
func runParts(_ count: Int, concurrent: Bool, _ part: @Sendable (Int) -> Void) {
    if concurrent {
        DispatchQueue.concurrentPerform(iterations: count, execute: part)
    } else {
        for index in 0..<count { part(index) }
    }
}
