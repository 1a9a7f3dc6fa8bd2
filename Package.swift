// swift-tools-version: 6.1
import PackageDescription

// Layering (imports point left; each module imports only modules to its left):
//   FlexTensor → FlexKernels → MXNetFormat → FlexGraph → FlexArtifact → FlexCompiler   (writes artifacts)
//                                                       FlexArtifact → FlexExecution  (runs them)
//   FlexTensor → FlexRuntime                           (NeuronCores; knows only PipelineModel/StageRunner)
//   FlexCompiler, FlexExecution, FlexRuntime → FlexEG (the facade; adapts a CompiledModel to the runtime) → flexeg
// No target uses `unsafeFlags`, so FlexEG stays usable as a SwiftPM dependency by URL; ISA-specific
// micro-kernels are C functions with per-function target attributes, chosen at run time.
let package = Package(
    name: "FlexEG",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FlexEG", targets: ["FlexEG"]),
        .executable(name: "flexeg", targets: ["flexeg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "CFlexShims"),
        .target(name: "FlexTensor"),
        .target(name: "CFlexKernels"),
        .target(name: "FlexKernels", dependencies: ["FlexTensor", "CFlexKernels"]),
        .target(name: "MXNetFormat", dependencies: ["FlexTensor"]),
        .target(name: "FlexGraph", dependencies: ["FlexTensor", "FlexKernels", "MXNetFormat"]),
        .target(name: "FlexArtifact", dependencies: ["FlexGraph", "FlexKernels"]),
        .target(name: "FlexCompiler", dependencies: ["FlexArtifact"]),
        .target(name: "FlexExecution", dependencies: ["FlexArtifact"]),
        .target(name: "FlexRuntime", dependencies: ["FlexTensor", "CFlexShims"]),
        .target(name: "FlexEG", dependencies: ["FlexCompiler", "FlexExecution", "FlexRuntime"]),
        // Test doubles: the null backend (`SyntheticModel`), for runtime tests without the compiler.
        .target(name: "FlexRuntimeTesting", dependencies: ["FlexRuntime"]),
        .target(name: "FlexTestSupport", dependencies: ["FlexEG", "FlexCompiler", "FlexExecution"]),
        .executableTarget(
            name: "flexeg",
            dependencies: ["FlexEG", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            resources: [.copy("DemoModels")]
        ),
        .executableTarget(name: "flexeg-kernel-bench", dependencies: ["FlexKernels"], path: "Benchmarks/Kernels"),
        .executableTarget(name: "flexeg-placement-bench", dependencies: ["FlexEG", "FlexKernels", "CFlexShims"], path: "Benchmarks/Placement"),
        .testTarget(name: "FlexTensorTests", dependencies: ["FlexTensor", "FlexTestSupport"]),
        .testTarget(name: "FlexKernelsTests", dependencies: ["FlexKernels", "FlexTestSupport"]),
        .testTarget(name: "MXNetFormatTests", dependencies: ["MXNetFormat", "FlexTestSupport"], exclude: ["Resources"]),
        .testTarget(name: "FlexGraphTests", dependencies: ["FlexGraph", "FlexTestSupport"]),
        .testTarget(name: "FlexCompilerTests", dependencies: ["FlexCompiler", "FlexExecution", "FlexTestSupport"]),
        .testTarget(name: "FlexExecutionTests", dependencies: ["FlexExecution", "FlexCompiler", "FlexTestSupport"]),
        // Holds NeuronCores in a separate process, for FlexRuntimeTests' cross-process locking tests.
        .executableTarget(name: "FlexRuntimeCoreHolder", dependencies: ["FlexRuntime"], path: "Tests/FlexRuntimeCoreHolder"),
        .testTarget(name: "FlexRuntimeTests", dependencies: ["FlexRuntime", "FlexRuntimeTesting", "FlexTestSupport", "FlexRuntimeCoreHolder"]),
        .testTarget(name: "FlexEGTests", dependencies: ["FlexEG", "FlexTestSupport"]),
        .testTarget(name: "FlexCLITests", dependencies: ["flexeg", "FlexTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
