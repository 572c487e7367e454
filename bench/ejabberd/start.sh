#!/usr/bin/env bash
# Start Debian's ejabberd (23.01 on bookworm) on loopback for muctest's
# benchmarks, with bench/ejabberd/ejabberd.yml: any user name and password
# log in with SASL PLAIN, storage in memory (mnesia under DIR), MUC on
# conference.localhost, no shapers, no TLS.
#   usage: start.sh [PORT] [DIR]      (defaults 5341, a new temp dir)
#   EJABBERD_MAM=1 also archives MUC messages (mod_mam).
#   prints: the PID of the beam.smp it started; stop it with `kill PID`
#   (and `epmd -kill` when no other Erlang node runs: the VM starts epmd,
#   listening on 127.0.0.1).
set -euo pipefail
port=${1:-5341}
dir=${2:-$(mktemp -d /tmp/ejabberd-bench.XXXXXX)}
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v ejabberdctl >/dev/null; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ejabberd >/dev/null
fi
# The package starts a system ejabberd when it can; ours runs beside it on
# its own node name, but stop the system one so it does not skew numbers.
invoke-rc.d ejabberd stop >/dev/null 2>&1 || true
mkdir -p "$dir/spool" "$dir/logs"
sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" "$here/ejabberd.yml" >"$dir/ejabberd.yml"
if [ "${EJABBERD_MAM:-0}" = 1 ]; then
  # Archive MUC messages (XEP-0313), as muctest and Prosody's muc_mam do by
  # default. With mnesia, ejabberd's only backend without SQL, the archive
  # is a disc_only table under DIR.
  sed -i -e 's#^      mam: false#      mam: true#' \
    -e 's#^  mod_disco: {}#  mod_mam:\n    db_type: mnesia\n  mod_disco: {}#' "$dir/ejabberd.yml"
fi
# ejabberdctl runs erl through su, which gives the ejabberd user a soft
# open-files limit of 1024: too few for the larger fan-out runs. ERL (a
# variable ejabberdctl.cfg may set) is a wrapper that raises it to the hard
# limit first.
erl=$(sed -n 's/^ERL="\(.*\)"$/\1/p' "$(command -v ejabberdctl)")
cat >"$dir/erl" <<ERL
#!/bin/sh
ulimit -n "\$(ulimit -Hn)" 2>/dev/null
exec ${erl:-/usr/bin/erl} "\$@"
ERL
chmod 755 "$dir/erl"
cat >"$dir/ejabberdctl.cfg" <<CFG
ERL="$dir/erl"
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
ERLANG_NODE=bench$port@localhost
ERL_EPMD_ADDRESS=127.0.0.1
EJABBERD_CONFIG_PATH=$dir/ejabberd.yml
EJABBERD_PID_PATH=$dir/ejabberd.pid
EJABBERD_BYPASS_WARNINGS=true
CFG
# ejabberdctl drops root privileges to the ejabberd user, who must be able
# to reach DIR (a parent made by mktemp -d is private to root).
if [ "$(id -u)" = 0 ] && id ejabberd >/dev/null 2>&1; then
  chown -R ejabberd "$dir"
  if ! su -s /bin/sh ejabberd -c "test -w '$dir/spool'"; then
    echo "the ejabberd user cannot write to $dir; use a directory it can reach" >&2; exit 1
  fi
fi
ejabberdctl --config-dir "$dir" --ctl-config "$dir/ejabberdctl.cfg" \
  --spool "$dir/spool" --logs "$dir/logs" start >"$dir/start.log" 2>&1
for _ in $(seq 300); do
  if [ -s "$dir/ejabberd.pid" ] && (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "$(cat "$dir/ejabberd.pid")"; exit 0
  fi
  if [ -s "$dir/ejabberd.pid" ] && ! kill -0 "$(cat "$dir/ejabberd.pid")" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
echo "ejabberd did not start; see $dir/logs/ejabberd.log and $dir/start.log" >&2; exit 1
