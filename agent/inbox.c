/*
 * inbox.c -- deliveries from the broker: verification against the local
 * replica, the inbox with its permanent message_id ledger (seen), the
 * quarantine for refused deliveries, the delivery cursor, and the inbox
 * queries of the local API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/seal.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"
#include "replica.h"

int
inbox_cursor_load(struct agent *a)
{
	char		v[32];
	uint64_t	c;
	int		rv;

	rv = agent_state_get(a, "delivery_cursor", v, sizeof(v));
	if (rv == LSN_ENOENT) {
		a->cursor = 0;
		return (LSN_OK);
	}
	if (rv != LSN_OK)
		return (rv);
	if (lsn_strtou64(v, 0, UINT64_MAX, &c) != LSN_OK)
		return (LSN_EDB);
	a->cursor = c;
	return (LSN_OK);
}

/*
 * Writes the delivery cursor the turn advanced (inbox_on_deliver), inside
 * the turn's transaction: one UPDATE per turn instead of one per Deliver.
 * A turn that rolls back reloads it (inbox_cursor_load).
 */
int
inbox_cursor_save(struct agent *a)
{
	char	v[32];
	int	rv;

	if (!a->cursor_dirty)
		return (LSN_OK);
	snprintf(v, sizeof(v), "%llu", (unsigned long long) a->cursor);
	if ((rv = agent_state_set(a, "delivery_cursor", v)) == LSN_OK)
		a->cursor_dirty = 0;
	return (rv);
}

/* Finds the public key of (partner, key_id) in the replica, any validity. */
int
inbox_find_sign_pk(struct agent *a, const char *partner, const char *key_id,
    uint8_t pk[LSN_PK_BYTES])
{
	Liaison__V1__Partner	*p = NULL;
	int			 rv;

	rv = lsn_dir_partner_get(a->dir, partner, &p);
	if (rv == LSN_ENOENT)
		return (LSN_EUNKNOWNSENDER);
	if (rv != LSN_OK)
		return (rv);
	rv = LSN_EUNKNOWNKEY;
	for (size_t i = 0; i < p->n_keys; i++) {
		const Liaison__V1__KeyRecord *k = p->keys[i];

		if (k->key_id == NULL || strcmp(k->key_id, key_id) != 0)
			continue;
		if (!k->has_purpose || k->purpose != LIAISON__V1__KEY_PURPOSE__KEY_SIGN ||
		    !k->has_public_key || k->public_key.len != LSN_PK_BYTES)
			break;
		memcpy(pk, k->public_key.data, LSN_PK_BYTES);
		rv = LSN_OK;
		break;
	}
	lsn_dir_partner_free(&p);
	return (rv);
}

static void
push_ack(struct agent *a, uint64_t seq, int code, const char *detail)
{
	struct deliver_ack	*k;

	if (a->nacks >= AGENT_ACKS_MAX) {
		/* not acked now: redelivered after the next Hello */
		return;
	}
	k = &a->acks[a->nacks++];
	k->seq = seq;
	k->code = code;
	lsn_strlcpy(k->detail, detail != NULL ? detail : "",
	    sizeof(k->detail));
}

static int
quarantine(struct agent *a, uint64_t seq, int code, const char *detail,
    const uint8_t *buf, size_t len)
{
	int	rv;

	rv = astore_quarantine_add(a, (int64_t) lsn_now_ms(), (int64_t) seq,
	    code, detail, buf, len);
	if (rv == LSN_OK && lsn_log_ratelimit("quarantine", 20))
		log_auth("delivery seq %llu quarantined: %s: %s",
		    (unsigned long long) seq, lsn_errname(code), detail);
	return (rv);
}

/* 1 if message_id is in the ledger, 0 if not, < 0 on error. */
static int
seen(struct agent *a, const uint8_t *id, size_t len)
{
	return (astore_seen(a, id, len));
}

static int	mark_seen(struct agent *a, const Liaison__V1__Envelope *e);

