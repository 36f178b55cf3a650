#!/usr/bin/env bash
# The netcode benchmark: the same bots against the same seed through the link emulator, for an
# old and a new brogue, one JSON line per run (docs/bench-bots.sh does each run).
#   docs/bench-netcode.sh OLD_BINARY NEW_BINARY [SECONDS]
# The new binary runs the emulator for both (older brogues have no `link` command).
set -euo pipefail
OLD=${1:?old brogue}; NEW=${2:?new brogue}; SECS=${3:-30}
HERE=$(dirname "$0")
for link in "" "delay=40ms,jitter=5ms" "delay=40ms,jitter=5ms,loss=2%" "delay=40ms,jitter=5ms,loss=5%"; do
    for bin in "$OLD" "$NEW"; do
        line=$(LINK="$link" LINK_BIN="$NEW" "$HERE/bench-bots.sh" "$bin" 8 "$SECS")
        echo "$line" | python3 -c "
import json, sys
r = json.load(sys.stdin)
keep = ['connected', 'actions_acked', 'latency_ms', 'bytes_per_client_per_s',
        'bytes_stream_per_client_per_s', 'bytes_datagram_per_client_per_s', 'reconnects',
        'host_cpu_s', 'host_peak_rss_mb', 'errors']
print(json.dumps({'bin': '$bin', 'bots': 8, 'link': '$link' or 'loopback',
                  **{k: r[k] for k in keep if k in r}}))"
    done
done
# 64 players need --lan-open (past one code's admission budget), which starts LAN discovery:
# run them in a network namespace of their own so nothing is announced on a real interface.
if [ "$(id -u)" = 0 ]; then
    ip netns add bench-netcode
    ip -n bench-netcode link set lo up
    for bin in "$OLD" "$NEW"; do
        line=$(HOST_ARGS="--lan-open --max-players 64" ip netns exec bench-netcode \
            "$HERE/bench-bots.sh" "$bin" 64 "$SECS")
        echo "$line" | python3 -c "
import json, sys
r = json.load(sys.stdin)
keep = ['connected', 'latency_ms', 'bytes_per_client_per_s', 'bytes_stream_per_client_per_s',
        'bytes_datagram_per_client_per_s', 'host_cpu_s', 'host_peak_rss_mb', 'errors']
print(json.dumps({'bin': '$bin', 'bots': 64, 'link': 'loopback',
                  **{k: r[k] for k in keep if k in r}}))"
    done
    ip netns del bench-netcode
else
    echo "64 bots skipped: a network namespace needs root" >&2
fi
