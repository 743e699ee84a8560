#!/usr/bin/env bash
# cli_sent.sh -- a member reads what it SENT from the liaison CLI (issue
# 17), checking what a person reads on screen and the --json fields:
#   - the IWF sends a sealed (AMBER) referral; `liaison outbox` lists it,
#     `show` of its id prints the case summary in full (the agent opens
#     its own sealed copy), "sent to", the broker's verdict and each
#     recipient's furthest receipt, the workflow state and custody;
#   - `thread` shows both directions in order: our offer, their questions,
#     our answer;
#   - the AFP sends a meeting to a group and reads its own notice and the
#     RSVPs in one thread;
#   - the summary is not on the sender's disk in clear (only sealed);
#   - another member's agent cannot fetch the sent message through its
#     own API: it is in no outbox there (a recipient has it in its inbox
#     only, a third agency nowhere).
# Real processes on 127.0.0.1 (random ports) in a temporary directory,
# stopped by pid on exit.
set -u

# shellcheck source=lib/task_force.sh
. "${BASH_SOURCE[0]%/*}/lib/task_force.sh" sent

# ---- a directory of three agencies, a broker, three agents ------------
tf_start
ok "three agents connected"

# ---- a sealed referral, read back by its sender ------------------------
SUMMARY="Report IWF-SENT-1: synthetic case, hosting traced to provider EXAMPLEHOST-7."
run "send referral (AMBER)" 0 as uk-iwf send referral --to au-afp \
    --priority 2 --tlp amber --category csam-distribution --country AU \
    --basis hosting-country --case IWF-SENT-1 --summary "$SUMMARY" --json
RID=$(sed -n 's/.*"referral_id": "\([0-9a-f]\{32\}\)".*/\1/p' "$T/out")
SENT=$(sed -n 's/.*"message_id": "\([0-9a-f]\{32\}\)".*/\1/p' "$T/out")
[ -n "$RID" ] && [ -n "$SENT" ] || die "no referral / message id printed"
wait_for 20 shows au-afp IWF-SENT-1 inbox --type referral ||
    bad "referral did not arrive"

run "outbox (sender)" 0 as uk-iwf outbox
expect "outbox: the referral by its id, to whom, marking, what about" \
    "$T/out" "^$SENT > .*to au-afp +referral-handoff +amber +\[csam-distribution\] Report IWF-SENT-1"
wait_for 20 shows uk-iwf 'au-afp +delivered' show "$SENT" ||
    bad "no delivery receipt shown for the sent referral"
run "outbox --type referral --to au-afp" 0 as uk-iwf outbox \
    --type referral --to au-afp
expect "outbox filters keep it" "$T/out" "^$SENT .*accepted, delivered 1/1"
run "outbox --to uk-nca-ceop" 0 as uk-iwf outbox --to uk-nca-ceop
absent "outbox --to filters it out" "$T/out" IWF-SENT-1

# paging: --limit and --after SEQ (local_seq of the JSON form)
as uk-iwf send --to uk-nca-ceop --text "paging note SENT-P1" >/dev/null ||
    bad "send a note"
run "outbox --json --limit 1" 0 as uk-iwf outbox --json --limit 1
expect "outbox --limit 1: the first item" "$T/out" "\"message_id\": \"$SENT\""
absent "outbox --limit 1: not the second" "$T/out" 'SENT-P1'
SEQ=$(sed -n 's/.*"local_seq": \([0-9]*\).*/\1/p' "$T/out" | head -n 1)
run "outbox --after SEQ" 0 as uk-iwf outbox --after "${SEQ:-0}"
expect "outbox --after: the next page" "$T/out" 'note .*paging note SENT-P1'
absent "outbox --after: not the first page" "$T/out" "^$SENT "

run "show the sent referral" 0 as uk-iwf show "$SENT" --tz Europe/London
expect "show: sent to" "$T/out" '^sent to: +au-afp$'
expect "show: our own agency as sender" "$T/out" '^from: +uk-iwf \(sent by this agency\)'
expect "show: the sealed summary in full" "$T/out" \
    "summary +Report IWF-SENT-1: synthetic case, hosting traced to provider EXAMPLEHOST-7\."
