#!/usr/bin/env bash
# Compare muctest with Prosody 0.12 and ejabberd 23 (Debian packages) on this
# machine, in one run, and print one table:
#   - MUC fan-out with cmd/mucbench, same parameters for every server:
#     many occupants on fresh servers (memory per occupant), a burst in one
#     room, a burst spread over several rooms, and a paced run for latency at
#     a load every server sustains;
#   - PEP (XEP-0163) with mucbench -pep: one publisher's items notified to
#     PEP_CONTACTS contacts (mutual presence subscriptions, caps +notify);
#   - the script suite (spec/ + ../shared/corpus/prosody) timed in-process
#     and against a fresh Prosody with the reference config.
# Everything listens on 127.0.0.1 only. Takes about three minutes (REPEAT=1).
#
#   usage: bench/compare.sh
#   env:   OCCUPANTS (100)  MESSAGES (5, per occupant, burst runs)
#          ROOMS (5, for the multi-room run)  RATE (10 messages/s, paced run)
#          SUITE_RUNS (5, in-process suite runs; the median is shown)
#          REPEAT (1; n runs each server n times per scenario, fastest kept)
#          MEM_OCCUPANTS (2000) MEM_ROOMS (200): the first run, on fresh
#          servers, which the memory per occupant is measured with (just
#          after the joins and at rest, after mucbench's 3 s -settle)
#          PEP_CONTACTS (100) PEP_ITEMS (50): the PEP run, one publish to
#          PEP_CONTACTS contacts PEP_ITEMS times, each after the previous result
#          PROSODY_PORT (5332)  PROSODY_REF_PORT (5331)  EJABBERD_PORT (5341)
#          ARCHIVE (0: every room is configured with archiving off, so that no
#          server archives; 1: server defaults, i.e. muctest and Prosody's
#          muc_mam archive in memory, ejabberd gets mod_mam on mnesia)
#          KEEP=1 keeps the work directory (logs, raw JSON lines)
#          PEERS ("prosody ejabberd"): the peers started and measured; empty
#          measures muctest alone (no apt, no root), and without prosody the
#          suite runs in-process only
#          BASE=path: also measure the server of that mucbench binary (built
#          from another commit) as "muctest-base", under the same load client
#          and taking turns with muctest: a regression check of the muctest
#          rows, e.g. PEERS= BASE=/tmp/mucbench-old REPEAT=5 bench/compare.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
occupants=${OCCUPANTS:-100}
messages=${MESSAGES:-5}
rooms=${ROOMS:-5}
rate=${RATE:-10}
suite_runs=${SUITE_RUNS:-5}
repeat=${REPEAT:-1}
archive=${ARCHIVE:-0}
mem_occupants=${MEM_OCCUPANTS:-2000}
mem_rooms=${MEM_ROOMS:-200}
pep_contacts=${PEP_CONTACTS:-100}
pep_items=${PEP_ITEMS:-50}
prosody_port=${PROSODY_PORT:-5332}
prosody_ref_port=${PROSODY_REF_PORT:-5331}
ejabberd_port=${EJABBERD_PORT:-5341}
peers=${PEERS-prosody ejabberd}
base=${BASE:-}
if [ -n "$base" ]; then base=$(cd "$(dirname "$base")" && pwd)/$(basename "$base"); fi
has_peer() { case " $peers " in *" $1 "*) return 0 ;; esac; return 1; }
corpus=$root/../shared/corpus/prosody
reference=$root/../shared/reference/prosody

work=$(mktemp -d /tmp/muctest-compare.XXXXXX)
chmod 755 "$work" # ejabberd runs as its own user and keeps its spool in here
results=$work/results.jsonl
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  # ejabberd's Erlang VM started epmd (loopback only); stop it unless
  # another Erlang node still uses it.
  if [ -n "${ejabberd_pid:-}" ] && command -v epmd >/dev/null && ! epmd -names 2>/dev/null | grep -q '^name '; then
    epmd -kill >/dev/null 2>&1 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "building..." >&2
