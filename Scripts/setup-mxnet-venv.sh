#!/usr/bin/env bash
# Creates .venv-mxnet/ at the repo root with MXNet 1.9.1 (CPU) for fixture generation
# and for the Swift tests that compare against MXNet. Idempotent.
#
#   bash Scripts/setup-mxnet-venv.sh          # create / verify
#   .venv-mxnet/bin/python -c "import mxnet"  # use it
#
# Only pip (PyPI) and, when a system library is missing, apt-get (Debian) are used.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-mxnet"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3}"

log() { echo "[setup-mxnet-venv] $*"; }

check() { "$PY" -c "import mxnet as mx; print(mx.__version__)" 2>/dev/null; }

if [ -x "$PY" ] && v="$(check)"; then
  log "already set up: $VENV (mxnet $v)"
  exit 0
fi

APT_UPDATED=0
apt_install() {
  # apt_install PKG... : installs the Debian packages not yet installed.
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing system packages ${missing[*]} and no apt-get; install them by hand"; return 1
  fi
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if [ $APT_UPDATED -eq 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install -y ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
}

# 1. The venv itself (Debian's python3 needs python3-venv for ensurepip).
if [ ! -x "$PY" ]; then
  if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
    ver="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    apt_install "python${ver}-venv" || apt_install python3-venv
  fi
  log "creating venv: $PYTHON -m venv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi

# 2. Packages from PyPI.
log "pip install mxnet==1.9.1 'numpy<1.24'"
"$PY" -m pip install --disable-pip-version-check -q "mxnet==1.9.1" "numpy<1.24"

# 3. System libraries that libmxnet.so links against, installed only if the import fails.
if ! check >/dev/null; then
  log "import mxnet failed; checking system libraries"
  "$PY" -c "import mxnet" 2>&1 | tail -3 || true
  apt_install libgomp1 libquadmath0 libstdc++6
fi

if v="$(check)"; then
  log "ok: $VENV (mxnet $v, $("$PY" -c 'import numpy; print("numpy", numpy.__version__)'))"
else
  log "FAILED: import mxnet still fails:"
  "$PY" -c "import mxnet" || true
  exit 1
fi
