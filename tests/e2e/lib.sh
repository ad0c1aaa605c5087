# Shared set-up of the end-to-end tests (sourced, not run): a PBX namespace on the access veth,
# a core namespace on the core veth, Palisade's af_packet ports on the root-namespace ends, and
# the clean-up that removes the daemon and the namespaces even on failure.
#
# The caller sets, before calling these functions:
#   NS_PBX NS_CORE   namespace names
#   ACC PBX_ETH      access veth: Palisade's end (root namespace) and the PBX's end
#   CORE CORE_ETH    core veth: Palisade's end and the core's end
#   CORE_PEER_IP     the core namespace's address (a /24)
#   WORK             the scratch directory (removed by e2e_cleanup)
#   DAEMON_PID       the daemon's pid once started ("" when none)

# Stops the daemon (SIGTERM, then SIGKILL after 5 s), removes the namespaces, veths and WORK.
e2e_cleanup() {
    if [ -n "${DAEMON_PID:-}" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$DAEMON_PID" 2>/dev/null
    fi
    e2e_net_down
    rm -rf "$WORK"
}

# Removes the namespaces and veths (also the leftovers of an interrupted run).
e2e_net_down() {
    ip netns del "$NS_PBX" 2>/dev/null
    ip netns del "$NS_CORE" 2>/dev/null
    ip link del "$ACC" 2>/dev/null
    ip link del "$CORE" 2>/dev/null
}

# Builds the network; every argument is an address (a /24) given to the PBX's end. Returns
# non-zero when a namespace or veth cannot be made.
e2e_net_up() {
    e2e_net_down
    ip netns add "$NS_PBX" || return 1
    ip netns add "$NS_CORE" || return 1
    ip link add "$ACC" type veth peer name "$PBX_ETH" || return 1
    ip link add "$CORE" type veth peer name "$CORE_ETH" || return 1
    ip link set "$PBX_ETH" netns "$NS_PBX"
    ip link set "$CORE_ETH" netns "$NS_CORE"
    local a
    for a in "$@"; do ip netns exec "$NS_PBX" ip addr add "$a/24" dev "$PBX_ETH"; done
    ip netns exec "$NS_PBX" ip link set "$PBX_ETH" up
    ip netns exec "$NS_PBX" ip link set lo up
    ip netns exec "$NS_CORE" ip addr add "$CORE_PEER_IP/24" dev "$CORE_ETH"
    ip netns exec "$NS_CORE" ip link set "$CORE_ETH" up
    ip link set "$ACC" up
    ip link set "$CORE" up
    # TESTING.md fact 1: veth checksum offload leaves partial checksums af_packet cannot pass on.
    ethtool -K "$ACC" tx off >/dev/null 2>&1
    ethtool -K "$CORE" tx off >/dev/null 2>&1
    ip netns exec "$NS_PBX" ethtool -K "$PBX_ETH" tx off >/dev/null 2>&1
    ip netns exec "$NS_CORE" ethtool -K "$CORE_ETH" tx off >/dev/null 2>&1
    # The kernel must not answer for Palisade on its side of the veths.
    sysctl -qw "net.ipv6.conf.$ACC.disable_ipv6=1" 2>/dev/null
    sysctl -qw "net.ipv6.conf.$CORE.disable_ipv6=1" 2>/dev/null
    return 0
}

# ---------------------------------------------------------------------------------------------
# Per-scenario results (issue 7): every scenario is its own named test. e2e_result prints
# `PASS NAME` or `FAIL NAME: why` and appends the same line to "$PALISADE_E2E_RESULTS" when set;
# scripts/test.sh counts those lines, one test each.
e2e_result() {  # e2e_result NAME STATUS [WHY...]
    local name=$1 st=$2; shift 2
    local line
    if [ "$st" -eq 0 ]; then line="PASS $name"; else line="FAIL $name${*:+: $*}"; fi
    echo "$line"
    if [ -n "${PALISADE_E2E_RESULTS:-}" ]; then echo "$line" >>"$PALISADE_E2E_RESULTS"; fi
    return 0
}

# ---------------------------------------------------------------------------------------------
# The full topology of the spec suite and the demo (TESTING.md "A real network, on one machine"):
#
#   root ns: $T-acc (Palisade, af_packet) ====veth==== $T-acce ─┐ in ns $T-pbx: bridge $T-br
#            addresses of the PBXs on $T-br (one per PBX)        ├─ $T-natw ====veth==== $T-natp in ns $T-nat
#                                                                │     NAT router (nftables masquerade)
#                                                                │     $T-natl ====veth==== $T-lanp in ns $T-lan
#                                                                │     (a PBX with a private address)
#   root ns: $T-cor (Palisade, af_packet) ====veth==== $T-core in ns $T-core (the carrier's peers)
#
# Caller sets: T (name prefix, e.g. pe-t: at most 7 characters so interface names fit 15),
#   ACC_PREFIX (e.g. 10.77.1: Palisade is .1), CORE_PREFIX (10.77.2), LAN_PREFIX (192.168.77),
#   NAT_PUBLIC (the NAT's address on the access LAN), NAT_PORTS (e.g. 40000-40999),
#   PBX_ADDRS (access addresses for the PBX namespace), CORE_ADDRS (core peers' addresses).
# Namespaces: $T-pbx $T-nat $T-lan $T-core. The NAT'd PBX is $LAN_PREFIX.10 behind $LAN_PREFIX.1.
topo_down() {
    local ns
    for ns in "$T-pbx" "$T-nat" "$T-lan" "$T-core"; do ip netns del "$ns" 2>/dev/null; done
    ip link del "$T-acc" 2>/dev/null
    ip link del "$T-cor" 2>/dev/null
    return 0
}

topo_veth_offload_off() {  # topo_veth_offload_off NS IFACE ("" = root namespace)
    # TESTING.md fact 1: a veth leaves UDP checksums partial; af_packet cannot pass them on.
    if [ -n "$1" ]; then ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1
    else ethtool -K "$2" tx off >/dev/null 2>&1; fi
}

topo_up() {
    topo_down
    local p="$T-pbx" n="$T-nat" l="$T-lan" c="$T-core" a
    ip netns add "$p" && ip netns add "$n" && ip netns add "$l" && ip netns add "$c" || return 1
    # Access: Palisade's veth into the PBX namespace, whose bridge also carries the NAT's WAN side.
    ip link add "$T-acc" type veth peer name "$T-acce" || return 1
    ip link set "$T-acce" netns "$p"
    ip -n "$p" link add "$T-br" type bridge
    ip -n "$p" link set "$T-acce" master "$T-br"
    ip -n "$p" link add "$T-natw" type veth peer name "$T-natp"
    ip -n "$p" link set "$T-natp" netns "$n"
    ip -n "$p" link set "$T-natw" master "$T-br"
    for a in $PBX_ADDRS; do ip -n "$p" addr add "$a/24" dev "$T-br"; done
    ip -n "$p" link set lo up
    ip -n "$p" link set "$T-acce" up
    ip -n "$p" link set "$T-natw" up
    ip -n "$p" link set "$T-br" up
    # The NAT router: WAN $NAT_PUBLIC on the access LAN, LAN $LAN_PREFIX.1; everything from the
    # LAN leaves masqueraded to NAT_PUBLIC on a port of NAT_PORTS (so never the PBX's own port:
    # Palisade must use the packet's source, RFC 3581, not the Contact).
    ip -n "$n" addr add "$NAT_PUBLIC/24" dev "$T-natp"
    ip -n "$n" link add "$T-natl" type veth peer name "$T-lanp"
    ip -n "$n" link set "$T-lanp" netns "$l"
    ip -n "$n" addr add "$LAN_PREFIX.1/24" dev "$T-natl"
    ip -n "$n" link set lo up
    ip -n "$n" link set "$T-natp" up
    ip -n "$n" link set "$T-natl" up
    ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$n" nft -f - <<NFT || return 1
table ip nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "$T-natp" ip saddr $LAN_PREFIX.0/24 meta l4proto udp masquerade to :$NAT_PORTS
    }
}
NFT
    ip -n "$l" addr add "$LAN_PREFIX.10/24" dev "$T-lanp"
    ip -n "$l" link set lo up
    ip -n "$l" link set "$T-lanp" up
    ip -n "$l" route add default via "$LAN_PREFIX.1"
    # Core: Palisade's veth into the carrier namespace, one address per core peer.
    ip link add "$T-cor" type veth peer name "$T-core" || return 1
    ip link set "$T-core" netns "$c"
    for a in $CORE_ADDRS; do ip -n "$c" addr add "$a/24" dev "$T-core"; done
    ip -n "$c" link set lo up
    ip -n "$c" link set "$T-core" up
    ip link set "$T-acc" up
    ip link set "$T-cor" up
    topo_veth_offload_off "" "$T-acc"
    topo_veth_offload_off "" "$T-cor"
    topo_veth_offload_off "$p" "$T-acce"
    topo_veth_offload_off "$p" "$T-natw"
    topo_veth_offload_off "$p" "$T-br"
    topo_veth_offload_off "$n" "$T-natp"
    topo_veth_offload_off "$n" "$T-natl"
    topo_veth_offload_off "$l" "$T-lanp"
    topo_veth_offload_off "$c" "$T-core"
    # The kernel must not answer for Palisade on its side of the veths.
    sysctl -qw "net.ipv6.conf.$T-acc.disable_ipv6=1" 2>/dev/null
    sysctl -qw "net.ipv6.conf.$T-cor.disable_ipv6=1" 2>/dev/null
    return 0
}

