#!/usr/bin/env bash
# demo.sh -- what `make demo` runs: a whole task force in a box, narrated.
#
# Usage: scripts/demo.sh BUILD_DIR
#
# In a temporary directory (removed on exit) and with random local ports:
#   - two administrators create the partner directory with a 2-of-2
#     threshold, and sign an import of 13 real public organisations (the
#     kinds of member in DOMAIN.md; every person in it is fictional);
#   - a broker and three agents start (Australian Federal Police, UK
#     NCA-CEOP and the Internet Watch Foundation hotline);
#   - a meeting notice goes to a group and RSVPs come back (roll-up);
#   - a referral is handed off, acknowledged, accepted and closed, and its
#     custody chain is shown on both sides;
#   - a self-service contact update reaches every replica;
#   - an urgent alert is acknowledged;
#   - the broker stops and an agent still answers a directory query.
# Steps whose CLI command is not in this build are narrated as skipped.
# Exits 0 when every step behaved as it should.
set -euo pipefail

BUILD=${1:-build}
LIAISON="$BUILD/cli/liaison"
BROKER_BIN="$BUILD/broker/liaison-broker"
AGENT_BIN="$BUILD/agent/liaison-agent"

# The three agencies that run an agent in this demo.
AGENTS="au-afp uk-nca-ceop uk-iwf"

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

# wait_for SECONDS CMD...: retries CMD every 0.2 s until it succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# agent ID ARGS...: the CLI against partner ID's agent (output shown).
agent() {
	local id=$1
	shift
	lsn "$@" -c "$WORK/$id/agent.conf"
}

# quiet ID ARGS...: the same, output only in $WORK/out.
quiet() {
	local id=$1
	shift
	"$LIAISON" "$@" -c "$WORK/$id/agent.conf" >"$WORK/out" 2>&1
}

# has_cmd WORDS...: 1 if `liaison WORDS --help` documents that command.
has_cmd() {
	"$LIAISON" "$@" --help 2>&1 | head -n 1 | grep -q "liaison $*"
}

# sign2 OPFILE: both administrators sign (2 of 2).
sign2() {
	"$LIAISON" admin sign "$1" --key "$WORK/admins/alice/admin.key" \
	    >/dev/null && "$LIAISON" admin sign "$1" \
	    --key "$WORK/admins/bob/admin.key" >/dev/null
}

# keyjson FILE.pub: {"key_id":..,"purpose":..,"public_key":..}
keyjson() {
	awk '$1 == "kind" { k = $2 } $1 == "key-id" { i = $2 }
	    $1 == "public" { p = $2 }
	    END { printf "{\"key_id\":\"%s\",\"purpose\":\"%s\",\"public_key\":\"%s\"}", i, k, p }' "$1"
}

# The directory: id | official name | short | kind | country | contact.
ORGS='au-afp|Australian Federal Police|AFP|law_enforcement|AU|Det. Sgt. Mia Exampleton
uk-nca-ceop|National Crime Agency, CEOP Command|NCA-CEOP|law_enforcement|GB|Officer Sam Placeholder
ca-rcmp-ncecc|Royal Canadian Mounted Police, National Child Exploitation Crime Centre|RCMP NCECC|law_enforcement|CA|Cpl. Alex Fictif
us-hsi|Homeland Security Investigations|HSI|law_enforcement|US|Special Agent Jordan Sample
it-polizia-postale|Polizia Postale e delle Comunicazioni|Polizia Postale|law_enforcement|IT|Isp. Giulia Esempio
nz-police|New Zealand Police|NZ Police|law_enforcement|NZ|Det. Aroha Example
int-interpol|INTERPOL|INTERPOL|international_org|XX|Analyst Chris Demo
int-europol|Europol|Europol|international_org|XX|Analyst Eva Muster
us-ncmec|National Center for Missing & Exploited Children|NCMEC|hotline|US|Pat Testcase
int-inhope|INHOPE|INHOPE|ngo|NL|Robin Voorbeeld
int-ecpat|ECPAT International|ECPAT|ngo|TH|Lee Specimen
int-icmec|International Centre for Missing & Exploited Children|ICMEC|ngo|US|Dana Illustrative
uk-iwf|Internet Watch Foundation|IWF|hotline|GB|Analyst Kim Fictional'

