/*
 * outbox.c -- the durable outbox, the stage after compose.c: a composed
 * (checked, sealed) message is stored inside the caller's transaction,
 * signed with the turn's other messages before its COMMIT
 * (outbox_sign.c) and before the caller is answered, then sent after it,
 * and resent until a PublishAck arrives (also across restarts of either
 * side; the broker dedups by message_id). Refusals are kept with the
 * message. Nothing here re-enters the submit: what a message's workflow
 * step brings with it (a REDIRECT's linked offer) comes back as a
 * follow-up, stored after it in the same savepoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"

static int
send_publish(struct agent *a, const uint8_t *buf, size_t len)
{
	Liaison__V1__Frame	 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Publish	 p = LIAISON__V1__PUBLISH__INIT;
	Liaison__V1__SignedEnvelope *se;
	int			 rv;

	if ((se = liaison__v1__signed_envelope__unpack(NULL, len, buf)) ==
	    NULL)
		return (LSN_EPROTO);
	p.envelope = se;
	f.kind_case = LIAISON__V1__FRAME__KIND_PUBLISH;
	f.publish = &p;
	rv = link_send(a, &f);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	return (rv);
}

/*
 * Stores a composed message in the outbox, inside the caller's
 * transaction. While the broker refuses this agency a submit ends
 * refused at once: it could not be delivered, and the caller must know.
 */
static int
enqueue(struct agent *a, struct composed *c)
{
	uint8_t	h[LSN_HASH_BYTES];
	int	rv;

	/* stored with its placeholder signature; signed before the COMMIT
	 * (outbox_sign.c); the hash receipts will name, kept with it */
	lsn_hash(c->env, c->envlen, h);
	if ((rv = astore_outbox_add(a, c->id, c->signed_env, c->len, h,
	    a->refused_code != 0 ? "rejected" : "pending", c->created_ms,
	    c->recipients, a->refused_code, a->refused_code != 0 ?
	    a->link_error : NULL)) != LSN_OK ||
	    (rv = outbox_sign_queue(a, c)) != LSN_OK)
		return (rv);
	if (a->ob_counted && a->refused_code != 0)
		a->ob_rejected++;
	else if (a->ob_counted)
		a->ob_pending++;
	return (LSN_OK);
}

static int
db_error(struct agent *a, int rv, char *detail, size_t detailsz)
{
	log_warnx("outbox: %s", lsn_store_errmsg(a->st));
	snprintf(detail, detailsz, "agent database error");
	return (rv != LSN_OK ? rv : LSN_EDB);
}

/*
 * One message: composed (compose.c), stored, its workflow step and
 * marking recorded. The messages its step brings with it (a REDIRECT's
 * linked offer) are appended to fu; linked is the REDIRECT whose linked
 * offer r is (NULL for a submitted message).
 */
static int
submit_one(struct agent *a, const Liaison__V1__SubmitRequest *r, int flags,
    const struct wf_link *linked, struct wf_followups *fu,
    uint8_t msgid[LSN_MSGID_BYTES], char *detail, size_t detailsz)
{
	struct composed	c;
	int		rv;

	if ((rv = compose(a, r, flags, linked, &c, detail, detailsz)) !=
	    LSN_OK)
		return (rv);
	if ((rv = enqueue(a, &c)) != LSN_OK) {
		rv = db_error(a, rv, detail, detailsz);
		goto out;
	}
	if ((rv = wf_on_submit(a, r, &c.rcpts, c.id, linked, 1, fu, detail,
	    detailsz)) != LSN_OK) {
		if (rv == LSN_EDB)
			rv = db_error(a, rv, detail, detailsz);
		goto out;
	}
	if ((rv = wfmark_note(a, c.type, r->body.data, r->body.len,
	    c.tlp)) != LSN_OK) {
		rv = db_error(a, rv, detail, detailsz);
		goto out;
	}
	memcpy(msgid, c.id, sizeof(c.id));
	ametrics_msg(a, 0, c.type, c.priority);
 out:
	composed_free(&c);
	return (rv);
}

