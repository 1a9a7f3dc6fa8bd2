// swift-tools-version: 6.1
import PackageDescription

// Layering (imports point left; each module imports only modules to its left):
//   FlexJSON (no dependencies) → MXNetFormat, FlexServer
//   FlexTensor → FlexKernels → MXNetFormat → FlexGraph → FlexArtifact → FlexCompiler   (writes artifacts)
//                                                       FlexArtifact → FlexExecution  (runs them)
//   FlexTensor → FlexRuntime                           (NeuronCores; knows only PipelineModel/StageRunner)
//   FlexCompiler, FlexExecution, FlexRuntime → FlexEG (the facade; adapts a CompiledModel to the runtime) → flexeg
//   FlexEG → FlexServer (`flexeg serve`; depends on FlexEG (and FlexJSON) through one adapter file,
//   FlexServer/Host/ModelHost.swift, and on FlexRuntime only for its snapshot types and `Locked`) → flexeg
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
        // No default traits: FlexServer uses neither swift-configuration nor full-Foundation extras, and skipping
        // them keeps swift-configuration (and what it pulls in) out of the build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        // gRPC's HTTP/2 transport is FlexServer's own (plaintext, on swift-nio-http2): grpc-swift-nio-transport
        // would bring two BoringSSL builds (swift-nio-ssl, swift-crypto) into every build for TLS nobody uses here.
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.42.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .target(name: "CFlexShims"),
        .target(name: "FlexTensor"),
        .target(name: "CFlexKernels"),
        .target(name: "FlexKernels", dependencies: ["FlexTensor", "CFlexKernels"]),
        // JSON that keeps number text and member order: MXNet symbol files and the server's protocol.
        .target(name: "FlexJSON"),
        .target(name: "MXNetFormat", dependencies: ["FlexTensor", "FlexJSON"]),
        .target(name: "FlexGraph", dependencies: ["FlexTensor", "FlexKernels", "MXNetFormat"]),
        .target(name: "FlexArtifact", dependencies: ["FlexGraph", "FlexKernels"]),
        .target(name: "FlexCompiler", dependencies: ["FlexArtifact"]),
        .target(name: "FlexExecution", dependencies: ["FlexArtifact"]),
        .target(name: "FlexRuntime", dependencies: ["FlexTensor", "CFlexShims"]),
        .target(name: "FlexEG", dependencies: ["FlexCompiler", "FlexExecution", "FlexRuntime"]),
        // Test doubles: the null backend (`SyntheticModel`), for runtime tests without the compiler.
        .target(name: "FlexRuntimeTesting", dependencies: ["FlexRuntime"]),
        .target(name: "FlexTestSupport", dependencies: ["FlexEG", "FlexCompiler", "FlexExecution"]),
        .target(
            name: "FlexServer",
            dependencies: [
                "FlexEG", "FlexJSON", "FlexRuntime", "CFlexShims",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .executableTarget(
            name: "flexeg",
            dependencies: [
                "FlexEG", "FlexServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
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
        // Runs the real `flexeg serve` binary; the tritonclient tests need `Scripts/setup-serve-venv.sh`'s .venv-serve.
        .testTarget(
            name: "FlexServerTests",
            dependencies: [
                "FlexServer", "FlexJSON", "FlexRuntime", "flexeg", "FlexTestSupport",
                // GRPCTransportTests speak raw HTTP/2 to the gRPC transport; TransportConcurrencyTests
                // raw HTTP/1.1 and HTTP/2 to an in-process server.
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["EndToEnd"]),
    ],
    swiftLanguageModes: [.v6]
)
