/*
 * workflow.c -- referral state machine, deadlines, escalation, meeting
 * roll-up, contact staleness. Pure functions (workflow.h).
 */
#include <stdint.h>
#include <string.h>

#include "envelope.pb-c.h"

#include "liaison/util.h"
#include "liaison/workflow.h"

#define A(x)	LIAISON__V1__REFERRAL_ACTION__REFERRAL_##x

/* The whole transition table: anything not listed is illegal. */
static const struct transition {
	enum lsn_referral_state	from;
	int			action;
	int			by_sender;
	enum lsn_referral_state	to;
} transitions[] = {
	{ LSN_REF_OFFERED, A(ACK), 0, LSN_REF_ACKNOWLEDGED },
	{ LSN_REF_ACKNOWLEDGED, A(ACCEPT), 0, LSN_REF_ACCEPTED },
	{ LSN_REF_ACKNOWLEDGED, A(DECLINE), 0, LSN_REF_DECLINED },
	{ LSN_REF_ACKNOWLEDGED, A(REQUEST_INFO), 0, LSN_REF_INFO_REQUESTED },
	{ LSN_REF_INFO_REQUESTED, A(SUPPLY_INFO), 1, LSN_REF_ACKNOWLEDGED },
	{ LSN_REF_OFFERED, A(WITHDRAW), 1, LSN_REF_WITHDRAWN },
	{ LSN_REF_ACKNOWLEDGED, A(WITHDRAW), 1, LSN_REF_WITHDRAWN },
	{ LSN_REF_INFO_REQUESTED, A(WITHDRAW), 1, LSN_REF_WITHDRAWN },
	{ LSN_REF_ACCEPTED, A(CLOSE), 0, LSN_REF_CLOSED },
	{ LSN_REF_ACCEPTED, A(REDIRECT), 0, LSN_REF_REDIRECTED },
	/* A redirect the new partner declines (or never takes up) must not
	 * leave the case with nobody: the redirector takes it back (accept;
	 * then it may redirect elsewhere) or closes it. */
	{ LSN_REF_REDIRECTED, A(ACCEPT), 0, LSN_REF_ACCEPTED },
	{ LSN_REF_REDIRECTED, A(CLOSE), 0, LSN_REF_CLOSED },
};

int
lsn_referral_next(enum lsn_referral_state cur, int action,
    int actor_is_sender, enum lsn_referral_state *next)
{
	int	by_sender = actor_is_sender != 0;

	if (next == NULL)
		return (LSN_EINVAL);
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]);
	    i++) {
		const struct transition *t = &transitions[i];

		if (t->from == cur && t->action == action &&
		    t->by_sender == by_sender) {
			*next = t->to;
			return (LSN_OK);
		}
	}
	return (LSN_ETRANSITION);
}

size_t
lsn_referral_allowed(enum lsn_referral_state cur, int actor_is_sender,
    int *actions, size_t max)
{
	int	by_sender = actor_is_sender != 0;
	size_t	n = 0;

	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]);
	    i++)
		if (transitions[i].from == cur &&
		    transitions[i].by_sender == by_sender) {
			if (actions != NULL && n < max)
				actions[n] = transitions[i].action;
			n++;
		}
	return (n);
}

int
lsn_referral_final(enum lsn_referral_state s)
{
	return (s == LSN_REF_DECLINED || s == LSN_REF_WITHDRAWN ||
	    s == LSN_REF_CLOSED);
}

static const char *const state_names[] = {
	NULL, "offered", "acknowledged", "accepted", "declined",
	"info-requested", "withdrawn", "redirected", "closed",
};

const char *
lsn_referral_state_name(int s)
{
	if (s < LSN_REF_STATE_MIN || s > LSN_REF_STATE_MAX)
		return ("?");
	return (state_names[s]);
}

