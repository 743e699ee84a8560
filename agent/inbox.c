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
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "INSERT INTO quarantine(received_ms,"
	    " seq, code, detail, signed) VALUES(?, ?, ?, ?, ?)", &s)) !=
	    LSN_OK)
		return (rv);
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, (sqlite3_int64) seq) != SQLITE_OK ||
	    sqlite3_bind_int(s, 3, code) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, detail, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (buf != NULL ? sqlite3_bind_blob(s, 5, buf, (int) len,
	    SQLITE_STATIC) : sqlite3_bind_null(s, 5)) != SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv == LSN_OK && lsn_log_ratelimit("quarantine", 20))
		log_auth("delivery seq %llu quarantined: %s: %s",
		    (unsigned long long) seq, lsn_errname(code), detail);
	return (rv);
}

/* 1 if message_id is in the ledger, 0 if not, < 0 on error. */
static int
seen(struct agent *a, const uint8_t *id, size_t len)
{
	sqlite3_stmt	*s;
	int		 rv, r;

	if ((rv = lsn_store_stmt(a->st,
	    "SELECT 1 FROM seen WHERE message_id = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, id, (int) len, SQLITE_STATIC) !=
	    SQLITE_OK)
		return (LSN_EDB);
	r = sqlite3_step(s);
	rv = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

static int	mark_seen(struct agent *a, const Liaison__V1__Envelope *e);

static int
store_message(struct agent *a, uint64_t seq, const Liaison__V1__Envelope *e,
    const uint8_t *buf, size_t len, const uint8_t *body, size_t bodylen)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "INSERT INTO inbox(message_id, "
	    "sender, type, created_ms, received_ms, signed, body, priority, "
	    "tlp, seq) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, e->message_id.data,
	    (int) e->message_id.len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, e->sender, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(s, 3, e->has_type ? (int) e->type : 0) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, (sqlite3_int64) e->created_ms) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob(s, 6, buf, (int) len, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    (body != NULL ? sqlite3_bind_blob(s, 7, body, (int) bodylen,
	    SQLITE_STATIC) : sqlite3_bind_null(s, 7)) != SQLITE_OK ||
	    sqlite3_bind_int(s, 8, e->has_priority ? (int) e->priority : 0) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(s, 9, e->handling != NULL &&
	    e->handling->has_tlp ? (int) e->handling->tlp : 0) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 10, (sqlite3_int64) seq) != SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv != LSN_OK)
		return (rv);
	return (mark_seen(a, e));
}

/* Records message_id in the permanent dedup ledger. */
static int
mark_seen(struct agent *a, const Liaison__V1__Envelope *e)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st,
	    "INSERT INTO seen(message_id) VALUES(?)", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, e->message_id.data,
	    (int) e->message_id.len, SQLITE_STATIC) != SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
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

static int
count(struct agent *a, const char *sql, uint64_t *out)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, sql, &s)) != LSN_OK)
		return (rv);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out = (uint64_t) sqlite3_column_int64(s, 0);
		rv = LSN_OK;
	} else
		rv = LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

int
inbox_counts(struct agent *a, uint64_t *total, uint64_t *unacked,
    uint64_t *quarantined)
{
	int	rv;

	if ((rv = count(a, "SELECT count(*) FROM inbox", total)) != LSN_OK ||
	    (rv = count(a, "SELECT count(*) FROM inbox WHERE acked = 0",
	    unacked)) != LSN_OK ||
	    (rv = count(a, "SELECT count(*) FROM quarantine", quarantined)) !=
	    LSN_OK)
		return (rv);
	return (LSN_OK);
}

