#!/usr/bin/env bash
# node.sh -- the Node client's own tests (clients/node/test, node --test)
# against the two real agents of kit_env. The dependencies come from
# `npm ci` (scripts/install-deps, committed lockfile); without
# node_modules this fails and says so. The tests import the package by its
# name (@liaison/client), i.e. through its exports only. Run by
# tests/integration/test_kit_node.c.
set -eu
: "${LSN_SRC_DIR:?}" "${LIAISON_TEST_TMP:?}"
D="$LSN_SRC_DIR/clients/node"
if [ ! -d "$D/node_modules/zeromq" ] || [ ! -d "$D/node_modules/protobufjs" ]; then
	echo "FAIL clients/node/node_modules missing: run scripts/install-deps (npm ci)"
	exit 1
fi
cd "$D"
exec node --test --test-concurrency=1 test/*.test.js 2>&1
