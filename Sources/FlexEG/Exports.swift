// What `import FlexEG` gives: the MXNet-style facade (this module), tensors, the runtime's
// user-facing types, and the compiler's entry point — a curated list. Everything else stays in its
// own module (`FlexGraph`, `FlexCompiler`, `FlexExecution`, …) for the rest of FlexEG and for users
// who need the layers underneath; import those explicitly.
@_exported import FlexTensor
import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import MXNetFormat

// NeuronCores: the runtime, its configuration, loaded models, what they report and how they fail.
public typealias NeuronRuntime = FlexRuntime.NeuronRuntime
public typealias RuntimeConfiguration = FlexRuntime.RuntimeConfiguration
public typealias InstanceType = FlexRuntime.InstanceType
public typealias PlacementMode = FlexRuntime.PlacementMode
public typealias LoadedModel = FlexRuntime.LoadedModel
public typealias PendingInference = FlexRuntime.PendingInference
public typealias ModelState = FlexRuntime.ModelState
public typealias RuntimeError = FlexRuntime.RuntimeError
public typealias RuntimeWarning = FlexRuntime.RuntimeWarning
public typealias NRTStatus = FlexRuntime.NRTStatus
public typealias RuntimeSnapshot = FlexRuntime.RuntimeSnapshot
public typealias CoreSnapshot = FlexRuntime.CoreSnapshot
public typealias ModelSnapshot = FlexRuntime.ModelSnapshot
public typealias ModelReference = FlexRuntime.ModelReference
public typealias LatencySummary = FlexRuntime.LatencySummary
/// For models that are not compiled MXNet graphs: implement these two and load them like any other.
public typealias PipelineModel = FlexRuntime.PipelineModel
public typealias StageRunner = FlexRuntime.StageRunner

// Compiling for k NeuronCores, and the compiled model that runs.
public typealias Compiler = FlexCompiler.Compiler
public typealias CompileError = FlexArtifact.CompileError
public typealias CompileProgress = FlexCompiler.CompileProgress
public typealias CompiledCheckpoint = FlexArtifact.CompiledCheckpoint
public typealias CompiledModel = FlexExecution.CompiledModel
/// The instruction sets a model can be compiled for (`avx512`, `avx2`, `portable`).
public typealias InstructionSet = FlexKernels.Fast.InstructionSet

// Checkpoints and graphs, as the facade's `mx.model` reads and writes them.
public typealias Checkpoint = MXNetFormat.Checkpoint
public typealias Graph = FlexGraph.Graph
public typealias GraphError = FlexGraph.GraphError