#define ITEM_COLS "local_seq, message_id, sender, type, created_ms, " \
	"received_ms, acked, read, actioned, body, priority, tlp, signed"

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
dup_blob(sqlite3_stmt *s, int col, ProtobufCBinaryData *b)
{
	const void	*p = sqlite3_column_blob(s, col);
	int		 n = sqlite3_column_bytes(s, col);

	b->data = NULL;
	b->len = 0;
	if (p == NULL || n <= 0)
		return (LSN_OK);
	if ((b->data = malloc((size_t) n)) == NULL)
		return (LSN_ENOMEM);
	memcpy(b->data, p, (size_t) n);
	b->len = (size_t) n;
	return (LSN_OK);
}

static int
item_from_row(sqlite3_stmt *s, int full, Liaison__V1__InboxItem **out)
{
	Liaison__V1__InboxItem	*it;
	const char		*snd;
	int			 rv;

	if ((it = malloc(sizeof(*it))) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__inbox_item__init(it);
	it->has_local_seq = 1;
	it->local_seq = (uint64_t) sqlite3_column_int64(s, 0);
	if ((rv = dup_blob(s, 1, &it->message_id)) != LSN_OK)
		goto out;
	it->has_message_id = 1;
	snd = (const char *) sqlite3_column_text(s, 2);
	if ((it->sender = strdup(snd != NULL ? snd : "")) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	it->has_type = 1;
	it->type = sqlite3_column_int(s, 3);
	it->has_created_ms = 1;
	it->created_ms = (uint64_t) sqlite3_column_int64(s, 4);
	it->has_received_ms = 1;
	it->received_ms = (uint64_t) sqlite3_column_int64(s, 5);
	it->has_acked = 1;
	it->acked = sqlite3_column_int(s, 6) != 0;
	it->has_read = 1;
	it->read = sqlite3_column_int(s, 7) != 0;
	it->has_actioned = 1;
	it->actioned = sqlite3_column_int(s, 8) != 0;
	if (sqlite3_column_type(s, 9) != SQLITE_NULL) {
		if ((rv = dup_blob(s, 9, &it->body)) != LSN_OK)
			goto out;
		it->has_body = 1;
	}
	if (sqlite3_column_int(s, 10) != 0) {
		it->has_priority = 1;
		it->priority = sqlite3_column_int(s, 10);
	}
	if (sqlite3_column_int(s, 11) != 0) {
		it->has_tlp = 1;
		it->tlp = sqlite3_column_int(s, 11);
	}
	if (full) {
		const void *p = sqlite3_column_blob(s, 12);
		int n = sqlite3_column_bytes(s, 12);

		if (p != NULL && n > 0 && (it->envelope =
		    liaison__v1__signed_envelope__unpack(NULL, (size_t) n,
		    p)) == NULL) {
			rv = LSN_EDB;
			goto out;
		}
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
int
inbox_list(struct agent *a, const struct api_waiter *q,
    Liaison__V1__InboxListResponse *resp)
{
	sqlite3_stmt	*s;
	size_t		 bytes = 0, n = 0;
	int		 rv, r;

	resp->items = NULL;
	resp->n_items = 0;
	if ((rv = lsn_store_stmt(a->st, "SELECT " ITEM_COLS " FROM inbox "
	    "WHERE local_seq > ?1 AND (?2 != 0 OR acked = 0) AND "
	    "(?3 = 0 OR type = ?3) AND (?4 IS NULL OR sender = ?4) AND "
	    "received_ms >= ?5 AND (?7 = 0 OR "
	    "(?7 = 1 AND read = 0 AND actioned = 0) OR "
	    "(?7 = 2 AND read != 0 AND actioned = 0) OR "
	    "(?7 = 3 AND actioned != 0)) ORDER BY local_seq LIMIT ?6", &s)) !=
	    LSN_OK)
		return (rv);
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64) q->after_seq) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(s, 2, q->include_acked) != SQLITE_OK ||
	    sqlite3_bind_int(s, 3, q->type) != SQLITE_OK ||
	    (q->sender[0] != '\0' ? sqlite3_bind_text(s, 4, q->sender, -1,
	    SQLITE_STATIC) : sqlite3_bind_null(s, 4)) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, (sqlite3_int64) q->since_ms) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(s, 6, (int) q->limit) != SQLITE_OK ||
	    sqlite3_bind_int(s, 7, q->state) != SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	if ((resp->items = calloc(q->limit ? q->limit : 1,
	    sizeof(*resp->items))) == NULL) {
		sqlite3_reset(s);
		return (LSN_ENOMEM);
	}
	while (n < q->limit && bytes < AGENT_LIST_BYTES_MAX &&
	    (r = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rv = item_from_row(s, 0, &resp->items[n])) != LSN_OK)
			goto out;
		bytes += resp->items[n]->body.len + 128;
		n++;
		resp->n_items = n;
	}
	rv = LSN_OK;
 out:
	sqlite3_reset(s);
	if (rv != LSN_OK)
		inbox_list_free(resp);
	return (rv);
}