int
lsn_referral_state_parse(const char *name, enum lsn_referral_state *s)
{
	char	buf[32];
	size_t	len;

	if (name == NULL || s == NULL || (len = strlen(name)) >= sizeof(buf))
		return (LSN_EINVAL);
	for (size_t i = 0; i <= len; i++)
		buf[i] = name[i] == '_' ? '-' : name[i];
	for (int i = LSN_REF_STATE_MIN; i <= LSN_REF_STATE_MAX; i++)
		if (strcmp(buf, state_names[i]) == 0) {
			*s = (enum lsn_referral_state) i;
			return (LSN_OK);
		}
	return (LSN_EINVAL);
}

const char *
lsn_referral_action_name(int action)
{
	static const char *const names[] = {
		NULL, "ack", "accept", "decline", "request-info",
		"supply-info", "withdraw", "redirect", "close",
	};

	if (action <= 0 || (size_t) action >= sizeof(names) / sizeof(names[0]))
		return ("?");
	return (names[action]);
}

int
lsn_referral_redirect_id(const uint8_t rid[LSN_REDIRECT_ID_BYTES],
    const char *to, uint8_t out[LSN_REDIRECT_ID_BYTES])
{
	static const char	tag[] = "liaison/redirect/v1";
	uint8_t			buf[sizeof(tag) + LSN_REDIRECT_ID_BYTES + 64];
	uint8_t			h[LSN_HASH_BYTES];
	size_t			n, tl;

	if (rid == NULL || out == NULL || to == NULL || !lsn_slug_valid(to) ||
	    (tl = strlen(to)) > 63)
		return (LSN_EINVAL);
	memcpy(buf, tag, sizeof(tag));		/* with its NUL */
	n = sizeof(tag);
	memcpy(buf + n, rid, LSN_REDIRECT_ID_BYTES);
	n += LSN_REDIRECT_ID_BYTES;
	memcpy(buf + n, to, tl);
	n += tl;
	lsn_hash(buf, n, h);
	memcpy(out, h, LSN_REDIRECT_ID_BYTES);
	return (LSN_OK);
}

static const uint64_t default_ack_ms[5] = {
	0, LSN_DEADLINE_P1_MS, LSN_DEADLINE_P2_MS, LSN_DEADLINE_P3_MS,
	LSN_DEADLINE_P4_MS,
};

void
lsn_deadlines_default(struct lsn_deadlines *d)
{
	if (d != NULL)
		memcpy(d->ack_ms, default_ack_ms, sizeof(d->ack_ms));
}

int
lsn_ack_deadline(int priority, uint64_t sent_ms,
    const struct lsn_deadlines *d, uint64_t *deadlinep)
{
	uint64_t	period;

	if (priority < LIAISON__V1__PRIORITY__PRIORITY_P1 ||
	    priority > LIAISON__V1__PRIORITY__PRIORITY_P4 || deadlinep == NULL)
		return (LSN_EINVAL);
	period = default_ack_ms[priority];
	if (d != NULL && d->ack_ms[priority] != 0)
		period = d->ack_ms[priority];
	*deadlinep = sent_ms > UINT64_MAX - period ? UINT64_MAX :
	    sent_ms + period;
	return (LSN_OK);
}

int
lsn_is_overdue(int priority, uint64_t sent_ms, uint64_t now_ms,
    const struct lsn_deadlines *d)
{
	uint64_t	deadline;
	int		rv;

	if ((rv = lsn_ack_deadline(priority, sent_ms, d, &deadline)) !=
	    LSN_OK)
		return (rv);
	return (now_ms > deadline);
}