# Captures on the namespace side of each veth (TESTING.md fact 4: the af_packet driver bypasses
# the qdisc, so Palisade's own side shows nothing it sends). dumpcap is tshark's capture engine;
# each is stopped by its pid (topo_capture_stop). Files: $1/access.pcapng, core.pcapng, lan.pcapng.
CAPTURE_PIDS=()
topo_capture_start() {  # topo_capture_start DIR
    local spec ns ifc name
    for spec in "$T-pbx:$T-acce:access" "$T-core:$T-core:core" "$T-lan:$T-lanp:lan"; do
        IFS=: read -r ns ifc name <<<"$spec"
        ip netns exec "$ns" dumpcap -q -i "$ifc" -f udp -w "$1/$name.pcapng" >"$1/dumpcap_$name.log" 2>&1 &
        CAPTURE_PIDS+=($!)
    done
    # dumpcap needs a moment before it sees packets; bounded wait for its file.
    local _
    for _ in $(seq 1 50); do
        [ -s "$1/access.pcapng" ] && [ -s "$1/core.pcapng" ] && [ -s "$1/lan.pcapng" ] && break
        sleep 0.1
    done
}
topo_capture_stop() {
    local pid
    for pid in "${CAPTURE_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null; done
    for pid in "${CAPTURE_PIDS[@]}"; do
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    CAPTURE_PIDS=()
}

# Background processes of a test (SIPp user agents, baresip), stopped by pid at the end.
BG_PIDS=()
bg_stop_all() {
    local pid
    for pid in "${BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${BG_PIDS[@]}"; do
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    BG_PIDS=()
}