static int
store_message(struct agent *a, uint64_t seq, const Liaison__V1__Envelope *e,
    const uint8_t *buf, size_t len, const uint8_t *body, size_t bodylen)
{
	struct astore_inbox_new	m;
	int			rv;

	memset(&m, 0, sizeof(m));
	m.msgid = e->message_id.data;
	m.msgid_len = e->message_id.len;
	m.sender = e->sender;
	m.type = e->has_type ? (int) e->type : 0;
	m.created_ms = (int64_t) e->created_ms;
	m.received_ms = (int64_t) lsn_now_ms();
	m.signed_env = buf;
	m.signed_len = len;
	/* a plain body is read from the stored envelope (astore_inbox.c):
	 * only an opened sealed one is stored apart */
	if (e->sealed != NULL) {
		m.body = body;
		m.body_len = bodylen;
	}
	m.priority = e->has_priority ? (int) e->priority : 0;
	m.tlp = e->handling != NULL && e->handling->has_tlp ?
	    (int) e->handling->tlp : 0;
	m.seq = (int64_t) seq;
	if ((rv = astore_inbox_add(a, &m)) != LSN_OK)
		return (rv);
	return (mark_seen(a, e));
}

/* Records message_id in the permanent dedup ledger. */
static int
mark_seen(struct agent *a, const Liaison__V1__Envelope *e)
{
	return (astore_seen_add(a, e->message_id.data, e->message_id.len));
}

/* 1 if sb carries a SealedKey for partner. */
static int
sealed_for(const Liaison__V1__SealedBody *sb, const char *partner)
{
	for (size_t i = 0; i < sb->n_keys; i++)
		if (sb->keys[i] != NULL && sb->keys[i]->partner != NULL &&
		    strcmp(sb->keys[i]->partner, partner) == 0)
			return (1);
	return (0);
}

/*
 * Opens a sealed body with our encryption key, and during a key rotation
 * (docs/operations.md 7) with the previous or the next one: keys_dir's
 * encrypt.prev.key (the old key, kept after the swap until every message
 * sealed to it is delivered) and encrypt.next.key (the new key, before
 * the swap, for senders whose replica already has it). They are read
 * only when the body is not sealed to the current key.
 */
int
inbox_unseal(struct agent *a, const Liaison__V1__SealedBody *sb,
    const uint8_t *ad, size_t adlen, uint8_t **pt, size_t *ptlen)
{
	static const char *const extra[] = { "encrypt.prev.key",
	    "encrypt.next.key" };
	struct lsn_keypair	*kp = NULL;
	char			 path[AGENT_PATH_MAX + 32];
	int			 rv, r;

	rv = lsn_unseal(sb, ad, adlen, a->conf.partner, a->encrypt_kp, pt,
	    ptlen);
	for (size_t i = 0; rv == LSN_EUNSEAL && i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", a->conf.keys_dir,
		    extra[i]);
		if ((r = lsn_keypair_load(path, &kp)) != LSN_OK) {
			if (r != LSN_ENOENT &&
			    lsn_log_ratelimit("rotation-key", 60))
				log_warnx("%s: %s", path, lsn_strerror(r));
			continue;
		}
		if (kp->kind == LSN_KEY_ENCRYPT)
			rv = lsn_unseal(sb, ad, adlen, a->conf.partner, kp, pt,
			    ptlen);
		lsn_keypair_destroy(&kp);
	}
	return (rv);
}

/*
 * The plaintext body of a verified envelope: unsealed with our encryption
 * key when sealed (LSN_EUNSEAL if it is not addressed to us or does not
 * authenticate), then validated for its type with the same rules as on
 * submit. On success *bodyp is a malloc'd copy (wiped and freed by the
 * caller). On failure detail names the reason; LSN_ENOMEM is local.
 */
