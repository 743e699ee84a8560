#!/usr/bin/env bash
# cli_admin.sh -- the partner directory built from nothing with the offline
# admin CLI: admin init (2 admins, 2-of-2 for sensitive and root), propose +
# sign + apply, self-service contacts, refusals with their own messages,
# dir verify / list / show / search / export / import, and tamper detection
# in the database's log.
set -u

: "${LSN_BIN_DIR:?LSN_BIN_DIR must point at the build directory}"
L="$LSN_BIN_DIR/cli/liaison"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT

# shellcheck source=lib/checks.sh
. "${BASH_SOURCE[0]%/*}/lib/checks.sh"

[ -x "$L" ] || { echo "FAIL no $L"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL python3 missing"; exit 1; }
DB="$T/dir.db"

# Keys: two administrators, the broker's sequencer key, two partners.
for a in alice bob; do
	run "keygen admin $a" 0 "$L" keygen --admin "admin-$a" --out "$T/$a"
done
run "keygen sequencer" 0 "$L" keygen --admin sequencer --out "$T/seq"
run "keygen au-afp" 0 "$L" keygen --partner au-afp --out "$T/afp"
run "keygen gb-nca" 0 "$L" keygen --partner gb-nca --out "$T/nca"

# --help and usage errors.
run "admin --help" 0 "$L" admin --help
expect "admin --help lists actions" "$T/out" 'set-contact'
run "dir --help" 0 "$L" dir --help
run "admin without subcommand" 2 "$L" admin
run "admin unknown subcommand" 2 "$L" admin frobnicate
run "propose unknown action" 2 "$L" admin propose fly --out "$T/x"
run "propose missing --kind" 2 "$L" admin propose add-partner --id xx-yy \
    --name X --country GB --out "$T/x"
run "propose bad kind" 2 "$L" admin propose add-partner --id xx-yy \
    --name X --kind police --country GB --out "$T/x"
run "propose bad country" 2 "$L" admin propose add-partner --id xx-yy \
    --name X --kind ngo --country Britain --out "$T/x"
expect "bad country named" "$T/err" 'country'
run "propose foreign option" 2 "$L" admin propose suspend --id gb-nca \
    --email a@b.c --expected-version 1 --out "$T/x"
run "propose without version source" 2 "$L" admin propose suspend \
    --id gb-nca --out "$T/x"
run "dir verify without --db" 2 "$L" dir verify
run "init bad threshold" 2 "$L" admin init \
    --admins "$T/alice/admin.pub,$T/bob/admin.pub" \
    --threshold routine=1,sensitive=3,root=2 \
    --sequencer "$T/seq/admin.pub" --out "$T/genesis.op"

# Genesis: 2 admins, routine 1, sensitive 2, root 2.
run "admin init" 0 "$L" admin init \
    --admins "$T/alice/admin.pub,$T/bob/admin.pub" \
    --threshold routine=1,sensitive=2,root=2 \
    --sequencer "$T/seq/admin.pub" --out "$T/genesis.op"
expect "init prints the root hash" "$T/out" \
    '^root hash \(agents. trust_root\): [0-9a-f]{64}$'
root=$(sed -n 's/^root hash .*: //p' "$T/out")
run "sign genesis (alice)" 0 "$L" admin sign "$T/genesis.op" \
    --key "$T/alice/admin.key"
run "apply genesis with 1 of 2" 1 "$L" admin apply "$T/genesis.op" --db "$DB"
expect "too few signatures: own message" "$T/err" \
    'refused: too few valid administrator signatures \(1 of 2 needed\)'
run "sign genesis (bob)" 0 "$L" admin sign "$T/genesis.op" \
    --key "$T/bob/admin.key"
run "sign genesis (bob again: replaces)" 0 "$L" admin sign "$T/genesis.op" \
    --key "$T/bob/admin.key"
run "inspect genesis" 0 "$L" admin inspect "$T/genesis.op"
expect "inspect shows two signatures" "$T/out" 'signatures 2:'
run "apply genesis" 0 "$L" admin apply "$T/genesis.op" --db "$DB"
expect "genesis is rev 1" "$T/out" '^applied 1 op: rev 1 head [0-9a-f]{64}$'

# Partners (routine: one signature).
run "propose add-partner au-afp" 0 "$L" admin propose add-partner \
    --id au-afp --name "Australian Federal Police" --short AFP \
    --kind law_enforcement --country AU --keys "$T/afp" --db "$DB" \
    --out "$T/op-afp"
expect "propose names the class" "$T/out" 'class routine: needs 1'
run "sign add au-afp" 0 "$L" admin sign "$T/op-afp" --key "$T/alice/admin.key"
run "apply add au-afp" 0 "$L" admin apply "$T/op-afp" --db "$DB"
expect "au-afp is rev 2" "$T/out" 'rev 2 '
run "propose add-partner gb-nca" 0 "$L" admin propose add-partner \
    --id gb-nca --name "National Crime Agency" --kind law_enforcement \
    --country GB --sign-pub "$T/nca/sign.pub" \
    --encrypt-pub "$T/nca/encrypt.pub" \
    --transport-pub "$T/nca/transport.pub" --out "$T/op-nca"
run "sign add gb-nca" 0 "$L" admin sign "$T/op-nca" --key "$T/bob/admin.key"
run "apply add gb-nca" 0 "$L" admin apply "$T/op-nca" --db "$DB"
run "propose set-unit" 0 "$L" admin propose set-unit --partner gb-nca \
    --unit-id vid --name "Victim Identification" --hours "Mo-Fr 08-18" \
    --db "$DB" --out "$T/op-unit"
run "sign set-unit" 0 "$L" admin sign "$T/op-unit" --key "$T/alice/admin.key"
run "apply set-unit" 0 "$L" admin apply "$T/op-unit" --db "$DB"
run "propose create-group" 0 "$L" admin propose create-group \
    --group 24x7-network --description "24/7 points of contact" \
    --out "$T/op-grp"
run "sign create-group" 0 "$L" admin sign "$T/op-grp" --key "$T/bob/admin.key"
run "apply create-group" 0 "$L" admin apply "$T/op-grp" --db "$DB"
run "propose add-member" 0 "$L" admin propose add-member \
    --group 24x7-network --partner au-afp --db "$DB" --out "$T/op-mem"
run "sign add-member" 0 "$L" admin sign "$T/op-mem" --key "$T/bob/admin.key"
run "apply add-member" 0 "$L" admin apply "$T/op-mem" --db "$DB"

# Self-service: au-afp sets its own 24/7 desk, signed with its sign.key.
run "propose self-service contact" 0 "$L" admin propose set-contact \
    --author au-afp --partner au-afp --contact-id desk --name "Duty desk" \
    --email desk@afp.example --phone "+61 2 0000 0000" --24x7 \
    --languages en --tz Australia/Sydney --db "$DB" --out "$T/op-desk"
run "sign self-service (au-afp)" 0 "$L" admin sign "$T/op-desk" \
    --key "$T/afp/sign.key"
run "apply self-service contact" 0 "$L" admin apply "$T/op-desk" --db "$DB"

# Refusals, each with its own message.
run "apply the same op again" 1 "$L" admin apply "$T/op-desk" --db "$DB"
expect "replay: own message" "$T/err" 'refused: op already applied'
run "propose au-afp editing gb-nca" 0 "$L" admin propose set-contact \
    --author au-afp --partner gb-nca --contact-id desk --name "Desk" \
    --email redirect@example.net --db "$DB" --out "$T/op-evil"
run "sign it with au-afp's key" 0 "$L" admin sign "$T/op-evil" \
    --key "$T/afp/sign.key"
run "apply au-afp editing gb-nca" 1 "$L" admin apply "$T/op-evil" --db "$DB"
expect "other partner: own message" "$T/err" \
    'refused: partner au-afp may only change its own contacts and units'
run "propose suspend gb-nca" 0 "$L" admin propose suspend --id gb-nca \
    --db "$DB" --out "$T/op-susp"
expect "suspend is sensitive" "$T/out" 'class sensitive: needs 2'
run "sign suspend (alice)" 0 "$L" admin sign "$T/op-susp" \
    --key "$T/alice/admin.key"
run "apply suspend with 1 of 2" 1 "$L" admin apply "$T/op-susp" --db "$DB"
expect "threshold: own message" "$T/err" \
    'refused: too few valid administrator signatures \(1 of 2 needed'
run "inspect --db says why" 0 "$L" admin inspect "$T/op-susp" --db "$DB"
expect "inspect check" "$T/out" 'check +refused: too few'
run "sign suspend (bob)" 0 "$L" admin sign "$T/op-susp" --key "$T/bob/admin.key"
run "apply suspend with 2 of 2" 0 "$L" admin apply "$T/op-susp" --db "$DB"
# A stale op: proposed against version 1 after the suspension moved it.
run "propose stale update" 0 "$L" admin propose update-partner --id gb-nca \
    --short NCA --expected-version 1 --out "$T/op-stale"
run "sign stale" 0 "$L" admin sign "$T/op-stale" --key "$T/alice/admin.key"
run "apply stale" 1 "$L" admin apply "$T/op-stale" --db "$DB"
expect "stale: own message" "$T/err" 'refused: partner gb-nca is at version'

# Reading the directory.
run "dir verify" 0 "$L" dir verify --db "$DB"
expect "verify prints rev, head, digest" "$T/out" \
    '^rev 8 head [0-9a-f]{64} digest [0-9a-f]{64}$'
run "dir verify --trust-root" 0 "$L" dir verify --db "$DB" --trust-root "$root"
run "dir verify wrong trust root" 1 "$L" dir verify --db "$DB" \
    --trust-root "$(printf '%064d' 0)"
run "dir list" 0 "$L" dir list --db "$DB"
expect "list shows au-afp" "$T/out" '^au-afp +active +AU'
expect "list shows gb-nca suspended" "$T/out" '^gb-nca +suspended +GB'
run "dir show" 0 "$L" dir show au-afp --db "$DB"
expect "show has the 24/7 desk" "$T/out" 'desk +Duty desk +\[24/7\]'
run "dir show --json" 0 "$L" dir show gb-nca --db "$DB" --json
expect "show --json" "$T/out" '"id": "gb-nca"'
run "dir show unknown" 1 "$L" dir show zz-none --db "$DB"
run "dir search" 0 "$L" dir search "federal" --db "$DB"
expect "search finds au-afp" "$T/out" '^au-afp'
run "dir export --json" 0 "$L" dir export --json --db "$DB"
cp "$T/out" "$T/dir.json"
digest1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["content_digest"])' "$T/dir.json")

