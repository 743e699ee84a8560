# tests/integration/lib/task_force.sh -- sourced by the CLI scenarios
# (cli_day.sh, cli_sent.sh) that drive a task force with the liaison CLI
# alone. Usage, after `set -u`:
#   . "${BASH_SOURCE[0]%/*}/lib/task_force.sh" NAME
# It sets L, BROKER_BIN, AGENT_BIN and T (a temporary directory
# lsn-NAME.XXXXXX, removed on exit with every process in APID and
# BROKER_PID stopped by pid), umask 077, NO_COLOR=1, TZ unset, sources
# checks.sh (fails=0, ok, bad, die, run, expect, absent, before,
# wait_for) and defines as, shows, tf_start (the three agencies, the broker,
# the three agents, connected), start_agent, connected and tf_finish (the
# verdict). It fails when a binary is missing.

: "${LSN_BIN_DIR:?LSN_BIN_DIR must point at the build directory}"
L="$LSN_BIN_DIR/cli/liaison"
BROKER_BIN="$LSN_BIN_DIR/broker/liaison-broker"
AGENT_BIN="$LSN_BIN_DIR/agent/liaison-agent"
T=$(mktemp -d "${TMPDIR:-/tmp}/lsn-$1.XXXXXX") || exit 1
BROKER_PID=""
declare -A APID

cleanup() {
	local p
	for p in "${APID[@]}" $BROKER_PID; do
		kill "$p" 2>/dev/null
	done
	for p in "${APID[@]}" $BROKER_PID; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
umask 077
export NO_COLOR=1
unset TZ

# shellcheck source=checks.sh
. "${BASH_SOURCE[0]%/*}/checks.sh"

# as ID ARGS...: the CLI against partner ID's agent.
as() {
	local id=$1
	shift
	"$L" "$@" -c "$T/$id/agent.conf"
}

# shows ID PATTERN ARGS...: `as ID ARGS` prints PATTERN (for wait_for).
shows() {
	local id=$1 pat=$2
	shift 2
	as "$id" "$@" 2>&1 | grep -Eq -- "$pat"
}

for b in "$L" "$BROKER_BIN" "$AGENT_BIN"; do
	[ -x "$b" ] || die "$b not built"
done

# keyjson FILE: a public key file as a directory key (JSON).
keyjson() {
	awk '$1 == "kind" { k = $2 } $1 == "key-id" { i = $2 }
	    $1 == "public" { p = $2 }
	    END { printf "{\"key_id\":\"%s\",\"purpose\":\"%s\",\"public_key\":\"%s\"}", i, k, p }' "$1"
}

# start_agent ID: writes $T/ID/agent.conf and starts ID's agent (APID).
start_agent() {
	local id=$1
	cat >"$T/$id/agent.conf" <<EOC
[agent]
partner = $id
broker = $(cat "$T/endpoint")
broker_key = $T/broker/transport.pub
db = $T/$id/agent.db
keys_dir = $T/$id/keys
trust_root = $ROOT
ping_ms = 1s
EOC
	"$AGENT_BIN" -d -c "$T/$id/agent.conf" 2>>"$T/$id/log" &
	APID[$id]=$!
}

# connected ID: ID's agent says it is connected to the broker.
connected() { as "$1" status --json | grep -q '"connected": *true'; }

# tf_start: the task force: one administrator (alice), three agencies
# (au-afp, uk-nca-ceop, uk-iwf; group ops-coord), the broker's database
# from genesis and a directory import, the broker (BROKER_PID) and the
# three agents, connected. Sets ROOT (the trust root). Dies on failure.
tf_start() {
	local ORGS o sep id name cc
	ORGS="au-afp|Australian_Federal_Police|AU uk-nca-ceop|National_Crime_Agency_CEOP|GB uk-iwf|Internet_Watch_Foundation|GB"
	"$L" keygen --admin alice --out "$T/alice" >/dev/null || die "keygen admin"
	"$L" keygen --partner broker --out "$T/broker" >/dev/null || die "keygen broker"
	{
		printf '{"format":"liaison-directory-v1","partners":['
		sep=""
		for o in $ORGS; do
			IFS='|' read -r id name cc <<<"${o//_/ }"
			mkdir -p "$T/$id"
			"$L" keygen --partner "$id" --out "$T/$id/keys" >/dev/null ||
			    die "keygen $id"
			printf '%s{"id":"%s","names":{"official":"%s"},"kind":"law_enforcement","country":"%s","status":"active","keys":[%s,%s,%s],"units":[],"contacts":[{"contact_id":"duty","name":"Duty %s","role":"24/7 desk","email":"duty@%s.example","is_24x7":true,"languages":["en"]}]}' \
			    "$sep" "$id" "$name" "$cc" \
			    "$(keyjson "$T/$id/keys/sign.pub")" \
			    "$(keyjson "$T/$id/keys/encrypt.pub")" \
			    "$(keyjson "$T/$id/keys/transport.pub")" "$id" "$id"
			sep=","
		done
		printf '],"groups":[{"name":"ops-coord","description":"cell","members":["au-afp","uk-nca-ceop","uk-iwf"]}]}\n'
	} >"$T/dir.json"
	"$L" admin init --admins "$T/alice/admin.pub" \
	    --threshold routine=1,sensitive=1,root=1 \
	    --sequencer "$T/broker/sign.pub" --out "$T/genesis.op" >"$T/out" ||
	    die "admin init"
	ROOT=$(sed -n 's/.*trust_root): \([0-9a-f]\{64\}\).*/\1/p' "$T/out")
	[ -n "$ROOT" ] || die "no trust root"
	"$L" admin sign "$T/genesis.op" --key "$T/alice/admin.key" >/dev/null &&
	    "$L" admin apply "$T/genesis.op" --db "$T/broker.db" >/dev/null ||
	    die "genesis"
	"$L" dir import "$T/dir.json" --out "$T/dir.ops" >/dev/null &&
	    "$L" admin sign "$T/dir.ops" --key "$T/alice/admin.key" >/dev/null &&
	    "$L" admin apply "$T/dir.ops" --db "$T/broker.db" >/dev/null ||
	    die "directory import"

	cat >"$T/broker.conf" <<EOC
[broker]
listen = tcp://127.0.0.1:*
endpoint_file = $T/endpoint
control = ipc://$T/control.sock
db = $T/broker.db
sign_key = $T/broker/sign.key
transport_key = $T/broker/transport.key
EOC
	"$BROKER_BIN" -d -c "$T/broker.conf" 2>"$T/broker.log" &
	BROKER_PID=$!
	wait_for 20 test -s "$T/endpoint" || die "broker did not bind"

	for id in au-afp uk-nca-ceop uk-iwf; do
		start_agent "$id"
	done
	for id in au-afp uk-nca-ceop uk-iwf; do
		wait_for 30 connected "$id" || die "$id did not connect"
	done
}

# tf_finish: the verdict; on failures the agents' log tails, exit 1.
tf_finish() {
	local id
	if [ "$fails" -ne 0 ]; then
		echo "$fails check(s) failed"
		for id in au-afp uk-nca-ceop uk-iwf; do
			echo "--- $id log (tail)"
			tail -n 20 "$T/$id/log"
		done
		exit 1
	fi
	echo "all checks passed"
}
