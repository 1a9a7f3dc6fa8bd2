#!/usr/bin/env bash
# Regenerates Sources/FlexServer/GRPC/Generated from Protos/flexeg_inference.proto and
# Protos/grpc_health_v1.proto. The generated files are committed (no build plugin: building
# swift-protobuf's plugin takes ~10 minutes), so run this only after changing a .proto.
#
#   bash Scripts/generate-grpc.sh [SCRATCH]     # SCRATCH: where to build the generators (default /tmp/flexeg-protogen)
#
# Needs protoc (Debian: apt-get install -y protobuf-compiler). Builds protoc-gen-swift
# (swift-protobuf 1.39.0) and protoc-gen-grpc-swift-2 (grpc-swift-protobuf 2.4.1) once in SCRATCH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRATCH="${1:-/tmp/flexeg-protogen}"
command -v protoc >/dev/null || { echo "protoc is missing: apt-get install -y protobuf-compiler" >&2; exit 1; }
mkdir -p "$SCRATCH/Sources/Dummy"
cat > "$SCRATCH/Package.swift" <<'SWIFT'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "protogen",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
    ],
    targets: [.target(name: "Dummy")]
)
SWIFT
echo "" > "$SCRATCH/Sources/Dummy/d.swift"
(cd "$SCRATCH" && swift build -c release --product protoc-gen-swift && swift build -c release --product protoc-gen-grpc-swift-2)
BIN="$SCRATCH/.build/release"
OUT="$ROOT/Sources/FlexServer/GRPC/Generated"
mkdir -p "$OUT"
protoc --proto_path="$ROOT/Protos" \
  --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" --swift_out="$OUT" --swift_opt=Visibility=Internal \
  --plugin=protoc-gen-grpc-swift="$BIN/protoc-gen-grpc-swift-2" --grpc-swift_out="$OUT" \
  --grpc-swift_opt=Visibility=Internal,Client=false,Server=true \
  flexeg_inference.proto grpc_health_v1.proto
echo "generated: $(ls "$OUT")"
