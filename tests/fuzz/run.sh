#!/bin/sh
# run.sh -- runs the libFuzzer harnesses of a fuzz build (LSN_FUZZ=ON).
#
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [JOBS] [HARNESS ...]
#
# For each harness: the seeds made by fuzz_seeds (fresh every run), the
# committed corpus (tests/fuzz/corpus/<harness>/, replayed by `make test`
# in every build), the committed regression inputs
# (tests/fuzz/regress/<harness>/, every input that ever crashed) and the
# growing corpus BUILD_DIR/fuzz-corpus/<harness>
# are loaded, then the harness fuzzes for SECONDS. JOBS harnesses run at
# the same time (default 1). Prints per harness: execs, exec/s, corpus
# size, coverage (edges) and crashes (crash, leak, timeout and OOM inputs
# kept in BUILD_DIR/fuzz-artifacts/). Exits 1 if any harness crashed.
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD_DIR SECONDS [JOBS] [HARNESS ...]" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd)
SECS=$2
JOBS=${3:-1}
shift 2
[ $# -gt 0 ] && shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FZ="$BUILD/tests/fuzz"
HARNESSES=${*:-"fuzz_envelope fuzz_envelope_signed fuzz_frame fuzz_dirop \
fuzz_api fuzz_conf"}
OUT="$BUILD/fuzz-out"
ART="$BUILD/fuzz-artifacts"
SEEDS="$BUILD/fuzz-seeds"

rm -rf "$OUT" "$SEEDS"
mkdir -p "$OUT" "$ART" "$BUILD/fuzz-corpus"
"$FZ/fuzz_seeds" "$SEEDS" "$SRC" >"$OUT/seeds.log" 2>&1 || {
	cat "$OUT/seeds.log" >&2
	echo "fuzz: the seed generator failed" >&2
	exit 1
}

# Sanitizers: stop at the first error, report leaks (libFuzzer turns
# each into a crash with its input saved).
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

run_one() {
	h=$1
	name=${h#fuzz_}
	corpus="$BUILD/fuzz-corpus/$name"
	mkdir -p "$corpus" "$ART/$name"
	set -- "$corpus" "$SEEDS/$name"
	[ -d "$SRC/tests/fuzz/corpus/$name" ] &&
	    set -- "$@" "$SRC/tests/fuzz/corpus/$name"
	[ -d "$SRC/tests/fuzz/regress/$name" ] &&
	    set -- "$@" "$SRC/tests/fuzz/regress/$name"
	# FUZZ_RUNS: stop after that many executions (make fuzz-long).
	runs=""
	[ -n "${FUZZ_RUNS:-}" ] && runs="-runs=$FUZZ_RUNS"
	nice -n "${FUZZ_NICE:-0}" "$FZ/$h" -max_total_time="$SECS" $runs \
	    -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$ART/$name/" "$@" >"$OUT/$name.log" 2>&1
	echo $? >"$OUT/$name.rc"
	# FUZZ_MERGE=1: fold what the run found into the committed corpus
	# (minimized: only inputs adding coverage), so it accumulates.
	if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$(cat "$OUT/$name.rc")" = 0 ]; then
		mkdir -p "$SRC/tests/fuzz/corpus/$name"
		"$FZ/$h" -merge=1 -rss_limit_mb=2048 \
		    "$SRC/tests/fuzz/corpus/$name" "$corpus" \
		    >"$OUT/$name.merge.log" 2>&1
	fi
}

start=$(date +%s)
running=0
for h in $HARNESSES; do
	if [ ! -x "$FZ/$h" ]; then
		echo "fuzz: $FZ/$h is not built" >&2
		exit 1
	fi
	run_one "$h" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait
		running=0
	fi
done
wait
end=$(date +%s)

bad=0
printf '%-16s %12s %8s %8s %8s %8s\n' harness execs exec/s corpus edges \
    crashes
for h in $HARNESSES; do
	name=${h#fuzz_}
	log="$OUT/$name.log"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | grep 'corp:' | tail -1)
	corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\)\/.*/\1/p')
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\) .*/\1/p')
	rc=$(cat "$OUT/$name.rc")
	crashes=0
	if [ "$rc" -ne 0 ]; then
		# libFuzzer stops at the first crash (its input is saved).
		crashes=1
		bad=1
	fi
	printf '%-16s %12s %8s %8s %8s %8s\n' "$name" "${execs:-?}" \
	    "${eps:-?}" "${corp:-?}" "${cov:-?}" "$crashes"
	if [ "$rc" -ne 0 ]; then
		echo "---- $name failed (exit $rc), log $log:" >&2
		grep -vE '^#[0-9]+' "$log" | tail -60 >&2
		ls "$ART/$name" >&2
	fi
done
echo "fuzz: ${SECS}s per harness, $JOBS at a time, $((end - start))s" \
    "wall, $(date -u +%Y-%m-%dT%H:%MZ)"
if [ "$bad" -ne 0 ]; then
	echo "fuzz: CRASH: inputs are in $ART/<harness>/; add each to" \
	    "tests/fuzz/regress/<harness>/ once fixed" >&2
	exit 1
fi
echo "fuzz: 0 crashes"
exit 0
