#!/usr/bin/env bash
# The durability drill (ARCHITECTURE.md, "Durability"), as a host would run it by hand: economy bots play while
# the headless host is killed with SIGKILL at a random moment, N times over one data dir. After
# each kill `brogue check` must pass and the restarted host must resume at or after the newest
# tick any bot was shown. Then M clean SIGTERMs, each followed by an open that needs no repair.
#   docs/durability-drill.sh BROGUE_BINARY [KILLS=20] [TERMS=10]
set -uo pipefail
BIN=${1:?the brogue binary}; KILLS=${2:-20}; TERMS=${3:-10}
DIR=$(mktemp -d); DATA="$DIR/host"; fail=0
start_host() {
    "$BIN" host --headless --bind 127.0.0.1 --port 0 --data-dir "$DATA" --world drill \
        --seed 7 > "$DIR/host.out" 2> "$DIR/host.err" &
    HOST=$!
    for _ in $(seq 100); do grep -q '^key:' "$DIR/host.out" 2>/dev/null && break; sleep 0.1; done
    CODE=$(grep '^invite:' "$DIR/host.out" | cut -d' ' -f2)
    RESUMED=$(grep '^world:' "$DIR/host.out" | awk '{print $4}')
}
seen=0
for i in $(seq "$KILLS"); do
    start_host
    if [ "$RESUMED" -lt "$seen" ]; then
        echo "kill $i: resumed at tick $RESUMED but bots had been shown tick $seen"; fail=1
    fi
    "$BIN" bots "$CODE" --count 4 --duration 12 --mode economy --json --data-dir "$DIR/bots" \
        > "$DIR/bots.json" 2>/dev/null &
    BOTS=$!
    sleep "$(awk -v s=$RANDOM 'BEGIN { print 2 + (s % 500) / 100 }')"
    kill -KILL "$HOST"; wait "$HOST" 2>/dev/null; wait "$BOTS"
    seen=$(python3 -c "import json; print(json.load(open('$DIR/bots.json'))['last_tick_seen'])")
    econ=$(python3 -c "import json; e=json.load(open('$DIR/bots.json'))['economy']; print(' '.join(f'{k}={v}' for k,v in e.items()))")
    check=$("$BIN" check --data-dir "$DATA" --json 2>&1)
    ok=$(echo "$check" | python3 -c "import json,sys; print(all(json.loads(l)['ok'] for l in sys.stdin if l.startswith('{')))")
    echo "kill $i: bots saw tick $seen ($econ); check: ok=$ok $(echo "$check" | grep -o '"ore":{[^}]*}')"
    [ "$ok" = True ] || { echo "$check"; fail=1; }
done
start_host
[ "$RESUMED" -ge "$seen" ] || { echo "final resume at $RESUMED < $seen"; fail=1; }
kill -TERM "$HOST"; wait "$HOST"
for i in $(seq "$TERMS"); do
    start_host
    if grep -q '^repaired:' "$DIR/host.out"; then
        echo "term $i: the save needed repair after a clean SIGTERM"; fail=1
    fi
    sleep 1
    kill -TERM "$HOST"; wait "$HOST"; status=$?
    grep -q '^saved:' "$DIR/host.out" || { echo "term $i: no saved: line"; fail=1; }
    echo "term $i: exit $status, $(grep '^saved:' "$DIR/host.out")"
    [ "$status" = 0 ] || fail=1
done
start_host
grep -q '^repaired:' "$DIR/host.out" && { echo "repair needed after the last SIGTERM"; fail=1; }
kill -TERM "$HOST"; wait "$HOST"
rm -rf "$DIR"
[ "$fail" = 0 ] && echo "drill passed" || { echo "drill FAILED"; exit 1; }