/*
 * Validates, signs and stores a submitted message and the messages its
 * workflow step brings with it (a REDIRECT's linked offer), after it and
 * in the same savepoint of the caller's transaction (agent_tx_begin): all
 * of them are stored, or none. The outbox pump sends them after the
 * COMMIT. flags: OUTBOX_F_AGENT allows the types only the agent itself
 * makes (RECEIPT). On success msgid receives the message's id; on
 * failure detail holds a one-line reason.
 */
int
outbox_submit_tx(struct agent *a, const Liaison__V1__SubmitRequest *r,
    int flags, uint8_t msgid[LSN_MSGID_BYTES], char *detail,
    size_t detailsz)
{
	struct wf_followups	 fu;
	struct wf_followup	*f;
	uint8_t			 fid[LSN_MSGID_BYTES];
	char			 fdetail[AGENT_DETAIL_MAX];
	int			 rv;

	if (!a->in_tx) {
		snprintf(detail, detailsz, "internal: submit outside the "
		    "agent's transaction");
		return (LSN_EINTERNAL);
	}
	memset(&fu, 0, sizeof(fu));
	if ((rv = agent_savepoint(a, AGENT_SP_BEGIN)) != LSN_OK)
		return (db_error(a, rv, detail, detailsz));
	rv = submit_one(a, r, flags, NULL, &fu, msgid, detail, detailsz);
	for (size_t i = 0; rv == LSN_OK && i < fu.n; i++) {
		f = &fu.v[i];
		fdetail[0] = '\0';
		if ((rv = submit_one(a, &f->req, 0, &f->link, &fu, fid,
		    fdetail, sizeof(fdetail))) != LSN_OK)
			snprintf(detail, detailsz, "%s: %s", f->what,
			    fdetail[0] != '\0' ? fdetail : lsn_strerror(rv));
	}
	if (rv == LSN_OK &&
	    (rv = agent_savepoint(a, AGENT_SP_RELEASE)) != LSN_OK)
		rv = db_error(a, rv, detail, detailsz);
	if (rv != LSN_OK) {
		/* nothing of it stays; the in-memory counts reload */
		if (agent_savepoint(a, AGENT_SP_ROLLBACK) != LSN_OK)
			a->tx_failed = 1;
		outbox_counts_reset(a);
		goto out;
	}
	for (size_t i = 0; i < fu.n; i++)
		log_info("%s", fu.v[i].done);
	/* outbox_pump sends them once agent_tx_commit has committed */
	a->outbox_added = 1;
	a->ob_pass = 1;
 out:
	wf_followups_free(&fu);
	return (rv);
}

/*
 * outbox_submit_tx for a caller that may run outside the turn (an API
 * request outside a batch, a receipt, tests): inside the turn's open
 * transaction the message joins it; outside, it is stored in a
 * transaction of its own (agent_tx_join / agent_tx_commit).
 */
int
outbox_submit_flags(struct agent *a, const Liaison__V1__SubmitRequest *r,
    int flags, uint8_t msgid[LSN_MSGID_BYTES], char *detail,
    size_t detailsz)
{
	int	own, rv;

	if ((rv = agent_tx_join(a, &own)) == LSN_EINDOUBT) {
		/* stopping after a failed commit: nothing more is written
		 * (no message id to ask outbox_status about) */
		snprintf(detail, detailsz, "the agent is stopping after a "
		    "failed commit: not stored");
		return (LSN_EDB);
	}
	if (rv != LSN_OK)
		return (db_error(a, rv, detail, detailsz));
	rv = outbox_submit_tx(a, r, flags, msgid, detail, detailsz);
	if (!own)
		return (rv);
	/* a refused submit left nothing: its transaction commits empty */
	if (agent_tx_commit(a) == LSN_OK)
		return (rv);
	if (rv == LSN_OK && a->indoubt) {
		/* stored or not: unknown; the id goes back with
		 * E_IN_DOUBT, outbox_status decides */
		snprintf(detail, detailsz, "the commit failed at its sync: "
		    "outcome unknown; after the agent's restart ask "
		    "outbox_status");
		return (LSN_EINDOUBT);
	}
	return (db_error(a, LSN_EDB, detail, detailsz));
}

