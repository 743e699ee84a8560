#!/usr/bin/env bash
# cli_day.sh -- a task force's day from the liaison CLI alone (issue 17),
# checking what a person reads on screen, not only exit codes:
#   - a directory of three agencies, a broker and three agents;
#   - a note, a sealed (AMBER) referral answered through its states
#     (a refused decline names the state and the next step; info requested
#     and supplied; accepted; closed), read with inbox filters, show and
#     thread;
#   - a meeting listed by `meeting list`, answered with `rsvp` using the id
#     shown there, shown in the reader's and the organiser's time zone;
#   - an alert listed by `alert list` and acknowledged with the inbox id;
#   - input checks: unknown time zone, non-https link, repeated --lang,
#     --wait 3 (space form) and --json on send;
#   - a signing key rotated while messages keep flowing;
#   - an encryption and a transport key rotated with AMBER traffic
#     flowing: every message arrives, none quarantined.
# Real processes on 127.0.0.1 (random ports) in a temporary directory,
# stopped by pid on exit.
set -u

# shellcheck source=lib/task_force.sh
. "${BASH_SOURCE[0]%/*}/lib/task_force.sh" day

# every agent command's --help shows an example
for c in ack status submit agent-dir "referral list" reply contact \
    "send referral" "send alert" "send meeting" send inbox show thread \
    meeting "alert list" rsvp "admin change" "admin onboard" "admin rotate" \
    "agent init"; do
	# shellcheck disable=SC2086
	if "$L" $c --help 2>&1 | grep -q '^example: liaison'; then
		ok "liaison $c --help has an example"
	else
		bad "liaison $c --help shows no example"
	fi
done

# ---- the task force: one administrator, three agencies ----------------
tf_start
ok "three agents connected (agent config took ping_ms = 1s)"

# the same enum spellings in dir list --json and dir export
run "dir list --json" 0 "$L" dir list --db "$T/broker.db" --json
expect "dir list --json: kind as in export" "$T/out" '"kind": "law_enforcement"'
expect "dir list --json: status as in export" "$T/out" '"status": "active"'
expect "dir list --json: key purpose as in export" "$T/out" '"purpose": "sign"'
run "dir export" 0 "$L" dir export --db "$T/broker.db"
expect "dir export: kind" "$T/out" '"kind": "law_enforcement"'
expect "dir export: purpose" "$T/out" '"purpose": "sign"'

# admin apply on the running broker's database: refused with what to do,
# without a misleading "database version N is newer" warning
"$L" admin propose create-group --group day-cell --db "$T/broker.db" \
    --out "$T/group.op" >/dev/null 2>&1 &&
    "$L" admin sign "$T/group.op" --key "$T/alice/admin.key" >/dev/null ||
    bad "propose create-group"
run "admin apply on a daemon's database" 1 "$L" admin apply "$T/group.op" \
    --db "$T/broker.db"
expect "apply says to use liaison submit" "$T/err" 'liaison submit'
if grep -q 'is newer' "$T/err"; then
	bad "apply printed a misleading version warning: $(cat "$T/err")"
else
	ok "no misleading version warning"
fi

# a directory change in one command when the admin key is at hand
run "admin change (one step)" 0 "$L" admin change create-group \
    --group day-cell --description "Day cell" --key "$T/alice/admin.key" \
    --db "$T/au-afp/agent.db" -c "$T/au-afp/agent.conf"
expect "admin change: accepted by the broker" "$T/out" 'accepted: rev [0-9]+'
wait_for 20 shows uk-iwf day-cell agent-dir groups ||
    bad "the one-step change did not reach the other replicas"
ls ./liaison-change-*.op >/dev/null 2>&1 && bad "admin change left a file" ||
    ok "admin change left no file behind"

# onboarding a fourth agency in 4 commands: keygen at the agency, admin
# onboard (one step, writes the bundle), agent init, start the agent
mkdir -p "$T/nz-police"
run "onboard 1/4: keygen" 0 "$L" keygen --partner nz-police \
    --out "$T/nz-police/keys"
run "onboard 2/4: admin onboard" 0 "$L" admin onboard --id nz-police \
    --name "New Zealand Police" --kind law_enforcement --country NZ \
    --keys "$T/nz-police/keys" --key "$T/alice/admin.key" \
    --db "$T/au-afp/agent.db" -c "$T/au-afp/agent.conf" \
    --bundle "$T/nz.bundle"
