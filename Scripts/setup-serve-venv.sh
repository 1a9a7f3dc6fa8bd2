#!/usr/bin/env bash
# Creates .venv-serve/ at the repo root with tritonclient[http,grpc], numpy, schemathesis and
# grpcio-health-checking (the standard gRPC health client; 1.80, a release still on protobuf 6, which
# tritonclient needs) from PyPI,
# for the end-to-end tests of `flexeg serve` (Tests/FlexServerTests/EndToEnd/*.py, run by
# FlexServerTests) and the fuzzing of Docs/flexeg-serve-openapi.yaml against the running server;
# and Triton's perf_analyzer (C++, on Triton's C++ client library) as .venv-serve/bin/perf_analyzer.
# Idempotent.
#
#   bash Scripts/setup-serve-venv.sh                       # create / verify
#   .venv-serve/bin/python -c "import tritonclient.http"   # use it
#   .venv-serve/bin/perf_analyzer -m A -u 127.0.0.1:8000
#
# perf_analyzer: PyPI's `perf-analyzer` is an empty placeholder, so it comes from the last
# tritonclient wheel that ships the binary (2.35.0), with the CUDA runtime library it links (it runs
# without a GPU) from nvidia-cuda-runtime-cu12. It also needs Debian's libb64-0d (Scripts/test.sh
# installs it).
#
# FlexServerTests FAIL (they are not skipped) when this venv is missing: run this script first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-serve"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3}"

log() { echo "[setup-serve-venv] $*"; }

SCHEMATHESIS=4.32.5
check() {
  "$PY" -c "import tritonclient.http, tritonclient.grpc, numpy, schemathesis, grpc_health.v1.health_pb2_grpc; import importlib.metadata as m; v = m.version('schemathesis'); assert v == '$SCHEMATHESIS', v; print(m.version('tritonclient'), 'schemathesis', v)" 2>/dev/null
}

# perf_analyzer and the CUDA runtime it links, unpacked from their wheels into $PERF (not installed:
# tritonclient 2.35.0 would replace the venv's 2.73.0).
PERF="$VENV/perf_analyzer"
PERF_WHEELS=("tritonclient==2.35.0" "nvidia-cuda-runtime-cu12==12.9.79")
perf_check() {
  [ -x "$VENV/bin/perf_analyzer" ] || return 1
  local missing
  missing="$(LD_LIBRARY_PATH="$PERF" ldd "$PERF/perf_analyzer" | grep "not found" || true)"
  [ -z "$missing" ] || { log "perf_analyzer lacks: $missing (libb64.so.0d: apt-get install -y libb64-0d)"; return 1; }
}
install_perf_analyzer() {
  local wheels="$VENV/perf_analyzer-wheels"
  rm -rf "$PERF" "$wheels" && mkdir -p "$PERF" "$wheels"
  "$PY" -m pip download --quiet --no-deps --dest "$wheels" "${PERF_WHEELS[@]}"
  "$PY" - "$wheels" "$PERF" <<'PYTHON'
import pathlib, sys, zipfile
wheels, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wanted = {"perf_analyzer": "tritonclient-2.35.0.data/data/bin/perf_analyzer",
          "libcudart.so.12": "nvidia/cuda_runtime/lib/libcudart.so.12"}
for wheel in wheels.glob("*.whl"):
    with zipfile.ZipFile(wheel) as archive:
        for name, member in wanted.items():
            if member in archive.namelist():
                (out / name).write_bytes(archive.read(member))
missing = [name for name in wanted if not (out / name).exists()]
sys.exit(f"not in the wheels: {missing}" if missing else 0)
PYTHON
  chmod +x "$PERF/perf_analyzer"
  rm -rf "$wheels"
  cat > "$VENV/bin/perf_analyzer" <<'WRAPPER'
#!/usr/bin/env bash
# Triton's perf_analyzer with the CUDA runtime library it links (Scripts/setup-serve-venv.sh).
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../perf_analyzer" && pwd)"
LD_LIBRARY_PATH="$DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$DIR/perf_analyzer" "$@"
WRAPPER
  chmod +x "$VENV/bin/perf_analyzer"
}

if [ -x "$PY" ] && v="$(check)" && perf_check; then
  log "already set up: $VENV (tritonclient $v, perf_analyzer)"
  exit 0
fi

[ -x "$PY" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
if ! v="$(check)"; then
  "$PY" -m pip install --quiet --upgrade pip
  # tritonclient[grpc] pins grpcio<1.68 and protobuf<7 itself.
  "$PY" -m pip install --quiet "tritonclient[http,grpc]==2.73.0" "numpy<3" "schemathesis==$SCHEMATHESIS" "grpcio-health-checking==1.80.0"
  v="$(check)" || { log "tritonclient did not import after installing; see pip's output above"; exit 1; }
fi
perf_check 2>/dev/null || install_perf_analyzer
perf_check || exit 1
log "ready: $VENV (tritonclient $v, perf_analyzer)"
