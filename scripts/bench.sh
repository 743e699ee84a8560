#!/usr/bin/env bash
# bench.sh BUILD_DIR [liaison-bench options] -- `make bench`: runs the full
# benchmark (ceilings first, then Liaison's figures) against the binaries of
# BUILD_DIR and prints one table. See docs/performance.md.
set -euo pipefail

build=${1:-build}
shift || true
bench="$build/bench/liaison-bench"
if [ ! -x "$bench" ]; then
	echo "bench.sh: $bench not found (configure with -DLSN_TESTS=ON and build)" >&2
	exit 1
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
echo "liaison-bench: build $build (${build_type:-?}), $(nproc) cores, $(uname -sr)"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
LSN_BIN_DIR=$(cd "$build" && pwd) exec "$bench" "$@"
