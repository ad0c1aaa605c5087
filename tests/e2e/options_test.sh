#!/usr/bin/env bash
# End-to-end: SIPp in a network namespace sends OPTIONS over a veth to Palisade's net_af_packet
# port and gets 200s (Allow, Accept, Supported); from a source outside every trunk's subnets it
# gets nothing, and the daemon counts the drops; REGISTERs reach the control plane through the
# punt ring; a second run with two workers (lcores from the command line) answers too.
# Usage: bash tests/e2e/options_test.sh BUILD_DIR
# Needs root (namespaces). Bounded in time; the daemon and namespaces are removed even on failure.
set -uo pipefail

BUILD=${1:?usage: options_test.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DAEMON=$BUILD/controlplane/palisade
SCENARIO=$HERE/scenarios/options_uac.xml

NS_PBX=pal-t-opbx
NS_CORE=pal-t-ocore
ACC=pal-t-oacc      # Palisade's side (af_packet), root namespace
PBX_ETH=pal-t-opbxe
CORE=pal-t-ocor
CORE_ETH=pal-t-ocore
OUR_ACC=10.99.71.1
PBX_IP=10.99.71.10        # inside the trunk's 10.99.71.0/28
STRANGER_IP=10.99.71.100  # on-link, outside every trunk subnet

CORE_PEER_IP=10.99.72.10
WORK=$(mktemp -d /tmp/pal-options-test.XXXXXX)
DAEMON_PID=
SCEN=options_setup
# One line per scenario (lib.sh e2e_result); a failure ends the run, naming its scenario.
fail() { e2e_result "$SCEN" 1 "$*"; exit 1; }
ok() { e2e_result "$SCEN" 0; }

# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces)"
[ -x "$DAEMON" ] || fail "no daemon at $DAEMON"
command -v sipp >/dev/null || fail "sipp is not installed"

# --- network: a PBX namespace on the access veth, an idle core namespace on the core veth
e2e_net_up "$PBX_IP" "$STRANGER_IP" || fail "cannot build the test network"

# --- config
cat >"$WORK/palisade.toml" <<TOML
country_data = "$ROOT/conf/countries.tsv"

[control]
cli_socket = "$WORK/palisade.sock"
call_records = "$WORK/calls.jsonl"
state_dir = "$WORK/state"

[dpdk]
eal_args = ["--no-huge", "-m", "512", "--no-pci", "--in-memory"]
lcores = "0-1"
mbuf_count = 4095
idle_backoff_us = 100

[[interfaces]]
name = "access"
role = "access"
device = "net_af_packet0,iface=$ACC"
address = "$OUR_ACC/24"

[[interfaces]]
name = "core"
role = "core"
device = "net_af_packet1,iface=$CORE"
address = "10.99.72.1/24"

[[core_peers]]
name = "core-a"
address = "10.99.72.10"

[sip]
realm = "palisade.test"
nonce_secret = "options-test-secret-0123456789abcdef"

[policies.open]
default = "allow"
rules = []

[[trunks]]
id = "acme"
subnets = ["10.99.71.0/28"]
dids = ["+31201234567"]
caller_ids = ["+31201234567"]
policy = "open"
primary = { username = "acme-1", password = "acme-one", algorithms = ["md5"] }
secondary = { username = "acme-2", password = "acme-two", algorithms = ["md5"] }
TOML

# --- start-up refusals: a clear message and an exit code, never a crash
SCEN=options_startup_refusals
sed "s/iface=$ACC/iface=pal-t-nonexist/" "$WORK/palisade.toml" >"$WORK/bad_port.toml"
timeout 30 "$DAEMON" -c "$WORK/bad_port.toml" >"$WORK/bad_port.log" 2>&1; st=$?
[ "$st" -eq 1 ] || { cat "$WORK/bad_port.log"; fail "a missing interface: exit $st, expected 1"; }
grep -q "cannot start: interface access (net_af_packet0,iface=pal-t-nonexist)" "$WORK/bad_port.log" ||
    { cat "$WORK/bad_port.log"; fail "a missing interface is not named in the error"; }
sed 's|address = "10.99.71.1/24"|address = "10.99.71.1/99"|' "$WORK/palisade.toml" >"$WORK/bad_cfg.toml"
timeout 30 "$DAEMON" -c "$WORK/bad_cfg.toml" >"$WORK/bad_cfg.log" 2>&1; st=$?
[ "$st" -eq 2 ] || { cat "$WORK/bad_cfg.log"; fail "a bad address: exit $st, expected 2"; }
grep -q "bad_cfg.toml:[0-9]*:[0-9]*: .*10.99.71.1/99" "$WORK/bad_cfg.log" ||
    { cat "$WORK/bad_cfg.log"; fail "a bad address is not reported as file:line:column"; }
echo "start-up refusals: missing interface (exit 1), bad address (exit 2)"
ok

# --- daemon
start_daemon() {  # start_daemon LOG [EAL overrides...]
    local log=$1; shift
    local start_ns; start_ns=$(date +%s%N)
    "$DAEMON" -c "$WORK/palisade.toml" "$@" >"$log" 2>&1 &
    DAEMON_PID=$!
    local started=0
    for _ in $(seq 1 100); do
        if grep -q "palisade: started" "$log"; then started=1; break; fi
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.05
    done
    if [ "$started" -ne 1 ]; then cat "$log"; fail "daemon did not start"; fi
    local ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
    grep "^palisade:" "$log"
    echo "daemon started in ${ms} ms"
    [ "$ms" -lt 2000 ] || fail "start-up took ${ms} ms (> 2 s)"
}

stop_daemon() {  # stop_daemon LOG: SIGINT (the trap uses SIGTERM), clean exit within 5 s
    local log=$1
    kill -INT "$DAEMON_PID"
    local stopped=0
    for _ in $(seq 1 100); do
        kill -0 "$DAEMON_PID" 2>/dev/null || { stopped=1; break; }
        sleep 0.05
    done
    [ "$stopped" -eq 1 ] || fail "daemon did not stop on SIGINT within 5 s"
    wait "$DAEMON_PID"; local st=$?
    DAEMON_PID=
    sed -n '/counters (non-zero)/,$p' "$log"
    [ "$st" -eq 0 ] || { cat "$log"; fail "daemon exited with $st"; }
}

counter() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }

send_options() {  # send_options SOURCE_IP LOCAL_PORT CALLS NAME: sipp's exit status
    ( cd "$WORK" && timeout 60 ip netns exec "$NS_PBX" sipp -sf "$SCENARIO" -i "$1" -p "$2" \
        -m "$3" -r 10 -timeout 30s -timeout_error -nostdin -trace_err -error_file "$WORK/$4_err.log" \
        "$OUR_ACC:5060" >"$WORK/sipp_$4.log" 2>&1 )
}

# One worker: known source answered, unknown source ignored.
SCEN=options_daemon_start
start_daemon "$WORK/daemon1.log"
ok
SCEN=options_known_source_200
if ! send_options "$PBX_IP" 5070 20 known; then
    tail -40 "$WORK/sipp_known.log"; head -40 "$WORK/known_err.log" 2>/dev/null
    stop_daemon "$WORK/daemon1.log"
    fail "OPTIONS from a known source were not all answered 200"
fi
echo "known source: 20 OPTIONS answered 200"
ok
SCEN=options_unknown_source_silent
if send_options "$STRANGER_IP" 5071 3 unknown; then
    stop_daemon "$WORK/daemon1.log"
    fail "OPTIONS from an unknown source were answered"
fi
echo "unknown source: no answer"
ok
SCEN=options_register_punted
# REGISTER: punted to the control plane, whose registrar challenges it (401).
( cd "$WORK" && timeout 30 ip netns exec "$NS_PBX" sipp -sf "$HERE/scenarios/register_punt.xml" \
    -i "$PBX_IP" -p 5073 -m 3 -r 10 -timeout 20s -nostdin "$OUR_ACC:5060" >"$WORK/sipp_reg.log" 2>&1 ) ||
    { tail -20 "$WORK/sipp_reg.log"; stop_daemon "$WORK/daemon1.log"; fail "sipp REGISTER run failed"; }
stop_daemon "$WORK/daemon1.log"
grep -q "control plane: 3 REGISTER" "$WORK/daemon1.log" ||
    fail "the control plane did not receive the 3 punted REGISTERs"
answered=$(counter sip_options_answered "$WORK/daemon1.log")
dropped=$(counter sip_unknown_source_dropped "$WORK/daemon1.log")
[ "${answered:-0}" -ge 20 ] || fail "sip_options_answered = ${answered:-0}, expected >= 20"
[ "${dropped:-0}" -ge 3 ] || fail "sip_unknown_source_dropped = ${dropped:-0}, expected >= 3"
ok
SCEN=options_two_workers

# Two workers, lcores from the command line (they win over the config's): two af_packet queue
# pairs per port, OPTIONS steered to their Call-ID's owner. Lcores 1 and 2 share a CPU here.
start_daemon "$WORK/daemon2.log" -- --lcores "0@0,1@1,2@1"
grep -q "started in .* 2 worker(s)" "$WORK/daemon2.log" || fail "the command line's lcores were not used"
if ! send_options "$PBX_IP" 5072 20 known2; then
    tail -40 "$WORK/sipp_known2.log"; head -40 "$WORK/known2_err.log" 2>/dev/null
    stop_daemon "$WORK/daemon2.log"
    fail "with two workers, OPTIONS from a known source were not all answered 200"
fi
echo "two workers: 20 OPTIONS answered 200"
stop_daemon "$WORK/daemon2.log"
answered2=$(counter sip_options_answered "$WORK/daemon2.log")
handoffs=$(counter handoff_in "$WORK/daemon2.log")
[ "${answered2:-0}" -ge 20 ] || fail "two workers: sip_options_answered = ${answered2:-0}, expected >= 20"
ok
echo "options_test (1 worker: answered $answered, unknown-source drops $dropped;" \
     "2 workers: answered $answered2, handoffs ${handoffs:-0})"
exit 0