go build -o "$work/mucbench" ./cmd/mucbench
go build -o "$work/muctest" ./cmd/muctest
go build -o "$work/comparetable" ./bench/comparetable

if has_peer prosody; then
  echo "starting Prosody (bench config) on $prosody_port..." >&2
  prosody_pid=$(bench/prosody/start.sh "$prosody_port" "$work/prosody")
  pids+=("$prosody_pid")
fi
if has_peer ejabberd; then
  echo "starting ejabberd on $ejabberd_port..." >&2
  ejabberd_pid=$(EJABBERD_MAM=$archive bench/ejabberd/start.sh "$ejabberd_port" "$work/ejabberd")
  pids+=("$ejabberd_pid")
fi

# mb LABEL SCENARIO ARGS...: one mucbench run, appended to results as JSON.
mb() {
  local label=$1 scenario=$2 out
  shift 2
  echo "  $scenario: $label" >&2
  if out=$("$work/mucbench" -json -label "$label" "$@" 2>"$work/mucbench.err") || [ -n "$out" ]; then
    printf '{"scenario":"%s","report":%s}\n' "$scenario" "$out" >>"$results"
  else
    err=$(tr '\n"' ' _' <"$work/mucbench.err")
    printf '{"scenario":"%s","report":{"Label":"%s","error":"%s"}}\n' "$scenario" "$label" "$err" >>"$results"
    echo "    failed: $err" >&2
  fi
}

# fanout SCENARIO ARGS...: the same run against each server in turn.
# With REPEAT=n the servers take turns n times and the table keeps each
# server's fastest run (the machine may be shared: noise only slows runs).
fanout() {
  local scenario=$1
  shift
  # Archiving off: muctest and Prosody (muc_mam) archive by default and take
  # the room option; ejabberd, without mod_mam, neither archives nor knows
  # the field (it refuses the form).
  local noarchive=()
  if [ "$archive" != 1 ]; then noarchive=(-roomconfig muc#roomconfig_enablearchiving=0); fi
  for _ in $(seq "$repeat"); do
    mb muctest "$scenario" "$@" "${noarchive[@]}"
    if [ -n "$base" ]; then mb muctest-base "$scenario" -serve-bin "$base" "$@" "${noarchive[@]}"; fi
    if has_peer prosody; then
      mb prosody "$scenario" -server "127.0.0.1:$prosody_port" -pid "$prosody_pid" "$@" "${noarchive[@]}"
    fi
    if has_peer ejabberd; then mb ejabberd "$scenario" -server "127.0.0.1:$ejabberd_port" -pid "$ejabberd_pid" "$@"; fi
  done
}

echo "MUC fan-out..." >&2
# First, on fresh servers, the run the memory per occupant is taken from.
fanout "$mem_occupants occupants in $mem_rooms rooms, 1 msg each (memory)" \
  -rooms "$mem_rooms" -occupants "$mem_occupants" -messages 1
# The other runs measure no memory: no settle pause.
fanout "1 room x $occupants occupants, $messages msgs each, burst" \
  -rooms 1 -occupants "$occupants" -messages "$messages" -settle 0
fanout "$rooms rooms x $((occupants / rooms)) occupants, $((messages * 2)) msgs each, burst" \
  -rooms "$rooms" -occupants "$occupants" -messages "$((messages * 2))" -settle 0
fanout "1 room x $occupants occupants, 1 msg each, paced $rate msg/s" \
  -rooms 1 -occupants "$occupants" -messages 1 -rate "$rate" -settle 0

# PEP: no rooms, so no room configuration; otherwise as fanout.
pep() {
  local scenario=$1
  shift
  for _ in $(seq "$repeat"); do
    mb muctest "$scenario" -pep "$@"
    if [ -n "$base" ]; then mb muctest-base "$scenario" -serve-bin "$base" -pep "$@"; fi
    if has_peer prosody; then mb prosody "$scenario" -server "127.0.0.1:$prosody_port" -pid "$prosody_pid" -pep "$@"; fi
    if has_peer ejabberd; then mb ejabberd "$scenario" -server "127.0.0.1:$ejabberd_port" -pid "$ejabberd_pid" -pep "$@"; fi
  done
}

echo "PEP notifications..." >&2
pep "1 publisher -> $pep_contacts contacts, $pep_items publishes" \
  -occupants "$pep_contacts" -messages "$pep_items" -settle 0

# suite LABEL ARGS...: time one muctest run over the corpus.
suite_once() {
  local start end out
  start=$(date +%s%N)
  out=$("$work/muctest" "$@" spec "$corpus" 2>&1 | tail -n 1) || true
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000 )) $out"
}

