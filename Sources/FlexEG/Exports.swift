// `import FlexEG` is the one import a user needs: tensors, checkpoints, graphs, the compiler and the
// runtime come with it.
@_exported import FlexCompiler
@_exported import FlexGraph
@_exported import FlexRuntime
@_exported import FlexTensor
@_exported import MXNetFormat
