/*
 * outbox_read.c -- reading what this agency sent (OutboxFetch,
 * OutboxList): the stored signed envelope, its body opened in memory and
 * the delivery state per recipient from the signed receipts kept by
 * rcpt.c.
 *
 * A sealed body is opened with our own encryption key: outbox.c seals
 * the content key to the sender too (an extra SealedKey whose partner is
 * ourselves), so nothing is kept in clear for this; the plaintext lives
 * in the answer only and is wiped when it is freed. A body sealed to an
 * encryption key of ours that is no longer loaded (rotated, and
 * encrypt.prev.key gone) is answered without body, with body_error.
 * Items are only ever from this agent's own outbox table: another
 * agency's sent message is simply not there (LSN_ENOENT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/seal.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"


static int
dup_str(char **out, const char *s)
{
	if ((*out = strdup(s != NULL ? s : "")) == NULL)
		return (LSN_ENOMEM);
	return (LSN_OK);
}

static int
dup_strv(char ***out, size_t *n, char *const *v, size_t nv)
{
	*n = 0;
	if (nv == 0)
		return (LSN_OK);
	if ((*out = calloc(nv, sizeof(**out))) == NULL)
		return (LSN_ENOMEM);
	for (size_t i = 0; i < nv; i++) {
		if (dup_str(&(*out)[i], v[i]) != LSN_OK)
			return (LSN_ENOMEM);
		(*n)++;
	}
	return (LSN_OK);
}

void
outbox_item_free(Liaison__V1__OutboxItem *it)
{
	if (it == NULL)
		return;
	free(it->message_id.data);
	free(it->publish_detail);
	for (size_t i = 0; i < it->n_to; i++)
		free(it->to[i]);
	free(it->to);
	for (size_t i = 0; i < it->n_to_groups; i++)
		free(it->to_groups[i]);
	free(it->to_groups);
	if (it->envelope != NULL)
		liaison__v1__signed_envelope__free_unpacked(it->envelope, NULL);
	if (it->body.data != NULL) {
		sodium_memzero(it->body.data, it->body.len);
		free(it->body.data);
	}
	for (size_t i = 0; i < it->n_deliveries; i++) {
		if (it->deliveries[i] != NULL)
			free(it->deliveries[i]->partner);
		free(it->deliveries[i]);
	}
	free(it->deliveries);
	free(it->body_error);
	free(it);
}

void
outbox_list_free(Liaison__V1__OutboxListResponse *resp)
{
	for (size_t i = 0; i < resp->n_items; i++)
		outbox_item_free(resp->items[i]);
	free(resp->items);
	resp->items = NULL;
	resp->n_items = 0;
}

/*
 * The body of our own envelope e, opened in memory: a copy of a plain
 * body, or the sealed one opened with our encryption keys (current, then
 * encrypt.prev.key / encrypt.next.key). On failure why says it and the
 * result is LSN_EUNSEAL (or LSN_ENOMEM).
 */
static int
open_own(struct agent *a, const Liaison__V1__Envelope *e, uint8_t **ptp,
    size_t *lenp, char *why, size_t whysz)
{
	uint8_t		 ad[LSN_SEAL_AD_MAX];
	size_t		 adlen;
	const char	*field = NULL;
	int		 rv, mine = 0;

	*ptp = NULL;
	*lenp = 0;
	if (e->sealed == NULL) {
		*lenp = e->has_body ? e->body.len : 0;
		if ((*ptp = malloc(*lenp ? *lenp : 1)) == NULL)
			return (LSN_ENOMEM);
		if (*lenp)
			memcpy(*ptp, e->body.data, *lenp);
		goto validate;
	}
	for (size_t i = 0; i < e->sealed->n_keys; i++)
		if (e->sealed->keys[i]->partner != NULL &&
		    strcmp(e->sealed->keys[i]->partner, a->conf.partner) == 0)
			mine = 1;
	if (!mine) {
		snprintf(why, whysz, "sealed without a copy for us");
		return (LSN_EUNSEAL);
	}
	if (a->encrypt_kp == NULL) {
		snprintf(why, whysz, "sealed, and no encryption key loaded");
		return (LSN_EUNSEAL);
	}
	if ((rv = lsn_seal_ad_env(e, ad, &adlen)) != LSN_OK ||
	    (rv = inbox_unseal(a, e->sealed, ad, adlen, ptp, lenp)) !=
	    LSN_OK) {
		snprintf(why, whysz, "sealed to an encryption key of ours "
		    "that is no longer loaded (rotated away)");
		return (rv == LSN_ENOMEM ? rv : LSN_EUNSEAL);
	}
 validate:
	/* validated on submit; again, without the clock (now_ms 0) */
	if ((rv = lsn_body_validate(e->has_type ? (int) e->type : 0, *ptp,
	    *lenp, 0, &field)) != LSN_OK) {
		snprintf(why, whysz, "body does not validate: %s (%s)",
		    lsn_strerror(rv), field != NULL ? field : "-");
		sodium_memzero(*ptp, *lenp);
		free(*ptp);
		*ptp = NULL;
		*lenp = 0;
		return (rv == LSN_ENOMEM ? rv : LSN_EUNSEAL);
	}
	return (LSN_OK);
}

