/*
 * wf.c -- the coordination workflows enforced by the agent, on both
 * sides: the sender's agent checks a submitted message against its own
 * state before signing it, the recipient's agent checks a received one
 * and quarantines an illegal one (LSN_ETRANSITION). This file is the
 * dispatcher: one entry per message type in the ops table (wf_int.h),
 * each type's rules in its own file; the rules themselves are
 * lib/workflow.c (lsn_referral_next, deadlines, escalation).
 *
 * Time: the workflow clock a->clock (below): the system clock, or for
 * tests the [agent] test_clock_file. Deadlines are checked on the timer
 * (wf_timers, each type's on_deadline): an overdue P1 referral still
 * OFFERED, or an unacknowledged alert, is escalated once (wf_escalate.c);
 * stale contacts are checked (wf_contact.c). Receipts for our messages
 * reach their type's on_receipt (wf_on_receipt): an UNDELIVERABLE one
 * for a referral offer or an alert escalates it at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent.h"
#include "astore.h"
#include "wf_int.h"

#define WF_TICK_MS	200	/* deadline checks (mono ms) */

static const struct wf_ops *const wf_table[] = {
	&wf_referral_handoff_ops,
	&wf_referral_response_ops,
	&wf_alert_ops,
	&wf_alert_ack_ops,
	&wf_meeting_notice_ops,
	&wf_meeting_response_ops,
	&wf_contact_check_ops,
	&wf_contact_confirmed_ops,
	&wf_contact_update_ops,
};

/* The receipt stages some type's on_receipt wants (WF_STAGE bits). */
static unsigned
wf_receipt_stages(void)
{
	unsigned	m = 0;

	for (size_t i = 0; i < sizeof(wf_table) / sizeof(wf_table[0]); i++)
		if (wf_table[i]->on_receipt != NULL)
			m |= wf_table[i]->receipt_stages;
	return (m);
}

/* The ops of a message type; NULL for types without a workflow. */
static const struct wf_ops *
wf_ops_of(int type)
{
	for (size_t i = 0; i < sizeof(wf_table) / sizeof(wf_table[0]); i++)
		if (wf_table[i]->type == type)
			return (wf_table[i]);
	return (NULL);
}

/*
 * The workflow clock: the system clock, unless [agent] test_clock_file is
 * set (a testing aid, documented as such): then the current time is the
 * decimal ms in that file, read on every call; an unreadable or malformed
 * file falls back to the system clock (logged, rate-limited). The file
 * only moves deadlines: envelopes keep the real time (the broker checks
 * their skew).
 */
static uint64_t
wf_clock_now(void *arg)
{
	struct agent	*a = arg;
	uint8_t		*buf = NULL;
	size_t		 len = 0;
	char		 txt[32];
	uint64_t	 v;

	if (a->conf.test_clock_file[0] == '\0')
		return (lsn_now_ms());
	if (lsn_file_read(a->conf.test_clock_file, 64, &buf, &len) !=
	    LSN_OK || len == 0 || len >= sizeof(txt)) {
		free(buf);
		if (lsn_log_ratelimit("testclock", 5))
			log_warnx("test_clock_file unreadable: system clock");
		return (lsn_now_ms());
	}
	memcpy(txt, buf, len);
	txt[len] = '\0';
	free(buf);
	txt[strcspn(txt, "\r\n")] = '\0';
	if (lsn_strtou64(txt, 1, LSN_BODY_TIME_MAX, &v) != LSN_OK) {
		if (lsn_log_ratelimit("testclock", 5))
			log_warnx("test_clock_file malformed: system clock");
		return (lsn_now_ms());
	}
	return (v);
}

void
wf_clock_init(struct agent *a)
{
	a->clock.now_ms = wf_clock_now;
	a->clock.arg = a;
	if (a->conf.test_clock_file[0] != '\0')
		log_warnx("test_clock_file is set: workflow deadlines follow "
		    "%s (testing aid, not for production)",
		    a->conf.test_clock_file);
}

uint64_t
agent_now(struct agent *a)
{
	return (lsn_clock_now(&a->clock));
}

void
wf_deadlines(const struct agent *a, struct lsn_deadlines *d)
{
	lsn_deadlines_default(d);
	d->ack_ms[1] = (uint64_t) a->conf.ack_p1_ms;
	d->ack_ms[2] = (uint64_t) a->conf.ack_p2_ms;
	d->ack_ms[3] = (uint64_t) a->conf.ack_p3_ms;
	d->ack_ms[4] = (uint64_t) a->conf.ack_p4_ms;
}


/*
 * Before a submitted message is signed (compose.c): responses and
 * acknowledgements go to exactly one partner (the other side of the
 * referral or alert), and each step must be legal for each peer. With
 * apply, records it (called after the outbox insert, inside the same
 * transaction) and appends what it brings with it to fu. rcpts are the
 * expanded partner ids (groups expanded locally); linked is the REDIRECT
 * whose linked offer r is, NULL otherwise.
 */
