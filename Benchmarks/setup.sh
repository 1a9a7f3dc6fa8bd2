#!/usr/bin/env bash
# Prepares the two competitor environments for Benchmarks/compare.py. Idempotent; PyPI only.
#
#   .venv-mxnet/  mxnet 1.9.1, numpy<1.24 (Scripts/setup-mxnet-venv.sh) + onnx 1.14.1 for mx.onnx
#   .venv-ort/    onnxruntime (current release) + numpy
#
#   bash Benchmarks/setup.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
PIP=(-m pip install --disable-pip-version-check -q)
log() { echo "[bench-setup] $*"; }

# 1. MXNet (with its bundled oneDNN) and onnx for mx.onnx.export_model.
bash "$ROOT/Scripts/setup-mxnet-venv.sh"
MX="$ROOT/.venv-mxnet/bin/python"
if ! "$MX" -c "import onnx; assert onnx.__version__ == '1.14.1'" 2>/dev/null; then
  log "pip install onnx==1.14.1 into .venv-mxnet"
  "$MX" "${PIP[@]}" "onnx==1.14.1" "numpy<1.24"
fi

# 2. ONNX Runtime in its own venv (it needs a newer numpy than MXNet tolerates).
ORT="$ROOT/.venv-ort/bin/python"
if [ ! -x "$ORT" ]; then
  log "creating .venv-ort"
  "$PYTHON" -m venv "$ROOT/.venv-ort"
fi
if ! "$ORT" -c "import onnxruntime, numpy" 2>/dev/null; then
  log "pip install onnxruntime numpy into .venv-ort"
  "$ORT" "${PIP[@]}" onnxruntime numpy
fi

log "ok: mxnet $("$MX" -c 'import mxnet; print(mxnet.__version__)')," \
    "onnx $("$MX" -c 'import onnx; print(onnx.__version__)')," \
    "onnxruntime $("$ORT" -c 'import onnxruntime; print(onnxruntime.__version__)')"
