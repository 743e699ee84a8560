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
 *   wf_contact_update.c  ContactUpdate: the carried op is the sender's own
 *   wf_escalate.c  overdue items: escalation to the 24/7 contact
 *   wf_list.c      the local API's list of tracked items
 *   events.c       the event log (agent_event, events_list)
 *
 * A type's step function checks (apply 0) or checks and records (apply 1)
 * one message, inside the caller's transaction; a refusal writes the
 * reason into detail and returns LSN_ETRANSITION, LSN_EINVAL or
 * LSN_EPROTO, or the code of the check that refused it (a ContactUpdate's
 * op: lsn_dir_contact_op_check); LSN_EDB and LSN_ENOMEM are local
 * failures, not refusals. Everything passed in is borrowed.
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
	/* sending: the REDIRECT whose linked offer this is, else NULL */
	const struct wf_link		*linked;
	/* sending with apply: receives the messages this one brings with
	 * it (wf_followup, agent.h), stored after it; else NULL */
	struct wf_followups		*fu;
	char				*detail;
	size_t				 detailsz;
};

/*
 * A verified receipt for one of our messages (rcpt.c), inside the turn
 * that stores it: the receipted message's id, the partner that signed
 * the receipt (one of its recipients) and its stage.
 */
struct wf_receipt {
	struct agent	*a;
	const uint8_t	*msgid;		/* LSN_MSGID_BYTES */
	const char	*peer;
	int		 stage;		/* ReceiptStage */
};

#define WF_STAGE(s)	(1u << (s))	/* a ReceiptStage in receipt_stages */

/*
 * Per message type: what the agent does when it sends one (on_send),
 * receives one (on_receive), gets a receipt for one it sent (on_receipt,
 * only for the stages in receipt_stages, so the dispatcher looks up no
 * type for the others) and on the workflow timer (on_deadline, outside
 * any transaction). Any of them may be NULL.
 */
struct wf_ops {
	int		 type;		/* MessageType */
	int		 per_peer;	/* on_send once per expanded recipient */
	int		 one_partner;	/* goes to exactly one partner */
	unsigned	 receipt_stages; /* WF_STAGE() bits */
	int		(*on_send)(struct wf_step *);
	int		(*on_receive)(struct wf_step *);
	int		(*on_receipt)(const struct wf_receipt *);
	void		(*on_deadline)(struct agent *, uint64_t now);
};

extern const struct wf_ops wf_referral_handoff_ops, wf_referral_response_ops;
extern const struct wf_ops wf_alert_ops, wf_alert_ack_ops;
extern const struct wf_ops wf_meeting_notice_ops, wf_meeting_response_ops;
extern const struct wf_ops wf_contact_check_ops, wf_contact_confirmed_ops;
extern const struct wf_ops wf_contact_update_ops;

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

/* Deadline work, on the workflow timer (the ops' on_deadline). */
void	wf_contact_due(struct agent *a, uint64_t now);
void	wf_escalate_due(struct agent *a, uint64_t now, const char *kind);

/*
 * Our tracked item of kind that the message msgid offered to peer cannot
 * be opened there (an UNDELIVERABLE receipt): recorded, and escalated on
 * the next tick whatever its deadline (wf_escalate.c). LSN_OK also when
 * no open item matches.
 */
int	wf_escalate_undeliverable(const struct wf_receipt *r,
	    const char *kind);

#endif /* AGENT_WF_INT_H */