int
inbox_open_body(struct agent *a, const Liaison__V1__Envelope *e,
    uint8_t **bodyp, size_t *lenp, char *detail, size_t detailsz)
{
	uint8_t		 ad[LSN_SEAL_AD_MAX], *pt = NULL;
	size_t		 adlen, ptlen = 0;
	const char	*field = NULL;
	int		 rv;

	if (e->sealed != NULL) {
		if (a->encrypt_kp == NULL) {
			rv = LSN_EUNSEAL;
			snprintf(detail, detailsz, "sealed body and no "
			    "encryption key loaded");
			goto out;
		}
		if (!sealed_for(e->sealed, a->conf.partner)) {
			/* e.g. a group message sealed by a sender whose
			 * replica did not list us in the group yet */
			rv = LSN_EUNSEAL;
			snprintf(detail, detailsz, "sealed body from %s not "
			    "sealed for us (%s; the sender's directory rev "
			    "%llu)", e->sender, e->n_to_groups > 0 ?
			    "sent to a group whose members the sender's "
			    "replica listed without us" : "not a named "
			    "recipient", e->dir_head != NULL ?
			    (unsigned long long) e->dir_head->rev : 0ULL);
			goto out;
		}
		if ((rv = lsn_seal_ad_env(e, ad, &adlen)) != LSN_OK ||
		    (rv = inbox_unseal(a, e->sealed, ad, adlen, &pt,
		    &ptlen)) != LSN_OK) {
			if (rv != LSN_ENOMEM)
				rv = LSN_EUNSEAL;
			snprintf(detail, detailsz, "sealed body from %s does "
			    "not open for us", e->sender);
			goto out;
		}
	} else {
		ptlen = e->has_body ? e->body.len : 0;
		if ((pt = malloc(ptlen ? ptlen : 1)) == NULL) {
			rv = LSN_ENOMEM;
			goto out;
		}
		if (ptlen)
			memcpy(pt, e->body.data, ptlen);
	}
	if ((rv = lsn_body_validate(e->has_type ? (int) e->type : 0, pt,
	    ptlen, lsn_now_ms(), &field)) != LSN_OK) {
		if (rv == LSN_ENOMEM)
			goto out;
		snprintf(detail, detailsz, "invalid %s body from %s: %s (%s)",
		    lsn_envelope_type_name(e->has_type ? (int) e->type : 0),
		    e->sender, lsn_strerror(rv), field != NULL ? field : "-");
		goto out;
	}
	*bodyp = pt;
	*lenp = ptlen;
	pt = NULL;
	rv = LSN_OK;
 out:
	if (pt != NULL) {
		sodium_memzero(pt, ptlen);
		free(pt);
	}
	return (rv);
}

/*
 * One Deliver: verify, store (or find a duplicate) or quarantine, advance
 * the cursor, and queue the DeliverAck for after the COMMIT. A local
 * error marks the turn failed (nothing acked, redelivered later).
 * Over 80 lines: one turn's steps in the order its COMMIT needs.
 */