static int
delivery_add(Liaison__V1__OutboxItem *it, const char *partner)
{
	Liaison__V1__Delivery	*d, **v;

	for (size_t i = 0; i < it->n_deliveries; i++)
		if (strcmp(it->deliveries[i]->partner, partner) == 0)
			return (LSN_OK);
	if (it->n_deliveries >= LSN_SEAL_KEYS_MAX)
		return (LSN_OK);	/* the rest stays in custody */
	if ((v = reallocarray(it->deliveries, it->n_deliveries + 1,
	    sizeof(*v))) == NULL)
		return (LSN_ENOMEM);
	it->deliveries = v;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__delivery__init(d);
	if (dup_str(&d->partner, partner) != LSN_OK) {
		free(d);
		return (LSN_ENOMEM);
	}
	it->deliveries[it->n_deliveries++] = d;
	return (LSN_OK);
}

/*
 * Deliveries of it: the named recipients, those the body was sealed for
 * (but us) and every receipt signer, each with its furthest receipt
 * (RECEIPT_UNDELIVERABLE is the highest stage number, so it wins).
 */
struct dlv_ctx {
	struct agent			*a;
	Liaison__V1__OutboxItem		*it;
};

/* One receipt: its signer's delivery keeps the furthest stage. */
static int
delivery_rcpt(void *arg, const char *signer, int stage, int64_t time_ms)
{
	struct dlv_ctx		*x = arg;
	Liaison__V1__OutboxItem	*it = x->it;
	int			 rv;

	if (signer == NULL || strcmp(signer, x->a->conf.partner) == 0)
		return (0);
	if ((rv = delivery_add(it, signer)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < it->n_deliveries; i++) {
		Liaison__V1__Delivery *d = it->deliveries[i];

		if (strcmp(d->partner, signer) != 0 ||
		    (d->has_stage && (int) d->stage >= stage))
			continue;
		d->has_stage = d->has_time_ms = 1;
		d->stage = (Liaison__V1__ReceiptStage) stage;
		d->time_ms = (uint64_t) time_ms;
	}
	return (0);
}

static int
deliveries(struct agent *a, const Liaison__V1__Envelope *e,
    Liaison__V1__OutboxItem *it)
{
	struct dlv_ctx	x = { a, it };
	int		rv;

	for (size_t i = 0; i < e->n_to; i++)
		if ((rv = delivery_add(it, e->to[i])) != LSN_OK)
			return (rv);
	for (size_t i = 0; e->sealed != NULL && i < e->sealed->n_keys; i++)
		if (e->sealed->keys[i]->partner != NULL &&
		    strcmp(e->sealed->keys[i]->partner, a->conf.partner) != 0 &&
		    (rv = delivery_add(it, e->sealed->keys[i]->partner)) !=
		    LSN_OK)
			return (rv);
	return (astore_receipts_of(a, it->message_id.data, delivery_rcpt,
	    &x));
}

static Liaison__V1__OutboxState
state_of(const char *st)
{
	if (st == NULL)
		return (LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING);
	if (strcmp(st, "accepted") == 0)
		return (LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
	if (strcmp(st, "rejected") == 0)
		return (LIAISON__V1__OUTBOX_STATE__OUTBOX_REJECTED);
	if (strcmp(st, "undeliverable") == 0)
		return (LIAISON__V1__OUTBOX_STATE__OUTBOX_UNDELIVERABLE);
	return (LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING);
}

/*
 * Our own envelope from its stored bytes: verified against the replica
 * when full (fetch), else (or when our key is gone from it) parsed only.
 */
static int
parse_own(struct agent *a, const uint8_t *buf, size_t len, int full,
    Liaison__V1__Envelope **envp, int *verified)
{
	struct lsn_envelope_outer	*o = NULL;
	char				 detail[AGENT_DETAIL_MAX];

	*verified = 0;
	if (full && inbox_verify(a, buf, len, envp, detail, sizeof(detail)) ==
	    LSN_OK) {
		*verified = 1;
		return (LSN_OK);
	}
	if (lsn_envelope_peek(buf, len, 0, &o, NULL) != LSN_OK)
		return (LSN_EPROTO);
	*envp = liaison__v1__envelope__unpack(NULL, o->envlen, o->env);
	lsn_envelope_outer_destroy(&o);
	return (*envp != NULL ? LSN_OK : LSN_EPROTO);
}

/* Does e pass q's filters (NULL: no filter)? */
static int
wanted(const struct agent *a, const Liaison__V1__OutboxListRequest *q,
    const Liaison__V1__Envelope *e)
{
	(void) a;
	if (q == NULL)
		return (1);
	if (q->has_type && q->type != 0 ? e->type != q->type :
	    e->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT)
		return (0);
	if (q->has_since_ms && e->created_ms < q->since_ms)
		return (0);
	return (1);
}

static int
recipient_is(const Liaison__V1__OutboxItem *it, const char *p)
{
	for (size_t i = 0; i < it->n_deliveries; i++)
		if (strcmp(it->deliveries[i]->partner, p) == 0)
			return (1);
	return (0);
}

/*
 * One outbox row as an item; *itp NULL when q filters it out.
 * full: the signed envelope too, and the signature checked again.
 */
static int
item_from_row(struct agent *a, const struct astore_outbox_row *o, int full,
    const Liaison__V1__OutboxListRequest *q, Liaison__V1__OutboxItem **itp)
{
	Liaison__V1__OutboxItem	*it = NULL;
	Liaison__V1__Envelope	*e = NULL;
	const uint8_t		*buf = o->signed_env;
	size_t			 len = o->signed_len;
	char			 why[AGENT_DETAIL_MAX];
	int			 rv, verified;

	*itp = NULL;
	why[0] = '\0';
	if (o->msgid == NULL || buf == NULL)
		return (LSN_OK);	/* not a row we wrote: skipped */
	if (parse_own(a, buf, len, full, &e, &verified) != LSN_OK ||
	    !wanted(a, q, e)) {
		rv = LSN_OK;
		goto out;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	liaison__v1__outbox_item__init(it);
	if ((it->message_id.data = malloc(LSN_MSGID_BYTES)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	memcpy(it->message_id.data, o->msgid, LSN_MSGID_BYTES);
	it->message_id.len = LSN_MSGID_BYTES;
	it->has_message_id = it->has_type = it->has_created_ms = 1;
	it->has_state = it->has_publish_code = it->has_local_seq = 1;
	it->type = e->type;
	it->created_ms = e->created_ms;
	it->state = state_of(o->state);
	it->publish_code = lsn_err_to_wire(o->code);
	it->local_seq = (uint64_t) o->oid;
	it->has_priority = e->has_priority;
	it->priority = e->priority;
	it->has_tlp = e->handling != NULL;
	it->tlp = e->handling != NULL ? e->handling->tlp : 0;
	if (full) {
		it->has_verified = 1;
		it->verified = verified;
	}
	if ((rv = dup_str(&it->publish_detail, o->detail)) != LSN_OK ||
	    (rv = dup_strv(&it->to, &it->n_to, e->to, e->n_to)) != LSN_OK ||
	    (rv = dup_strv(&it->to_groups, &it->n_to_groups, e->to_groups,
	    e->n_to_groups)) != LSN_OK ||
	    (rv = deliveries(a, e, it)) != LSN_OK)
		goto out;
	if (q != NULL && q->recipient != NULL && q->recipient[0] != '\0' &&
	    !recipient_is(it, q->recipient)) {
		rv = LSN_OK;
		goto out;	/* filtered out */
	}
	rv = open_own(a, e, &it->body.data, &it->body.len, why, sizeof(why));
	if (rv == LSN_ENOMEM)
		goto out;
	it->has_body = rv == LSN_OK;
	if (rv != LSN_OK && (rv = dup_str(&it->body_error, why)) != LSN_OK)
		goto out;
	if (full && (it->envelope = liaison__v1__signed_envelope__unpack(
	    NULL, len, buf)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	*itp = it;
	it = NULL;
	rv = LSN_OK;
 out:
	outbox_item_free(it);
	lsn_envelope_free(&e);
	return (rv);
}

struct fetch_ctx {
	struct agent				*a;
	const Liaison__V1__OutboxListRequest	*q;
	Liaison__V1__OutboxListResponse		*resp;
	Liaison__V1__OutboxItem			*it;
	size_t					 bytes, limit;
};

/* outbox_fetch's one row. */
static int
fetch_row(void *arg, const struct astore_outbox_row *o)
{
	struct fetch_ctx	*x = arg;
	int			 rv;

	rv = item_from_row(x->a, o, 1, NULL, &x->it);
	return (rv != LSN_OK ? rv : 1);
}

int
outbox_fetch(struct agent *a, const uint8_t *msgid, size_t len,
    Liaison__V1__OutboxItem **itemp)
{
	struct fetch_ctx	x;
	int			rv;

	*itemp = NULL;
	memset(&x, 0, sizeof(x));
	x.a = a;
	rv = astore_outbox_get(a, msgid, len, fetch_row, &x);
	*itemp = x.it;
	if (rv == LSN_OK && *itemp == NULL)
		rv = LSN_EPROTO;	/* a row that does not parse */
	return (rv);
}

/* outbox_list's rows, until the count or the bytes are reached. */
static int
list_row(void *arg, const struct astore_outbox_row *o)
{
	struct fetch_ctx	*x = arg;
	Liaison__V1__OutboxItem	*it;
	int			 rv;

	if (x->resp->n_items >= x->limit || x->bytes >= AGENT_LIST_BYTES_MAX)
		return (1);
	if ((rv = item_from_row(x->a, o, 0, x->q, &it)) != LSN_OK)
		return (rv);
	if (it == NULL)
		return (0);
	x->bytes += it->body.len + 256;
	x->resp->items[x->resp->n_items++] = it;
	return (0);
}

/*
 * Sent items after q->after_seq in outbox order, filtered (the table
 * keeps the signed bytes only, so filters apply after parsing), up to
 * q->limit items or about AGENT_LIST_BYTES_MAX bytes of bodies.
 */
int
outbox_list(struct agent *a, const Liaison__V1__OutboxListRequest *q,
    Liaison__V1__OutboxListResponse *resp)
{
	struct fetch_ctx	x;
	int			rv;

	memset(&x, 0, sizeof(x));
	x.a = a;
	x.q = q;
	x.resp = resp;
	x.limit = q->has_limit && q->limit != 0 ? q->limit :
	    AGENT_LIST_DEFAULT;
	if (x.limit > AGENT_LIST_MAX)
		x.limit = AGENT_LIST_MAX;
	resp->items = NULL;
	resp->n_items = 0;
	if ((resp->items = calloc(x.limit, sizeof(*resp->items))) == NULL)
		return (LSN_ENOMEM);
	rv = astore_outbox_after(a, q->has_after_seq ? (int64_t) q->after_seq :
	    0, list_row, &x);
	if (rv != LSN_OK)
		outbox_list_free(resp);
	return (rv);
}