# Import the export into a fresh directory with the same genesis.
run "dir import" 0 "$L" dir import "$T/dir.json" --out "$T/import.batch"
run "sign batch (alice)" 0 "$L" admin sign "$T/import.batch" \
    --key "$T/alice/admin.key"
expect "batch signed as a whole" "$T/out" '^signed [0-9]+ ops'
run "sign batch (bob)" 0 "$L" admin sign "$T/import.batch" \
    --key "$T/bob/admin.key"
run "inspect batch --json" 0 "$L" admin inspect "$T/import.batch" --json
run "apply genesis to a second db" 0 "$L" admin apply "$T/genesis.op" \
    --db "$T/dir2.db"
run "apply batch" 0 "$L" admin apply "$T/import.batch" --db "$T/dir2.db"
run "export second db" 0 "$L" dir export --db "$T/dir2.db"
digest2=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["content_digest"])' <"$T/out")
[ -n "$digest1" ] && [ "$digest1" = "$digest2" ] &&
    ok "export -> import keeps the content digest" ||
    bad "content digest $digest1 vs $digest2"
run "dir verify second db" 0 "$L" dir verify --db "$T/dir2.db"

# One byte of one log entry changed in the database: verify names the rev.
for col in signed_op prev_hash entry_hash; do
	cp "$DB" "$T/t.db"
	python3 - "$T/t.db" "$col" <<'EOF'
import sqlite3, sys
db, col = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
b = bytearray(c.execute("SELECT %s FROM dir_log WHERE rev = 5" % col).fetchone()[0])
b[len(b) // 2] ^= 0x01
c.execute("UPDATE dir_log SET %s = ? WHERE rev = 5" % col, (bytes(b),))
c.commit()
EOF
	run "dir verify after altering $col of rev 5" 1 "$L" dir verify \
	    --db "$T/t.db"
	expect "verify names rev 5 ($col)" "$T/err" 'bad entry at rev 5'
done
# A changed state row (a contact's email), log intact.
cp "$DB" "$T/t.db"
python3 - "$T/t.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE dir_contact SET email = 'attacker@example.net'")
c.commit()
EOF
run "dir verify after altering the state" 1 "$L" dir verify --db "$T/t.db"
expect "verify reports the state mismatch" "$T/err" 'stored state differs'

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
