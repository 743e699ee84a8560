#!/bin/sh
# update-proto.sh -- after a change to proto/*.proto, brings both clients'
# shipped copies up to date: the Python classes (clients/python/
# gen-proto.sh) and the .proto files the Node client loads
# (clients/node/proto). Commit the result with the .proto change; the
# clients' tests fail while either copy is stale.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/python/gen-proto.sh"
for f in "$here/../proto"/*.proto; do
	cp "$f" "$here/node/proto/"
done
echo "update-proto: clients/python/liaison/proto and clients/node/proto updated"
