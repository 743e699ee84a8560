/*
 * workflow.h -- the coordination workflows as pure functions: the referral
 * state machine, acknowledgement deadlines and escalation, the meeting
 * roll-up and contact staleness. No I/O, no clock: time is passed in.
 *
 * Referral state machine (DOMAIN.md), actions are ReferralAction values:
 *
 *   OFFERED --ack--> ACKNOWLEDGED --accept--> ACCEPTED --close--> CLOSED
 *                    ACKNOWLEDGED --decline--> DECLINED
 *                    ACKNOWLEDGED --request_info--> INFO_REQUESTED
 *                    INFO_REQUESTED --supply_info--> ACKNOWLEDGED
 *   OFFERED | ACKNOWLEDGED | INFO_REQUESTED --withdraw--> WITHDRAWN
 *   ACCEPTED --redirect--> REDIRECTED (the new linked referral is OFFERED)
 *   REDIRECTED --accept--> ACCEPTED   (the redirector takes the case back,
 *   REDIRECTED --close--> CLOSED       e.g. the linked referral was declined)
 *
 * Actors: the recipient performs ack, accept, decline, request_info,
 * close and redirect; the sender performs supply_info and withdraw. Any
 * other (state, action, actor) is LSN_ETRANSITION. Decline is allowed from
 * ACKNOWLEDGED only, as the diagram shows: a recipient acknowledges first
 * (which stops the acknowledgement clock) and then declines. DECLINED,
 * WITHDRAWN and CLOSED are final. REDIRECTED is not: a redirect the new
 * partner declines would otherwise leave the case with nobody.
 *
 * Deadlines: a referral or alert must be acknowledged within the period of
 * its priority, by default P1 1 hour, P2 24 hours, P3 7 days, P4 30 days.
 * The deadline is sent_ms + period; it is overdue when now_ms > deadline
 * (acknowledging exactly at the deadline is in time).
 * Escalation is due for a P1 referral still OFFERED after its deadline and
 * for any alert still unacknowledged after its deadline.
 *
 * All functions are thread-safe and allocate nothing.
 */
#ifndef LIAISON_WORKFLOW_H
#define LIAISON_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"

enum lsn_referral_state {
	LSN_REF_OFFERED = 1,
	LSN_REF_ACKNOWLEDGED = 2,
	LSN_REF_ACCEPTED = 3,
	LSN_REF_DECLINED = 4,
	LSN_REF_INFO_REQUESTED = 5,
	LSN_REF_WITHDRAWN = 6,
	LSN_REF_REDIRECTED = 7,
	LSN_REF_CLOSED = 8,
};
#define LSN_REF_STATE_MIN	LSN_REF_OFFERED
#define LSN_REF_STATE_MAX	LSN_REF_CLOSED

/*
 * The referral transition: from cur by action (a ReferralAction value,
 * e.g. LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK) performed by the
 * sender (actor_is_sender != 0) or the recipient. On success writes *next
 * and returns LSN_OK; an unknown state or action, a wrong actor or an
 * illegal transition is LSN_ETRANSITION (*next untouched); next NULL is
 * LSN_EINVAL.
 */
int	lsn_referral_next(enum lsn_referral_state cur, int action,
	    int actor_is_sender, enum lsn_referral_state *next) LSN_MUST_CHECK;

/*
 * The actions the sender (actor_is_sender != 0) or the recipient may take
 * from cur, in table order: writes up to max of them to actions (may be
 * NULL with max 0) and returns how many there are (0 for a final or
 * unknown state). For the "allowed next steps" of a refusal.
 */
size_t	lsn_referral_allowed(enum lsn_referral_state cur, int actor_is_sender,
	    int *actions, size_t max);

/* 1 if the state is final (DECLINED, WITHDRAWN, CLOSED). */
int	lsn_referral_final(enum lsn_referral_state s);

/* "offered", "acknowledged", "accepted", "declined", "info-requested",
 * "withdrawn", "redirected", "closed", or "?". Static string. */
const char *lsn_referral_state_name(int s);

/* Parses a name from lsn_referral_state_name (also with '_' for '-').
 * LSN_EINVAL for anything else. */
int	lsn_referral_state_parse(const char *name,
	    enum lsn_referral_state *s) LSN_MUST_CHECK;

/* "ack", "accept", "decline", "request-info", "supply-info", "withdraw",
 * "redirect", "close", or "?". Static string. */
const char *lsn_referral_action_name(int action);

/*
 * The referral id of the linked referral a redirect creates: the first 16
 * bytes of BLAKE2b-256("liaison/redirect/v1" || 0x00 || rid || to), where
 * rid is the redirected referral's id and to the partner it is redirected
 * to (a slug). Both sides can compute it: the original sender from the
 * REDIRECT response (referral_id, redirect_to), the new recipient from the
 * new handoff (redirected_from, its own id), which checks that the new id
 * is bound to the original one and to itself. LSN_EINVAL for a bad slug
 * or NULL argument; out written only on success.
 */
#define LSN_REDIRECT_ID_BYTES	16
int	lsn_referral_redirect_id(const uint8_t rid[LSN_REDIRECT_ID_BYTES],
	    const char *to, uint8_t out[LSN_REDIRECT_ID_BYTES]) LSN_MUST_CHECK;

