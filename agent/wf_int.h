/*
 * wf_int.h -- internals of the agent's workflows, shared by the files that
 * implement them (not used outside agent/wf*.c):
 *
 *   wf.c           the dispatcher: the ops table (one entry per message
 *                  type), wf_on_submit / wf_on_receive / wf_timers, the
 *                  workflow clock
 *   wf_track.c     the tracking table (referrals, alerts): get/insert/update
 *   wf_referral.c  referral handoff and response, redirects
 *   wf_alert.c     alert and its acknowledgement
 *   wf_meeting.c   meeting notices and RSVPs, the meeting roll-up
 *   wf_contact.c   contact liveness checks (ContactCheck/ContactConfirmed)
 *   wf_escalate.c  overdue items: escalation to the 24/7 contact
 *   wf_list.c      the local API's list of tracked items
 *   events.c       the event log (agent_event, events_list)
 *
 * A type's step function checks (apply 0) or checks and records (apply 1)
 * one message, inside the caller's transaction; a refusal writes the
 * reason into detail and returns LSN_ETRANSITION, LSN_EINVAL or
 * LSN_EPROTO. Everything passed in is borrowed.
 */
#ifndef AGENT_WF_INT_H
#define AGENT_WF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"

extern const char K_REF[];		/* tracking kind "referral" */
extern const char K_ALERT[];		/* tracking kind "alert" */
extern const char K_REDIRECT[];		/* event kind "redirect" */

/* The status alert of an escalation (kind, item id hex, peer). */
#define ESCALATED_FMT	"%s %s to %s overdue: escalated to its 24/7 contact"

/* One message through a type's step. */
struct wf_step {
	struct agent			*a;
	int				 type;	/* MessageType */
	const uint8_t			*body;	/* plaintext body */
	size_t				 len;
	const char			*peer;	/* the other partner */
	const struct agent_idset	*rcpts;	/* sending: expanded; else NULL */
	const Liaison__V1__Envelope	*env;	/* receiving; else NULL */
	int				 sending; /* we are the author */
	const uint8_t			*msgid;
	uint64_t			 sent_ms;
	int				 apply;
	char				*detail;
	size_t				 detailsz;
};

/* Per message type: what the agent does when it sends and receives one. */
struct wf_ops {
	int	type;			/* MessageType */
	int	per_peer;		/* on_send once per expanded recipient */
	int	one_partner;		/* goes to exactly one partner */
	int	(*on_send)(struct wf_step *);
	int	(*on_receive)(struct wf_step *);
};

extern const struct wf_ops wf_referral_handoff_ops, wf_referral_response_ops;
extern const struct wf_ops wf_alert_ops, wf_alert_ack_ops;
extern const struct wf_ops wf_meeting_notice_ops, wf_meeting_response_ops;
extern const struct wf_ops wf_contact_check_ops, wf_contact_confirmed_ops;

/* The tracking table (wf_track.c). */
struct track {
	char		role[16];
	int		state;
	int		priority;
	uint64_t	sent_ms;
	uint64_t	deadline;
};

/* LSN_OK with *t, LSN_ENOENT, LSN_EDB. */
int	track_get(struct agent *a, const char *kind, const uint8_t *id,
	    const char *peer, struct track *t);
int	track_insert(struct agent *a, const char *kind, const uint8_t *id,
	    const char *peer, const char *role, int state, int priority,
	    uint64_t sent_ms, const uint8_t *msgid);
int	track_update(struct agent *a, const char *kind, const uint8_t *id,
	    const char *peer, int state, int acked, uint64_t now,
	    const uint8_t *msgid);

/* Deadline work, on the workflow timer (wf.c's wf_timers). */
void	wf_contact_round(struct agent *a, uint64_t now);
void	wf_escalate_due(struct agent *a, uint64_t now);

#endif /* AGENT_WF_INT_H */