int
inbox_on_deliver(struct agent *a, const Liaison__V1__Deliver *d)
{
	Liaison__V1__Envelope	*env = NULL;
	char			 detail[AGENT_DETAIL_MAX];
	uint8_t			*buf = NULL, *body = NULL;
	size_t			 len = 0, bodylen = 0;
	int			 rv, code;

	if (!d->has_seq || d->seq == 0) {
		if (lsn_log_ratelimit("deliver", 10))
			log_warnx("Deliver without seq dropped");
		return (LSN_EPROTO);
	}
	detail[0] = '\0';
	if (d->envelope == NULL) {
		code = LSN_EPROTO;
		snprintf(detail, sizeof(detail), "Deliver without envelope");
	} else if ((len = liaison__v1__signed_envelope__get_packed_size(
	    d->envelope)) > LSN_MSG_MAX) {
		code = LSN_ETOOBIG;
		snprintf(detail, sizeof(detail), "envelope of %zu bytes", len);
	} else {
		if ((buf = malloc(len ? len : 1)) == NULL) {
			rv = LSN_ENOMEM;
			goto fail;
		}
		liaison__v1__signed_envelope__pack(d->envelope, buf);
		code = inbox_gate(a, buf, len, &env, detail, sizeof(detail));
		replica_on_refused(a, code);
		if (code == LSN_OK)
			code = inbox_open_body(a, env, &body, &bodylen, detail,
			    sizeof(detail));
		/* a forward: the inner envelope through the gate too */
		if (code == LSN_OK && env->has_forwarded)
			code = inbox_forward(a, env, body, bodylen, NULL,
			    NULL, NULL, detail, sizeof(detail));
		if (code == LSN_EDB || code == LSN_ENOMEM) {
			rv = code;
			goto fail;
		}
	}
	if (code == LSN_OK) {
		rv = seen(a, env->message_id.data, env->message_id.len);
		if (rv < 0)
			goto fail;
		/* workflow rules, once per message (not for duplicates) */
		if (rv == 0 && env->type ==
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT) {
			code = rcpt_on_receive(a, env, body, bodylen, detail,
			    sizeof(detail));
			if (code == RCPT_CONSUMED) {
				if ((rv = mark_seen(a, env)) != LSN_OK)
					goto fail;
				code = LSN_OK;
				rv = 1;	/* not an inbox item */
			}
		} else if (rv == 0) {
			code = wf_on_receive(a, env, buf, len, body, bodylen,
			    detail, sizeof(detail));
			/* the thread's marking, for our replies */
			if (code == LSN_OK)
				code = wfmark_note(a, (int) env->type, body,
				    bodylen, (int) env->handling->tlp);
		}
		if (code == LSN_EDB || code == LSN_ENOMEM) {
			rv = code;
			goto fail;
		}
	}
	if (code != LSN_OK) {
		if ((rv = quarantine(a, d->seq, code, detail, buf, len)) !=
		    LSN_OK)
			goto fail;
		ametrics_refusal(a, "inbox", code);
		/* a verified envelope whose body no key of ours opens: the
		 * sender gets a signed "undeliverable", not silence */
		if (code == LSN_EUNSEAL && env != NULL && env->type !=
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT) {
			rv = rcpt_send_for(a, buf, len,
			    LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE);
			if (rv == LSN_EDB || rv == LSN_ENOMEM)
				goto fail;
		}
		/* a refused forward is the sender's doing: the integrator
		 * sees it as an event, the operator in status */
		if (code == LSN_EFORWARD && env != NULL &&
		    (rv = agent_event(a, "forward-refused",
		    env->message_id.data, NULL, env->sender, detail)) !=
		    LSN_OK)
			goto fail;
	} else {
		if (rv == 0) {
			if ((rv = store_message(a, d->seq, env, buf, len,
			    body, bodylen)) != LSN_OK)
				goto fail;
			a->inbox_added = 1;
			ametrics_msg(a, 1, (int) env->type, env->has_priority ?
			    (int) env->priority : 0);
			replica_peer_head(a, env->sender, env->dir_head);
			if ((rv = agent_event(a, "message",
			    env->message_id.data, NULL, env->sender,
			    lsn_envelope_type_name((int) env->type))) !=
			    LSN_OK)
				goto fail;
			/* the DELIVERED receipt: batched, signed at the
			 * turn's end (rcpt_batch.c) */
			if ((rv = rcpt_delivered(a, env,
			    d->envelope->envelope.data,
			    d->envelope->envelope.len)) == LSN_EDB ||
			    rv == LSN_ENOMEM)
				goto fail;
			log_debug("stored message from %s (seq %llu)",
			    env->sender, (unsigned long long) d->seq);
		} else
			log_debug("duplicate delivery seq %llu",
			    (unsigned long long) d->seq);
		detail[0] = '\0';
	}
	/* written once per turn, before its COMMIT (inbox_cursor_save) */
	if (d->seq > a->cursor) {
		a->cursor = d->seq;
		a->cursor_dirty = 1;
	}
	push_ack(a, d->seq, code, detail);
	rv = LSN_OK;
	goto out;
 fail:
	log_warnx("%s: cannot store delivery seq %llu: %s", __func__,
	    (unsigned long long) d->seq, lsn_strerror(rv));
	a->tx_failed = 1;
 out:
	if (body != NULL) {
		sodium_memzero(body, bodylen);
		free(body);
	}
	lsn_envelope_free(&env);
	free(buf);
	return (rv);
}


