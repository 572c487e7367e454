#!/usr/bin/env bash
# Proves the scansion runner independently of our server: start a real
# Prosody 0.12 (configured like Prosody's own scansion run) and run every
# script of the shared corpus against it. Fails if any script fails.
# Run from anywhere; paths are relative to the repository root (CI layout:
# ../shared next to the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus/prosody
start=../shared/reference/prosody/start.sh
if [ ! -d "$corpus" ] || [ ! -f "$start" ]; then
  echo "prosody-corpus: $corpus or $start is absent: skipped"
  exit 0
fi
port=${MUCTEST_PROSODY_PORT:-5319}
dir=$(mktemp -d /tmp/muctest-prosody.XXXXXX)
pid=$(bash "$start" "$port" "$dir")
cleanup() {
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -rf "$dir"
}
trap cleanup EXIT
go run ./cmd/muctest -server "127.0.0.1:$port" -domain localhost "$corpus"