if [ -d "$corpus" ]; then
  echo "script suite in-process ($suite_runs runs)..." >&2
  times=()
  for _ in $(seq "$suite_runs"); do
    r=$(suite_once)
    times+=("${r%% *}")
    last=${r#* }
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (suite_runs + 1) / 2 ))p")
  best=$(printf '%s\n' "${times[@]}" | sort -n | head -n 1)
  passed=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
  failed=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
  printf '{"suite":{"label":"muctest in-process","seconds":%s,"best":%s,"passed":%s,"failed":%s,"runs":%s}}\n' \
    "$(awk "BEGIN{print $median / 1000000}")" "$(awk "BEGIN{print $best / 1000000}")" \
    "${passed:-0}" "${failed:-0}" "$suite_runs" >>"$results"
fi
if [ -d "$corpus" ] && has_peer prosody; then
  echo "script suite against a fresh Prosody (reference config) on $prosody_ref_port..." >&2
  ref_pid=$("$reference/start.sh" "$prosody_ref_port" "$work/prosody-ref")
  pids+=("$ref_pid")
  start=$(date +%s%N)
  "$work/muctest" -json -server "127.0.0.1:$prosody_ref_port" spec "$corpus" >"$work/prosody-suite.json" 2>&1 || true
  end=$(date +%s%N)
  passed=$(grep '"Action":"pass"' "$work/prosody-suite.json" | grep -c '"Test"' || true)
  failed=$(grep '"Action":"fail"' "$work/prosody-suite.json" | grep -c '"Test"' || true)
  # A failing script waits for the stanza it expected (ReceiveWait, 2s):
  # the second line leaves those scripts' time out.
  failed_s=$(grep '"Action":"fail"' "$work/prosody-suite.json" | grep '"Test"' | sed -n 's/.*"Elapsed":\([0-9.e-]*\).*/\1/p' |
    awk '{t += $1} END {print t + 0}')
  wall_s=$(awk "BEGIN{print ($end - $start) / 1000000000}")
  printf '{"suite":{"label":"prosody 0.12 (-server)","seconds":%s,"passed":%s,"failed":%s,"runs":1}}\n' \
    "$wall_s" "${passed:-0}" "${failed:-0}" >>"$results"
  printf '{"suite":{"label":"  same, without the failing scripts","seconds":%s,"passed":%s,"failed":0,"runs":1}}\n' \
    "$(awk "BEGIN{print $wall_s - $failed_s}")" "${passed:-0}" >>"$results"
fi
if [ ! -d "$corpus" ]; then
  echo "no Prosody corpus at $corpus: script suite skipped" >&2
fi

echo >&2
versions="muctest $(git rev-parse --short HEAD)"
if [ -n "$base" ]; then versions="$versions, muctest-base $base"; fi
for p in $peers; do versions="$versions, $(dpkg-query -W -f="$p \${Version}" "$p" 2>/dev/null || echo "$p")"; done
printf 'versions: %s\n' "$versions"
# Other work on the machine slows whichever server runs at that moment.
printf 'load average: %s at the start, %s at the end\n' "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
"$work/comparetable" <"$results"