int
inbox_counts(struct agent *a, uint64_t *total, uint64_t *unacked,
    uint64_t *quarantined)
{
	int64_t	t, u, q;
	int	rv;

	if ((rv = astore_inbox_counts(a, &t, &u, &q)) != LSN_OK)
		return (rv);
	*total = (uint64_t) t;
	*unacked = (uint64_t) u;
	*quarantined = (uint64_t) q;
	return (LSN_OK);
}


void
inbox_item_free(Liaison__V1__InboxItem *it)
{
	if (it == NULL)
		return;
	free(it->message_id.data);
	free(it->sender);
	free(it->body.data);
	if (it->forwarded_body.data != NULL) {
		sodium_memzero(it->forwarded_body.data, it->forwarded_body.len);
		free(it->forwarded_body.data);
	}
	if (it->forwarded != NULL)
		liaison__v1__signed_envelope__free_unpacked(it->forwarded,
		    NULL);
	if (it->envelope != NULL)
		liaison__v1__signed_envelope__free_unpacked(it->envelope, NULL);
	free(it);
}

static int
dup_blob(const uint8_t *p, size_t n, ProtobufCBinaryData *b)
{
	b->data = NULL;
	b->len = 0;
	if (p == NULL || n == 0)
		return (LSN_OK);
	if ((b->data = malloc(n)) == NULL)
		return (LSN_ENOMEM);
	memcpy(b->data, p, n);
	b->len = n;
	return (LSN_OK);
}

