// swift-tools-version: 6.1
import PackageDescription

// Layering (each module imports only those listed before it):
// CFlexShims, CFlexKernels → FlexTensor → FlexKernels → MXNetFormat → FlexGraph → FlexCompiler → FlexRuntime → FlexEG → flexeg
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
        .target(name: "FlexCompiler", dependencies: ["FlexGraph"]),
        .target(name: "FlexRuntime", dependencies: ["FlexCompiler", "CFlexShims"]),
        .target(name: "FlexEG", dependencies: ["FlexRuntime"]),
        .target(name: "FlexTestSupport", dependencies: ["FlexEG"]),
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
        .testTarget(name: "FlexCompilerTests", dependencies: ["FlexCompiler", "FlexTestSupport"]),
        // Holds NeuronCores in a separate process, for FlexRuntimeTests' cross-process locking tests.
        .executableTarget(name: "FlexRuntimeCoreHolder", dependencies: ["FlexRuntime"], path: "Tests/FlexRuntimeCoreHolder"),
        .testTarget(name: "FlexRuntimeTests", dependencies: ["FlexRuntime", "FlexTestSupport", "FlexRuntimeCoreHolder"]),
        .testTarget(name: "FlexEGTests", dependencies: ["FlexEG", "FlexTestSupport"]),
        .testTarget(name: "FlexCLITests", dependencies: ["flexeg", "FlexTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
