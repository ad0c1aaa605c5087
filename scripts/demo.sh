#!/usr/bin/env bash
# The README's first command: Palisade between two customer PBXs and a carrier, all on one
# machine. Installs what is missing (scripts/setup.sh), builds (meson/ninja into build/), builds a
# virtual network (network namespaces and veth pairs), starts Palisade with conf/demo.toml, and
# plays about a minute of traffic with SIPp:
#   - both of acme's accounts and globex's register (digest MD5); Palisade's keepalive OPTIONS
#     watch them;
#   - outbound calls from the PBXs: completed ones, and one refused by each rule and limit
#     (destination policy, number format, caller ID, attempts per second, concurrent calls,
#     calls per hour) and an emergency call that goes through whatever the limits;
#   - inbound calls from the carrier to the trunks' DIDs, and an unknown DID;
#   - acme's primary PBX goes away: keepalive marks it down and inbound calls ring the secondary;
# printing `palisadectl status`, `trunks` and `trunk` views as it goes and a summary at the end.
# Everything it starts is stopped, and the namespaces removed, on exit (also on Ctrl-C).
# Usage: sudo scripts/demo.sh        (root: namespaces, DPDK)
#   PALISADE_DEMO_NO_SETUP=1  skip scripts/setup.sh     PALISADE_DEMO_BUILD=DIR  use that build
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SC=$ROOT/tests/e2e/scenarios
CONF=$ROOT/conf/demo.toml
WORK=/tmp/palisade-demo        # conf/demo.toml's [control] paths live here
SOCK=$WORK/palisade.sock

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (network namespaces, DPDK): sudo $0"; exit 1; }

say "set-up and build"
if [ "${PALISADE_DEMO_NO_SETUP:-0}" != 1 ]; then
    bash scripts/setup.sh || { echo "demo: scripts/setup.sh failed"; exit 1; }
fi
BUILD=${PALISADE_DEMO_BUILD:-$ROOT/build}
if [ -z "${PALISADE_DEMO_BUILD:-}" ]; then
    [ -f build/build.ninja ] || meson setup build >/tmp/palisade-demo-setup.log 2>&1 ||
        { cat /tmp/palisade-demo-setup.log; exit 1; }
    ninja -C build controlplane/palisade controlplane/palisadectl || { echo "demo: build failed"; exit 1; }
fi
DAEMON=$BUILD/controlplane/palisade
CTL=$BUILD/controlplane/palisadectl
ctl() { "$CTL" "$@" --socket "$SOCK"; }