int
lsn_escalation_due(enum lsn_esc_kind kind, int priority, int state,
    uint64_t sent_ms, uint64_t now_ms, const struct lsn_deadlines *d)
{
	int	overdue;

	if ((overdue = lsn_is_overdue(priority, sent_ms, now_ms, d)) < 0)
		return (overdue);
	switch (kind) {
	case LSN_ESC_REFERRAL:
		if (state < LSN_REF_STATE_MIN || state > LSN_REF_STATE_MAX)
			return (LSN_EINVAL);
		return (priority == LIAISON__V1__PRIORITY__PRIORITY_P1 &&
		    state == LSN_REF_OFFERED && overdue);
	case LSN_ESC_ALERT:
		if (state != LSN_ALERT_OPEN && state != LSN_ALERT_ACKED)
			return (LSN_EINVAL);
		return (state == LSN_ALERT_OPEN && overdue);
	}
	return (LSN_EINVAL);
}

/* 1 if RSVP a beats RSVP b (b may be NULL). a comes later in the array
 * than b, so equal (version, time) goes to a. */
static int
rsvp_beats(const struct lsn_rsvp *a, const struct lsn_rsvp *b)
{
	if (b == NULL)
		return (1);
	if (a->version != b->version)
		return (a->version > b->version);
	return (a->time_ms >= b->time_ms);
}

int
lsn_meeting_rollup(const char *const *invitees, size_t ninv,
    const struct lsn_rsvp *rsvps, size_t nrsvp, uint32_t cur_version,
    struct lsn_rollup_entry *out, struct lsn_rollup_counts *counts)
{
	struct lsn_rollup_counts	c;
	size_t				matched = 0;

	if ((ninv > 0 && (invitees == NULL || out == NULL)) ||
	    (nrsvp > 0 && rsvps == NULL) || counts == NULL ||
	    cur_version == 0)
		return (LSN_EINVAL);
	/* Check everything before writing any output. */
	for (size_t i = 0; i < ninv; i++) {
		if (invitees[i] == NULL)
			return (LSN_EINVAL);
		for (size_t j = 0; j < i; j++)
			if (strcmp(invitees[i], invitees[j]) == 0)
				return (LSN_EINVAL);
	}
	for (size_t k = 0; k < nrsvp; k++) {
		int a = rsvps[k].answer;

		if (rsvps[k].partner == NULL ||
		    a < LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING ||
		    a > LIAISON__V1__RSVP_ANSWER__RSVP_TENTATIVE)
			return (LSN_EINVAL);
	}

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < ninv; i++) {
		const struct lsn_rsvp	*best = NULL;
		struct lsn_rollup_entry	*e = &out[i];

		memset(e, 0, sizeof(*e));
		e->partner = invitees[i];
		for (size_t k = 0; k < nrsvp; k++) {
			const struct lsn_rsvp *r = &rsvps[k];

			if (strcmp(r->partner, invitees[i]) != 0)
				continue;
			if (r->version == 0 || r->version > cur_version)
				continue;
			matched++;
			if (rsvp_beats(r, best)) {
				best = r;
				e->rsvp_index = k;
			}
		}
		if (best == NULL) {
			c.no_answer++;
			continue;
		}
		e->answer = best->answer;
		e->version = best->version;
		e->time_ms = best->time_ms;
		e->stale = best->version < cur_version;
		if (e->stale)
			c.stale++;
		else if (best->answer ==
		    LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING)
			c.attending++;
		else if (best->answer ==
		    LIAISON__V1__RSVP_ANSWER__RSVP_NOT_ATTENDING)
			c.not_attending++;
		else
			c.tentative++;
	}
	/* Invitees are distinct, so each RSVP matched at most once. */
	c.ignored = nrsvp - matched;
	*counts = c;
	return (LSN_OK);
}

int
lsn_contact_stale(uint64_t verified_at_ms, uint64_t updated_ms,
    uint64_t now_ms, uint64_t period_ms)
{
	uint64_t	last = verified_at_ms > updated_ms ? verified_at_ms :
			    updated_ms;

	if (period_ms == 0)
		period_ms = LSN_CONTACT_STALE_MS;
	if (last > UINT64_MAX - period_ms)
		return (0);
	return (last + period_ms < now_ms);
}
