#!/bin/sh
# notify-sendmail.sh -- an example [agent] notify_cmd: mails the escalation
# description liaison-agent writes on stdin to the on-call address through
# the local MTA (sendmail -t).
#
#   [agent]
#   notify_cmd = /usr/local/libexec/liaison/notify-sendmail.sh
#
# Environment (set them in a wrapper or the service unit):
#   LIAISON_NOTIFY_TO    recipient (default: root)
#   LIAISON_NOTIFY_FROM  sender (default: liaison-agent@$(hostname -f))
#   SENDMAIL             the MTA binary (default: /usr/sbin/sendmail)
#
# stdin is one JSON object (docs/monitoring.md): event, kind, item_id,
# partner, peer, priority, time_ms, contacts_24x7, text. It never holds a
# message body. Exit 0 when the MTA accepted the mail; any other status
# makes the agent retry (notify_retries) and, in the end, raise an alert.
# Needs jq (Debian package jq) to pick the fields; without it the JSON is
# mailed as it is.
set -eu

to=${LIAISON_NOTIFY_TO:-root}
from=${LIAISON_NOTIFY_FROM:-liaison-agent@$(hostname -f 2>/dev/null || hostname)}
sendmail=${SENDMAIL:-/usr/sbin/sendmail}

json=$(head -c 65536)

field() {
	if command -v jq >/dev/null 2>&1; then
		printf '%s' "$json" | jq -r --arg k "$1" '.[$k] // "" | tostring'
	else
		printf '?'
	fi
}

# Header values: printable ASCII only, so nothing from the directory can
# add a header line.
clean() {
	printf '%s' "$1" | tr -cd '[:print:]' | cut -c1-200
}

kind=$(clean "$(field kind)")
item=$(clean "$(field item_id)")
peer=$(clean "$(field peer)")
prio=$(clean "$(field priority)")

{
	printf 'From: %s\n' "$(clean "$from")"
	printf 'To: %s\n' "$(clean "$to")"
	printf 'Subject: [liaison] ESCALATION P%s %s %s to %s\n' \
	    "$prio" "$kind" "$item" "$peer"
	printf 'Auto-Submitted: auto-generated\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf '\n'
	printf 'An urgent %s sent to %s was not acknowledged within its\n' \
	    "$kind" "$peer"
	printf 'deadline and has been escalated to their 24/7 contact.\n\n'
	printf 'Item:          %s\n' "$item"
	printf 'Priority:      P%s\n' "$prio"
	printf '24/7 contacts: %s\n\n' "$(field contacts_24x7)"
	printf 'See: liaison referral list --overdue\n\n'
	printf 'Full description:\n%s\n' "$json"
} | "$sendmail" -t -oi
