# bash completion for liaison(1); installed as
# share/bash-completion/completions/liaison.
_liaison()
{
	local cur prev cmd sub
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=${COMP_WORDS[1]}
	sub=${COMP_WORDS[2]}

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "audit keygen envelope send inbox outbox show
		    thread ack status submit agent agent-dir referral reply meeting
		    alert contact rsvp admin dir broker-status help version" \
		    -- "$cur"))
		return 0
	fi
	case $prev in
	-c|--db|--out|--key|--keys|--pub|--bundle)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0 ;;
	--tz)
		COMPREPLY=($(cd /usr/share/zoneinfo 2>/dev/null &&
		    compgen -f -- "$cur"))
		return 0 ;;
	--tlp)
		COMPREPLY=($(compgen -W "clear green amber amber-strict red" \
		    -- "$cur"))
		return 0 ;;
	--type)
		COMPREPLY=($(compgen -W "note referral referral-handoff reply
		    referral-response meeting meeting-notice rsvp
		    meeting-response alert alert-ack contact-update" -- "$cur"))
		return 0 ;;
	--state)
		COMPREPLY=($(compgen -W "unread read actioned offered
		    acknowledged accepted declined info-requested withdrawn
		    redirected closed" -- "$cur"))
		return 0 ;;
	--category)
		COMPREPLY=($(compgen -W "csam-distribution csam-production
		    grooming sextortion live-streamed-abuse trafficking
		    travelling-offender other" -- "$cur"))
		return 0 ;;
	--kind)
		COMPREPLY=($(compgen -W "plenary working-group operational
		    training child-at-risk travelling-offender missing-child
		    threat-warning platform-vulnerability" -- "$cur"))
		return 0 ;;
	--outcome)
		COMPREPLY=($(compgen -W "victim-safeguarded offender-identified
		    arrest content-removed no-further-action transferred" \
		    -- "$cur"))
		return 0 ;;
	--reason)
		COMPREPLY=($(compgen -W "not-competent insufficient-info
		    duplicate out-of-scope other" -- "$cur"))
		return 0 ;;
	esac
	case $cmd in
	send)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "note referral alert meeting" \
			    -- "$cur"))
			return 0
		fi ;;
	meeting)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "list show cancel" -- "$cur"))
			return 0
		fi ;;
	agent)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "init" -- "$cur"))
			return 0
		fi ;;
	alert|referral)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "list" -- "$cur"))
			return 0
		fi ;;
	contact)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "set remove confirm stale" \
			    -- "$cur"))
			return 0
		fi ;;
	reply)
		if [ "$COMP_CWORD" -eq 3 ]; then
			COMPREPLY=($(compgen -W "ack accept decline info supply
			    withdraw redirect close" -- "$cur"))
			return 0
		fi ;;
	rsvp)
		if [ "$COMP_CWORD" -eq 3 ]; then
			COMPREPLY=($(compgen -W "attending not-attending
			    tentative" -- "$cur"))
			return 0
		fi ;;
	admin)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "init propose sign inspect apply export-log
			    change onboard rotate" \
			    -- "$cur"))
			return 0
		fi ;;
	dir)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "list show search export import
			    verify" -- "$cur"))
			return 0
		fi ;;
	esac
	if [[ $cur == -* ]]; then
		# the options a command documents in its --help
		COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "$cmd" \
		    $( [ "$COMP_CWORD" -gt 2 ] && [[ $sub != -* ]] && echo "$sub") \
		    --help 2>&1 | grep -o -- '--[a-z0-9-]*' | sort -u)" \
		    -- "$cur"))
	fi
	return 0
}
complete -F _liaison liaison