# --- the virtual network (tests/e2e/lib.sh): must match conf/demo.toml
T=pe-d
ACC_PREFIX=10.10.1
CORE_PREFIX=10.20.1
LAN_PREFIX=192.168.110
NAT_PUBLIC=10.10.1.40
NAT_PORTS=41000-41999
OUR_ACC=10.10.1.1
OUR_CORE=10.20.1.1
ACME1=10.10.1.10; ACME2=10.10.1.11; GLOBEX=10.10.1.20
CORE_A=10.20.1.10; CORE_B=10.20.1.11
PBX_ADDRS="$ACME1 $ACME2 $GLOBEX"
CORE_ADDRS="$CORE_A $CORE_B"
DAEMON_PID=
# shellcheck source=tests/e2e/lib.sh
. "$ROOT/tests/e2e/lib.sh"
cleanup() {
    bg_stop_all
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -INT "$DAEMON_PID"
        for _ in $(seq 1 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$DAEMON_PID" 2>/dev/null
    fi
    topo_down
    echo "demo: cleaned up (logs and call records kept in $WORK)"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say "virtual network: PBX side $ACC_PREFIX.0/24, carrier side $CORE_PREFIX.0/24"
rm -rf "$WORK"; mkdir -p "$WORK"
topo_up || { echo "demo: cannot build the network"; exit 1; }
echo "namespaces: $(ip netns list | awk '{print $1}' | grep "^$T-" | tr '\n' ' ')"

say "Palisade with conf/demo.toml"
"$DAEMON" -c "$CONF" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 400); do
    grep -q "palisade: CLI socket" "$WORK/daemon.log" && break
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    sleep 0.05
done
grep -q "palisade: CLI socket" "$WORK/daemon.log" || { cat "$WORK/daemon.log"; echo "demo: palisade did not start"; exit 1; }
grep "^palisade:" "$WORK/daemon.log" | head -5
ctl status

# --- SIPp helpers: every run bounded; the outcome is the last final response SIPp received.
N=0
declare -A RESULT=()
ORDER=()
sipp_run() {  # sipp_run NAME NS SCENARIO LOCAL_IP PORT TARGET [args]
    local name=$1 ns=$2 scen=$3 ip=$4 port=$5 target=$6; shift 6
    ( cd "$WORK" && timeout 60 ip netns exec "$ns" sipp -sf "$scen" -i "$ip" -p "$port" -m 1 -nostdin \
        -timeout 15s -timeout_error -max_invite_retrans 2 -cid_str "demo-$name-%u@%s" \
        -trace_msg -message_file "$WORK/$name.msg" "$@" "$target" >"$WORK/$name.out" 2>&1 )
}
outcome() {  # the last final status received, or "no answer"
    local code
    code=$(grep -a -A2 "message received" "$WORK/$1.msg" 2>/dev/null | tr -d '\r' | grep -a "^SIP/2.0 [2-6][0-9][0-9]" | tail -1 | cut -c9-40)
    echo "${code:-no answer}"
}
step() {  # step NAME EXPECTED STATUS: records and prints one line
    local name=$1 expected=$2 st=$3
    local got; got=$(outcome "$name")
    local mark="as expected"
    [ "$st" -eq 0 ] || mark="NOT as expected"
    local live
    # live calls (call events) and the workers' concurrency gauge (what the limit counts)
    live=$(for t in acme globex; do ctl trunk "$t" --json 2>/dev/null; done | python3 -c 'import json,sys; print(" ".join(j["id"] + "=" + str(j["calls"]["live"]) + "/" + str(j["calls"]["concurrent_gauge"]) for j in map(json.loads, sys.stdin)))' 2>/dev/null)
    printf '  %-20s expected %-34s got %-27s %-16s live/gauge: %s\n' "$name" "$expected" "$got" "$mark" "$live"
    RESULT[$name]=$st
    ORDER+=("$name")
}
refused_scen() { sed "s/@CODE@/$1/g" "$SC/uac_refused.xml" >"$WORK/refused_$1.xml"; echo "$WORK/refused_$1.xml"; }
pbx_call() {  # pbx_call NAME SCENARIO PBX_IP USER PASSWORD CALLER DIALLED [args]
    local name=$1 scen=$2 ip=$3 user=$4 pw=$5 caller=$6 dialled=$7; shift 7
    N=$((N + 1))
    sipp_run "$name" "$T-pbx" "$scen" "$ip" $((5100 + N)) "$OUR_ACC:5060" -s "$dialled" -au "$user" -ap "$pw" \
        -set caller "$caller" -set codecs "8 0 101" -set extra "X-Demo: outbound" -d 1000 "$@"
}
core_call() {  # core_call NAME SCENARIO DID [args]
    local name=$1 scen=$2 did=$3; shift 3
    N=$((N + 1))
    sipp_run "$name" "$T-core" "$scen" "$CORE_B" $((5100 + N)) "$OUR_CORE:5060" -s "$did" \
        -set caller +4930111222 -set extra "X-Demo: inbound" -d 1000 "$@"
}
bg() {  # bg NAME NS SCENARIO IP PORT [args]: a SIPp user agent for the whole demo
    local name=$1 ns=$2 scen=$3 ip=$4 port=$5; shift 5
    ( cd "$WORK" && exec timeout 600 ip netns exec "$ns" sipp -sf "$scen" -i "$ip" -p "$port" -nostdin -aa \
        -trace_msg -message_file "$WORK/$name.msg" "$@" >"$WORK/$name.out" 2>&1 ) &
    BG_PIDS+=($!)
    eval "PID_$name=$!"
}

say "the PBXs register (digest MD5: 401, then 200)"
for acct in "acme-1 acme-one $ACME1" "acme-2 acme-two $ACME2" "globex-1 globex-one $GLOBEX"; do
    set -- $acct
    sipp_run "register_$1" "$T-pbx" "$SC/register_auth.xml" "$3" 5070 "$OUR_ACC:5060" -s "$1" -au "$1" -ap "$2"
    step "register_$1" "200 OK" $?
done
# Each PBX then takes inbound calls and answers keepalive OPTIONS on the address it registered.
bg pbx_acme1 "$T-pbx" "$SC/pbx_uas.xml" "$ACME1" 5070 -m 100000
bg pbx_acme2 "$T-pbx" "$SC/pbx_uas.xml" "$ACME2" 5070 -m 100000
bg pbx_globex "$T-pbx" "$SC/pbx_uas.xml" "$GLOBEX" 5070 -m 100000
# The carrier: core-a and core-b answer every call Palisade forwards, and its keepalive OPTIONS.
sed 's/@WANT@/^INVITE/; s/@NOTWANT@/NEVER-MATCHES-x9/' "$SC/core_uas.xml" >"$WORK/core_uas.xml"
bg carrier "$T-core" "$WORK/core_uas.xml" "$CORE_A" 5060 -m 100000 -set resp_extra "X-Demo: carrier"
bg carrier_b "$T-core" "$WORK/core_uas.xml" "$CORE_B" 5060 -m 100000 -set resp_extra "X-Demo: carrier-b"
sleep 5
ctl registrations
ctl trunks

say "outbound calls from acme's PBX (limits: 2 concurrent, 2 attempts/s)"
pbx_call out_acme_ok "$SC/uac_call.xml" "$ACME1" acme-1 acme-one +31201234567 +4930123456
step out_acme_ok "200 OK, BYE" $?
pbx_call out_premium "$(refused_scen 403)" "$ACME1" acme-1 acme-one +31201234567 +31900123456
step out_premium "403 (destination policy)" $?
pbx_call out_not_e164 "$(refused_scen 484)" "$ACME1" acme-1 acme-one +31201234567 0201234567
step out_not_e164 "484 (not E.164)" $?
pbx_call out_bad_callerid "$(refused_scen 403)" "$ACME1" acme-1 acme-one +31209999999 +4930123456
step out_bad_callerid "403 (caller ID not allowed)" $?
pbx_call out_g729 "$(refused_scen 488)" "$ACME1" acme-1 acme-one +31201234567 +4930123456 -set codecs 18
step out_g729 "488 (G.729 only)" $?
# concurrent: two calls held a few seconds (started apart: 2 attempts/s), a third meanwhile
sleep 1.5
pbx_call out_held1 "$SC/uac_call.xml" "$ACME1" acme-1 acme-one +31201234567 +4930123401 -d 9000 &
h1=$!
N=$((N + 1))  # the background call took port 5100+N in its subshell
sleep 2.5
pbx_call out_held2 "$SC/uac_call.xml" "$ACME1" acme-1 acme-one +31201234500 +4930123402 -d 6000 &
h2=$!
N=$((N + 1))  # the background call took port 5100+N in its subshell
sleep 2.5
ctl calls
pbx_call out_third "$(refused_scen 503)" "$ACME1" acme-1 acme-one +31201234567 +4930123403
step out_third "503 (2 concurrent calls)" $?
wait $h1; step out_held1 "200 OK, BYE" $?
wait $h2; step out_held2 "200 OK, BYE" $?
sleep 1.5
# attempts per second: a burst of 5 calls in half a second; some must get 503 (the others complete)
N=$((N + 1))
sed "s/@CODE@/503/g" "$SC/uac_call_or_refused.xml" >"$WORK/call_or_503.xml"
sipp_run out_burst "$T-pbx" "$WORK/call_or_503.xml" "$ACME1" $((5100 + N)) "$OUR_ACC:5060" -s +4930123404 \
    -au acme-1 -ap acme-one -set caller +31201234567 -set codecs "8 0 101" -set extra "X-Demo: burst" -m 5 -r 10 -d 300
[ "$(grep -a -c "^SIP/2.0 503" "$WORK/out_burst.msg")" -ge 1 ]
step out_burst "503 for some (2 attempts/s)" $?

sleep 2
say "outbound calls from globex's PBX (limits: 1 concurrent, 3 calls per hour)"
for i in 1 2 3; do
    pbx_call "out_globex_$i" "$SC/uac_call.xml" "$GLOBEX" globex-1 globex-one +31207654300 +4930123456 -d 300
    step "out_globex_$i" "200 OK, BYE" $?
    sleep 1.1
done
pbx_call out_globex_4 "$(refused_scen 403)" "$GLOBEX" globex-1 globex-one +31207654300 +4930123456
step out_globex_4 "403 (calls per hour)" $?
pbx_call out_emergency "$SC/uac_call.xml" "$GLOBEX" globex-1 globex-one +31207654300 112 -d 300
step out_emergency "200 OK (112 whatever the limits)" $?
ctl trunk globex

sleep 2
say "inbound calls from the carrier"
core_call in_acme "$SC/core_uac_call.xml" +31201234567
step in_acme "200 OK (acme's primary rings)" $?
core_call in_acme_range "$SC/core_uac_call.xml" +31201234505
step in_acme_range "200 OK (a DID of acme's range)" $?
core_call in_globex "$SC/core_uac_call.xml" +31207654321
step in_globex "200 OK (globex)" $?
sed 's/@CODE@/404/g' "$SC/core_uac_code.xml" >"$WORK/core_404.xml"
core_call in_unknown "$WORK/core_404.xml" +31209876543
step in_unknown "404 (no trunk has this DID)" $?

say "acme's primary PBX goes away: inbound failover to the secondary"
kill -TERM "$PID_pbx_acme1" 2>/dev/null; wait "$PID_pbx_acme1" 2>/dev/null
down=1
for _ in $(seq 1 150); do  # 3 missed OPTIONS, 2 s apart: within 15 s
    ctl trunk acme --json | grep -q '"primary":{[^}]*"reachable":false' && { down=0; break; }
    sleep 0.1
done
step_line=$([ $down -eq 0 ] && echo "marked down by keepalive" || echo "still reachable after 15 s")
printf '  %-28s %s\n' keepalive "acme-1 $step_line"
ctl trunk acme
before=$(grep -c "^INVITE sip:" "$WORK/pbx_acme2.msg" 2>/dev/null)
core_call in_failover "$SC/core_uac_call.xml" +31201234567
st=$?
after=$(grep -c "^INVITE sip:" "$WORK/pbx_acme2.msg" 2>/dev/null)
[ "${after:-0}" -gt "${before:-0}" ] || st=1
step in_failover "200 OK from acme's secondary" $st

say "status at the end"
sleep 1.5  # call records are flushed every second
ctl status
ctl trunks
ctl counters | grep -E "^(dataplane|registrar|keepalive|failover|call_records) " | head -40

say "summary"
ok=0; bad=0
for n in "${ORDER[@]}"; do
    if [ "${RESULT[$n]}" -eq 0 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
done
echo "$ok step(s) as expected, $bad not (each line above says what came back)"
if [ -s "$WORK/calls.jsonl" ]; then
    echo "call records ($WORK/calls.jsonl), by result and code:"
    python3 - "$WORK/calls.jsonl" <<'PY'
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    c[(r["direction"], r["result"], r["code"], r["reason"])] += 1
for (d, res, code, reason), n in sorted(c.items()):
    print(f"  {n:3}  {d:8} {res:10} {code}  {reason}")
PY
else
    echo "no call records yet (the call path has not landed in this build)"
fi
exit 0
