#!/usr/bin/env bash
# config_docs.sh -- the committed example configurations equal what the
# daemons print with -E (their option tables), every option of both tables
# is documented in liaison.conf(5) with its default, every command of
# `liaison --help` has a subsection in liaison(1), and every man page
# renders without warnings.
#
# When an option is added: regenerate with
#   build/broker/liaison-broker -E > config/broker.conf
#   build/agent/liaison-agent -E > config/agent.conf
# and add it to docs/man/liaison.conf.5.
set -u

: "${LSN_BIN_DIR:?LSN_BIN_DIR must point at the build directory}"
: "${LSN_SRC_DIR:?LSN_SRC_DIR must point at the source directory}"
B="$LSN_BIN_DIR/broker/liaison-broker"
A="$LSN_BIN_DIR/agent/liaison-agent"
L="$LSN_BIN_DIR/cli/liaison"
CONF5="$LSN_SRC_DIR/docs/man/liaison.conf.5"
MAN1="$LSN_SRC_DIR/docs/man/liaison.1"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }

# Text of the man page with roff escapes for '-' undone.
sed 's/\\-/-/g; s/\\e/\\/g' "$CONF5" >"$T/conf5.txt"
sed 's/\\-/-/g' "$MAN1" >"$T/man1.txt"
# The option lists of each daemon, from its .SH to the next .SH.
for d in broker agent; do
	D=$(echo "$d" | tr a-z A-Z)
	awk -v h=".SH $D OPTIONS" '$0 == h { on = 1; next }
	    on && /^\.SH / { exit } on' "$T/conf5.txt" >"$T/conf5.$d"
done

for d in broker agent; do
	bin=$B
	[ "$d" = agent ] && bin=$A
	if ! "$bin" -E >"$T/$d.conf" 2>"$T/err"; then
		bad "$d -E exits 0"
		cat "$T/err"
		continue
	fi
	if cmp -s "$T/$d.conf" "$LSN_SRC_DIR/config/$d.conf"; then
		ok "config/$d.conf equals liaison-$d -E"
	else
		bad "config/$d.conf differs from liaison-$d -E (regenerate it)"
		diff -u "$LSN_SRC_DIR/config/$d.conf" "$T/$d.conf" | head -40
	fi
	"$bin" --example-config >"$T/$d.long" 2>/dev/null
	cmp -s "$T/$d.conf" "$T/$d.long" && ok "$d --example-config = -E" ||
	    bad "$d --example-config differs from -E"
	n=0
	# Option lines: "name = default" or ";name =" (no default); the
	# comment line above holds "default: X" when there is one.
	prev=""
	while IFS= read -r line; do
		if [[ $line =~ ^\;?([a-z0-9_]+)\ = ]]; then
			name=${BASH_REMATCH[1]}
			n=$((n + 1))
			if ! grep -qx "\.B $name" "$T/conf5.$d"; then
				bad "liaison.conf(5) lacks [$d] $name"
			elif [[ $prev =~ default:\ (.*)$ ]]; then
				def=${BASH_REMATCH[1]}
				# The entry for name must mention the default.
				awk -v n=".B $name" -v d="default: $def." '
				    $0 == n { on = 1; next }
				    on && /^\.TP/ { exit }
				    on && index($0, d) { f = 1 }
				    END { exit !f }' "$T/conf5.$d" ||
				    bad "liaison.conf(5): [$d] $name lacks 'default: $def'"
			fi
		fi
		prev=$line
	done <"$T/$d.conf"
	[ "$n" -gt 5 ] && ok "$d: $n options checked against liaison.conf(5)" ||
	    bad "$d: only $n options found in -E output"
done

# Every command of `liaison --help` has a ".SS name" in liaison(1).
"$L" --help >"$T/help" 2>&1 || bad "liaison --help exits 0"
ncmd=0
while read -r cmd _; do
	ncmd=$((ncmd + 1))
	grep -qx "\.SS $cmd" "$T/man1.txt" || bad "liaison(1) lacks command $cmd"
done < <(sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' "$T/help")
[ "$ncmd" -gt 5 ] && ok "$ncmd commands checked against liaison(1)" ||
    bad "only $ncmd commands in liaison --help"
for c in "exit codes" ; do
	grep -q "$c" "$T/help" && ok "liaison --help names the $c" ||
	    bad "liaison --help lacks $c"
done

# Man pages render without warnings.
for f in "$LSN_SRC_DIR"/docs/man/*.[158]; do
	command -v groff >/dev/null || { echo "skip groff (not installed)"; break; }
	w=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
	if [ -n "$w" ]; then
		bad "groff warns on $(basename "$f"): $w"
	else
		ok "$(basename "$f") renders without warnings"
	fi
	if command -v man >/dev/null; then
		w=$(MANWIDTH=80 man -l "$f" 2>&1 >/dev/null)
		[ -z "$w" ] || bad "man -l warns on $(basename "$f"): $w"
	fi
done

# The C snippet of integrators.md compiles against this tree's headers.
if command -v cc >/dev/null && [ -f "$LSN_BIN_DIR/proto/api.pb-c.h" ]; then
	awk '/^```c$/ { f = 1; next } /^```$/ { f = 0 } f' \
	    "$LSN_SRC_DIR/docs/integrators.md" >"$T/snippet.c"
	if [ -s "$T/snippet.c" ] && cc -std=c11 -Wall -Wextra -Werror -c \
	    "$T/snippet.c" -I"$LSN_SRC_DIR/include" -I"$LSN_BIN_DIR/proto" \
	    $(pkg-config --cflags libprotobuf-c 2>/dev/null) \
	    -o "$T/snippet.o" 2>"$T/cc.err"; then
		ok "integrators.md C snippet compiles"
	else
		bad "integrators.md C snippet: $(cat "$T/cc.err")"
	fi
fi

# Tests named in the threat model exist.
nt=0
for t in $(grep -o 'test_[a-z0-9_]*[a-z0-9]' "$LSN_SRC_DIR/docs/threat-model.md" |
    sort -u); do
	nt=$((nt + 1))
	grep -rqw "$t" "$LSN_SRC_DIR/tests" ||
	    bad "threat-model.md names $t, which no test defines"
done
ok "$nt test names of threat-model.md exist"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