GROUP=ops-coord
GROUP_MEMBERS="au-afp uk-nca-ceop uk-iwf int-interpol"

step_keys() {
	step "Keys for two administrators, the broker and 13 organisations"
	say "Each administrator makes an offline signing key; the broker gets a"
	say "sequencer key and a transport key; each organisation gets its own"
	say "signing, encryption and transport key pairs."
	mkdir -p "$WORK/admins" "$WORK/broker" "$WORK/pub"
	"$LIAISON" keygen --admin alice --out "$WORK/admins/alice" >/dev/null
	"$LIAISON" keygen --admin bob --out "$WORK/admins/bob" >/dev/null
	"$LIAISON" keygen --partner broker --out "$WORK/broker/keys" >/dev/null
	while IFS='|' read -r id _; do
		mkdir -p "$WORK/$id"
		"$LIAISON" keygen --partner "$id" --out "$WORK/$id/keys" \
		    >/dev/null || die "keygen $id"
	done <<<"$ORGS"
	ok "2 administrator keys, broker keys, 13 x 3 partner key pairs (secret files mode 0600)"
}

step_genesis() {
	step "Genesis: two administrators, 2-of-2"
	say "Alice proposes the root policy: both administrators must sign every"
	say "change (routine, sensitive and root), and the broker's sequencer key."
	lsn admin init --admins "$WORK/admins/alice/admin.pub,$WORK/admins/bob/admin.pub" \
	    --threshold routine=2,sensitive=2,root=2 \
	    --sequencer "$WORK/broker/keys/sign.pub" --out "$WORK/genesis.op" ||
	    die "admin init"
	TRUST_ROOT=$(sed -n 's/.*trust_root): \([0-9a-f]\{64\}\).*/\1/p' "$WORK/out")
	[ -n "$TRUST_ROOT" ] || die "no root hash printed"
	"$LIAISON" admin sign "$WORK/genesis.op" --key "$WORK/admins/alice/admin.key" >/dev/null
	say "With only Alice's signature the genesis is refused:"
	lsn_must_fail admin apply "$WORK/genesis.op" --db "$WORK/broker/broker.db"
	say "Bob signs too, and the genesis is applied to the broker's database:"
	"$LIAISON" admin sign "$WORK/genesis.op" --key "$WORK/admins/bob/admin.key" >/dev/null
	lsn admin apply "$WORK/genesis.op" --db "$WORK/broker/broker.db" ||
	    die "genesis apply"
	ok "every agent will trust root $TRUST_ROOT"
}

step_directory() {
	local first=1 id name short kind cc person

	step "A directory of 13 public organisations (people are fictional)"
	{
		printf '{"format":"liaison-directory-v1","partners":[\n'
		while IFS='|' read -r id name short kind cc person; do
			[ $first -eq 1 ] || printf ',\n'
			first=0
			printf '{"id":"%s","names":{"official":"%s","short":"%s"},' \
			    "$id" "$name" "$short"
			printf '"kind":"%s","country":"%s","status":"active","keys":[%s,%s,%s],' \
			    "$kind" "$cc" "$(keyjson "$WORK/$id/keys/sign.pub")" \
			    "$(keyjson "$WORK/$id/keys/encrypt.pub")" \
			    "$(keyjson "$WORK/$id/keys/transport.pub")"
			printf '"units":[],"contacts":[{"contact_id":"duty","name":"%s","role":"24/7 duty desk","email":"duty@%s.example","is_24x7":true,"languages":["en"]}]}' \
			    "$person" "$id"
		done <<<"$ORGS"
		printf '\n],"groups":[{"name":"%s","description":"Operational coordination cell","members":[' "$GROUP"
		first=1
		for id in $GROUP_MEMBERS; do
			[ $first -eq 1 ] || printf ','
			first=0
			printf '"%s"' "$id"
		done
		printf ']}]}\n'
	} >"$WORK/directory.json"
	say "The directory is written as JSON and turned into one batch of ops:"
	lsn dir import "$WORK/directory.json" --out "$WORK/directory.ops" ||
	    die "dir import"
	say "Alice and Bob each sign the batch; it is applied in one transaction:"
	sign2 "$WORK/directory.ops" || die "signing the import"
	lsn admin apply "$WORK/directory.ops" --db "$WORK/broker/broker.db" ||
	    die "applying the import"
	say "Anyone can re-verify every signature and the hash chain:"
	lsn dir verify --db "$WORK/broker/broker.db" --trust-root "$TRUST_ROOT" ||
	    die "dir verify"
	lsn dir list --db "$WORK/broker/broker.db" || die "dir list"
	ok "13 organisations and the group $GROUP, signed by both administrators"
}

