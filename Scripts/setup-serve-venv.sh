#!/usr/bin/env bash
# Creates .venv-serve/ at the repo root with tritonclient[http,grpc], numpy and schemathesis from PyPI,
# for the end-to-end tests of `flexeg serve` (Tests/FlexServerTests/EndToEnd/*.py, run by
# FlexServerTests) and the fuzzing of Docs/flexeg-serve-openapi.yaml against the running server.
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

SCHEMATHESIS=4.32.5
check() {
  "$PY" -c "import tritonclient.http, tritonclient.grpc, numpy, schemathesis; import importlib.metadata as m; v = m.version('schemathesis'); assert v == '$SCHEMATHESIS', v; print(m.version('tritonclient'), 'schemathesis', v)" 2>/dev/null
}

if [ -x "$PY" ] && v="$(check)"; then
  log "already set up: $VENV (tritonclient $v)"
  exit 0
fi

[ -x "$PY" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
"$PY" -m pip install --quiet --upgrade pip
# tritonclient[grpc] pins grpcio<1.68 and protobuf<7 itself.
"$PY" -m pip install --quiet "tritonclient[http,grpc]==2.73.0" "numpy<3" "schemathesis==$SCHEMATHESIS"
v="$(check)" || { log "tritonclient did not import after installing; see pip's output above"; exit 1; }
log "ready: $VENV (tritonclient $v)"
