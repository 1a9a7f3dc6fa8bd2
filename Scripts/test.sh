#!/usr/bin/env bash
# The README's test command: prepares what the tests need on a fresh machine, then runs `swift test`
# (extra arguments go to it). Each step is quick when already done.
#  - tmux and rsvg-convert (Debian): `flexeg top` in a real terminal, the SVG core map rasterized;
#  - MXNet 1.9.1 in .venv-mxnet: the tests that check MXNet reads back FlexEG's files;
#  - tritonclient[http,grpc], schemathesis and Triton's perf_analyzer (with Debian's libb64-0d) in
#    .venv-serve: flexeg serve's end-to-end tests, which fail (not skip) without it.
#
#   bash Scripts/test.sh
#   bash Scripts/test.sh --filter FlexServerTests
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v tmux >/dev/null || missing+=(tmux)
command -v rsvg-convert >/dev/null || missing+=(librsvg2-bin)
ldconfig -p | grep -q "libb64.so.0d " || missing+=(libb64-0d)  # perf_analyzer's (Scripts/setup-serve-venv.sh)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

bash Scripts/setup-mxnet-venv.sh
bash Scripts/setup-serve-venv.sh
swift test "$@"
