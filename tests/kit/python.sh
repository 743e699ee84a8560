#!/usr/bin/env bash
# python.sh -- the Python client (clients/python) as an integrator gets it:
# `pip install --no-build-isolation --no-deps --no-index --target` from a
# copy of the source tree (no network; Debian's python3-zmq,
# python3-protobuf and python3-setuptools), then its unittest suite run
# with only the installed copy on PYTHONPATH against the two real agents
# of kit_env. Run by tests/integration/test_kit_python.c.
set -eu
: "${LSN_SRC_DIR:?}" "${LIAISON_TEST_TMP:?}"
PY=/usr/bin/python3
T="$LIAISON_TEST_TMP/python"
mkdir -p "$T"
# pip builds in the directory it is given: a copy keeps the tree clean
cp -r "$LSN_SRC_DIR/clients/python" "$T/src"
rm -rf "$T/src/build" "$T/src"/*.egg-info
"$PY" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
    --no-build-isolation --no-deps --no-index --target "$T/site" "$T/src"
echo "ok   pip install --target $T/site"
cd "$T"
PYTHONPATH="$T/site" PYTHONDONTWRITEBYTECODE=1 "$PY" -m unittest discover \
    -v -s "$T/src/tests" -t "$T/src/tests" 2>&1
