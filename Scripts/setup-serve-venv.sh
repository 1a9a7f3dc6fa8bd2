#!/usr/bin/env bash
# Creates .venv-serve/ at the repo root with tritonclient[http,grpc] and numpy from PyPI, for the
# end-to-end tests of `flexeg serve` (Tests/FlexServerTests/EndToEnd/*.py, run by FlexServerTests).
# Idempotent.
#
#   bash Scripts/setup-serve-venv.sh                       # create / verify
#   .venv-serve/bin/python -c "import tritonclient.http"   # use it
#
# FlexServerTests FAIL (they are not skipped) when this venv is missing: run this script first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-serve"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3}"

log() { echo "[setup-serve-venv] $*"; }

check() { "$PY" -c "import tritonclient.http, tritonclient.grpc, numpy; import importlib.metadata as m; print(m.version('tritonclient'))" 2>/dev/null; }

if [ -x "$PY" ] && v="$(check)"; then
  log "already set up: $VENV (tritonclient $v)"
  exit 0
fi

log "creating $VENV"
"$PYTHON" -m venv "$VENV"
"$PY" -m pip install --quiet --upgrade pip
# tritonclient[grpc] pins grpcio<1.68 and protobuf<7 itself.
"$PY" -m pip install --quiet "tritonclient[http,grpc]==2.73.0" "numpy<3"
v="$(check)" || { log "tritonclient did not import after installing; see pip's output above"; exit 1; }
log "ready: $VENV (tritonclient $v)"
