#!/usr/bin/env bash
# Runs `brogue bots` against a headless host on loopback and prints one JSON line: the bots'
# report plus the host's peak RSS, CPU time and (when the host prints it) its journal line.
#   docs/bench-bots.sh BROGUE_BINARY [COUNT] [SECONDS] [MODE]
# Extra host flags come from $HOST_ARGS (e.g. HOST_ARGS="--leaderboard-url postgres://…").
# LINK="delay=40ms,jitter=5ms,loss=2%" puts the link emulator between bots and host, run by
# $LINK_BIN (default: the same binary; set it to a newer brogue to measure an older one, which
# has no `link` command, through the same emulator).
set -euo pipefail
BIN=${1:?the brogue binary}; COUNT=${2:-8}; SECS=${3:-30}; MODE=${4:-explore}
DIR=$(mktemp -d)
"$BIN" host --headless --bind 127.0.0.1 --port 0 --data-dir "$DIR/host" --world bench \
    --seed 42 ${HOST_ARGS:-} > "$DIR/host.out" 2> "$DIR/host.err" &
HOST=$!
for _ in $(seq 50); do grep -q '^invite:' "$DIR/host.out" 2>/dev/null && break; sleep 0.1; done
CODE=$(grep '^invite:' "$DIR/host.out" | cut -d' ' -f2)
RELAY=
if [ -n "${LINK:-}" ]; then
    "${LINK_BIN:-$BIN}" link "$LINK" "$CODE" --data-dir "$DIR/link" > "$DIR/link.out" 2>/dev/null &
    RELAY=$!
    for _ in $(seq 50); do grep -q '^invite:' "$DIR/link.out" 2>/dev/null && break; sleep 0.1; done
    CODE=$(grep '^invite:' "$DIR/link.out" | cut -d' ' -f2)
fi
MODEARG=()
[ "$MODE" != explore ] && MODEARG=(--mode "$MODE")
REPORT=$("$BIN" bots "$CODE" --count "$COUNT" --duration "$SECS" --json "${MODEARG[@]}" \
    --data-dir "$DIR/bots" 2>/dev/null)
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$HOST/status")
TICKS=$(awk '{print $14 + $15}' "/proc/$HOST/stat")
HZ=$(getconf CLK_TCK)
kill -TERM "$HOST"; wait "$HOST" || true
[ -n "$RELAY" ] && { kill -INT "$RELAY"; wait "$RELAY" || true; }
JOURNAL=$(grep '^journal:' "$DIR/host.out" | cut -d' ' -f2- || true)
SIZE=$(stat -c %s "$DIR/host/brogue.redb")
echo "$REPORT" | python3 -c "
import json, sys
r = json.load(sys.stdin)
r['host_peak_rss_mb'] = round($RSS_KB / 1024, 1)
r['host_cpu_s'] = round($TICKS / $HZ, 2)
r['save_bytes'] = $SIZE
r['journal'] = '''$JOURNAL'''
print(json.dumps(r))"
rm -rf "$DIR"