/* Acknowledgement periods per Priority (index 1..4; index 0 unused). */
struct lsn_deadlines {
	uint64_t	ack_ms[5];
};
#define LSN_DEADLINE_P1_MS	(3600ULL * 1000)
#define LSN_DEADLINE_P2_MS	(24ULL * 3600 * 1000)
#define LSN_DEADLINE_P3_MS	(7ULL * 24 * 3600 * 1000)
#define LSN_DEADLINE_P4_MS	(30ULL * 24 * 3600 * 1000)

/* Fills d with the defaults above. */
void	lsn_deadlines_default(struct lsn_deadlines *d);

/*
 * The acknowledgement deadline of a message of the given Priority (1..4)
 * sent at sent_ms, using d (NULL = defaults; a zero period in d also
 * means the default). Writes *deadlinep (saturating at UINT64_MAX).
 * LSN_EINVAL for an unknown priority or NULL deadlinep.
 */
int	lsn_ack_deadline(int priority, uint64_t sent_ms,
	    const struct lsn_deadlines *d, uint64_t *deadlinep) LSN_MUST_CHECK;

/* 1 if now_ms is after the deadline, 0 if not, LSN_EINVAL for an unknown
 * priority. */
int	lsn_is_overdue(int priority, uint64_t sent_ms, uint64_t now_ms,
	    const struct lsn_deadlines *d);

enum lsn_esc_kind {
	LSN_ESC_REFERRAL = 1,	/* state: an enum lsn_referral_state */
	LSN_ESC_ALERT = 2,	/* state: enum lsn_alert_state */
};

enum lsn_alert_state {
	LSN_ALERT_OPEN = 1,	/* not acknowledged */
	LSN_ALERT_ACKED = 2,
};

/*
 * 1 if escalation to the recipient's 24/7 contact is due: a P1 referral
 * in state OFFERED, or an alert in state LSN_ALERT_OPEN (any priority),
 * whose acknowledgement deadline has passed at now_ms; 0 otherwise.
 * LSN_EINVAL for an unknown kind, priority or state.
 */
int	lsn_escalation_due(enum lsn_esc_kind kind, int priority, int state,
	    uint64_t sent_ms, uint64_t now_ms, const struct lsn_deadlines *d);

/*
 * Meeting roll-up. rsvps are all RSVPs received for a meeting (any order);
 * per invitee the winning RSVP is the one answering the highest version,
 * among those the latest time_ms, and among equal times the later in the
 * array (arrival order): an answer to a newer version always supersedes
 * one to an older version. A winner answering a version older than
 * cur_version is shown as stale. RSVPs from partners that are not
 * invitees, or answering a version above cur_version or 0, are ignored
 * and counted in counts.ignored.
 */
struct lsn_rsvp {
	const char	*partner;	/* borrowed */
	uint32_t	 version;	/* version answered */
	int		 answer;	/* RsvpAnswer value */
	uint64_t	 time_ms;
};

struct lsn_rollup_entry {
	const char	*partner;	/* = invitees[i] (borrowed) */
	int		 answer;	/* RsvpAnswer; 0 = no answer */
	uint32_t	 version;	/* version answered, 0 if none */
	uint64_t	 time_ms;	/* of the winning RSVP, 0 if none */
	int		 stale;		/* 1: answers an older version */
	size_t		 rsvp_index;	/* index in rsvps, if answer != 0 */
};

struct lsn_rollup_counts {
	size_t	attending;	/* current-version answers only */
	size_t	not_attending;
	size_t	tentative;
	size_t	stale;		/* latest answer is to an older version */
	size_t	no_answer;
	size_t	ignored;	/* RSVPs not counted (see above) */
};

/*
 * Computes the roll-up for invitees[0..ninv) (distinct partner ids,
 * borrowed) into out[0..ninv) (caller's array, same order) and *counts.
 * rsvps[0..nrsvp) borrowed (NULL if nrsvp == 0). cur_version >= 1.
 * LSN_EINVAL on NULL arguments, cur_version 0, a NULL partner, an unknown
 * answer value, or duplicate invitees. Outputs written only on success.
 */
int	lsn_meeting_rollup(const char *const *invitees, size_t ninv,
	    const struct lsn_rsvp *rsvps, size_t nrsvp, uint32_t cur_version,
	    struct lsn_rollup_entry *out, struct lsn_rollup_counts *counts)
	    LSN_MUST_CHECK;

/* Default contact confirmation period: 180 days. */
#define LSN_CONTACT_STALE_MS	(180ULL * 24 * 3600 * 1000)

/*
 * 1 if a contact is stale at now_ms: neither verified (verified_at_ms)
 * nor updated (updated_ms) within period_ms (0 = LSN_CONTACT_STALE_MS),
 * i.e. max(verified_at_ms, updated_ms) + period_ms < now_ms. Either time
 * may be 0 (never). 0 otherwise.
 */
int	lsn_contact_stale(uint64_t verified_at_ms, uint64_t updated_ms,
	    uint64_t now_ms, uint64_t period_ms);

#endif /* LIAISON_WORKFLOW_H */