step_broker() {
	step "The broker starts"
	cat >"$WORK/broker/broker.conf" <<EOF
[broker]
listen = tcp://127.0.0.1:*
endpoint_file = $WORK/broker/endpoint
control = ipc://$WORK/broker/control.sock
db = $WORK/broker/broker.db
sign_key = $WORK/broker/keys/sign.key
transport_key = $WORK/broker/keys/transport.key
EOF
	"$BROKER_BIN" -n -c "$WORK/broker/broker.conf" >/dev/null ||
	    die "broker configuration refused"
	"$BROKER_BIN" -d -c "$WORK/broker/broker.conf" 2>"$WORK/broker/log" &
	BROKER_PID=$!
	wait_for 10 test -s "$WORK/broker/endpoint" || die "broker did not bind"
	ENDPOINT=$(cat "$WORK/broker/endpoint")
	say "Listening on $ENDPOINT (a random port); its status over the control socket:"
	wait_for 5 "$LIAISON" broker-status --control "ipc://$WORK/broker/control.sock" ||
	    die "broker-status"
	lsn broker-status --control "ipc://$WORK/broker/control.sock"
	ok "broker running (pid $BROKER_PID)"
}

# connected ID REV: partner ID's agent is connected and at directory rev.
connected() {
	quiet "$1" status --json &&
	    grep -q '"connected": *true' "$WORK/out" &&
	    grep -q "\"rev\": *$2[,}]" "$WORK/out"
}

step_agents() {
	local id rev

	step "Three agencies start their agents"
	rev=$("$LIAISON" dir verify --db "$WORK/broker/broker.db" | awk '{ print $2 }')
	for id in $AGENTS; do
		cat >"$WORK/$id/agent.conf" <<EOF
[agent]
partner = $id
broker = $ENDPOINT
broker_key = $WORK/broker/keys/transport.pub
db = $WORK/$id/agent.db
keys_dir = $WORK/$id/keys
trust_root = $TRUST_ROOT
EOF
		"$AGENT_BIN" -d -c "$WORK/$id/agent.conf" 2>"$WORK/$id/log" &
		AGENT_PIDS="$AGENT_PIDS $!"
	done
	for id in $AGENTS; do
		wait_for 20 connected "$id" "$rev" ||
		    die "$id did not connect and sync (see $WORK/$id/log)"
		ok "$id connected, directory replica verified up to rev $rev"
	done
	say "au-afp's own view of the directory, from its local replica:"
	agent au-afp agent-dir search police || die "agent-dir search"
}

step_meeting() {
	local start end

	step "A meeting notice to the group $GROUP, with RSVPs"
	if ! has_cmd send meeting; then
		say "(skipped: this build has no \`liaison send meeting\`)"
		say "Instead, a plain note to the group shows group delivery:"
		agent au-afp send --group "$GROUP" --text \
		    "Case conference on a sextortion campaign, Thursday 09:00 UTC." \
		    --wait || die "group note"
		for id in uk-nca-ceop uk-iwf; do
			wait_for 10 sh -c "\"$LIAISON\" inbox -c \"$WORK/$id/agent.conf\" | grep -q au-afp" ||
			    die "$id got nothing"
			say "$id's inbox:"
			agent "$id" inbox
		done
		return 0
	fi
	say "AFP's coordinator sends a meeting notice to the group (an operational"
	say "case conference tomorrow, online):"
	start=$(( $(date +%s) + 86400 ))000
	end=$(( $(date +%s) + 86400 + 3600 ))000
	agent au-afp send meeting --group "$GROUP" \
	    --title "Case conference: sextortion campaign" --kind operational \
	    --start "$start" --end "$end" --tz Australia/Sydney \
	    --link "https://meet.example/ops-coord" ||
	    die "send meeting"
	MEETING_ID=$(grep -o 'meeting[ _a-z]*[: ]*[0-9a-f]\{32\}' "$WORK/out" |
	    grep -o '[0-9a-f]\{32\}' | head -n 1 || true)
	[ -n "$MEETING_ID" ] ||
	    MEETING_ID=$(grep -o '[0-9a-f]\{32\}' "$WORK/out" | tail -n 1 || true)
	[ -n "$MEETING_ID" ] || die "no meeting id printed"
	say "UK NCA-CEOP will attend; the IWF is tentative:"
	wait_for 10 quiet uk-nca-ceop rsvp "$MEETING_ID" attending ||
	    die "uk-nca-ceop rsvp: $(cat "$WORK/out")"
	indent <"$WORK/out"
	wait_for 10 quiet uk-iwf rsvp "$MEETING_ID" tentative ||
	    die "uk-iwf rsvp: $(cat "$WORK/out")"
	indent <"$WORK/out"
	say "The organiser's roll-up (INTERPOL runs no agent here: no answer yet):"
	wait_for 10 sh -c "\"$LIAISON\" meeting show $MEETING_ID -c \"$WORK/au-afp/agent.conf\" | grep -q tentative" ||
	    die "roll-up incomplete"
	agent au-afp meeting show "$MEETING_ID" || die "meeting show"
	ok "RSVPs collected"
}

