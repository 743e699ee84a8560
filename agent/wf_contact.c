/*
 * wf_contact.c -- contact liveness checks (ContactCheck, ContactConfirmed);
 * ops in wf_int.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent.h"
#include "wf_int.h"


/*
 * With [agent] contact_check_ms > 0 the agent checks, every that long
 * (workflow clock), the contacts of the other ACTIVE partners in its
 * replica: one that is stale (lsn_contact_stale with contact_max_age_ms)
 * and was not checked within the period gets a ContactCheck
 * {contact_id, check_id} addressed to its partner. The check is kept in
 * the state table, key "contact_check/<partner>/<contact>", value
 * "<sent ms> <check_id> <answered 0|1>".
 *
 * The partner's agent shows the check in its inbox. The operator answers
 * with `liaison contact confirm ID` (a ConfirmContact op through the
 * broker: verified_at is set in every replica); with contact_auto_confirm
 * = 1 the agent answers itself (at most once an hour per contact): it
 * signs the ConfirmContact op, submits it to the broker and answers the
 * checker with ContactConfirmed {contact_id, check_id, signed_dir_op}.
 * The checker accepts a ContactConfirmed only for a check it sent to
 * that partner, carrying that partner's own ConfirmContact op of that
 * contact, and marks the check answered.
 */
#define CC_PER_ROUND	64			/* checks sent per round */
#define CC_AUTO_MIN_MS	(3600ULL * 1000)	/* auto-confirm rate */

struct cc_due {
	char	partner[LSN_DIR_ID_MAX + 1];
	char	contact[LSN_DIR_ID_MAX + 1];
};

struct cc_ctx {
	struct agent	*a;
	uint64_t	 now;
	struct cc_due	 due[CC_PER_ROUND];
	size_t		 n;
	int		 rv;
};

static int
cc_key(char *buf, size_t sz, const char *partner, const char *cid)
{
	int	n = snprintf(buf, sz, "contact_check/%s/%s", partner, cid);

	return (n < 0 || (size_t) n >= sz ? LSN_ETOOBIG : LSN_OK);
}

/* The check of (partner, cid) we sent: LSN_OK, LSN_ENOENT, LSN_EDB. */
static int
cc_get(struct agent *a, const char *partner, const char *cid,
    uint64_t *sent, uint64_t *id, int *answered)
{
	char			key[2 * LSN_DIR_ID_MAX + 32], val[64];
	unsigned long long	s1, s2;
	int			rv, ans;

	if ((rv = cc_key(key, sizeof(key), partner, cid)) != LSN_OK ||
	    (rv = agent_state_get(a, key, val, sizeof(val))) != LSN_OK)
		return (rv);
	if (sscanf(val, "%llu %llu %d", &s1, &s2, &ans) != 3)
		return (LSN_ENOENT);
	*sent = s1;
	*id = s2;
	*answered = ans != 0;
	return (LSN_OK);
}

static int
cc_put(struct agent *a, const char *partner, const char *cid, uint64_t sent,
    uint64_t id, int answered)
{
	char	key[2 * LSN_DIR_ID_MAX + 32], val[64];
	int	rv;

	if ((rv = cc_key(key, sizeof(key), partner, cid)) != LSN_OK)
		return (rv);
	snprintf(val, sizeof(val), "%llu %llu %d", (unsigned long long) sent,
	    (unsigned long long) id, answered != 0);
	return (agent_state_set(a, key, val));
}

static int
cc_partner(void *arg, const Liaison__V1__Partner *p)
{
	struct cc_ctx	*x = arg;
	struct agent	*a = x->a;
	uint64_t	 sent, id;
	int		 answered, rv;

	if (p->id == NULL || strcmp(p->id, a->conf.partner) == 0 ||
	    !p->has_status ||
	    p->status != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)
		return (0);
	for (size_t i = 0; i < p->n_contacts; i++) {
		const Liaison__V1__Contact *c = p->contacts[i];

		if (x->n >= CC_PER_ROUND)
			return (1);
		if (c->contact_id == NULL || !lsn_contact_stale(
		    c->verified_at_ms, c->updated_ms, x->now,
		    (uint64_t) a->conf.contact_max_age_ms))
			continue;
		rv = cc_get(a, p->id, c->contact_id, &sent, &id, &answered);
		if (rv == LSN_OK && sent <= x->now && x->now - sent <
		    (uint64_t) a->conf.contact_check_ms)
			continue;	/* checked within the period */
		if (rv != LSN_OK && rv != LSN_ENOENT) {
			x->rv = rv;
			return (1);
		}
		lsn_strlcpy(x->due[x->n].partner, p->id,
		    sizeof(x->due[0].partner));
		lsn_strlcpy(x->due[x->n].contact, c->contact_id,
		    sizeof(x->due[0].contact));
		x->n++;
	}
	return (0);
}

