#!/usr/bin/env bash
# Runs `brogue serve` with WORLDS worlds on loopback and COUNT bots spread over them (one
# `brogue bots` process per world, all at once), then prints one JSON line: per world the tick
# p99 and overruns read from the server's own /metrics, the server's peak RSS and CPU time, and
# the bots' bytes per client. The server is --open: 500 newcomers at once would otherwise wait for
# the per-code registration rate (8 at once, then one per 5 s).
#   docs/bench-serve.sh BROGUE_BINARY [COUNT] [SECONDS] [WORLDS]
# STAGGER=S waits S seconds between starting the bots of one world and the next (all bots come
# from 127.0.0.1, and a host lets one address have 4 handshakes in flight). PARTIES=1 makes the
# worlds with --parties (each bot a party of one) instead of together (all bots of a world in
# one party).
set -euo pipefail
BIN=${1:?the brogue binary}; COUNT=${2:-50}; SECS=${3:-30}; WORLDS=${4:-10}
DIR=$(mktemp -d)
for w in $(seq "$WORLDS"); do
    "$BIN" --data-dir "$DIR/server" world new "w$w" --seed "$w" ${PARTIES:+--parties} > /dev/null
done
"$BIN" --data-dir "$DIR/server" serve --bind 127.0.0.1 --port 0 --no-port-mapping \
    --metrics 127.0.0.1:0 --open --max-players 256 > "$DIR/serve.out" 2> "$DIR/serve.err" &
SERVER=$!
for _ in $(seq 100); do grep -q '^listening:' "$DIR/serve.out" 2>/dev/null && break; sleep 0.1; done
METRICS=$(grep '^metrics:' "$DIR/serve.out" | cut -d' ' -f2)
PER=$(( (COUNT + WORLDS - 1) / WORLDS ))
LEFT=$COUNT
PIDS=()
for w in $(seq "$WORLDS"); do
    N=$(( LEFT < PER ? LEFT : PER ))
    [ "$N" -le 0 ] && break
    LEFT=$(( LEFT - N ))
    CODE=$(grep " world: w$w\$" "$DIR/serve.out" | head -1 | cut -d' ' -f2)
    "$BIN" bots "$CODE" --count "$N" --duration "$SECS" --json --data-dir "$DIR/bots$w" \
        > "$DIR/bots$w.json" 2> /dev/null &
    PIDS+=($!)
    sleep "${STAGGER:-0}"
done
for p in "${PIDS[@]}"; do wait "$p" || true; done
curl -s "$METRICS" > "$DIR/metrics.txt"
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
TICKS=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
HZ=$(getconf CLK_TCK)
kill -TERM "$SERVER"; wait "$SERVER" || true
python3 - "$DIR" "$RSS_KB" "$TICKS" "$HZ" "$COUNT" "$SECS" <<'PY'
import json, re, sys, glob, collections
d, rss, ticks, hz, count, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
buckets = collections.defaultdict(list); counts = {}; overruns = {}
for line in open(f"{d}/metrics.txt"):
    m = re.match(r'brogue_tick_seconds_bucket\{le="([^"]+)",world="([^"]+)"\} (\S+)', line) or \
        re.match(r'brogue_tick_seconds_bucket\{world="([^"]+)",le="([^"]+)"\} (\S+)', line)
    if m and line.find('world=') > line.find('le='):
        buckets[m.group(2)].append((float(m.group(1)), float(m.group(3))))
    elif m:
        buckets[m.group(1)].append((float(m.group(2)), float(m.group(3))))
    m = re.match(r'brogue_tick_seconds_count\{world="([^"]+)"\} (\S+)', line)
    if m: counts[m.group(1)] = float(m.group(2))
    m = re.match(r'brogue_tick_overruns_total\{world="([^"]+)"\} (\S+)', line)
    if m: overruns[m.group(1)] = float(m.group(2))
def p99(world):
    total = counts[world]
    for le, c in sorted(buckets[world]):
        if c >= 0.99 * total:
            return le * 1000
    return float('inf')
reports = [json.load(open(f)) for f in sorted(glob.glob(f"{d}/bots*.json"))]
connected = sum(r["connected"] for r in reports)
bpc = [r["bytes_per_client_per_s"] for r in reports if r["connected"]]
print(json.dumps({
    "bots": count, "connected": connected, "worlds": len(counts), "seconds": secs,
    "tick_p99_ms_max": max(p99(w) for w in counts),
    "tick_p99_ms": {w: p99(w) for w in sorted(counts)},
    "overruns_total": sum(overruns.values()),
    "overruns": {w: overruns[w] for w in sorted(overruns)},
    "server_peak_rss_mb": round(rss / 1024, 1),
    "server_cpu_s": round(ticks / hz, 2),
    "server_cpu_share": round(ticks / hz / secs, 2),
    "bytes_per_client_per_s": round(sum(bpc) / len(bpc)) if bpc else 0,
    "errors": sum(len(r["errors"]) for r in reports),
}))
PY