static int
item_from_row(const struct astore_inbox_row *r, int full,
    Liaison__V1__InboxItem **out)
{
	Liaison__V1__InboxItem	*it;
	int			 rv;

	if ((it = malloc(sizeof(*it))) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__inbox_item__init(it);
	it->has_local_seq = 1;
	it->local_seq = (uint64_t) r->local_seq;
	if ((rv = dup_blob(r->msgid, r->msgid_len, &it->message_id)) !=
	    LSN_OK)
		goto out;
	it->has_message_id = 1;
	if ((it->sender = strdup(r->sender != NULL ? r->sender : "")) ==
	    NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	it->has_type = 1;
	it->type = r->type;
	it->has_created_ms = 1;
	it->created_ms = (uint64_t) r->created_ms;
	it->has_received_ms = 1;
	it->received_ms = (uint64_t) r->received_ms;
	it->has_acked = 1;
	it->acked = r->acked;
	it->has_read = 1;
	it->read = r->read;
	it->has_actioned = 1;
	it->actioned = r->actioned;
	if (r->has_body) {
		if ((rv = dup_blob(r->body, r->body_len, &it->body)) != LSN_OK)
			goto out;
		it->has_body = 1;
	}
	if (r->priority != 0) {
		it->has_priority = 1;
		it->priority = r->priority;
	}
	if (r->tlp != 0) {
		it->has_tlp = 1;
		it->tlp = r->tlp;
	}
	if (full && r->signed_env != NULL && r->signed_len > 0 &&
	    (it->envelope = liaison__v1__signed_envelope__unpack(NULL,
	    r->signed_len, r->signed_env)) == NULL) {
		rv = LSN_EDB;
		goto out;
	}
	*out = it;
	it = NULL;
	rv = LSN_OK;
 out:
	inbox_item_free(it);
	return (rv);
}

void
inbox_list_free(Liaison__V1__InboxListResponse *resp)
{
	for (size_t i = 0; i < resp->n_items; i++)
		inbox_item_free(resp->items[i]);
	free(resp->items);
	resp->items = NULL;
	resp->n_items = 0;
}

/*
 * Lists inbox items by local_seq with q's filters (limit already bounded
 * by the caller; q->state an InboxState, 0 = any, checked by the caller:
 * UNREAD = neither read nor actioned, READ = read and not actioned,
 * ACTIONED = actioned), bodies included, at most AGENT_LIST_BYTES_MAX bytes of
 * bodies. resp->items is allocated (inbox_list_free).
 */
struct list_ctx {
	Liaison__V1__InboxListResponse	*resp;
	size_t				 limit, bytes;
	Liaison__V1__InboxItem		*it;	/* inbox_fetch */
};

/* inbox_list's rows, until the count or the bytes are reached. */
static int
list_row(void *arg, const struct astore_inbox_row *r)
{
	struct list_ctx	*x = arg;
	size_t		 n = x->resp->n_items;
	int		 rv;

	if (n >= x->limit || x->bytes >= AGENT_LIST_BYTES_MAX)
		return (1);
	if ((rv = item_from_row(r, 0, &x->resp->items[n])) != LSN_OK)
		return (rv);
	x->bytes += x->resp->items[n]->body.len + 128;
	x->resp->n_items = n + 1;
	return (0);
}

int
inbox_list(struct agent *a, const struct api_waiter *q,
    Liaison__V1__InboxListResponse *resp)
{
	struct astore_inbox_filter	f;
	struct list_ctx			x;
	int				rv;

	resp->items = NULL;
	resp->n_items = 0;
	memset(&f, 0, sizeof(f));
	f.after_seq = (int64_t) q->after_seq;
	f.include_acked = q->include_acked;
	f.type = q->type;
	f.sender = q->sender[0] != '\0' ? q->sender : NULL;
	f.since_ms = (int64_t) q->since_ms;
	f.state = q->state;
	f.limit = (int64_t) q->limit;
	if ((resp->items = calloc(q->limit ? q->limit : 1,
	    sizeof(*resp->items))) == NULL)
		return (LSN_ENOMEM);
	memset(&x, 0, sizeof(x));
	x.resp = resp;
	x.limit = q->limit;
	if ((rv = astore_inbox_list(a, &f, list_row, &x)) != LSN_OK)
		inbox_list_free(resp);
	return (rv);
}

/* inbox_fetch's one row. */
static int
fetch_row(void *arg, const struct astore_inbox_row *r)
{
	struct list_ctx	*x = arg;
	int		 rv;

	rv = item_from_row(r, 1, &x->it);
	return (rv != LSN_OK ? rv : 1);
}

int
inbox_fetch(struct agent *a, const uint8_t *msgid, size_t len,
    Liaison__V1__InboxItem **itemp)
{
	struct list_ctx	x;
	int		rv;

	memset(&x, 0, sizeof(x));
	rv = astore_inbox_get(a, msgid, len, fetch_row, &x);
	*itemp = x.it;
	if (rv != LSN_OK) {
		inbox_item_free(*itemp);
		*itemp = NULL;
		return (rv);
	}
	if ((rv = inbox_fetch_forward(a, *itemp)) != LSN_OK) {
		inbox_item_free(*itemp);
		*itemp = NULL;
	}
	return (rv);
}

int
inbox_mark(struct agent *a, const uint8_t *msgid, size_t len, int stage)
{
	uint8_t	*cp;
	size_t	 n;
	int	 rv, what;

	switch (stage) {
	case LIAISON__V1__MARK_STAGE__MARK_ACKED:
		what = ASTORE_INBOX_ACKED;
		break;
	case LIAISON__V1__MARK_STAGE__MARK_READ:
		what = ASTORE_INBOX_READ;
		break;
	case LIAISON__V1__MARK_STAGE__MARK_ACTIONED:
		what = ASTORE_INBOX_ACTIONED;
		break;
	default:
		return (LSN_EINVAL);
	}
	if ((rv = astore_inbox_mark(a, msgid, len, what)) != LSN_OK ||
	    stage == LIAISON__V1__MARK_STAGE__MARK_ACKED)
		return (rv);
	/* READ / ACTIONED: a signed receipt to the sender (once) */
	if ((rv = astore_inbox_signed(a, msgid, len, &cp, &n)) != LSN_OK)
		return (rv == LSN_ENOMEM ? rv : LSN_OK);	/* marked */
	if (rcpt_send_for(a, cp, n, stage ==
	    LIAISON__V1__MARK_STAGE__MARK_READ ?
	    LIAISON__V1__RECEIPT_STAGE__RECEIPT_READ :
	    LIAISON__V1__RECEIPT_STAGE__RECEIPT_ACTIONED) != LSN_OK)
		log_warnx("receipt not sent");
	free(cp);
	return (LSN_OK);
}