int
wf_on_submit(struct agent *a, const Liaison__V1__SubmitRequest *r,
    const struct agent_idset *rcpts, const uint8_t msgid[LSN_MSGID_BYTES],
    const struct wf_link *linked, int apply, struct wf_followups *fu,
    char *detail, size_t detailsz)
{
	const struct wf_ops	*ops = wf_ops_of((int) r->type);
	struct wf_step		 st;
	int			 rv;

	if (ops == NULL || ops->on_send == NULL)
		return (LSN_OK);
	if (ops->one_partner && (r->n_to != 1 || r->n_to_groups != 0)) {
		snprintf(detail, detailsz, "a %s goes to exactly one partner "
		    "(no groups)", lsn_envelope_type_name(ops->type));
		return (LSN_EINVAL);
	}
	memset(&st, 0, sizeof(st));
	st.a = a;
	st.type = ops->type;
	st.body = r->body.data;
	st.len = r->body.len;
	st.rcpts = rcpts;
	st.sending = 1;
	st.msgid = msgid;
	st.sent_ms = agent_now(a);
	st.apply = apply;
	st.linked = linked;
	st.fu = fu;
	st.detail = detail;
	st.detailsz = detailsz;
	if (!ops->per_peer) {
		st.peer = r->n_to == 1 ? r->to[0] : "";
		return (ops->on_send(&st));
	}
	for (size_t i = 0; i < rcpts->n; i++) {
		if (strcmp(rcpts->ids[i], a->conf.partner) == 0)
			continue;
		st.peer = rcpts->ids[i];
		if ((rv = ops->on_send(&st)) != LSN_OK)
			return (rv);
	}
	return (LSN_OK);
}

void
wf_followups_free(struct wf_followups *fu)
{
	struct wf_followup	*f;

	for (size_t i = 0; i < fu->n; i++) {
		f = &fu->v[i];
		if (f->body != NULL) {
			sodium_memzero(f->body, f->len);
			free(f->body);
		}
		free(f->case_ref);
		lsn_envelope_free(&f->orig);
	}
	fu->n = 0;
}

/*
 * A verified, unsealed, validated delivery not seen before: checks and
 * records its workflow step (checked in full first, then recorded, so
 * that a refusal records nothing). A refusal (LSN_ETRANSITION,
 * LSN_EPROTO) sends it to quarantine; LSN_EDB / LSN_ENOMEM are local.
 */
int
wf_on_receive(struct agent *a, const Liaison__V1__Envelope *e,
    const uint8_t *signed_env, size_t signed_len, const uint8_t *body,
    size_t len, char *detail, size_t detailsz)
{
	const struct wf_ops	*ops;
	struct wf_step		 st;
	int			 rv;

	(void) signed_env;
	(void) signed_len;
	ops = wf_ops_of(e->has_type ? (int) e->type : 0);
	if (ops == NULL || ops->on_receive == NULL)
		return (LSN_OK);
	memset(&st, 0, sizeof(st));
	st.a = a;
	st.type = ops->type;
	st.body = body;
	st.len = len;
	st.peer = e->sender;
	st.env = e;
	st.msgid = e->message_id.data;
	st.sent_ms = e->created_ms;
	st.detail = detail;
	st.detailsz = detailsz;
	if ((rv = ops->on_receive(&st)) != LSN_OK)
		return (rv);
	st.apply = 1;
	return (ops->on_receive(&st));
}

/* The type of our message msgid, from its stored envelope; 0 if none. */
static int
sent_type(struct agent *a, const uint8_t *msgid)
{
	Liaison__V1__Envelope	*e;
	const uint8_t		*env;
	uint8_t			*buf = NULL;
	size_t			 len = 0, envlen;
	int			 type = 0;

	if (astore_outbox_signed(a, msgid, &buf, &len) == LSN_OK &&
	    lsn_envelope_view(buf, len, &env, &envlen) == LSN_OK &&
	    (e = liaison__v1__envelope__unpack(NULL, envlen, env)) != NULL) {
		type = e->has_type ? (int) e->type : 0;
		liaison__v1__envelope__free_unpacked(e, NULL);
	}
	free(buf);
	return (type);
}

int
wf_on_receipt(struct agent *a, const uint8_t msgid[LSN_MSGID_BYTES],
    const char *signer, int stage)
{
	const struct wf_ops	*ops;
	struct wf_receipt	 r;
	int			 rv = LSN_OK;

	/* most receipts (DELIVERED) concern no type: no look-up for them */
	if (stage < 0 || stage >= 32 ||
	    (wf_receipt_stages() & WF_STAGE(stage)) == 0)
		goto out;
	memset(&r, 0, sizeof(r));
	r.a = a;
	r.msgid = msgid;
	r.peer = signer;
	r.stage = stage;
	ops = wf_ops_of(sent_type(a, msgid));
	if (ops != NULL && ops->on_receipt != NULL &&
	    (ops->receipt_stages & WF_STAGE(stage)) != 0)
		rv = ops->on_receipt(&r);
 out:
	return (rv);
}

void
wf_timers(struct agent *a, uint64_t mono)
{
	uint64_t	now;

	if (mono < a->wf_next_tick || a->in_tx)
		return;
	a->wf_next_tick = mono + WF_TICK_MS;
	now = agent_now(a);
	for (size_t i = 0; i < sizeof(wf_table) / sizeof(wf_table[0]); i++)
		if (wf_table[i]->on_deadline != NULL)
			wf_table[i]->on_deadline(a, now);
}
