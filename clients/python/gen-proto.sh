#!/bin/sh
# gen-proto.sh -- regenerates the shipped Python classes
# (clients/python/liaison/proto/*_pb2.py) from proto/*.proto with protoc
# (Debian's protobuf-compiler, the same protobuf release as python3-protobuf).
# protoc writes "import api_pb2"; the classes live in the package
# liaison.proto, so those imports become "from . import api_pb2".
# Run it after changing a .proto file and commit the result: the test
# clients/python/tests/test_proto_fresh.py fails while they differ.
# Usage: gen-proto.sh [OUTDIR]   (default: the package's proto directory)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/clients/python/liaison/proto}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc -I "$top/proto" --python_out="$tmp" \
    envelope.proto directory.proto wire.proto api.proto
mkdir -p "$out"
for f in "$tmp"/*_pb2.py; do
	sed -E 's/^import ([A-Za-z0-9_]+_pb2) as /from . import \1 as /' \
	    "$f" >"$out/$(basename "$f")"
done
