#!/usr/bin/env bash
# broker_status.sh -- `liaison broker-status` against a real broker's
# control socket: human and --json output, --rate, exit 3 once the broker
# is gone, exit 2 for bad arguments; and the broker's -E / -n on a
# configuration whose relative paths resolve from the working directory.
set -u

: "${LSN_BIN_DIR:?LSN_BIN_DIR must point at the build directory}"
L="$LSN_BIN_DIR/cli/liaison"
B="$LSN_BIN_DIR/broker/liaison-broker"
T=$(mktemp -d) || exit 1
BPID=""
cleanup() {
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# shellcheck source=lib/checks.sh
. "${BASH_SOURCE[0]%/*}/lib/checks.sh"

cd "$T" || exit 1
run "keygen broker" 0 "$L" keygen --partner broker --out keys
"$B" -E >broker.conf
printf 'control = ipc://%s/control.sock\nendpoint_file = %s/endpoint\n' \
    "$T" "$T" >>broker.conf
sed -i 's|^listen = .*|listen = tcp://127.0.0.1:*|' broker.conf
chmod 600 broker.conf
run "broker -n on the -E example plus control" 0 "$B" -n -c broker.conf
"$B" -d -c broker.conf 2>"$T/broker.log" &
BPID=$!
for _ in $(seq 50); do
	[ -S "$T/control.sock" ] && break
	sleep 0.1
done
[ -S "$T/control.sock" ] || bad "control socket not created"

run "broker-status" 0 "$L" broker-status --control "ipc://$T/control.sock"
grep -q '^daemon: liaison-broker$' "$T/out" && ok "names the daemon" ||
    bad "no daemon line"
grep -q '^dir_rev: 0$' "$T/out" && ok "directory revision shown" ||
    bad "no dir_rev"
run "broker-status --json" 0 "$L" broker-status --json \
    --control "ipc://$T/control.sock"
grep -q '"sessions":\[\]' "$T/out" && grep -q '"queued":0' "$T/out" &&
    ok "--json has sessions and queued" || bad "--json: $(cat "$T/out")"
grep -q '"queues":{}' "$T/out" && grep -q '"recent_problems":\[\]' "$T/out" &&
    ok "--json has per-recipient queues and recent problems" ||
    bad "--json queues/recent_problems: $(cat "$T/out")"
run "broker-status --rate 1 --json" 0 "$L" broker-status --rate 1 --json \
    --control "ipc://$T/control.sock"
grep -q '"accepted_per_s":0' "$T/out" && ok "--rate adds per-second rates" ||
    bad "--rate: $(cat "$T/out")"

run "no --control" 2 "$L" broker-status
grep -q "control" "$T/err" && ok "says which option is missing" ||
    bad "no hint: $(cat "$T/err")"
run "tcp control refused" 2 "$L" broker-status --control tcp://127.0.0.1:1
run "bad --timeout" 2 "$L" broker-status --control "ipc://$T/c" --timeout x
run "help" 0 "$L" broker-status --help

kill "$BPID" 2>/dev/null
wait "$BPID" 2>/dev/null
BPID=""
run "broker gone" 3 "$L" broker-status --timeout 1 \
    --control "ipc://$T/control.sock"
grep -q "broker running" "$T/err" && ok "says what to check" ||
    bad "no hint: $(cat "$T/err")"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
