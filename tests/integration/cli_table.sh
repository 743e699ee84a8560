#!/usr/bin/env bash
# cli_table.sh -- the CLI's command table (cli/main.c) and what is made
# of it by hand agree: `liaison --help` lists every command once, the
# bash completion (cli/completion/liaison.bash) offers exactly those
# commands (plus help and version) and no other, liaison(1) has a .SS for
# each and none for a command that does not exist, and every command
# answers --help with exit 0. The table's --json column is checked by
# running the commands: main takes --json for the acting ones only.
set -u

: "${LSN_BIN_DIR:?LSN_BIN_DIR must point at the build directory}"
: "${LSN_SRC_DIR:?LSN_SRC_DIR must point at the source directory}"
L="$LSN_BIN_DIR/cli/liaison"
COMP="$LSN_SRC_DIR/cli/completion/liaison.bash"
MAN1="$LSN_SRC_DIR/docs/man/liaison.1"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }

comp() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
	    _liaison; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@"
}

"$L" --help >"$T/help" 2>&1 || bad "liaison --help exits 0"
sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' "$T/help" | sort >"$T/table"
n=$(wc -l <"$T/table")
[ "$n" -gt 10 ] && ok "$n commands in liaison --help" ||
    bad "only $n commands in liaison --help"
[ -z "$(uniq -d "$T/table")" ] && ok "each command listed once" ||
    bad "listed twice: $(uniq -d "$T/table" | tr '\n' ' ')"

# the completion of the first word: the table, help and version
comp liaison "" | sort >"$T/comp"
{ cat "$T/table"; printf 'help\nversion\n'; } | sort >"$T/want"
if cmp -s "$T/comp" "$T/want"; then
	ok "bash completion offers exactly the table's commands"
else
	bad "bash completion and the table differ: $(diff "$T/want" \
	    "$T/comp" | grep '^[<>]' | tr '\n' ' ')"
fi

# liaison(1): one .SS per command, none for an unknown one
sed -n 's/\\-/-/g; s/^\.SS \([a-z][a-z-]*\)$/\1/p' "$MAN1" | sort >"$T/man"
if cmp -s "$T/man" "$T/table"; then
	ok "liaison(1) has a subsection for exactly the table's commands"
else
	bad "liaison(1) and the table differ: $(diff "$T/table" "$T/man" |
	    grep '^[<>]' | tr '\n' ' ')"
fi

# every command answers --help (exit 0, a usage line on stdout)
while read -r c; do
	if "$L" "$c" --help >"$T/out" 2>"$T/err" && [ -s "$T/out" ]; then
		:
	else
		bad "liaison $c --help: exit $? / $(head -c 200 "$T/err")"
	fi
done <"$T/table"
ok "every command answers --help"

# --json is taken by main for the acting commands only: an acting command
# run against no agent fails for the agent (3), not for the flag (2); a
# command without the json column rejects nothing either way, so only
# the acting ones are checked here.
for args in "ack 00000000000000000000000000000000" "contact set --id x" \
    "send referral --to x"; do
	# shellcheck disable=SC2086
	"$L" $args --json --agent ipc://"$T"/none.sock >"$T/out" 2>"$T/err"
	rc=$?
	if grep -q "unrecognized option.*json\|unknown option.*json" "$T/err"; then
		bad "liaison $args --json: the flag reached the command"
	else
		ok "liaison $args --json: taken by main (exit $rc)"
	fi
done

[ "$fails" -eq 0 ] && echo "cli_table: all ok" && exit 0
echo "cli_table: $fails failure(s)"
exit 1
