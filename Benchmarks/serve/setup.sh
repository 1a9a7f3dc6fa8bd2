#!/usr/bin/env bash
# Prepares the peer servers for Benchmarks/serve/serve_bench.py. Idempotent; PyPI, and wrk from Debian.
#
#   .venv-kserve/  kserve (its Python model server: Open Inference Protocol v2 over REST and gRPC)
#                  + onnxruntime + numpy, and the load generator's client side
#   wrk            (apt) the C client of the server-overhead run
#
#   bash Benchmarks/serve/setup.sh
# Needs Benchmarks/setup.sh first (.venv-mxnet, .venv-ort) and prepare_models.py for the models.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
PIP=(-m pip install --disable-pip-version-check -q)
log() { echo "[serve-setup] $*"; }

KS="$ROOT/.venv-kserve/bin/python"
if [ ! -x "$KS" ]; then
  log "creating .venv-kserve"
  "$PYTHON" -m venv "$ROOT/.venv-kserve"
fi
if ! "$KS" -c "import kserve, onnxruntime, numpy, aiohttp" 2>/dev/null; then
  log "pip install kserve onnxruntime numpy aiohttp into .venv-kserve"
  "$KS" "${PIP[@]}" kserve onnxruntime numpy aiohttp
fi

if ! command -v wrk >/dev/null; then
  log "apt-get install wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi

log "ok: kserve $("$KS" -c 'import kserve, importlib.metadata as m; print(m.version("kserve"))')," \
    "onnxruntime $("$KS" -c 'import onnxruntime; print(onnxruntime.__version__)')"