int
outbox_submit(struct agent *a, const Liaison__V1__SubmitRequest *r,
    uint8_t msgid[LSN_MSGID_BYTES], char *detail, size_t detailsz)
{
	return (outbox_submit_flags(a, r, 0, msgid, detail, detailsz));
}

static int
transient(int code)
{
	/* LSN_ERATE: over the broker's rate limit, sent again later */
	return (code == LSN_EDB || code == LSN_EAGAIN ||
	    code == LSN_EINTERNAL || code == LSN_ENOMEM ||
	    code == LSN_ETIMEDOUT || code == LSN_ERATE);
}

/* A PublishAck: accepted, rejected (kept with its error), or retry. */
int
outbox_on_ack(struct agent *a, const Liaison__V1__PublishAck *k)
{
	const char	*state;
	int64_t		 n;
	int		 code, rv;

	if (!k->has_message_id || k->message_id.len != LSN_MSGID_BYTES) {
		if (k->has_code && lsn_log_ratelimit("puback", 10))
			log_warnx("PublishAck without message id: %s: %s",
			    lsn_errname(lsn_err_from_wire((int) k->code)),
			    k->detail != NULL ? k->detail : "");
		return (LSN_EPROTO);
	}
	code = k->has_code ? lsn_err_from_wire((int) k->code) : LSN_EPROTO;
	if (code != LSN_OK)
		ametrics_refusal(a, "broker", code);
	if (code == LSN_OK)
		state = "accepted";
	else if (transient(code))
		state = "pending";
	else
		state = "rejected";
	/* a refused re-publish stays accepted (astore_outbox_ack) */
	if ((rv = astore_outbox_ack(a, k->message_id.data, k->message_id.len,
	    state, code, k->detail != NULL ? k->detail : lsn_strerror(code),
	    &n)) != LSN_OK) {
		a->tx_failed = 1;
		return (rv);
	}
	if (n > 0) {
		/* an answer to a message of the window (a duplicate
		 * answer finds the row final and changes nothing) */
		if (a->ob_inflight > 0)
			a->ob_inflight--;
		if (a->ob_counted && strcmp(state, "pending") != 0) {
			if (a->ob_pending > 0)
				a->ob_pending--;
			else
				a->ob_counted = 0;
			/* a refused re-publish stays accepted: recount */
			if (strcmp(state, "rejected") == 0)
				outbox_counts_reset(a);
		}
	}
	if (code != LSN_OK)
		log_info("publish refused: %s: %s", lsn_errname(code),
		    k->detail != NULL ? k->detail : "");
	return (LSN_OK);
}

/*
 * Sending. Pending rows are sent in oid order, at most AGENT_OUTBOX_WINDOW
 * unacknowledged at a time: ob_next is the highest oid sent in this
 * session, ob_inflight the number sent and not yet answered. A PublishAck
 * that moves a row out of 'pending' (or answers it with a transient
 * error) frees a place. Nothing is resent while the broker answers: every
 * resend_ms the lowest pending oid is looked up, and if the same sent row
 * is still the lowest pending one a full period later (its Publish or its
 * answer was lost, or the answer was transient), the window restarts from
 * it. A new session (Welcome) restarts it from the beginning.
 */

/* Restarts sending from the first pending row (new session). */
void
outbox_start_pass(struct agent *a)
{
	a->ob_pass = 1;
	a->ob_next = 0;
	a->ob_inflight = 0;
	a->ob_low = 0;
	a->ob_check_at = lsn_mono_ms() + (uint64_t) a->conf.resend_ms;
}