expect "show: category" "$T/out" 'category +csam-distribution'
expect "show: tlp" "$T/out" '^tlp: +amber'
expect "show: case reference" "$T/out" 'sender case ref +IWF-SENT-1'
expect "show: the broker's verdict" "$T/out" '^state: +accepted'
expect "show: signature checked" "$T/out" '^signature: OK'
expect "show: delivery per recipient" "$T/out" '^  au-afp +(delivered|read) '
expect "show: workflow, our role" "$T/out" "referral $RID: offered .*you are the sender"
expect "show: custody chain" "$T/out" 'envelope .*uk-iwf .*signature OK'
expect "show: custody has the receipt" "$T/out" 'receipt +delivered +by au-afp'
expect "show: times in the reader's zone" "$T/out" '^created: .*(GMT|BST)'

run "show --json (sent)" 0 as uk-iwf show "$SENT" --json
expect "json: direction" "$T/out" '"direction": "sent"'
expect "json: message id" "$T/out" "\"message_id\": \"$SENT\""
expect "json: body summary" "$T/out" '"summary": "Report IWF-SENT-1: synthetic case'
expect "json: enum spelling" "$T/out" '"category": "csam-distribution"'
expect "json: to" "$T/out" '"au-afp"'
expect "json: state" "$T/out" '"state": "accepted"'
expect "json: verified" "$T/out" '"verified": true'
expect "json: delivery stage" "$T/out" '"stage": "(delivered|read)"'
expect "json: workflow" "$T/out" '"role": "sender"'
expect "json: custody" "$T/out" '"custody": \['

run "show --sent" 0 as uk-iwf show --sent "$SENT" --no-mark
expect "show --sent: the summary" "$T/out" 'summary +Report IWF-SENT-1'

# the recipient asks, the sender answers: the thread in both directions
RMSG=$(as au-afp inbox --type referral | grep IWF-SENT-1 | awk '{ print $1 }')
run "recipient acks" 0 as au-afp reply "$RMSG" ack
run "recipient asks" 0 as au-afp reply "$RID" info \
    --text "Which upload times for that provider?"
wait_for 20 shows uk-iwf 'request-info' inbox --type reply ||
    bad "request-info did not reach the IWF"
run "sender answers" 0 as uk-iwf reply "$RID" supply \
    --text "Uploads between 02:00 and 03:00 UTC."
wait_for 20 shows au-afp 'Uploads between' inbox --type reply ||
    bad "supply-info did not arrive"
run "thread (sender)" 0 as uk-iwf thread "$RID" --tz UTC
expect "thread: counts both directions" "$T/out" \
    "thread $RID: 2 received, 2 sent messages"
expect "thread: our offer, marked sent" "$T/out" \
    "^$SENT > .*to au-afp .*\[csam-distribution\] Report IWF-SENT-1"
expect "thread: their question" "$T/out" 'request-info: Which upload times'
expect "thread: our answer, marked sent" "$T/out" \
    '^[0-9a-f]{32} > .*to au-afp .*supply-info: Uploads between'
before "thread: offer before the question" "$T/out" 'Report IWF-SENT-1' \
    'request-info: Which upload'
before "thread: question before our answer" "$T/out" \
    'request-info: Which upload' 'supply-info: Uploads between'
run "thread by the sent message's id" 0 as uk-iwf thread "$SENT"
expect "thread by sent id: same thread" "$T/out" "thread $RID: 2 received, 2 sent"
run "thread --json (sender)" 0 as uk-iwf thread "$RID" --json
expect "thread json: a sent message" "$T/out" '"direction": "sent"'
expect "thread json: a received message" "$T/out" '"direction": "received"'
run "thread (recipient)" 0 as au-afp thread "$RID"
expect "recipient thread: its own answers too" "$T/out" \
    "thread $RID: 2 received, 2 sent messages"
expect "recipient thread: its question, marked sent" "$T/out" \
    '^[0-9a-f]{32} > .*to uk-iwf .*request-info: Which upload times'

