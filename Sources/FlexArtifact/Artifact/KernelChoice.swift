import FlexKernels
import FlexTensor

/// The kernel the compiler chose for one step of a part, as the artifact records it. Loading restores
/// exactly this kernel from the stored weights (`PreparedKernel.restore`); nothing is chosen at load.
public enum KernelChoice: Sendable, Equatable {
    /// The operator's own `execute`, then the epilogue in reference code.
    case reference
    /// `Convolution` (1-D as height 1) on NCHW float32 data, computed by `algorithm`; its weight is stored
    /// prepared for that algorithm (dense for `.depthwise`).
    case convolution(Fast.PreparedConvolution.Algorithm)
    /// 3-D `Convolution` on NCDHW float32 data as im2col + GEMM (`Fast.VolumeConvolution`), reading its
    /// weight dense in MXNet's layout.
    case volumeConvolution
    /// `FullyConnected`, or a 1x1 convolution over 1x1 planes, as the GEMM `data (M × K) · weightᵀ (K × N)`
    /// with the weight stored packed (`ArtifactWeight.packed`).
    case dense
    /// 2-D or 3-D max or average `Pooling` of float32 NCHW planes or NCDHW volumes.
    case pooling
    /// Max or average pooling of each whole plane to one value.
    case globalPooling
    /// A view (`Flatten`, `Reshape`, …): a copy, nothing when the memory plan aliases both values.
    case copy
    /// A residual add left unfused, with the step's clamp.
    case add
    /// A depthwise convolution computed together with the 1x1 convolution at step `producer` (an index
    /// within the part, earlier than this step) whose output only it reads; that step is `.deferred`.
    case pointwiseDepthwise(producer: Int)
    /// A step whose work a later `.pointwiseDepthwise` step does.
    case deferred
    /// `softmax` along the last axis of float32 data (with `use_length`, lengths of any numeric type).
    case softmax
    /// `LayerNorm` along the last axis, output only (no mean/std outputs).
    case layerNorm
    /// `LeakyReLU(act_type=gelu)`, the erf GELU.
    case gelu
    /// One of the `_contrib_interleaved_matmul_*` attention products, a GEMM per (sample, head).
    case attention
    /// The fused `RNN` operator (LSTM, GRU, vanilla) with its gate products as GEMMs (`Fast.RNN`).
    case rnn
    /// `_contrib_AdaptiveAvgPooling2D` of float32 NCHW planes (`Fast.AdaptiveAveragePooling`).
    case adaptivePooling
    /// `_contrib_BilinearResize2D` of float32 NCHW planes (`Fast.BilinearResize`).
    case bilinearResize
    /// `GroupNorm` (`Fast.GroupNormalization`), with or without its mean and std outputs.
    case groupNorm

    /// What runs the step, for profiles and `flexeg inspect`: the convolution algorithm (`gemm`,
    /// `winograd`, `winograd22`, `depthwise`, `gemm-transposed`, `direct`), `volume-gemm`, `packed-gemm`, `pooling`,
    /// `global-pooling`, `copy`, `add`, `gemm+depthwise`, `fused`, `softmax`, `layer-norm`, `gelu`,
    /// `attention-gemm`, `rnn-gemm`, `adaptive-pooling`, `bilinear-resize`, `group-norm` or `reference`.
    public var label: String {
        switch self {
        case .reference: "reference"
        case .convolution(let algorithm): algorithm.rawValue
        case .volumeConvolution: "volume-gemm"
        case .dense: "packed-gemm"
        case .pooling: "pooling"
        case .globalPooling: "global-pooling"
        case .copy: "copy"
        case .add: "add"
        case .pointwiseDepthwise: "gemm+depthwise"
        case .deferred: "fused"
        case .softmax: "softmax"
        case .layerNorm: "layer-norm"
        case .gelu: "gelu"
        case .attention: "attention-gemm"
        case .rnn: "rnn-gemm"
        case .adaptivePooling: "adaptive-pooling"
        case .bilinearResize: "bilinear-resize"
        case .groupNorm: "group-norm"
        }
    }

    public var isDeferred: Bool {
        if case .deferred = self { true } else { false }
    }

    /// Whether the kernel reads its weights once for the whole batch (a GEMM with a row per sample or
    /// per pixel of every image), which makes running the batch at once pay (`SampleSplit`).
    public var sharesWeightsAcrossBatch: Bool {
        self == .dense || self == .convolution(.transposedGEMM)
    }
}

/// Everything decided about how one part runs, recorded in the artifact: the batch schedule, each step's
/// kernel, which views share their source's bytes, and the activation arena for that schedule. The
/// execution layer instantiates it as it is; memory accounting reads `workspaceBytes` from it.
public struct PartPlan: Sendable, Equatable {
    /// Batch samples the first `prefix` steps run one at a time (1: the whole part runs step by step
    /// over the batch).
    public var samples: Int
    /// Steps run sample by sample (all of them when `samples` is 1).
    public var prefix: Int
    /// One per step of the part.
    public var kernels: [KernelChoice]
    /// Views sharing the bytes of an arena value: view → root value.
    public var aliases: [ValueID: ValueID]
    /// Arena values computed sample by sample and read by batched steps (placed with room for every
    /// sample, whole-batch shaped).
    public var crossingValues: [ValueID]
    /// The activation arena: every value the part computes and keeps to itself except fused-away
    /// outputs and views. Values produced by prefix steps (and not crossing) are placed at one sample's size.
    public var memory: MemoryPlan
    /// Kernel scratch one runner allocates (the largest step's), bytes.
    public var scratchBytes: Int

    public init(samples: Int, prefix: Int, kernels: [KernelChoice], aliases: [ValueID: ValueID], crossingValues: [ValueID],
                memory: MemoryPlan, scratchBytes: Int) {
        self.samples = samples
        self.prefix = prefix
        self.kernels = kernels
        self.aliases = aliases
        self.crossingValues = crossingValues
        self.memory = memory
        self.scratchBytes = scratchBytes
    }

    /// Arena plus scratch: what one runner of the part allocates besides its send buffers, bytes.
    public var workspaceBytes: Int { memory.arenaBytes + scratchBytes }

    /// `values` with every non-weight value's leading axis divided by `samples` (the shapes prefix
    /// steps see); `values` itself when `samples` is 1.
    public func sampleValues(_ values: [Program.Value], isWeight: (ValueID) -> Bool) -> [Program.Value] {
        guard samples > 1 else { return values }
        return values.indices.map { id in
            var value = values[id]
            if !isWeight(id), value.shape.rank >= 1, value.shape[0] % samples == 0 {
                value.shape = Shape([value.shape[0] / samples] + value.shape.dims.dropFirst())
            }
            return value
        }
    }
}