step_referral() {
	local rid

	step "A referral: the IWF hands a report to the Australian Federal Police"
	if ! has_cmd send referral; then
		say "(skipped: this build has no \`liaison send referral\`)"
		return 0
	fi
	say "The hotline traced the hosting to Australia and refers it (TLP:AMBER,"
	say "so the agent seals it: the broker cannot read it)."
	agent uk-iwf send referral --to au-afp --priority 2 --tlp amber \
	    --category csam-distribution --country AU --basis hosting-country \
	    --summary "Report IWF-DEMO-0001: hosting traced to an Australian provider; hashes held by IWF." \
	    || die "send referral"
	rid=$(grep -o 'referral[ _a-z]*[: ]*[0-9a-f]\{32\}' "$WORK/out" |
	    grep -o '[0-9a-f]\{32\}' | head -n 1 || true)
	[ -n "$rid" ] || die "no referral id printed"
	say "AFP acknowledges, accepts and later closes it:"
	for a in ack accept "close --outcome content-removed"; do
		# shellcheck disable=SC2086
		wait_for 10 quiet au-afp reply "$rid" $a ||
		    die "au-afp reply $a: $(cat "$WORK/out")"
		indent <"$WORK/out"
	done
	say "The custody chain, as each side records it:"
	wait_for 10 sh -c "\"$LIAISON\" referral list -c \"$WORK/uk-iwf/agent.conf\" | grep -q closed" ||
	    die "the IWF did not see the referral closed"
	say "IWF (the sender):"
	agent uk-iwf referral list || die "referral list"
	say "AFP (the recipient):"
	agent au-afp referral list || die "referral list"
	if cat "$WORK"/broker/broker.db* | LC_ALL=C grep -aq "IWF-DEMO-0001"; then
		die "the broker's database holds the AMBER summary in clear"
	fi
	ok "the broker's database never held the sealed summary in clear"
	ok "referral offered, acknowledged, accepted and closed; both agents agree"
}

step_contact() {
	local id

	step "A contact update reaches every replica"
	say "AFP changes its own 24/7 contact (self-service: signed with AFP's key,"
	say "no administrator needed); its agent submits it to the broker:"
	if has_cmd contact set; then
		agent au-afp contact set --id duty \
		    --name "Det. Insp. Noah Fictitious" --role "24/7 duty desk" \
		    --email duty@au-afp.example --phone "+61 2 5550 0100" --24x7 ||
		    die "contact set"
	else
		"$LIAISON" admin propose set-contact --partner au-afp \
		    --contact-id duty --name "Det. Insp. Noah Fictitious" \
		    --role "24/7 duty desk" --email duty@au-afp.example \
		    --phone "+61 2 5550 0100" --24x7 --author au-afp \
		    --db "$WORK/au-afp/agent.db" --out "$WORK/contact.op" \
		    >/dev/null || die "propose set-contact"
		"$LIAISON" admin sign "$WORK/contact.op" \
		    --key "$WORK/au-afp/keys/sign.key" >/dev/null ||
		    die "sign set-contact"
		agent au-afp submit "$WORK/contact.op" || die "submit"
	fi
	for id in $AGENTS; do
		wait_for 10 sh -c "\"$LIAISON\" agent-dir show au-afp -c \"$WORK/$id/agent.conf\" | grep -q Fictitious" ||
		    die "$id did not get the new contact"
		ok "$id's replica shows the new AFP duty officer"
	done
}

