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
