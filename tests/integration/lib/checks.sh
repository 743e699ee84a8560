# tests/integration/lib/checks.sh -- the checks of the shell scenarios
# (tests/integration/*.sh), sourced after `set -u` and once T (the
# scenario's temporary directory) is set:
#   . "${BASH_SOURCE[0]%/*}/lib/checks.sh"
# It sets fails=0 and defines ok, bad (counts a failure), die (fails at
# once), run (a command's exit status, its output in $T/out and $T/err),
# expect and absent (a pattern in a file or not), before (the order of two
# patterns) and wait_for (retry a command).

fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
die() { printf 'FAIL %s\n' "$1"; exit 1; }

# run NAME WANT-RC CMD...: runs CMD, keeps stdout/stderr in $T/out, $T/err.
run() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name (exit $rc)"
	else
		bad "$name: exit $rc, want $want"
		sed 's/^/    | /' "$T/out" "$T/err"
	fi
}

# expect NAME FILE PATTERN: FILE must contain PATTERN (grep -E).
expect() {
	if grep -Eq -- "$3" "$2"; then
		ok "$1"
	else
		bad "$1: no /$3/ in $(basename "$2")"
		sed 's/^/    | /' "$2"
	fi
}

# absent NAME FILE PATTERN: FILE must not contain PATTERN.
absent() {
	if grep -Eq -- "$3" "$2"; then
		bad "$1: /$3/ in $(basename "$2")"
		sed 's/^/    | /' "$2"
	else
		ok "$1"
	fi
}

# before NAME FILE PAT1 PAT2: the first line matching PAT1 comes before
# the first line matching PAT2.
before() {
	local a b
	a=$(grep -nE -- "$3" "$2" | head -n 1 | cut -d: -f1)
	b=$(grep -nE -- "$4" "$2" | head -n 1 | cut -d: -f1)
	if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then
		ok "$1"
	else
		bad "$1: /$3/ (line ${a:-none}) not before /$4/ (line ${b:-none})"
		sed 's/^/    | /' "$2"
	fi
}

# wait_for SECONDS CMD...: retries CMD every 0.2 s until it succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

