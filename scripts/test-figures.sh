#!/bin/sh
# Prints the hardening figures the tests wrote (crash under load, storage
# and network faults, bad-input matrix, malicious broker) from a build
# directory's last ctest log, so `make test` shows them even when every
# test passed (ctest prints a passing test's output only into its log).
# Usage: scripts/test-figures.sh BUILD_DIR LABEL
set -eu
log="$1/Testing/Temporary/LastTest.log"
label="${2:-$1}"
if [ ! -r "$log" ]; then
	echo "test-figures: no ctest log in $1" >&2
	exit 1
fi
echo "=== hardening figures ($label build) ==="
awk '
/^[0-9]+\/[0-9]+ Test: / { t = $3; next }
/^crash-load: (seed [0-9]+,|agents |deliveries |SIGKILL broker [0-9]+ times|answers read after|[0-9]+ rounds of SIGKILL)/ { print; next }
/^ha cluster: (up in|failover|rows acknowledged|counting check)/ { print; next }
/^ha: (\(|[0-9]+ notes|recovery|active broker)/ { print; next }
/^standby: / { print; next }
/^storage faults: [0-9]+ scenarios/ { print; next }
/^power-cut: (seed|total|control)/ { print; next }
/^integrator.*: [0-9]+ messages/ { print; next }
/^disk full: / { print; next }
/^io sweep: broker/ { print; next }
/^io sweep: agent:/ { print; next }
/^io sweep: a submit committed outside the API batch/ { print; next }
/^fuzz replay: / { sub(/\.\/tests\/|[^ ]*\/replay_/, ""); print; next }
/^FIGURES damaged databases/ { sub(/^FIGURES /, ""); print; next }
/^net faults: total/ { sub(/ \(ms from.*/, ""); print; next }
/^  TOTAL / { sub(/^  TOTAL +/, ""); print "bad inputs, " t ": " $0; next }
/^malicious-broker suite:/ { mb = 1; print; next }
mb && /^(attack|[a-z-]+ +(yes|no) )/ { print substr($0, 1, 100); next }
mb { mb = 0 }
' "$log"
