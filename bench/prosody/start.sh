#!/usr/bin/env bash
# Start Prosody 0.12 (Debian's package) for the MUC fan-out benchmark. It uses
# the reference config of ../shared/reference/prosody (Prosody's own scansion
# test config: any password, memory storage, MUC on conference.localhost)
# with one change that would otherwise handicap Prosody: logging at "warn"
# instead of "debug" (one log line per stanza). muc_mam stays loaded, as in
# muctest; compare.sh switches archiving off per room for every server
# (muc#roomconfig_enablearchiving=0) unless ARCHIVE=1.
# The script-suite benchmark uses the unmodified reference start.sh, because
# the scripts expect its behaviour.
#   usage: start.sh [PORT] [DIR]      (defaults 5331, a new temp dir)
#   prints: the PID of the Prosody it started; stop it with `kill PID`.
set -euo pipefail
port=${1:-5331}
dir=${2:-$(mktemp -d /tmp/prosody-bench.XXXXXX)}
here=$(cd "$(dirname "$0")" && pwd)
ref=${PROSODY_REFERENCE:-$here/../../../shared/reference/prosody}
if [ ! -f "$ref/prosody-test.cfg.lua" ]; then
  echo "no Prosody reference config at $ref (set PROSODY_REFERENCE)" >&2; exit 1
fi
if ! command -v prosody >/dev/null; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prosody >/dev/null
  invoke-rc.d prosody stop >/dev/null 2>&1 || true
fi
mkdir -p "$dir/data"
sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" \
  -e 's#levels = { min = "debug" }#levels = { min = "warn" }#' \
  "$ref/prosody-test.cfg.lua" >"$dir/prosody.cfg.lua"
cp "$ref/admins.txt" "$dir/admins.txt"
prosody --config "$dir/prosody.cfg.lua" -D >/dev/null 2>&1 || true
for _ in $(seq 50); do
  if [ -s "$dir/prosody.pid" ] && (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "$(cat "$dir/prosody.pid")"; exit 0
  fi
  sleep 0.1
done
echo "prosody did not start; see $dir/prosody.log" >&2; exit 1