static int
cc_send(struct agent *a, const char *partner, const char *cid, uint64_t now)
{
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__ContactCheck	 cc = LIAISON__V1__CONTACT_CHECK__INIT;
	char				 detail[AGENT_DETAIL_MAX], v[32];
	char				*to[1];
	uint8_t				 buf[256], msgid[LSN_MSGID_BYTES];
	uint64_t			 id = 0;
	int				 rv;

	rv = agent_state_get(a, "contact_check_seq", v, sizeof(v));
	if (rv == LSN_OK && lsn_strtou64(v, 0, UINT64_MAX - 1, &id) != LSN_OK)
		id = 0;
	else if (rv != LSN_OK && rv != LSN_ENOENT)
		return (rv);
	id++;
	snprintf(v, sizeof(v), "%llu", (unsigned long long) id);
	if ((rv = agent_state_set(a, "contact_check_seq", v)) != LSN_OK)
		return (rv);
	cc.contact_id = (char *) (uintptr_t) cid;
	cc.has_check_id = 1;
	cc.check_id = id;
	if (liaison__v1__contact_check__get_packed_size(&cc) > sizeof(buf))
		return (LSN_ETOOBIG);
	r.body.len = liaison__v1__contact_check__pack(&cc, buf);
	r.body.data = buf;
	r.has_body = 1;
	to[0] = (char *) (uintptr_t) partner;
	r.n_to = 1;
	r.to = to;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CHECK;
	detail[0] = '\0';
	if ((rv = outbox_submit_tx(a, &r, 0, msgid, detail,
	    sizeof(detail))) != LSN_OK) {
		log_warnx("contact check of %s/%s not sent: %s: %s", partner,
		    cid, lsn_strerror(rv), detail);
		return (rv);
	}
	if ((rv = cc_put(a, partner, cid, now, id, 0)) != LSN_OK)
		return (rv);
	return (agent_event(a, "contact", msgid, NULL, partner,
	    "check-sent"));
}

/*
 * One check in a transaction of the timer's own (agent.c): its sequence
 * number, the ContactCheck and its record are stored together or not at
 * all.
 */
static int
cc_send_tx(struct agent *a, const char *partner, const char *cid,
    uint64_t now)
{
	int	rv;

	if ((rv = agent_tx_begin(a)) != LSN_OK)
		return (rv);
	if ((rv = cc_send(a, partner, cid, now)) != LSN_OK)
		a->tx_failed = 1;
	if (agent_tx_commit(a) != LSN_OK && rv == LSN_OK)
		rv = LSN_EDB;
	return (rv);
}

/* One round of liveness checks (timer, outside the turn transaction). */
static void
contact_round(struct agent *a, uint64_t now)
{
	struct cc_ctx	*x;
	int		 rv;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return;
	x->a = a;
	x->now = now;
	x->rv = LSN_OK;
	rv = lsn_dir_list(a->dir, NULL, cc_partner, x);
	if (rv < 0 || x->rv != LSN_OK)
		log_warnx("contact checks: %s", lsn_strerror(rv < 0 ? rv :
		    x->rv));
	for (size_t i = 0; i < x->n; i++)
		if (cc_send_tx(a, x->due[i].partner, x->due[i].contact,
		    now) != LSN_OK)
			break;
	if (x->n > 0)
		log_info("contact liveness: %zu check(s) sent", x->n);
	free(x);
}

/*
 * Our own answer to a check of our contact cid (contact_auto_confirm):
 * the self-signed ConfirmContact op, submitted to the broker, and the
 * ContactConfirmed to the checker. Inside the delivery's transaction.
 * Over 80 lines: build, sign, send op and answer; one cleanup.
 */
