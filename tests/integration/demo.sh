#!/usr/bin/env bash
# demo.sh -- `make demo` keeps working: runs scripts/demo.sh against this
# build (a whole local task force, random ports, temporary directory) and
# passes when it exits 0.
set -u
: "${LSN_BIN_DIR:?LSN_BIN_DIR must point at the build directory}"
: "${LSN_SRC_DIR:?LSN_SRC_DIR must point at the source directory}"
exec bash "$LSN_SRC_DIR/scripts/demo.sh" "$LSN_BIN_DIR"