int
inbox_fetch(struct agent *a, const uint8_t *msgid, size_t len,
    Liaison__V1__InboxItem **itemp)
{
	sqlite3_stmt	*s;
	int		 rv, r;

	if ((rv = lsn_store_stmt(a->st, "SELECT " ITEM_COLS " FROM inbox "
	    "WHERE message_id = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, msgid, (int) len, SQLITE_STATIC) !=
	    SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		rv = item_from_row(s, 1, itemp);
	else
		rv = r == SQLITE_DONE ? LSN_ENOENT : LSN_EDB;
	sqlite3_reset(s);
	if (rv == LSN_OK && (rv = inbox_fetch_forward(a, *itemp)) != LSN_OK) {
		inbox_item_free(*itemp);
		*itemp = NULL;
	}
	return (rv);
}

int
inbox_mark(struct agent *a, const uint8_t *msgid, size_t len, int stage)
{
	sqlite3_stmt	*s;
	const char	*sql;
	int		 rv;

	switch (stage) {
	case LIAISON__V1__MARK_STAGE__MARK_ACKED:
		sql = "UPDATE inbox SET acked = 1 WHERE message_id = ?";
		break;
	case LIAISON__V1__MARK_STAGE__MARK_READ:
		sql = "UPDATE inbox SET read = 1 WHERE message_id = ?";
		break;
	case LIAISON__V1__MARK_STAGE__MARK_ACTIONED:
		sql = "UPDATE inbox SET actioned = 1 WHERE message_id = ?";
		break;
	default:
		return (LSN_EINVAL);
	}
	if ((rv = lsn_store_stmt(a->st, sql, &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, msgid, (int) len, SQLITE_STATIC) !=
	    SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv == LSN_OK && sqlite3_changes(lsn_store_db(a->st)) == 0)
		rv = LSN_ENOENT;
	if (rv != LSN_OK || stage == LIAISON__V1__MARK_STAGE__MARK_ACKED)
		return (rv);
	/* READ / ACTIONED: a signed receipt to the sender (once) */
	if ((rv = lsn_store_stmt(a->st, "SELECT signed FROM inbox WHERE "
	    "message_id = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, msgid, (int) len, SQLITE_STATIC) !=
	    SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		size_t	 n = (size_t) sqlite3_column_bytes(s, 0);
		uint8_t	*cp = malloc(n ? n : 1);

		if (cp != NULL && n)
			memcpy(cp, sqlite3_column_blob(s, 0), n);
		sqlite3_reset(s);
		if (cp == NULL)
			return (LSN_ENOMEM);
		if (rcpt_send_for(a, cp, n, stage ==
		    LIAISON__V1__MARK_STAGE__MARK_READ ?
		    LIAISON__V1__RECEIPT_STAGE__RECEIPT_READ :
		    LIAISON__V1__RECEIPT_STAGE__RECEIPT_ACTIONED) != LSN_OK)
			log_warnx("receipt not sent");
		free(cp);
	} else
		sqlite3_reset(s);
	return (LSN_OK);
}