# ---- a meeting to a group, read back by its organiser ------------------
START=$(( ($(date +%s) + 86400) * 1000 ))
END=$(( START + 3600000 ))
run "send meeting" 0 as au-afp send meeting --group ops-coord \
    --title "Case conference SENTCHECK" --kind operational --start "$START" \
    --end "$END" --tz Australia/Sydney --link https://meet.example/sentcheck \
    --agenda "Open referrals"
MID=$(grep -o 'meeting [0-9a-f]\{32\}' "$T/out" | awk '{ print $2 }')
[ -n "$MID" ] || die "no meeting id"
wait_for 20 shows uk-nca-ceop SENTCHECK meeting list ||
    bad "meeting not listed"
run "rsvp" 0 as uk-nca-ceop rsvp "$MID" attending
wait_for 20 shows au-afp 'attending 1' meeting show "$MID" ||
    bad "organiser roll-up"
run "outbox --type meeting (organiser)" 0 as au-afp outbox --type meeting
expect "outbox: the notice to the group" "$T/out" \
    '^[0-9a-f]{32} > .*to group:ops-coord +meeting-notice .*Case conference SENTCHECK'
NSENT=$(grep SENTCHECK "$T/out" | awk '{ print $1 }')
wait_for 20 shows au-afp 'uk-nca-ceop +(delivered|read)' show "$NSENT" ||
    bad "no receipt from uk-nca-ceop for the notice"
run "show the sent meeting notice" 0 as au-afp show "$NSENT" \
    --tz Europe/London
expect "meeting: sent to the group" "$T/out" '^sent to: +group:ops-coord'
expect "meeting: title" "$T/out" 'title +Case conference SENTCHECK'
expect "meeting: agenda" "$T/out" 'agenda +Open referrals'
expect "meeting: start in two zones" "$T/out" \
    'start +[0-9-]+ [0-9:]+ (GMT|BST) +\(Australia/Sydney: '
expect "meeting: link" "$T/out" 'virtual link +https://meet.example/sentcheck'
expect "meeting: we organise it, roll-up" "$T/out" \
    "meeting $MID: .*you are organiser"
expect "meeting: the RSVP in the roll-up" "$T/out" 'uk-nca-ceop +attending'
expect "meeting: an invitee without an answer says so" "$T/out" \
    'uk-iwf +no answer'
run "show --json (sent meeting)" 0 as au-afp show "$NSENT" --json
expect "meeting json: title" "$T/out" '"title": "Case conference SENTCHECK"'
expect "meeting json: group" "$T/out" '"ops-coord"'
expect "meeting json: direction" "$T/out" '"direction": "sent"'
run "thread (organiser)" 0 as au-afp thread "$MID"
expect "meeting thread: our notice" "$T/out" \
    '^[0-9a-f]{32} > .*meeting-notice .*Case conference SENTCHECK'
expect "meeting thread: the RSVP received" "$T/out" \
    'uk-nca-ceop +meeting-response'
before "meeting thread: notice before the RSVP" "$T/out" \
    'Case conference SENTCHECK' 'meeting-response'

# ---- nothing in clear on the sender's disk; nobody else's outbox -------
# (the question the IWF received is stored in clear like any received
# body, so the marker is only in the sealed referral)
if cat "$T"/uk-iwf/agent.db* | grep -aq EXAMPLEHOST-7; then
	bad "the sealed summary is in clear in the sender's database"
else
	ok "the sender's database holds the summary sealed only"
fi
run "a third agency cannot show the sent referral" 1 as uk-nca-ceop \
    show "$SENT"
expect "third agency: not in its inbox or outbox" "$T/err" \
    "no message $SENT in this agency's inbox or outbox"
run "the recipient's own outbox does not have it" 1 as au-afp \
    show --sent "$SENT"
expect "recipient: not in its outbox" "$T/err" \
    "no message $SENT in this agency's outbox"
run "outbox --json of another agency" 0 as uk-nca-ceop outbox --json
absent "another agency's outbox lists no IWF message" "$T/out" \
    "IWF-SENT-1|$SENT"
run "the recipient still reads it as received" 0 as au-afp show "$RMSG" \
    --no-mark --json
expect "recipient: direction received" "$T/out" '"direction": "received"'

run "outbox --help has an example" 0 "$L" outbox --help
expect "outbox --help example" "$T/out" '^example: liaison outbox'

tf_finish