/* 1 if outbox_pump has something to send now. */
int
outbox_can_send(const struct agent *a)
{
	return (a->connected && a->ob_pass &&
	    a->ob_inflight < AGENT_OUTBOX_WINDOW);
}

static void
check_stall(struct agent *a, uint64_t now)
{
	int64_t		 low;

	a->ob_check_at = now + (uint64_t) a->conf.resend_ms;
	if (astore_outbox_low_pending(a, &low) != LSN_OK)
		return;
	if (low == 0) {
		/* everything answered */
		a->ob_inflight = 0;
		a->ob_low = 0;
		return;
	}
	if (low > a->ob_next) {
		/* not sent yet: the pump gets to it */
		a->ob_pass = 1;
		a->ob_low = 0;
		return;
	}
	if (low == a->ob_low) {
		log_debug("outbox: no answer for a full period, resending "
		    "from oid %lld", (long long) low);
		a->ob_next = low - 1;
		a->ob_inflight = 0;
		a->ob_pass = 1;
		a->ob_low = 0;
		return;
	}
	a->ob_low = low;
}

/* outbox_pump's walk: what was sent, whether the link said "later". */
struct pump {
	struct agent	*a;
	int64_t		 n;
	int		 full;		/* LSN_EAGAIN: stopped */
};

static int
pump_row(void *arg, const struct astore_outbox_row *o)
{
	struct pump	*pp = arg;
	struct agent	*a = pp->a;

	if (send_publish(a, o->signed_env, o->signed_len) == LSN_EAGAIN) {
		pp->full = 1;
		return (1);
	}
	/* a row that cannot be sent (LSN_EPROTO, too big) counts as
	 * sent: the stall check retries it */
	a->ob_next = o->oid;
	a->ob_inflight++;
	pp->n++;
	return (0);
}

/* Sends the next pending messages, within the window. */
void
outbox_pump(struct agent *a, uint64_t now)
{
	struct pump	pp;
	int64_t		limit;
	int		rv;

	if (!a->connected)
		return;
	if (now >= a->ob_check_at)
		check_stall(a, now);
	if (!a->ob_pass || a->ob_inflight >= AGENT_OUTBOX_WINDOW)
		return;
	limit = (int64_t) (AGENT_OUTBOX_WINDOW - a->ob_inflight);
	if (limit > AGENT_OUTBOX_BURST)
		limit = AGENT_OUTBOX_BURST;
	memset(&pp, 0, sizeof(pp));
	pp.a = a;
	rv = astore_outbox_pending(a, a->ob_next, limit, pump_row, &pp);
	/* all sent and fewer than asked for, or a database error: the
	 * pass ends (the stall check or a new submit starts another) */
	if (rv != LSN_OK || (!pp.full && pp.n < limit))
		a->ob_pass = 0;
}

/*
 * The numbers of pending and rejected outbox rows. Kept in memory: loaded
 * from the database on first use and after outbox_counts_reset() (every
 * rollback), then updated by enqueue (outbox_submit_tx) and
 * outbox_on_ack, the only writers of the outbox table.
 */
int
outbox_counts(struct agent *a, uint64_t *pending, uint64_t *rejected)
{
	int64_t	p, j;
	int	rv;

	if (a->ob_counted) {
		*pending = a->ob_pending;
		*rejected = a->ob_rejected;
		return (LSN_OK);
	}
	if ((rv = astore_outbox_counts(a, &p, &j)) != LSN_OK)
		return (rv);
	a->ob_pending = (uint64_t) p;
	a->ob_rejected = (uint64_t) j;
	a->ob_counted = 1;
	*pending = (uint64_t) p;
	*rejected = (uint64_t) j;
	return (LSN_OK);
}

/* Forgets the in-memory counts (after a rollback): reloaded on next use. */
void
outbox_counts_reset(struct agent *a)
{
	a->ob_counted = 0;
}