expect "bundle written" "$T/out" "bundle for nz-police written"
leak=0
for k in "$T"/nz-police/keys/*.key "$T"/alice/admin.key "$T"/broker/*.key; do
	sec=$(awk '$1 == "secret" { print $2 }' "$k")
	[ -n "$sec" ] && grep -q "$sec" "$T/nz.bundle" && leak=1
done
[ "$leak" -eq 0 ] && ok "the bundle holds no secret key" ||
    bad "the bundle holds a secret key"
run "onboard 3/4: agent init" 0 "$L" agent init --bundle "$T/nz.bundle" \
    --keys "$T/nz-police/keys" --dir "$T/nz-police"
"$AGENT_BIN" -d -c "$T/nz-police/agent.conf" 2>>"$T/nz-police/log" &
APID[nz-police]=$!
wait_for 30 connected nz-police && ok "onboard 4/4: the new agency is connected" ||
    bad "the onboarded agency did not connect"
as au-afp send --to nz-police --text "Welcome aboard KIWI" >/dev/null ||
    bad "send to the new agency"
wait_for 20 shows nz-police 'Welcome aboard KIWI' inbox ||
    bad "the new agency got nothing"

# ---- a note ------------------------------------------------------------
run "send note --wait 3 (space form)" 0 as uk-nca-ceop send --to au-afp \
    --text "Please call our duty desk about operation KESTREL." --wait 3
expect "send --wait prints the broker's verdict" "$T/out" '^accepted$'
run "send --json" 0 as uk-nca-ceop send --to au-afp --text "second" --json
expect "send --json prints the id and state" "$T/out" \
    '"message_id": "[0-9a-f]{32}", "state": "queued"'
wait_for 20 shows au-afp KESTREL inbox || bad "note did not arrive"
run "inbox --from --unread" 0 as au-afp inbox --from uk-nca-ceop --unread
expect "inbox shows the note's text" "$T/out" 'note .*operation KESTREL'
NOTE=$(grep KESTREL "$T/out" | awk '{ print $1 }')
run "show note" 0 as au-afp show "$NOTE"
expect "show prints the text" "$T/out" 'text +Please call our duty desk'
expect "show prints the custody chain" "$T/out" 'envelope .*uk-nca-ceop .*signature OK'
run "inbox --unread after show" 0 as au-afp inbox --unread --grep kestrel
[ -s "$T/out" ] && bad "show did not mark the note read" ||
    ok "show marked the note read"

# colour only on a terminal and never with NO_COLOR; a pager only on a
# terminal (script(1) gives the CLI a terminal)
tty_run() {
	script -qec "$*" /dev/null </dev/null | tr -d '\r'
}
tty_run env -u NO_COLOR TERM=xterm "$L" inbox --all -c "$T/au-afp/agent.conf" \
    >"$T/tty"
if grep -q $'\033\\[1m' "$T/tty"; then ok "colour on a terminal"; else
	bad "no colour on a terminal"; sed 's/^/    | /' "$T/tty"; fi
tty_run env NO_COLOR=1 TERM=xterm "$L" inbox --all -c "$T/au-afp/agent.conf" \
    >"$T/tty"
if grep -q $'\033' "$T/tty"; then bad "colour despite NO_COLOR"; else
	ok "NO_COLOR honoured"; fi
as au-afp inbox --all | grep -q $'\033' && bad "colour into a pipe" ||
    ok "no colour into a pipe"
tty_run env LIAISON_PAGER="'sed s/^/PAGED:/'" "$L" show "$NOTE" --no-mark \
    -c "$T/au-afp/agent.conf" >"$T/tty"
expect "pager on a terminal" "$T/tty" '^PAGED:message: +'"$NOTE"
LIAISON_PAGER='sed s/^/PAGED:/' as au-afp show "$NOTE" --no-mark >"$T/out"
if grep -q PAGED "$T/out"; then bad "pager without a terminal"; else
	ok "no pager into a pipe"; fi

# ---- a referral through its states -------------------------------------
run "send referral (AMBER)" 0 as uk-iwf send referral --to au-afp \
    --priority 2 --tlp amber --category csam-distribution --country AU \
    --basis hosting-country --case IWF-DAY-1 \
    --summary "Report IWF-DAY-1: hosting traced to an Australian provider."
RID=$(grep -o 'referral [0-9a-f]\{32\}' "$T/out" | awk '{ print $2 }')
[ -n "$RID" ] || die "no referral id printed"
wait_for 20 shows au-afp IWF-DAY-1 inbox --type referral ||
    bad "referral did not arrive"
run "inbox --type referral --tlp amber" 0 as au-afp inbox --type referral \
    --tlp amber
expect "inbox line: category and summary" "$T/out" \
    'referral-handoff +amber +\[csam-distribution\] Report IWF-DAY-1'
RMSG=$(grep IWF-DAY-1 "$T/out" | awk '{ print $1 }')
run "inbox --tlp green hides it" 0 as au-afp inbox --type referral --tlp green
[ -s "$T/out" ] && bad "--tlp green listed an amber referral" ||
    ok "--tlp filters"
run "show referral" 0 as au-afp show "$RMSG" --tz Australia/Sydney
expect "show: summary in full" "$T/out" \
    'summary +Report IWF-DAY-1: hosting traced to an Australian provider.'
expect "show: category" "$T/out" 'category +csam-distribution'
expect "show: jurisdiction basis" "$T/out" 'basis +hosting-country'
expect "show: sealed body, tlp" "$T/out" '^tlp: +amber'
expect "show: state and next step" "$T/out" \
    "referral $RID: offered .*recipient"
expect "show: allowed next step" "$T/out" 'next: ack'
expect "show: times in the reader's zone" "$T/out" 'created: .*AE[DS]T'
run "decline while offered is refused" 1 as au-afp reply "$RMSG" decline
expect "refusal names the state" "$T/err" 'the referral is offered'
expect "refusal names the next step" "$T/err" 'allowed next for the recipient: ack'
run "reply ack (by inbox message id)" 0 as au-afp reply "$RMSG" ack
wait_for 20 shows au-afp acknowledged referral list ||
    bad "ack not applied"
run "reply info" 0 as au-afp reply "$RID" info \
    --text "Which hosting provider, and upload times?"
wait_for 20 shows uk-iwf 'request-info' inbox --type reply ||
    bad "request-info did not reach the IWF"
run "sender inbox shows the question" 0 as uk-iwf inbox --type reply
expect "question text in inbox" "$T/out" \
    'request-info: Which hosting provider, and upload times\?'
run "reply supply" 0 as uk-iwf reply "$RID" supply \
    --text "Provider ExampleHost; uploads 02:00-03:00 UTC."
wait_for 20 shows au-afp 'ExampleHost' inbox --type reply ||
    bad "supply-info did not arrive"
run "accept" 0 as au-afp reply "$RID" accept
wait_for 20 shows au-afp accepted referral list || bad "accept not applied"
run "close" 0 as au-afp reply "$RID" close --outcome content-removed
wait_for 20 shows uk-iwf closed referral list ||
    bad "the IWF did not see the referral closed"
run "thread (recipient)" 0 as au-afp thread "$RID"
expect "thread: the offer" "$T/out" '\[csam-distribution\] Report IWF-DAY-1'
expect "thread: the answer supplied" "$T/out" \
    'supply-info: Provider ExampleHost; uploads 02:00-03:00 UTC.'
expect "thread: final state" "$T/out" "referral $RID: closed"
run "thread (sender, by referral id)" 0 as uk-iwf thread "$RID"
expect "thread: the question" "$T/out" 'request-info: Which hosting'
expect "thread: closed, nothing left to do" "$T/out" \
    'next: none: the referral is finished'
run "show --json" 0 as au-afp show "$RMSG" --json
expect "json body summary" "$T/out" '"summary": "Report IWF-DAY-1'
expect "json workflow state" "$T/out" '"state": "closed"'
expect "json enum spelling" "$T/out" '"category": "csam-distribution"'

# ---- a meeting: listed, answered, shown in two zones --------------------
START=$(( ($(date +%s) + 86400) * 1000 ))
END=$(( START + 3600000 ))
run "unknown time zone refused" 2 as au-afp send meeting --group ops-coord \
    --title x --start "$START" --end "$END" --tz Mars/Olympus \
    --link https://meet.example/x
expect "tz refusal says why" "$T/err" "unknown time zone 'Mars/Olympus'"
run "non-https link refused" 2 as au-afp send meeting --group ops-coord \
    --title x --start "$START" --end "$END" --tz Europe/Paris --link x
expect "link refusal says why" "$T/err" 'https://'
run "send meeting" 0 as au-afp send meeting --group ops-coord \
    --title "Case conference KESTREL" --kind operational --start "$START" \
    --end "$END" --tz Australia/Sydney --link https://meet.example/kestrel \
    --agenda "Open referrals" --agenda "Hosting takedowns" \
    --lang fr --lang en
MID=$(grep -o 'meeting [0-9a-f]\{32\}' "$T/out" | awk '{ print $2 }')
[ -n "$MID" ] || die "no meeting id"
wait_for 20 shows uk-nca-ceop KESTREL meeting list ||
    bad "meeting not listed"
run "meeting list" 0 as uk-nca-ceop meeting list --tz Europe/London
expect "meeting list: id, no RSVP yet, title, organiser" "$T/out" \
    "^$MID .*rsvp none .*Case conference KESTREL \(au-afp\)"
LISTED=$(grep KESTREL "$T/out" | awk '{ print $1 }')
run "rsvp with the listed id" 0 as uk-nca-ceop rsvp "$LISTED" attending
run "meeting list shows my RSVP" 0 as uk-nca-ceop meeting list
expect "my RSVP" "$T/out" "^$MID .*rsvp attending "
NMSG=$(as uk-nca-ceop inbox --type meeting | grep KESTREL | awk '{ print $1 }')
run "show meeting notice" 0 as uk-nca-ceop show "$NMSG" --tz Europe/London
expect "both agenda items" "$T/out" 'agenda +Open referrals'
expect "second agenda item" "$T/out" 'agenda +Hosting takedowns'
expect "repeated --lang kept both (fr)" "$T/out" 'languages +fr'
expect "repeated --lang kept both (en)" "$T/out" 'languages +en'
expect "start in the reader's and the organiser's zone" "$T/out" \
    'start +[0-9-]+ [0-9:]+ (GMT|BST) +\(Australia/Sydney: [0-9-]+ [0-9:]+ AE[DS]T\)'
expect "link" "$T/out" 'virtual link +https://meet.example/kestrel'
expect "my RSVP in show" "$T/out" 'your RSVP: attending'
wait_for 20 shows au-afp 'attending 1' meeting show "$MID" ||
    bad "organiser roll-up"
run "an invitee cannot cancel" 1 as uk-nca-ceop meeting cancel "$MID"
expect "invitee refusal names the organiser and what to do" "$T/err" \
    'au-afp organises this meeting.*rsvp'
run "meeting cancel with just the id" 0 as au-afp meeting cancel "$MID"
expect "cancel prints the new version" "$T/out" \
    "meeting $MID version 2 cancelled \(2 invitees notified\)"
wait_for 20 shows uk-nca-ceop "^$MID .*cancelled" meeting list --all ||
    bad "the invitee did not get the cancellation"
run "meeting list hides the cancelled meeting" 0 as uk-nca-ceop meeting list
if grep -q KESTREL "$T/out"; then
	bad "a cancelled meeting is still listed as upcoming"
else
	ok "cancelled meeting not listed as upcoming"
fi

# ---- an alert ---------------------------------------------------------
run "send alert --json" 0 as uk-nca-ceop send alert --to au-afp \
    --kind child-at-risk --priority 1 --json \
    --summary "Child at imminent risk: livestream tonight, KESTREL."
expect "send alert --json: alert and message ids" "$T/out" \
    '"alert_id": "[0-9a-f]{32}"'
expect "send alert --json: message id" "$T/out" '"message_id": "[0-9a-f]{32}"'
wait_for 20 shows au-afp 'child-at-risk' alert list || bad "alert not listed"
run "alert list" 0 as au-afp alert list
expect "alert list: open, summary" "$T/out" \
    'recipient +uk-nca-ceop +P1 open .*\[child-at-risk\] Child at imminent risk'
AMSG=$(as au-afp inbox --type alert | awk '{ print $1 }')
run "ack the alert by its inbox id (--json)" 0 as au-afp reply "$AMSG" ack \
    --json
expect "reply --json: the answer's message id" "$T/out" \
    '"message_id": "[0-9a-f]{32}"'
wait_for 20 shows uk-nca-ceop acknowledged alert list ||
    bad "the sender did not see the acknowledgement"

# ---- meeting list and alert list read every page of the inbox ----------
# LIAISON_LIST_PAGE=1: one item per request to the agent, so a list that
# read only the first page would miss the cancellation, the second
# meeting and the second alert's summary.
run "send a second meeting" 0 as au-afp send meeting --group ops-coord \
    --title "Case conference OSPREY" --kind operational \
    --start "$((START + 7200000))" --end "$((END + 7200000))" \
    --tz Australia/Sydney --link https://meet.example/osprey
wait_for 20 shows uk-nca-ceop OSPREY meeting list ||
    bad "second meeting not listed"
LIAISON_LIST_PAGE=1 run "meeting list --all, one item a page" 0 \
    as uk-nca-ceop meeting list --all
expect "paged meeting list: the cancellation (2nd notice)" "$T/out" \
    "^$MID .*cancelled"
expect "paged meeting list: the second meeting (3rd notice)" "$T/out" \
    'Case conference OSPREY \(au-afp\)'
run "send a second alert" 0 as uk-nca-ceop send alert --to au-afp \
    --kind missing-child --priority 2 \
    --summary "Missing child sighted near the border, OSPREY."
wait_for 20 shows au-afp 'Missing child sighted' alert list ||
    bad "second alert not listed"
LIAISON_LIST_PAGE=1 run "alert list, one item a page" 0 as au-afp alert list
expect "paged alert list: the first alert's summary" "$T/out" \
    '\[child-at-risk\] Child at imminent risk'
expect "paged alert list: the second alert's summary (2nd page)" "$T/out" \
    '\[missing-child\] Missing child sighted'

# ---- a signing key rotated with traffic flowing -----------------------
OLDKID=$(awk '$1 == "key-id" { print $2 }' "$T/uk-nca-ceop/keys/sign.pub")
as uk-nca-ceop send --to au-afp --text "before the switch KESTREL-R1" \
    >/dev/null || bad "send before the switch"
run "rotate 1/2: admin rotate" 0 "$L" admin rotate --id uk-nca-ceop \
    --keys-dir "$T/uk-nca-ceop/keys" --key "$T/alice/admin.key" \
    --db "$T/uk-nca-ceop/agent.db" -c "$T/uk-nca-ceop/agent.conf" \
    --overlap 1h
expect "rotate says what replaced what" "$T/out" \
    "signing key of uk-nca-ceop rotated: [0-9a-f]{16} \(new\) replaces $OLDKID"
NEWKID=$(awk '$1 == "key-id" { print $2 }' "$T/uk-nca-ceop/keys/sign.pub")
[ "$NEWKID" != "$OLDKID" ] && ok "the new key is in keys_dir" ||
    bad "keys_dir still holds the old key"
as uk-nca-ceop send --to au-afp --text "between KESTREL-R3" >/dev/null ||
    bad "send between rotate and restart"
kill "${APID[uk-nca-ceop]}" && wait "${APID[uk-nca-ceop]}" 2>/dev/null
start_agent uk-nca-ceop	# rotate 2/2: restart the agent
wait_for 30 connected uk-nca-ceop || die "uk-nca-ceop did not reconnect"
wait_for 20 shows au-afp KESTREL-R3 inbox ||
    bad "the message signed in the overlap window was lost"
run "send after the switch" 0 as uk-nca-ceop send --to au-afp \
    --text "after the switch KESTREL-R2" --wait 10
wait_for 20 shows au-afp KESTREL-R2 inbox || bad "post-rotation note lost"
R2=$(as au-afp inbox | grep KESTREL-R2 | awk '{ print $1 }')
run "show the post-rotation note" 0 as au-afp show "$R2" --no-mark
expect "signed with the new key, verified" "$T/out" \
    "envelope .*uk-nca-ceop .*signature OK"
run "custody names the new key" 0 as au-afp show "$R2" --custody
expect "new key id" "$T/out" "key $NEWKID"
R1=$(as au-afp inbox | grep KESTREL-R1 | awk '{ print $1 }')
run "the pre-rotation note still verifies" 0 as au-afp show "$R1" --custody
expect "old key still verifies" "$T/out" 'signature OK'

# ---- au-afp's encryption and transport keys rotated, AMBER flowing ---
# Senders seal to the newest encryption key their replica lists: the
# running agent must open bodies sealed to the new key before its restart
# (encrypt.next.key) and to the old one after it (encrypt.prev.key); the
# restarted agent must connect with the new transport key.
kid() { awk '$1 == "key-id" { print $2 }' "$1"; }
amber() {	# amber CASE: an AMBER (sealed) referral from uk-iwf to au-afp
	as uk-iwf send referral --to au-afp --priority 2 --tlp amber \
	    --category csam-distribution --country AU --basis hosting-country \
	    --case "$1" --summary "Report $1: synthetic rotation traffic." \
	    >/dev/null || bad "send AMBER $1"
}
OLDEK=$(kid "$T/au-afp/keys/encrypt.pub")
OLDTK=$(kid "$T/au-afp/keys/transport.pub")
amber ROT-E1
run "rotate 1/2: admin rotate --purpose encrypt,transport" 0 "$L" admin \
    rotate --id au-afp --purpose encrypt,transport \
    --keys-dir "$T/au-afp/keys" --key "$T/alice/admin.key" \
    --db "$T/au-afp/agent.db" -c "$T/au-afp/agent.conf" --overlap 1h
expect "rotate: encryption key replaced" "$T/out" \
    "encryption key of au-afp rotated: [0-9a-f]{16} \(new\) replaces $OLDEK"
expect "rotate: transport key replaced" "$T/out" \
    "transport key of au-afp rotated: [0-9a-f]{16} \(new\) replaces $OLDTK"
expect "rotate: says the second command" "$T/out" "restart the agent"
NEWEK=$(kid "$T/au-afp/keys/encrypt.pub")
NEWTK=$(kid "$T/au-afp/keys/transport.pub")
[ "$NEWEK" != "$OLDEK" ] && [ "$NEWTK" != "$OLDTK" ] &&
    [ -f "$T/au-afp/keys/encrypt.prev.key" ] &&
    ok "new keys in keys_dir, the old encryption key as encrypt.prev.key" ||
    bad "keys_dir after rotate: $(ls "$T/au-afp/keys")"
[ -e "$T/au-afp/keys/next" ] && bad "rotate left unpublished keys in next/" ||
    ok "rotate left no unpublished key behind"
wait_for 20 shows uk-iwf "$NEWEK" agent-dir show au-afp --json ||
    bad "uk-iwf's replica never listed the new encryption key"
amber ROT-E2	# sealed to the new key, opened by the agent not yet restarted
wait_for 20 shows au-afp ROT-E2 inbox --type referral ||
    bad "a body sealed to the new key before the restart was not opened"
kill "${APID[au-afp]}" && wait "${APID[au-afp]}" 2>/dev/null
amber ROT-E3	# queued at the broker while au-afp restarts
start_agent au-afp	# rotate 2/2: restart the agent
wait_for 30 connected au-afp || die "au-afp did not connect with its new transport key"
amber ROT-E4
run "au-afp sends over the new transport key" 0 as au-afp send \
    --to uk-iwf --text "after the transport switch KESTREL-T1" --wait 10
wait_for 20 shows uk-iwf KESTREL-T1 inbox || bad "note over the new transport key lost"
for c in ROT-E1 ROT-E2 ROT-E3 ROT-E4; do
	wait_for 20 shows au-afp "$c" inbox --type referral ||
	    bad "AMBER referral $c lost in the rotation"
done
for c in ROT-E1 ROT-E2 ROT-E4; do
	E=$(as au-afp inbox --type referral | grep "$c" | awk '{ print $1 }')
	run "show AMBER referral $c" 0 as au-afp show "$E" --no-mark
	expect "$c: the sealed body read in full" "$T/out" \
	    "Report $c: synthetic rotation traffic"
done
run "status after the rotation" 0 as au-afp status
expect "nothing quarantined" "$T/out" '^quarantined: +0$'

tf_finish