static int
cc_auto_confirm(struct agent *a, const char *checker, const char *cid,
    uint64_t check_id, const Liaison__V1__Partner *me)
{
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__ConfirmContact	 cc =
	    LIAISON__V1__CONFIRM_CONTACT__INIT;
	Liaison__V1__ContactConfirmed	 ok =
	    LIAISON__V1__CONTACT_CONFIRMED__INIT;
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Frame		 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__DirSubmit		 ds = LIAISON__V1__DIR_SUBMIT__INIT;
	char				 why[AGENT_DETAIL_MAX], key[96];
	char				 v[32], *to[1];
	uint8_t				*raw = NULL, *sig = NULL, *body = NULL;
	uint8_t				 rid[16], msgid[LSN_MSGID_BYTES];
	size_t				 rawlen, siglen = 0, blen;
	uint64_t			 last, now = lsn_now_ms();
	int				 rv;

	snprintf(key, sizeof(key), "contact_autoconfirm/%s", cid);
	rv = agent_state_get(a, key, v, sizeof(v));
	if (rv == LSN_OK && lsn_strtou64(v, 0, UINT64_MAX, &last) == LSN_OK &&
	    last <= now && now - last < CC_AUTO_MIN_MS) {
		log_info("contact check of %s by %s: confirmed within the "
		    "hour, left to the operator", cid, checker);
		return (LSN_OK);
	}
	if (rv != LSN_OK && rv != LSN_ENOENT)
		return (rv);
	op.author = a->conf.partner;
	op.has_expected_version = 1;
	op.expected_version = me->has_version ? me->version : 0;
	cc.partner_id = a->conf.partner;
	cc.contact_id = (char *) (uintptr_t) cid;
	cc.has_verified_at_ms = 1;
	cc.verified_at_ms = now;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT;
	op.confirm_contact = &cc;
	why[0] = '\0';
	if ((rv = lsn_dirop_new(&op, &raw, &rawlen, why, sizeof(why))) !=
	    LSN_OK ||
	    (rv = lsn_dirop_sign(raw, rawlen, a->sign_kp, &sig, &siglen)) !=
	    LSN_OK) {
		log_warnx("contact %s: cannot build the confirmation: %s %s",
		    cid, lsn_strerror(rv), why);
		goto out;
	}
	/* to the broker (its DirSubmitAck matches no API caller) */
	if (a->connected && (ds.op = liaison__v1__signed_dir_op__unpack(NULL,
	    siglen, sig)) != NULL) {
		lsn_random(rid, sizeof(rid));
		ds.has_request_id = 1;
		ds.request_id.data = rid;
		ds.request_id.len = sizeof(rid);
		f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
		f.dir_submit = &ds;
		if (link_send(a, &f) != LSN_OK)
			log_warnx("contact %s: confirmation not sent to the "
			    "broker", cid);
		liaison__v1__signed_dir_op__free_unpacked(ds.op, NULL);
	}
	ok.contact_id = (char *) (uintptr_t) cid;
	ok.has_check_id = 1;
	ok.check_id = check_id;
	ok.has_signed_dir_op = 1;
	ok.signed_dir_op.data = sig;
	ok.signed_dir_op.len = siglen;
	blen = liaison__v1__contact_confirmed__get_packed_size(&ok);
	if ((body = malloc(blen ? blen : 1)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	liaison__v1__contact_confirmed__pack(&ok, body);
	to[0] = (char *) (uintptr_t) checker;
	r.n_to = 1;
	r.to = to;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CONFIRMED;
	r.has_body = 1;
	r.body.data = body;
	r.body.len = blen;
	why[0] = '\0';
	/* the delivery's turn holds the transaction (link.c) */
	if ((rv = outbox_submit_tx(a, &r, 0, msgid, why, sizeof(why))) !=
	    LSN_OK) {
		log_warnx("contact %s: ContactConfirmed to %s not queued: "
		    "%s: %s", cid, checker, lsn_strerror(rv), why);
		goto out;
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long) now);
	if ((rv = agent_state_set(a, key, v)) != LSN_OK)
		goto out;
	log_info("contact check of %s by %s: confirmed", cid, checker);
	rv = agent_event(a, "contact", msgid, NULL, checker,
	    "confirmed-sent");
 out:
	free(raw);
	free(sig);
	free(body);
	return (rv);
}

/*
 * A received ContactCheck (for one of our contacts) or ContactConfirmed
 * (the answer to one of our checks). Refusals (quarantine): LSN_EINVAL,
 * LSN_ETRANSITION, LSN_EPROTO.
 * Over 80 lines: check and confirmation share decode, cleanup.
 */
static int
cc_on_receive(struct agent *a, const Liaison__V1__Envelope *e,
    const uint8_t *body, size_t len, char *detail, size_t detailsz)
{
	Liaison__V1__ContactCheck	*ck = NULL;
	Liaison__V1__ContactConfirmed	*cf = NULL;
	Liaison__V1__Partner		*me = NULL;
	char				 why[256];
	uint64_t			 sent, id;
	int				 rv, answered, found = 0;

	if (e->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CHECK) {
		if ((ck = liaison__v1__contact_check__unpack(NULL, len,
		    body)) == NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		if ((rv = lsn_dir_partner_get(a->dir, a->conf.partner, &me)) !=
		    LSN_OK && rv != LSN_ENOENT)
			goto out;
		for (size_t i = 0; me != NULL && i < me->n_contacts; i++)
			if (me->contacts[i]->contact_id != NULL &&
			    strcmp(me->contacts[i]->contact_id,
			    ck->contact_id) == 0)
				found = 1;
		if (!found) {
			snprintf(detail, detailsz, "contact check by %s for "
			    "%s, which is not one of our contacts", e->sender,
			    ck->contact_id);
			rv = LSN_EINVAL;
			goto out;
		}
		if ((rv = agent_event(a, "contact", e->message_id.data, NULL,
		    e->sender, "check-received")) != LSN_OK)
			goto out;
		rv = a->conf.contact_auto_confirm ? cc_auto_confirm(a,
		    e->sender, ck->contact_id, ck->check_id, me) : LSN_OK;
		/* a failed answer leaves the check to the operator */
		if (rv != LSN_OK && rv != LSN_EDB && rv != LSN_ENOMEM)
			rv = LSN_OK;
		goto out;
	}
	if ((cf = liaison__v1__contact_confirmed__unpack(NULL, len, body)) ==
	    NULL) {
		rv = LSN_EPROTO;
		goto out;
	}
	rv = cc_get(a, e->sender, cf->contact_id, &sent, &id, &answered);
	if (rv == LSN_ENOENT || (rv == LSN_OK && (id != cf->check_id ||
	    answered))) {
		snprintf(detail, detailsz, "no open contact check %llu of "
		    "ours for %s/%s", (unsigned long long) cf->check_id,
		    e->sender, cf->contact_id);
		rv = LSN_ETRANSITION;
		goto out;
	}
	if (rv != LSN_OK)
		goto out;
	if ((rv = lsn_dir_contact_op_check(a->dir, cf->signed_dir_op.data,
	    cf->signed_dir_op.len, e->sender, cf->contact_id,
	    LSN_DIR_CONTACT_CONFIRM, why, sizeof(why))) != LSN_OK) {
		snprintf(detail, detailsz, "contact confirmation from %s "
		    "does not carry its own ConfirmContact op of %s: %s",
		    e->sender, cf->contact_id, why);
		goto out;
	}
	if ((rv = cc_put(a, e->sender, cf->contact_id, sent, id, 1)) !=
	    LSN_OK)
		goto out;
	rv = agent_event(a, "contact", e->message_id.data, NULL, e->sender,
	    "confirmed");
 out:
	if (ck != NULL)
		liaison__v1__contact_check__free_unpacked(ck, NULL);
	if (cf != NULL)
		liaison__v1__contact_confirmed__free_unpacked(cf, NULL);
	lsn_dir_partner_free(&me);
	if (rv == LSN_EPROTO)
		snprintf(detail, detailsz, "body does not unpack");
	return (rv);
}


/* Received only (the agent sends them itself, not through a workflow
 * check); checked and recorded in one call, at the apply pass. */
static int
contact_step(struct wf_step *st)
{
	if (!st->apply)
		return (LSN_OK);
	return (cc_on_receive(st->a, st->env, st->body, st->len, st->detail,
	    st->detailsz));
}

/* ContactCheck's on_deadline: a round every [agent] contact_check_ms. */
void
wf_contact_due(struct agent *a, uint64_t now)
{
	if (a->conf.contact_check_ms <= 0 || now < a->wf_cc_next)
		return;
	a->wf_cc_next = now + (uint64_t) a->conf.contact_check_ms;
	contact_round(a, now);
}

const struct wf_ops wf_contact_check_ops = {
	.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CHECK,
	.on_receive = contact_step,
	.on_deadline = wf_contact_due,
};

const struct wf_ops wf_contact_confirmed_ops = {
	.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CONFIRMED,
	.on_receive = contact_step,
};
