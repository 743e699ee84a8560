#!/usr/bin/env bash
# cli_envelope.sh -- offline round trip with the liaison CLI:
# keygen -> envelope sign -> envelope verify, then tampering, overwrite
# refusal and a group-readable secret key.
set -u

: "${LSN_BIN_DIR:?LSN_BIN_DIR must point at the build directory}"
L="$LSN_BIN_DIR/cli/liaison"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

# shellcheck source=lib/checks.sh
. "${BASH_SOURCE[0]%/*}/lib/checks.sh"

[ -x "$L" ] || { echo "FAIL no $L"; exit 1; }

# keygen
run "keygen au-afp" 0 "$L" keygen --partner au-afp --out "$T/au"
expect "keygen prints the sign key id" "$T/out" '^sign +[0-9a-f]{16} '
expect "keygen prints the encrypt key id" "$T/out" '^encrypt +[0-9a-f]{16} '
expect "keygen prints the transport key id" "$T/out" '^transport +[0-9a-f]{16} '
sign_id=$(awk '$1 == "sign" { print $2 }' "$T/out")
for k in sign encrypt transport; do
	[ -f "$T/au/$k.key" ] && [ -f "$T/au/$k.pub" ] ||
	    bad "keygen wrote $k.key and $k.pub"
	mode=$(stat -c %a "$T/au/$k.key")
	[ "$mode" = 600 ] && ok "$k.key is 0600" || bad "$k.key mode $mode"
done
dmode=$(stat -c %a "$T/au")
[ "$dmode" = 700 ] && ok "key directory is 0700" || bad "key dir mode $dmode"
run "keygen uk-ceop" 0 "$L" keygen --partner uk-ceop --out "$T/uk"
run "keygen admin" 0 "$L" keygen --admin admin-alice --out "$T/adm"
[ -f "$T/adm/admin.key" ] && [ -f "$T/adm/admin.pub" ] &&
    ok "admin key written" || bad "admin key written"

# keygen refusals
cp "$T/au/sign.key" "$T/sign.key.orig"
run "keygen refuses to overwrite" 1 "$L" keygen --partner au-afp --out "$T/au"
expect "overwrite refusal names --force" "$T/err" 'force'
cmp -s "$T/au/sign.key" "$T/sign.key.orig" && ok "existing key untouched" ||
    bad "existing key untouched"
run "keygen refuses a bad partner id" 2 "$L" keygen --partner AU_AFP \
    --out "$T/bad"
[ ! -e "$T/bad" ] && ok "nothing written for a bad id" ||
    bad "nothing written for a bad id"
run "keygen without --out is a usage error" 2 "$L" keygen --partner au-afp
run "keygen --help" 0 "$L" keygen --help
expect "keygen --help shows usage" "$T/out" '^usage: liaison keygen'

# sign and verify
run "envelope sign" 0 "$L" envelope sign --key "$T/au/sign.key" \
    --to uk-ceop,us-ncmec --group ops-europe --type note --tlp green \
    --text "Plenary moved to 14:00 UTC, room B" --out "$T/m.bin"
msg_id=$(awk '$1 == "message" { print $3 }' "$T/out")
run "envelope verify --keys" 0 "$L" envelope verify "$T/m.bin" \
    --keys "$T/au"
expect "verify says signature OK" "$T/out" '^signature OK$'
expect "verify prints the sender" "$T/out" '^sender +au-afp$'
expect "verify prints the key id" "$T/out" "^key id +$sign_id\$"
expect "verify prints the message id" "$T/out" "^message id +$msg_id\$"
expect "verify prints the type" "$T/out" '^type +note$'
expect "verify prints the recipients" "$T/out" '^to +uk-ceop, us-ncmec$'
expect "verify prints the groups" "$T/out" '^groups +ops-europe$'
run "envelope verify --pub --show-body" 0 "$L" envelope verify "$T/m.bin" \
    --pub "$T/au/sign.pub" --show-body
expect "verify shows the note" "$T/out" 'Plenary moved to 14:00 UTC'

# wrong key, tampering, truncation
run "verify with another partner's key fails" 1 "$L" envelope verify \
    "$T/m.bin" --keys "$T/uk"
expect "wrong key is named" "$T/err" "au-afp"
size=$(stat -c %s "$T/m.bin")
for off in 3 $((size / 2)) $((size - 1)); do
	cp "$T/m.bin" "$T/t.bin"
	orig=$(od -An -tu1 -j "$off" -N1 "$T/t.bin" | tr -d ' ')
	new=$(( (orig ^ 1) & 255 ))
	printf "$(printf '\\%03o' "$new")" |
	    dd of="$T/t.bin" bs=1 seek="$off" conv=notrunc 2>/dev/null
	cmp -s "$T/m.bin" "$T/t.bin" && bad "byte $off was not changed"
	run "tampered byte $off refused" 1 "$L" envelope verify "$T/t.bin" \
	    --keys "$T/au"
	expect "tampered byte $off: reason given" "$T/err" 'refused: .+'
	if grep -q 'signature OK' "$T/out"; then
		bad "tampered byte $off: no signature OK"
	fi
done
head -c $((size - 10)) "$T/m.bin" > "$T/short.bin"
run "truncated file refused" 1 "$L" envelope verify "$T/short.bin" \
    --keys "$T/au"
: > "$T/empty.bin"
run "empty file refused" 1 "$L" envelope verify "$T/empty.bin" --keys "$T/au"

# secret key permissions
chmod 644 "$T/au/sign.key"
run "group/world-readable secret key refused" 1 "$L" envelope sign \
    --key "$T/au/sign.key" --to uk-ceop --text hello --out "$T/n.bin"
expect "permission refusal explained" "$T/err" 'group or others'
[ ! -e "$T/n.bin" ] && ok "nothing signed with a readable key" ||
    bad "nothing signed with a readable key"
chmod 600 "$T/au/sign.key"

# usage errors
run "sign without recipients is a usage error" 2 "$L" envelope sign \
    --key "$T/au/sign.key" --text hello --out "$T/n.bin"
run "sign with AMBER is refused (needs sealing)" 2 "$L" envelope sign \
    --key "$T/au/sign.key" --to uk-ceop --tlp amber --text hello \
    --out "$T/n.bin"
run "verify without a key is a usage error" 2 "$L" envelope verify "$T/m.bin"
run "unknown subcommand is a usage error" 2 "$L" envelope frobnicate
run "envelope --help" 0 "$L" envelope --help

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
