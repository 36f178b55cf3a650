#!/usr/bin/env bash
# How long `brogue host --headless` takes to print its invite code and its reachability verdict
# behind four kinds of router, each built in network namespaces (as tests/internet.rs does) and
# deleted afterwards. Needs root, iproute2, nftables and miniupnpd (Debian: miniupnpd-nftables).
#
#   docs/bench-reach.sh ./target/release/brogue [RUNS]
set -euo pipefail
BIN=$(realpath "$1"); RUNS=${2:-3}
WORK=$(mktemp -d)
NS=()
cleanup() {
    pkill -f "$WORK/mini" 2>/dev/null || true
    for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# lab NAME MODE: home "NAMEh" behind router "NAMEr"; MODE is upnp, pcp (UPnP off) or none.
lab() {
    local h="$1h" r="$1r" mode=$2
    NS+=("$h" "$r")
    ip netns add "$h"; ip netns add "$r"
    ip link add h0 netns "$h" type veth peer name lan netns "$r"
    ip -n "$r" link add wan type veth peer name wan-x   # the outside: an address, no cable
    ip -n "$r" link set wan-x up
    ip -n "$h" addr add 10.77.0.2/24 dev h0; ip -n "$h" link set h0 up; ip -n "$h" link set lo up
    ip -n "$h" route add default via 10.77.0.1
    ip -n "$r" addr add 10.77.0.1/24 dev lan; ip -n "$r" link set lan up
    ip -n "$r" addr add 5.9.0.1/24 dev wan; ip -n "$r" link set wan up
    ip netns exec "$r" nft -f - <<'NFT'
table inet filter {
    chain forward { type filter hook forward priority 0; policy drop; jump miniupnpd; }
    chain miniupnpd { }
}
table inet nat {
    chain prerouting { type nat hook prerouting priority -100; jump prerouting_miniupnpd; }
    chain postrouting { type nat hook postrouting priority 100; jump postrouting_miniupnpd; }
    chain prerouting_miniupnpd { }
    chain postrouting_miniupnpd { }
}
NFT
    [ "$mode" = none ] && return
    cat > "$WORK/mini-$1.conf" <<CONF
ext_ifname=wan
listening_ip=lan
http_port=0
enable_natpmp=yes
enable_upnp=$([ "$mode" = upnp ] && echo yes || echo no)
secure_mode=yes
uuid=3d3cec3a-8cf0-11e0-98ee-000000000001
upnp_table_name=filter
upnp_nat_table_name=nat
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
allow 1024-65535 10.77.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
    ip netns exec "$r" miniupnpd -d -f "$WORK/mini-$1.conf" -P "$WORK/mini-$1.pid" \
        >"$WORK/mini-$1.log" 2>&1 &
    sleep 1
}

# measure NS ARGS…: seconds to the invite line and to the reachability line.
measure() {
    local ns=$1; shift
    local dir; dir=$(mktemp -d -p "$WORK")
    local start; start=$(date +%s.%N)
    ip netns exec "$ns" "$BIN" host --headless --world bench --data-dir "$dir" "$@" 2>/dev/null |
    while read -r line; do
        local at; at=$(echo "$(date +%s.%N) - $start" | bc)
        case "$line" in
            invite:*) printf 'invite %.3f s  ' "$at" ;;
            reachability:*) printf 'verdict %.3f s  %s\n' "$at" "$(cut -d' ' -f2 <<<"$line")"
                            pkill -TERM -f "data-dir $dir" ;;
        esac
    done
}

lab bu upnp; lab bp pcp; lab bn none
for run in $(seq "$RUNS"); do
    echo "-- run $run"
    printf '%-28s' "UPnP router:";          measure buh
    printf '%-28s' "PCP/NAT-PMP only:";     measure bph
    printf '%-28s' "no router answering:";  measure bnh
    printf '%-28s' "--no-port-mapping:";    measure bnh --no-port-mapping
done