step_alert() {
	local mid aid

	step "An urgent alert, acknowledged"
	if has_cmd send alert; then
		say "NCA-CEOP raises a P1 alert (child at risk) to AFP; AFP must"
		say "acknowledge it within the P1 deadline or it is escalated:"
		agent uk-nca-ceop send alert --to au-afp --kind child-at-risk \
		    --priority 1 --summary \
		    "Child at imminent risk: livestream scheduled tonight, offender believed in Sydney." ||
		    die "send alert"
		aid=$(grep -o 'alert[ _a-z]*[: ]*[0-9a-f]\{32\}' "$WORK/out" |
		    grep -o '[0-9a-f]\{32\}' | head -n 1 || true)
		[ -n "$aid" ] || die "no alert id printed"
		say "AFP's inbox, and its acknowledgement:"
		wait_for 10 sh -c "\"$LIAISON\" inbox -c \"$WORK/au-afp/agent.conf\" | grep -q uk-nca-ceop" ||
		    die "the alert did not arrive"
		agent au-afp inbox || die "inbox"
		wait_for 10 quiet au-afp reply "$aid" ack ||
		    die "au-afp reply ack: $(cat "$WORK/out")"
		indent <"$WORK/out"
		ok "alert $aid acknowledged by au-afp"
		return 0
	fi
	say "(this build has no \`liaison send alert\`: a P1 note stands in)"
	agent uk-nca-ceop send --to au-afp --priority 1 --wait --text \
	    "URGENT: child at imminent risk; livestream scheduled tonight, offender believed in Sydney." ||
	    die "send P1"
	say "AFP's inbox, and its acknowledgement:"
	wait_for 10 sh -c "\"$LIAISON\" inbox -c \"$WORK/au-afp/agent.conf\" | grep -q uk-nca-ceop" ||
	    die "the alert did not arrive"
	agent au-afp inbox || die "inbox"
	mid=$(grep uk-nca-ceop "$WORK/out" | grep -o '^ *[0-9a-f]\{32\}' |
	    tr -d ' ' | tail -n 1 || true)
	[ -n "$mid" ] || die "no message id in the inbox"
	agent au-afp ack "$mid" || die "ack"
	ok "alert $mid acknowledged by au-afp"
}

step_offline() {
	step "The broker stops; the directory still answers"
	say "The broker's status first: INTERPOL runs no agent in this demo, so"
	say "what was sent to its group waits in its queue until it connects."
	lsn broker-status --control "ipc://$WORK/broker/control.sock" ||
	    die "broker-status"
	kill "$BROKER_PID" 2>/dev/null || true
	wait "$BROKER_PID" 2>/dev/null || true
	BROKER_PID=""
	say "Broker stopped. The NCA-CEOP agent answers from its verified replica:"
	agent uk-nca-ceop agent-dir search iwf || die "offline directory query"
	agent uk-nca-ceop agent-dir show int-interpol || die "offline show"
	ok "directory queries answered with the broker down"
}

STEPS="keys genesis directory broker agents meeting referral contact alert offline"

cleanup() {
	local p
	for p in $AGENT_PIDS $BROKER_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in $AGENT_PIDS $BROKER_PID; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}

# ---- main ----------------------------------------------------------------

for b in "$LIAISON" "$BROKER_BIN" "$AGENT_BIN"; do
	[ -x "$b" ] || die "$b not found: build first (make build)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lsn-demo.XXXXXX")
BROKER_PID=""
AGENT_PIDS=""
trap cleanup EXIT
trap 'exit 130' INT TERM
umask 077
START=$SECONDS

say "${BOLD}Liaison demo${OFF}: a child-protection task force in a box."
say "Working in $WORK (removed at the end); every port is random and local."

for s in $STEPS; do
	"step_$s"
done

printf '\n%sDemo complete%s in %d s: directory signed 2-of-2, broker and three agents, meeting, referral, contact update, alert, offline directory.\n' \
    "$BOLD" "$OFF" "$((SECONDS - START))"
