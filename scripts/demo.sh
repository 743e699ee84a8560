#!/usr/bin/env bash
# demo.sh -- what `make demo` runs: a short, narrated tour of Liaison.
#
# Usage: scripts/demo.sh BUILD_DIR
#
# Today: two task-force members get their keys, one signs a note to the
# other, the note is verified, then a tampered copy and a wrong key are
# refused. Everything happens in a temporary directory that is removed on
# exit. Exits 0 when every step behaved as it should.
#
# Structure: each step is a function `step_<name>` that narrates with say()
# and runs the real binaries through lsn(). Later stages add steps (broker,
# agents, directory, meetings, referrals, alerts) to the STEPS list.
set -euo pipefail

BUILD=${1:-build}
LIAISON="$BUILD/cli/liaison"

# The two members of this demo (public organisations; the note is fictional).
SENDER=au-afp
SENDER_NAME="Australian Federal Police"
RECIPIENT=uk-nca-ceop
RECIPIENT_NAME="UK National Crime Agency, CEOP Command"
NOTE_TEXT="Operational meeting on sextortion campaigns moved to Thursday 09:00 UTC; agenda unchanged."

# ---- narration and helpers ------------------------------------------------

if [ -t 1 ]; then
	BOLD=$'\033[1m' DIM=$'\033[2m' GREEN=$'\033[32m' RED=$'\033[31m' OFF=$'\033[0m'
else
	BOLD="" DIM="" GREEN="" RED="" OFF=""
fi
STEPNO=0

# say TEXT...: one line of narration.
say() {
	printf '%s\n' "$*"
}

# step TITLE: starts a numbered step.
step() {
	STEPNO=$((STEPNO + 1))
	printf '\n%s%d. %s%s\n' "$BOLD" "$STEPNO" "$*" "$OFF"
}

# ok TEXT / refused TEXT: outcome lines.
ok() {
	printf '   %sok%s  %s\n' "$GREEN" "$OFF" "$*"
}
refused() {
	printf '   %srefused%s  %s\n' "$GREEN" "$OFF" "$*"
}

# die TEXT: the demo failed.
die() {
	printf '\n%sdemo failed:%s %s\n' "$RED" "$OFF" "$*" >&2
	exit 1
}

# indent: shows command output indented and dimmed.
indent() {
	sed "s/^/      $DIM/; s/\$/$OFF/"
}

# lsn ARGS...: runs the liaison CLI; its output is shown indented. Returns
# the CLI's exit status.
lsn() {
	local rc=0
	"$LIAISON" "$@" >"$WORK/out" 2>&1 || rc=$?
	indent <"$WORK/out"
	return "$rc"
}

# lsn_must_fail ARGS...: runs the CLI expecting a refusal; prints the reason
# (the CLI's error line). Fails the demo if the CLI accepted.
lsn_must_fail() {
	local rc=0
	"$LIAISON" "$@" >"$WORK/out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		indent <"$WORK/out"
		die "liaison $1 $2 accepted what it should have refused"
	fi
	refused "$(tail -n 1 "$WORK/out")"
}

# flip_byte FILE OFFSET: XORs the byte at OFFSET with 0x01, in place.
flip_byte() {
	local file=$1 off=$2 byte
	byte=$(od -An -tu1 -j "$off" -N 1 "$file" | tr -d ' ')
	[ -n "$byte" ] || die "cannot read byte $off of $file"
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((byte ^ 1)))" |
	    dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

# ---- steps ---------------------------------------------------------------

step_keys() {
	step "Keys"
	say "Generating keys for $SENDER_NAME ($SENDER)…"
	lsn keygen --partner "$SENDER" --out "$WORK/$SENDER" ||
	    die "keygen for $SENDER failed"
	say "Generating keys for $RECIPIENT_NAME ($RECIPIENT)…"
	lsn keygen --partner "$RECIPIENT" --out "$WORK/$RECIPIENT" ||
	    die "keygen for $RECIPIENT failed"
	for f in sign.key sign.pub encrypt.key encrypt.pub transport.key \
	    transport.pub; do
		[ -s "$WORK/$SENDER/$f" ] || die "keygen did not write $f"
	done
	ok "each member has a signing, an encryption and a transport key pair"
	say "Key files (the secret .key files are readable by their owner only):"
	# shellcheck disable=SC2012
	ls -l "$WORK/$SENDER" | awk 'NR > 1 { print $1, $NF }' | indent
}

step_sign() {
	step "Sign"
	say "Signing a note from $SENDER to $RECIPIENT…"
	lsn envelope sign --key "$WORK/$SENDER/sign.key" --to "$RECIPIENT" \
	    --type note --text "$NOTE_TEXT" --out "$WORK/note.env" ||
	    die "signing failed"
	[ -s "$WORK/note.env" ] || die "no signed envelope written"
	ok "signed envelope written ($(wc -c <"$WORK/note.env") bytes)"
}

step_verify() {
	step "Verify"
	say "Verifying the note with $SENDER's public signing key…"
	lsn envelope verify "$WORK/note.env" --pub "$WORK/$SENDER/sign.pub" \
	    --show-body ||
	    die "the untouched envelope did not verify"
	ok "signature valid, every field checked"
}

step_tamper() {
	local off what

	step "Tamper"
	cp "$WORK/note.env" "$WORK/tampered.env"
	# Change one byte inside the signed note text if it can be found
	# (the envelope is binary protobuf, so the text appears verbatim);
	# otherwise the byte in the middle of the file.
	off=$(LC_ALL=C grep -aboF -- "Thursday" "$WORK/tampered.env" |
	    head -n 1 | cut -d: -f1 || true)
	what="\"Thursday\" becomes \"Uhursday\""
	if [ -z "$off" ]; then
		off=$(($(wc -c <"$WORK/tampered.env") / 2))
		what="the middle of the file"
	fi
	say "Tampering with one byte (offset $off, $what)…"
	flip_byte "$WORK/tampered.env" "$off"
	cmp -s "$WORK/note.env" "$WORK/tampered.env" &&
	    die "the copy was not changed"
	lsn_must_fail envelope verify "$WORK/tampered.env" \
	    --pub "$WORK/$SENDER/sign.pub"

	say "Verifying the original with the wrong member's key ($RECIPIENT)…"
	lsn_must_fail envelope verify "$WORK/note.env" \
	    --pub "$WORK/$RECIPIENT/sign.pub"
}

STEPS="keys sign verify tamper"

# ---- main ----------------------------------------------------------------

[ -x "$LIAISON" ] || die "$LIAISON not found: build first (make build)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/liaison-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
umask 077

say "${BOLD}Liaison demo${OFF}: signed coordination messages between task-force members."
say "Working in $WORK (removed at the end)."

for s in $STEPS; do
	"step_$s"
done

printf '\n%sDemo complete:%s keys generated, a note signed and verified, tampering and a wrong key refused.\n' \
    "$BOLD" "$OFF"
