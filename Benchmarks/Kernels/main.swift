// flexeg-kernel-bench: speed of the fast CPU kernels on one core, against the core's measured FMA peak.
// Run in release: `swift run -c release flexeg-kernel-bench [--quick] [--instruction-set avx512|avx2|portable]`
// (default: the process's active set, `FLEXEG_MAX_ISA` caps it). `*` marks the algorithm chosen for that set.
import FlexKernels
import Foundation

struct Options {
    var quick = false
    var instructionSet = Fast.InstructionSet.active

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--quick": quick = true
            case "--instruction-set":
                guard let set = iterator.next().flatMap(Fast.InstructionSet.init(name:)), set.isSupported else {
                    print("--instruction-set takes one this CPU runs: "
                          + Fast.InstructionSet.allCases.filter(\.isSupported).map(\.rawValue).joined(separator: ", "))
                    exit(2)
                }
                instructionSet = set
            default:
                print("usage: flexeg-kernel-bench [--quick] [--instruction-set NAME]")
                exit(2)
            }
        }
    }
}

/// Seconds of CPU time the calling thread has used: unlike wall time it stops while the thread is
/// preempted, which on a shared machine is most of what makes timings noisy.
func threadCPUTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

func wallTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Best time in seconds (the calling thread's CPU time) of `body` over repeated runs (at least 3, until
/// about `budget` seconds of wall time).
func bestTime(budget: Double, _ body: () -> Void) -> Double {
    body()
    let clock = threadCPUTime
    let start = wallTime()
    var best = Double.infinity, runs = 0
    while runs < 3 || wallTime() - start < budget {
        let before = clock()
        body()
        best = min(best, clock() - before)
        runs += 1
        if runs >= 500 { break }
    }
    return best
}

struct Buffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(count: Int, seed: Int = 1) {
        pointer = .allocate(capacity: max(count, 1))
        var state = UInt32(truncatingIfNeeded: seed * 2_654_435_761 + 1)
        for index in 0..<count {
            state = state &* 1_664_525 &+ 1_013_904_223
            pointer[index] = Float(Int32(bitPattern: state >> 8) - (1 << 23)) / Float(1 << 23)
        }
    }
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

let options = Options(CommandLine.arguments)
let budget = options.quick ? 0.15 : 0.6
let instructionSet = options.instructionSet

print("CPU: \(CPUFeatures.current), kernels: \(instructionSet), timing: thread CPU time, best of runs")
let peak = FMAPeak.measure(instructionSet: instructionSet)
print("measured FMA peak: \(format(peak)) GFLOP/s per core\n")

func report(_ name: String, flops: Double, seconds: Double) {
    let gflops = flops / seconds / 1e9
    print(pad(name, 46) + pad("\(format(seconds * 1e3, 3)) ms", 14) + pad("\(format(gflops)) GFLOP/s", 18)
          + "\(format(100 * gflops / peak))% of peak")
}

// MARK: GEMM

print("GEMM C[M x N] = A[M x K] . B[K x N] (A pre-packed, B packed on the fly)")
let gemmSizes: [(Int, Int, Int)] = options.quick
    ? [(256, 256, 256), (1024, 1024, 1024)]
    : [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (64, 3136, 576), (256, 3136, 64),
       (96, 12544, 16), (144, 3136, 24), (96, 448, 16)]
for (m, n, k) in gemmSizes {
    let a = Buffer(count: m * k, seed: 1), b = Buffer(count: k * n, seed: 2), c = Buffer(count: m * n, seed: 3)
    let packed = Fast.PackedMatrix(rows: m, columns: k, role: .left, source: a.pointer, rowStride: k)
    let left = Fast.GEMM.Operand.packed(packed)
    let right = Fast.GEMM.Operand.strided(b.pointer, rowStride: n, columnStride: 1)
    let scratchCount = Fast.GEMM.scratchCount(m: m, n: n, k: k, left: left, right: right)
    let scratch = Buffer(count: scratchCount)
    let seconds = bestTime(budget: budget) {
        Fast.GEMM.multiply(m: m, n: n, k: k, left: left, right: right, output: c.pointer, outputRowStride: n,
                           scratch: scratch.pointer, instructionSet: instructionSet)
    }
    report("\(m)x\(n)x\(k)", flops: 2.0 * Double(m * n * k), seconds: seconds)
}

// MARK: Dense layers

print("dense layers C[M x N] = X[M x K] . W[K x N] (X strided, packed on the fly; W pre-packed; weights cold)")
// BERT-base at sequence 128: QKV, attention output, FFN in and out. Each run reads weights the previous
// runs evicted (a model's weights stream from memory once per inference), via a rotation over copies
// that together exceed the last-level cache.
let denseSizes: [(Int, Int, Int)] = options.quick ? [(128, 3072, 768)] : [(128, 2304, 768), (128, 768, 768), (128, 3072, 768), (128, 768, 3072)]
for (m, n, k) in denseSizes {
    let x = Buffer(count: m * k, seed: 1), c = Buffer(count: m * n, seed: 3)
    let copies = max(2, (96 << 20) / (k * n * 4))
    let weights = (0..<copies).map { copy in
        let w = Buffer(count: k * n, seed: 2 + copy)
        return Fast.PackedMatrix(rows: k, columns: n, role: .right, source: w.pointer, rowStride: n)
    }
    let left = Fast.GEMM.Operand.strided(x.pointer, rowStride: k, columnStride: 1)
    let scratch = Buffer(count: Fast.GEMM.scratchCount(m: m, n: n, k: k, left: left, right: .packed(weights[0])))
    var next = 0
    let seconds = bestTime(budget: budget) {
        Fast.GEMM.multiply(m: m, n: n, k: k, left: left, right: .packed(weights[next]), output: c.pointer, outputRowStride: n,
                           scratch: scratch.pointer, instructionSet: instructionSet)
        next = (next + 1) % copies
    }
    report("\(m)x\(n)x\(k)", flops: 2.0 * Double(m * n * k), seconds: seconds)
}

// MARK: Convolutions

typealias Geometry = Reference.ConvolutionGeometry

func conv(
    _ c: Int, _ o: Int, _ size: Int, kernel: Int, stride: Int = 1, pad: Int = 0, groups: Int = 1
) -> Geometry {
    Geometry(batch: 1, inputChannels: c, inputHeight: size, inputWidth: size, outputChannels: o,
             kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride, strideWidth: stride,
             padHeight: pad, padWidth: pad, groups: groups)
}

/// Best time of one batch-1 convolution with `algorithm` (bias + ReLU fused).
func timeConvolution(_ g: Geometry, _ algorithm: Fast.PreparedConvolution.Algorithm) -> Double {
    let weights = Buffer(count: g.weightCount, seed: 4), bias = Buffer(count: g.outputChannels, seed: 5)
    let input = Buffer(count: g.inputImageCount, seed: 6), output = Buffer(count: g.outputImageCount, seed: 7)
    let prepared = Fast.PreparedConvolution(geometry: g, weights: weights.pointer, algorithm: algorithm,
                                            instructionSet: instructionSet)
    let scratchCount = prepared.scratchCount
    let scratch = Buffer(count: scratchCount)
    let epilogue = Fast.Epilogue(bias: bias.pointer, activation: .relu)
    return bestTime(budget: budget) {
        prepared.run(input: input.pointer, output: output.pointer, epilogue: epilogue, scratch: scratch.pointer)
    }
}

print("\nConvolutions, batch 1, NCHW, bias + ReLU fused (GFLOP/s counts direct-convolution flops)")
let layers: [(String, Geometry)] = [
    ("stem 3->64 7x7/2 @224", conv(3, 64, 224, kernel: 7, stride: 2, pad: 3)),
    ("3x3 64->64 @56", conv(64, 64, 56, kernel: 3, pad: 1)),
    ("1x1 256->64 @56", conv(256, 64, 56, kernel: 1)),
    ("1x1 64->256 @56", conv(64, 256, 56, kernel: 1)),
    ("3x3 128->128 @28", conv(128, 128, 28, kernel: 3, pad: 1)),
    ("1x1/2 512->1024 @28", conv(512, 1024, 28, kernel: 1, stride: 2)),
    ("3x3 256->256 @14", conv(256, 256, 14, kernel: 3, pad: 1)),
    ("3x3 512->512 @7", conv(512, 512, 7, kernel: 3, pad: 1)),
    ("1x1 2048->512 @7", conv(2048, 512, 7, kernel: 1)),
    ("stem 3->32 3x3/2 @224", conv(3, 32, 224, kernel: 3, stride: 2, pad: 1)),
    ("1x1 16->96 @112", conv(16, 96, 112, kernel: 1)),
    ("1x1 144->24 @56", conv(144, 24, 56, kernel: 1)),
    ("1x1 960->160 @7", conv(960, 160, 7, kernel: 1)),
    ("1x1 1280->1000 @1", conv(1280, 1000, 1, kernel: 1)),
    ("depthwise 3x3 32 @112", conv(32, 32, 112, kernel: 3, pad: 1, groups: 32)),
    ("depthwise 3x3/2 96 @112", conv(96, 96, 112, kernel: 3, stride: 2, pad: 1, groups: 96)),
    ("depthwise 3x3 384 @14", conv(384, 384, 14, kernel: 3, pad: 1, groups: 384)),
    ("depthwise 3x3 960 @7", conv(960, 960, 7, kernel: 3, pad: 1, groups: 960)),
]
for (name, g) in layers {
    for algorithm in Fast.PreparedConvolution.Algorithm.allCases
    where Fast.PreparedConvolution.supports(algorithm, geometry: g) && (algorithm != .gemm || g.groups == 1) {
        let chosen = Fast.PreparedConvolution.preferredAlgorithm(for: g, target: instructionSet) == algorithm ? "*" : " "
        report("\(chosen)\(name) [\(algorithm)]", flops: 2 * Double(g.multiplyAdds),
               seconds: timeConvolution(g, algorithm))
    }
}
print("(* = the algorithm PreparedConvolution picks by default)")

// MARK: MobileNetV2 expansion fused into its depthwise convolution

print("\n1x1 expansion + depthwise 3x3, fused band by band (bias + ReLU6 fused into both)")
for (c, e, size, stride) in [(32, 32, 112, 1), (16, 96, 112, 2), (24, 144, 56, 1)] {
    let pointwise = conv(c, e, size, kernel: 1), depthwise = conv(e, e, size, kernel: 3, stride: stride, pad: 1, groups: e)
    let first = Fast.PreparedConvolution(geometry: pointwise, weights: Buffer(count: pointwise.weightCount, seed: 8).pointer,
                                         algorithm: .gemm, instructionSet: instructionSet)
    let second = Fast.PreparedConvolution(geometry: depthwise, weights: Buffer(count: depthwise.weightCount, seed: 9).pointer,
                                          algorithm: .depthwise, instructionSet: instructionSet)
    let fused = Fast.PointwiseDepthwise(pointwise: first, depthwise: second)!
    let input = Buffer(count: pointwise.inputImageCount, seed: 10), output = Buffer(count: depthwise.outputImageCount)
    let bias = Buffer(count: e, seed: 11), scratch = Buffer(count: fused.scratchCount)
    let epilogue = Fast.Epilogue(bias: bias.pointer, activation: .relu6)
    let seconds = bestTime(budget: budget) {
        fused.run(input: input.pointer, output: output.pointer, pointwiseEpilogue: epilogue, depthwiseEpilogue: epilogue,
                  scratch: scratch.pointer)
    }
    report("\(c)->\(e) dw3x3/\(stride) @\(size) [\(fused.bandRows)-row bands]",
           flops: 2 * Double(pointwise.multiplyAdds + depthwise.multiplyAdds), seconds: seconds)
}

// MARK: ResNet-50 v1

/// Every convolution of ResNet-50 v1 (stride on the first 1x1 of each bottleneck) at 224x224.
func resnet50Convolutions() -> [Geometry] {
    var layers = [conv(3, 64, 224, kernel: 7, stride: 2, pad: 3)]
    var channels = 64, size = 56
    for (blocks, width, stride) in [(3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2)] {
        for block in 0..<blocks {
            let s = block == 0 ? stride : 1
            layers.append(conv(channels, width, size, kernel: 1, stride: s))
            let inner = size / s
            layers.append(conv(width, width, inner, kernel: 3, pad: 1))
            layers.append(conv(width, width * 4, inner, kernel: 1))
            if block == 0 { layers.append(conv(channels, width * 4, size, kernel: 1, stride: s)) }
            channels = width * 4
            size = inner
        }
    }
    return layers
}

/// Every convolution of MobileNetV2 1.0 at 224x224 (expansion 6; the classifier is a 1x1 convolution).
func mobileNetV2Convolutions() -> [Geometry] {
    var layers = [conv(3, 32, 224, kernel: 3, stride: 2, pad: 1)]
    var channels = 32, size = 112
    let settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    for (expansion, width, blocks, stride) in settings {
        for block in 0..<blocks {
            let s = block == 0 ? stride : 1, hidden = channels * expansion
            if expansion != 1 { layers.append(conv(channels, hidden, size, kernel: 1)) }
            layers.append(conv(hidden, hidden, size, kernel: 3, stride: s, pad: 1, groups: hidden))
            size = (size - 1) / s + 1
            layers.append(conv(hidden, width, size, kernel: 1))
            channels = width
        }
    }
    layers.append(conv(channels, 1280, size, kernel: 1))
    layers.append(conv(1280, 1000, 1, kernel: 1))
    return layers
}

/// Total best time of every convolution of a model with its preferred algorithms.
func modelTotal(_ name: String, _ convolutions: [Geometry]) {
    var total = 0.0, flops = 0.0
    var seen: [(Geometry, Double)] = []
    for g in convolutions {
        let seconds = seen.first { $0.0 == g }?.1 ?? timeConvolution(g, Fast.PreparedConvolution.preferredAlgorithm(for: g, target: instructionSet))
        seen.append((g, seconds))
        total += seconds
        flops += 2 * Double(g.multiplyAdds)
    }
    print("\n\(name), all \(convolutions.count) convolutions, batch 1: \(format(total * 1e3, 2)) ms "
          + "(\(format(flops / 1e9, 2)) GFLOP, \(format(flops / total / 1e9)) GFLOP/s) = "
          + "\(format(1 / total, 2)) images/s from convolutions alone")
}

if !options.quick {
    modelTotal("ResNet-50 v1", resnet50Convolutions())
    modelTotal("MobileNetV2 1.0", mobileNetV2Convolutions())
}

// MARK: ResNet-50 stage 4 and strided 1x1s at batch 1 and 8

/// Best time of one convolution of `g` (its batch) with `algorithm`, bias + residual + ReLU fused (a
/// bottleneck's last step). `cold`: 64 MB are written before each run so that the weights come from
/// memory, as they do in a whole model whose weights exceed the last-level cache (the input is read once
/// after that, being the output of the step before).
func timeBatchConvolution(_ g: Geometry, _ algorithm: Fast.PreparedConvolution.Algorithm, cold: Bool) -> Double {
    let weights = Buffer(count: g.weightCount, seed: 4), bias = Buffer(count: g.outputChannels, seed: 5)
    let inputCount = g.batch * g.inputImageCount, outputCount = g.batch * g.outputImageCount
    let input = Buffer(count: inputCount, seed: 6), output = Buffer(count: outputCount, seed: 7)
    let residual = Buffer(count: outputCount, seed: 12)
    let prepared = Fast.PreparedConvolution(geometry: g, weights: weights.pointer, algorithm: algorithm,
                                            instructionSet: instructionSet)
    let scratchCount = prepared.scratchCount
    let scratch = Buffer(count: scratchCount)
    let epilogue = Fast.Epilogue(bias: bias.pointer, residual: residual.pointer, activation: .relu)
    let flushCount = cold ? 16 << 20 : 0
    let flush = UnsafeMutablePointer<Float>.allocate(capacity: max(flushCount, 1))
    defer { flush.deallocate() }
    // The sum of one float per cache line of the input and residual, read back into cache; used below so
    // that the reads stay.
    var sink: Float = 0
    let clock = threadCPUTime
    let start = wallTime()
    var best = Double.infinity, runs = 0
    while runs < 4 || wallTime() - start < budget {
        if cold {
            flush.update(repeating: Float(runs), count: flushCount)
            for index in stride(from: 0, to: inputCount, by: 16) { sink += input.pointer[index] }
            for index in stride(from: 0, to: outputCount, by: 16) { sink += residual.pointer[index] }
        }
        let before = clock()
        prepared.run(input: input.pointer, output: output.pointer, epilogue: epilogue, scratch: scratch.pointer)
        if runs > 0 { best = min(best, clock() - before) }
        runs += 1
        if runs >= 200 { break }
    }
    if sink.isNaN { print("(the input held NaN)") }
    return best
}

print("\nResNet-50 stage 4 and strided 1x1s, batch 1 and 8, bias + residual + ReLU fused (cold: weights from memory)")
let batchLayers: [(String, Geometry)] = [
    ("1x1/2 1024->2048 @14", conv(1024, 2048, 14, kernel: 1, stride: 2)),
    ("1x1/2 1024->512 @14", conv(1024, 512, 14, kernel: 1, stride: 2)),
    ("3x3 512->512 @7", conv(512, 512, 7, kernel: 3, pad: 1)),
    ("1x1 512->2048 @7", conv(512, 2048, 7, kernel: 1)),
    ("1x1 2048->512 @7", conv(2048, 512, 7, kernel: 1)),
    ("1x1/2 512->1024 @28", conv(512, 1024, 28, kernel: 1, stride: 2)),
    ("1x1/2 512->256 @28", conv(512, 256, 28, kernel: 1, stride: 2)),
    ("1x1/2 256->512 @56", conv(256, 512, 56, kernel: 1, stride: 2)),
    ("1x1/2 256->128 @56", conv(256, 128, 56, kernel: 1, stride: 2)),
]
for (name, layer) in batchLayers {
    for batch in [1, 8] {
        var g = layer
        g.batch = batch
        for algorithm in [Fast.PreparedConvolution.Algorithm.gemm, .transposedGEMM, .winograd]
        where Fast.PreparedConvolution.supports(algorithm, geometry: g) {
            let chosen = Fast.PreparedConvolution.preferredAlgorithm(for: g, target: instructionSet) == algorithm ? "*" : " "
            let flops = 2 * Double(g.multiplyAdds)
            report("\(chosen)\(name) b\(batch) [\(algorithm)]", flops: flops, seconds: timeBatchConvolution(g, algorithm, cold: false))
            report("\(chosen)\(name) b\(batch) [\(algorithm), cold]", flops: flops,
                   seconds: timeBatchConvolution(g, algorithm, cold: true))
        }
    }
}

// MARK: MobileNetV2's expansion + depthwise pairs: separate against fused

/// Best times of a 1x1 expansion `c -> e` at `size` followed by a depthwise 3x3 (stride `stride`), run as
/// two convolutions and fused band by band (bias + ReLU6 in both).
func timeExpansionPair(_ c: Int, _ e: Int, _ size: Int, _ stride: Int) -> (separate: Double, fused: Double, bands: Int) {
    let pointwise = conv(c, e, size, kernel: 1), depthwise = conv(e, e, size, kernel: 3, stride: stride, pad: 1, groups: e)
    let first = Fast.PreparedConvolution(geometry: pointwise, weights: Buffer(count: pointwise.weightCount, seed: 8).pointer,
                                         algorithm: .gemm, instructionSet: instructionSet)
    let second = Fast.PreparedConvolution(geometry: depthwise, weights: Buffer(count: depthwise.weightCount, seed: 9).pointer,
                                          algorithm: .depthwise, instructionSet: instructionSet)
    let fused = Fast.PointwiseDepthwise(pointwise: first, depthwise: second)!
    let input = Buffer(count: pointwise.inputImageCount, seed: 10), expanded = Buffer(count: pointwise.outputImageCount)
    let output = Buffer(count: depthwise.outputImageCount)
    let bias = Buffer(count: e, seed: 11)
    let scratch = Buffer(count: max(fused.scratchCount, first.scratchCount))
    let epilogue = Fast.Epilogue(bias: bias.pointer, activation: .relu6)
    let separate = bestTime(budget: budget) {
        first.run(input: input.pointer, output: expanded.pointer, epilogue: epilogue, scratch: scratch.pointer)
        second.run(input: expanded.pointer, output: output.pointer, epilogue: epilogue, scratch: nil)
    }
    let together = bestTime(budget: budget) {
        fused.run(input: input.pointer, output: output.pointer, pointwiseEpilogue: epilogue, depthwiseEpilogue: epilogue,
                  scratch: scratch.pointer)
    }
    return (separate, together, fused.bandRows)
}

print("\nMobileNetV2 expansion + depthwise 3x3: separate | fused band by band (* = fused by the compiler)")
for (c, e, size, stride) in [(32, 32, 112, 1), (16, 96, 112, 2), (24, 144, 56, 1), (24, 144, 56, 2), (32, 192, 28, 1), (32, 192, 28, 2),
                             (64, 384, 14, 1), (96, 576, 14, 1), (96, 576, 14, 2), (160, 960, 7, 1)] {
    let (separate, fused, bands) = timeExpansionPair(c, e, size, stride)
    let chosen = e * size * size * MemoryLayout<Float>.size >= Fast.PointwiseDepthwise.fusionThreshold ? "*" : " "
    print(pad("\(chosen)\(c)->\(e) dw3x3/\(stride) @\(size)", 30) + pad("\(format(separate * 1e3, 3)) ms", 12)
          + pad("| \(format(fused * 1e3, 3)) ms", 14) + "[\(bands)-row bands]")
}

print("\nMobileNetV2's depthwise 3x3 layers, alone (bias + ReLU fused)")
for (channels, size, stride) in [(32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2), (192, 28, 1), (192, 28, 2),
                                 (384, 14, 1), (576, 14, 1), (576, 14, 2), (960, 7, 1)] {
    let g = conv(channels, channels, size, kernel: 3, stride: stride, pad: 1, groups: channels)
    report("depthwise 3x3/\(stride) \(channels) @\(size)", flops: 2 * Double(g.multiplyAdds), seconds: timeConvolution(g, .depthwise))
}

// MARK: Winograd layers at batch 1 and 8

/// Best time per image of one of ResNet-50's 3x3 stride-1 layers with `algorithm` (Winograd F(4x4, 3x3)
/// unless told) over a whole batch (bias + ReLU fused); at batch 8 a Winograd chunk of tiles spans
/// images. `coldWeights`: before each run a 64 MiB sweep evicts the caches and the input, output and
/// scratch are read back in, as in a model, where the transformed weights (9.4 MB at 256 channels) come
/// from memory and the activations and scratch from the previous layers.
func timeWinograd(_ g: Geometry, batch: Int, coldWeights: Bool = false,
                  algorithm: Fast.PreparedConvolution.Algorithm = .winograd) -> Double {
    var g = g
    g.batch = batch
    let weights = Buffer(count: g.weightCount, seed: 4), bias = Buffer(count: g.outputChannels, seed: 5)
    let input = Buffer(count: batch * g.inputImageCount, seed: 6), output = Buffer(count: batch * g.outputImageCount, seed: 7)
    let prepared = Fast.PreparedConvolution(geometry: g, weights: weights.pointer, algorithm: algorithm,
                                            instructionSet: instructionSet)
    let scratchCount = prepared.scratchCount
    let scratch = Buffer(count: scratchCount)
    let epilogue = Fast.Epilogue(bias: bias.pointer, activation: .relu)
    let run = {
        prepared.run(input: input.pointer, output: output.pointer, epilogue: epilogue, scratch: scratch.pointer)
    }
    guard coldWeights else { return bestTime(budget: budget, run) / Double(batch) }
    let sweep = Buffer(count: 16 << 20)
    var best = Double.infinity, sink: Float = 0
    for _ in 0..<(options.quick ? 5 : 20) {
        for index in stride(from: 0, to: 16 << 20, by: 16) { sink += sweep.pointer[index] }
        for index in stride(from: 0, to: batch * g.inputImageCount, by: 16) { sink += input.pointer[index] }
        for index in stride(from: 0, to: batch * g.outputImageCount, by: 16) { sink += output.pointer[index] }
        for index in stride(from: 0, to: scratchCount, by: 16) { sink += scratch.pointer[index] }
        let clock = threadCPUTime
        let before = clock()
        run()
        best = min(best, clock() - before)
    }
    if sink.isNaN { print("") }
    return best / Double(batch)
}

print("\nWinograd F(4x4, 3x3), time per image at batch 1 and 8 (GFLOP/s counts direct-convolution flops)")
for (name, g) in [("3x3 64->64 @56", conv(64, 64, 56, kernel: 3, pad: 1)),
                  ("3x3 128->128 @28", conv(128, 128, 28, kernel: 3, pad: 1)),
                  ("3x3 256->256 @14", conv(256, 256, 14, kernel: 3, pad: 1))] {
    for batch in [1, 8] {
        report("\(name) [winograd b\(batch)]", flops: 2 * Double(g.multiplyAdds), seconds: timeWinograd(g, batch: batch))
    }
    report("\(name) [winograd b1, cold weights]", flops: 2 * Double(g.multiplyAdds),
           seconds: timeWinograd(g, batch: 1, coldWeights: true))
}
// ResNet-50's 7x7 layer: 4 tiles an image, Winograd only once the batch holds 8 (`isProfitable`).
let resnet7x7 = conv(512, 512, 7, kernel: 3, pad: 1)
for algorithm in [Fast.PreparedConvolution.Algorithm.winograd, .transposedGEMM] {
    for batch in [1, 2, 8] {
        report("3x3 512->512 @7 [\(algorithm) b\(batch)]", flops: 2 * Double(resnet7x7.multiplyAdds),
               seconds: timeWinograd(resnet7x7, batch: batch, algorithm: algorithm))
    }
}

// MARK: Band height of the fused 16->96 expansion + depthwise 3x3/2 at 112x112

print("\nFused 16->96 dw3x3/2 @112 (bias + ReLU6) by band buffer budget")
do {
    let pointwise = conv(16, 96, 112, kernel: 1), depthwise = conv(96, 96, 112, kernel: 3, stride: 2, pad: 1, groups: 96)
    let first = Fast.PreparedConvolution(geometry: pointwise, weights: Buffer(count: pointwise.weightCount, seed: 8).pointer,
                                         algorithm: .gemm, instructionSet: instructionSet)
    let second = Fast.PreparedConvolution(geometry: depthwise, weights: Buffer(count: depthwise.weightCount, seed: 9).pointer,
                                          algorithm: .depthwise, instructionSet: instructionSet)
    let input = Buffer(count: pointwise.inputImageCount, seed: 10), output = Buffer(count: depthwise.outputImageCount)
    let bias = Buffer(count: 96, seed: 11)
    let epilogue = Fast.Epilogue(bias: bias.pointer, activation: .relu6)
    for kib in [128, 256, 384, 512, 768, 1024, 2048, 4096] {
        let fused = Fast.PointwiseDepthwise(pointwise: first, depthwise: second, bufferBudget: kib << 10)!
        let scratch = Buffer(count: fused.scratchCount)
        let seconds = bestTime(budget: budget) {
            fused.run(input: input.pointer, output: output.pointer, pointwiseEpilogue: epilogue, depthwiseEpilogue: epilogue,
                      scratch: scratch.pointer)
        }
        report("\(kib) KiB budget [\(fused.bandRows)-row bands]",
               flops: 2 * Double(pointwise.multiplyAdds + depthwise.multiplyAdds), seconds: seconds)
    }
}

// MARK: 1x1 convolutions on 14x14 planes (rows of 784 bytes: B read in place or packed)

print("\n1x1 convolutions @14, batch 1, bias + residual + ReLU fused (cold: weights from memory)")
for (c, o) in [(1024, 256), (256, 1024), (64, 384), (384, 64), (384, 96), (96, 576), (576, 96)] {
    let g = conv(c, o, 14, kernel: 1)
    for cold in [false, true] {
        report("1x1 \(c)->\(o) @14 [gemm\(cold ? ", cold" : "")]", flops: 2 * Double(g.multiplyAdds),
               seconds: timeBatchConvolution(g, .gemm, cold: cold))
    }
}

// MARK: The stems with caches flushed between runs (as in a model, where the output is not in cache)

print("\nStems, batch 1, bias + ReLU fused, 64 MB written between runs")
for (name, g) in [("stem 3->64 7x7/2 @224", conv(3, 64, 224, kernel: 7, stride: 2, pad: 3)),
                  ("stem 3->32 3x3/2 @224", conv(3, 32, 224, kernel: 3, stride: 2, pad: 1))] {
    let weights = Buffer(count: g.weightCount, seed: 4), bias = Buffer(count: g.outputChannels, seed: 5)
    let input = Buffer(count: g.inputImageCount, seed: 6), output = Buffer(count: g.outputImageCount, seed: 7)
    let prepared = Fast.PreparedConvolution(geometry: g, weights: weights.pointer, algorithm: .direct,
                                            instructionSet: instructionSet)
    let scratch = Buffer(count: prepared.scratchCount)
    let epilogue = Fast.Epilogue(bias: bias.pointer, activation: .relu)
    let flushCount = 16 << 20
    let flush = UnsafeMutablePointer<Float>.allocate(capacity: flushCount)
    var sink: Float = 0, best = Double.infinity
    for run in 0..<(options.quick ? 5 : 30) {
        flush.update(repeating: Float(run), count: flushCount)
        for index in stride(from: 0, to: g.inputImageCount, by: 16) { sink += input.pointer[index] }
        let before = threadCPUTime()
        prepared.run(input: input.pointer, output: output.pointer, epilogue: epilogue, scratch: scratch.pointer)
        best = min(best, threadCPUTime() - before)
    }
    flush.deallocate()
    if sink.isNaN { print("(the input held NaN)") }
    report("\(name) [direct, cold]", flops: 2 * Double(g.multiplyAdds), seconds: best)
}

// MARK: 1x1 convolutions of both models, warm and with caches flushed (the output then comes from memory)

print("\n1x1 convolutions, batch 1, bias + residual + ReLU fused (cold: 64 MB written between runs)")
for (c, o, size) in [(32, 32, 112), (24, 144, 56), (144, 24, 56), (64, 256, 56), (256, 64, 56), (128, 512, 28)] {
    let g = conv(c, o, size, kernel: 1)
    for cold in [false, true] {
        report("1x1 \(c)->\(o) @\(size) [gemm\(cold ? ", cold" : "")]", flops: 2 * Double(g.multiplyAdds),
               seconds: timeBatchConvolution(g, .gemm, cold: cold))
    }
}

// Winograd F(2x2, 3x3) against the algorithm chosen without it, at batch 1 and 8, warm and cold weights.
print("\nWinograd F(2x2, 3x3) against F(4x4) and the transposed GEMM, time per image")
for (name, g) in [("3x3 512->512 @7", resnet7x7), ("3x3 256->256 @14", conv(256, 256, 14, kernel: 3, pad: 1)),
                  ("3x3 128->128 @28", conv(128, 128, 28, kernel: 3, pad: 1))] {
    for algorithm in [Fast.PreparedConvolution.Algorithm.winograd22, .winograd, .transposedGEMM] {
        // At 7x7 also the batches between, where F(4x4) is chosen from batch 2 (8 of its tiles).
        for batch in g.inputHeight == 7 ? [1, 2, 4, 8] : [1, 8] {
            report("\(name) [\(algorithm) b\(batch)]", flops: 2 * Double(g.multiplyAdds),
                   seconds: timeWinograd(g, batch: batch, algorithm: algorithm))
        }
        report("\(name) [\(algorithm) b1, cold weights]", flops: 2 * Double(g.multiplyAdds),
               seconds: timeWinograd(g, batch: 1, coldWeights: true, algorithm: algorithm))
    }
}

// MARK: Plane kernels of segmentation heads, against the reference code they replace

/// `name`: reference and fast times in ms, the speed-up and the fast kernel's GB/s over `bytes` moved.
func reportPair(_ name: String, bytes: Int, reference: Double, fast: Double) {
    print(pad(name, 46) + pad("\(format(reference * 1e3, 3)) ms", 14) + pad("\(format(fast * 1e3, 3)) ms", 14)
          + pad("\(format(reference / fast))x", 9) + "\(format(Double(bytes) / fast / 1e9)) GB/s")
}

print("\nPlane kernels, batch 1: reference (Swift) | fast | speed-up | fast GB/s (input + output bytes)")
for (channels, size, outputSize) in [(2048, 60, 1), (2048, 60, 2), (2048, 60, 3), (2048, 60, 6), (512, 28, 5)] {
    let planes = channels, input = Buffer(count: planes * size * size)
    let output = Buffer(count: planes * outputSize * outputSize)
    let pooling = Fast.AdaptiveAveragePooling(planes: planes, height: size, width: size, outputHeight: outputSize, outputWidth: outputSize)
    let scratch = Buffer(count: pooling.scratchCount)
    let reference = bestTime(budget: budget) {
        Reference.adaptiveAveragePool(input: input.pointer, planes: planes, height: size, width: size, output: output.pointer,
                                      outputHeight: outputSize, outputWidth: outputSize)
    }
    let fast = bestTime(budget: budget) {
        pooling.run(input: input.pointer, output: output.pointer, scratch: scratch.pointer, instructionSet: instructionSet)
    }
    reportPair("adaptive avg pool \(channels)x\(size)x\(size) -> \(outputSize)", bytes: 4 * planes * (size * size + outputSize * outputSize),
               reference: reference, fast: fast)
}
for (channels, size, outputSize, alignCorners) in [(21, 60, 480, true), (21, 64, 512, false), (256, 30, 60, true), (512, 60, 30, false)] {
    let planes = channels, input = Buffer(count: planes * size * size), output = Buffer(count: planes * outputSize * outputSize)
    let resize = Fast.BilinearResize(planes: planes, height: size, width: size, outputHeight: outputSize, outputWidth: outputSize,
                                     alignCorners: alignCorners)
    let scratch = Buffer(count: resize.scratchCount)
    let reference = bestTime(budget: budget) {
        Reference.bilinearResize(input: input.pointer, planes: planes, height: size, width: size, output: output.pointer,
                                 outputHeight: outputSize, outputWidth: outputSize, alignCorners: alignCorners)
    }
    let fast = bestTime(budget: budget) {
        resize.run(input: input.pointer, output: output.pointer, scratch: scratch.pointer, instructionSet: instructionSet)
    }
    reportPair("bilinear \(channels)x\(size)x\(size) -> \(outputSize)\(alignCorners ? " (corners)" : "")",
               bytes: 4 * planes * (size * size + outputSize * outputSize), reference: reference, fast: fast)
}
for (channels, size, groups) in [(256, 56, 32), (1024, 14, 32), (64, 112, 32)] {
    let count = channels * size * size, input = Buffer(count: count), output = Buffer(count: count)
    let gamma = Buffer(count: groups, seed: 2), beta = Buffer(count: groups, seed: 3)
    let norm = Fast.GroupNormalization(count: groups, size: count / groups, groups: groups, epsilon: 1e-5)
    let reference = bestTime(budget: budget) {
        Reference.groupNorm(input: input.pointer, gamma: gamma.pointer, beta: beta.pointer, epsilon: 1e-5, output: output.pointer,
                            count: groups, size: count / groups, groups: groups)
    }
    let fast = bestTime(budget: budget) {
        norm.run(input: input.pointer, gamma: gamma.pointer, beta: beta.pointer, output: output.pointer, instructionSet: instructionSet)
    }
    reportPair("group norm \(channels)x\(size)x\(size), \(groups) groups", bytes: 8 * count, reference: reference, fast: fast)
}
