/*
 * rcpt.c -- signed receipts and the chain of custody.
 *
 * The recipient's agent sends a Receipt (receipt.h) signed with its
 * agency key when it stores a message (DELIVERED) and when the
 * integrator marks it read or actioned (InboxMark): an envelope of type
 * RECEIPT addressed to the original sender, in_reply_to = the message.
 * Receipts are never receipted. The sender's agent verifies each receipt
 * (signature with the signer's key from the replica, signer = the
 * envelope's sender, valid at the receipt's time; the message is one of
 * ours and the envelope hash is the one we signed) and keeps it in
 * `receipts`; it is not an inbox item. A receipt that fails is
 * quarantined like any other refused delivery.
 *
 * The recipient keeps its own signed copy of every receipt it sends in
 * the same table (signer = itself), so both sides can show the chain.
 *
 * Custody (rcpt_custody): the envelope, the receipts for it and, for a
 * referral handoff or an alert, the workflow responses of its thread
 * (every message recorded as a step of that referral_id / alert_id in
 * the events table: acknowledgements, information requests and supplies,
 * accept, decline, redirect, close, withdraw; both directions), each
 * signature verified again when shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/receipt.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent.h"
#include "astore.h"

#define RCPT_ROW_SINGLE	0	/* rcpt_store: a single-form receipt */
#define RCPT_ROW_FIRST	1	/* the first message a batch names */
#define RCPT_ROW_NEXT	2	/* the others */
#define RCPT_ROW(n, i)	((n) == 1 ? RCPT_ROW_SINGLE : (i) == 0 ? \
			    RCPT_ROW_FIRST : RCPT_ROW_NEXT)

/*
 * Keeps a verified SignedReceipt (sr, srlen) for message_id: one row per
 * (message, stage, signer); carrier is the message_id of the envelope
 * that carries it. A receipt naming several messages (batch) is kept
 * once in receipt_signed, its rows holding an empty `signed`: batch is
 * RCPT_ROW_SINGLE, RCPT_ROW_FIRST (the first message of a batch: the
 * bytes are stored with it) or RCPT_ROW_NEXT. All borrowed.
 */
static int
rcpt_store(struct agent *a, const uint8_t *message_id, int stage,
    const char *signer, uint64_t time_ms, const uint8_t *sr, size_t srlen,
    const uint8_t *carrier, int batch)
{
	int	rv;

	if (batch == RCPT_ROW_FIRST && (rv = astore_rcpt_signed_add(a,
	    carrier, sr, srlen)) != LSN_OK)
		return (rv);
	return (astore_rcpt_add(a, message_id, stage, signer,
	    (int64_t) time_ms, sr, batch == RCPT_ROW_SINGLE ? srlen : 0,
	    carrier));
}

/*
 * Records that a receipt of `stage` goes out for message_id: 1 the first
 * time, 0 if one went out before (nothing to send), or an error.
 */
int
rcpt_mark_sent(struct agent *a, const uint8_t message_id[16], int stage)
{
	int	rv, added;

	if ((rv = astore_rcpt_mark_sent(a, message_id, stage, &added)) !=
	    LSN_OK)
		return (rv);
	return (added);
}

/*
 * Signs one receipt of `stage` naming the n (1..LSN_RECEIPT_BATCH_MAX)
 * messages ids[i] / hashes[i] that `to` sent us, queues its carrier
 * envelope in the outbox (sent after the turn's COMMIT) and keeps our
 * signed copy for each message. All borrowed.
 */
int
rcpt_submit(struct agent *a, const char *to, const uint8_t (*ids)[16],
    const uint8_t (*hashes)[LSN_HASH_BYTES], size_t n, int stage)
{
	Liaison__V1__SubmitRequest	 r =
	    LIAISON__V1__SUBMIT_REQUEST__INIT;
	uint8_t				 msgid[16], *sr = NULL;
	size_t				 srlen;
	char				 detail[AGENT_DETAIL_MAX], *tov[1];
	uint64_t			 now = lsn_now_ms();
	int				 rv;

	if ((rv = lsn_receipt_sign_batch(ids, hashes, n, stage, now,
	    a->conf.partner, a->sign_kp, &sr, &srlen)) != LSN_OK)
		goto out;
	tov[0] = (char *) (uintptr_t) to;
	r.n_to = 1;
	r.to = tov;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT;
	r.has_body = 1;
	r.body.data = sr;
	r.body.len = srlen;
	if (n == 1) {
		/* the batch form names many messages: no in_reply_to */
		r.has_in_reply_to = 1;
		r.in_reply_to.data = (uint8_t *) (uintptr_t) ids[0];
		r.in_reply_to.len = 16;
	}
	r.has_priority = 1;
	r.priority = LIAISON__V1__PRIORITY__PRIORITY_P4;
	detail[0] = '\0';
	if ((rv = outbox_submit_flags(a, &r, OUTBOX_F_AGENT, msgid, detail,
	    sizeof(detail))) != LSN_OK) {
		log_warnx("receipt for %s not queued: %s: %s", to,
		    lsn_strerror(rv), detail);
		goto out;
	}
	/* our signed copy: the custody chain at the recipient too */
	for (size_t i = 0; i < n && rv == LSN_OK; i++)
		rv = rcpt_store(a, ids[i], stage, a->conf.partner, now, sr,
		    srlen, msgid, RCPT_ROW(n, i));
 out:
	free(sr);
	return (rv);
}

/*
 * Sends a receipt of `stage` for the SignedEnvelope bytes signed_env (a
 * message we received), once per (message, stage), in the single form.
 * Not for receipts. (DELIVERED receipts go through rcpt_batch.c.)
 */
int
rcpt_send_for(struct agent *a, const uint8_t *signed_env, size_t len,
    int stage)
{
	Liaison__V1__SignedEnvelope	*se = NULL;
	Liaison__V1__Envelope		*env = NULL;
	uint8_t				 h[1][LSN_HASH_BYTES], id[1][16];
	int				 rv;

	if ((se = liaison__v1__signed_envelope__unpack(NULL, len,
	    signed_env)) == NULL || !se->has_envelope ||
	    (env = liaison__v1__envelope__unpack(NULL, se->envelope.len,
	    se->envelope.data)) == NULL || env->sender == NULL ||
	    env->message_id.len != 16) {
		rv = LSN_EPROTO;
		goto out;
	}
	if (env->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT) {
		rv = LSN_OK;
		goto out;
	}
	if ((rv = rcpt_mark_sent(a, env->message_id.data, stage)) <= 0)
		goto out;	/* error, or sent before */
	memcpy(id[0], env->message_id.data, 16);
	lsn_hash(se->envelope.data, se->envelope.len, h[0]);
	rv = rcpt_submit(a, env->sender, (const uint8_t (*)[16]) id,
	    (const uint8_t (*)[LSN_HASH_BYTES]) h, 1, stage);
 out:
	if (env != NULL)
		liaison__v1__envelope__free_unpacked(env, NULL);
	if (se != NULL)
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	return (rv);
}

struct lookup_ctx {
	struct agent	*a;
};

static int
rcpt_lookup(void *arg, const char *signer, const char *key_id,
    uint8_t pk[LSN_PK_BYTES])
{
	struct lookup_ctx	*x = arg;

	return (inbox_find_sign_pk(x->a, signer, key_id, pk));
}

/*
 * A received RECEIPT envelope (verified, body validated): verifies and
 * stores the receipt, single or batch form (one row per message named,
 * each holding the one SignedReceipt); a batch naming any message that
 * is not ours with the hash we signed is refused whole. RCPT_CONSUMED on
 * success, a refusal code (quarantine) otherwise, LSN_EDB / LSN_ENOMEM
 * for local errors.
 */
int
rcpt_on_receive(struct agent *a, const Liaison__V1__Envelope *e,
    const uint8_t *body, size_t len, char *detail, size_t detailsz)
{
	struct lookup_ctx	 x = { a };
	Liaison__V1__Receipt	*rc = NULL;
	const uint8_t		*id, *eh;
	uint8_t			 h[LSN_HASH_BYTES], pk[LSN_PK_BYTES];
	size_t			 n;
	int			 rv;

	if ((rv = lsn_receipt_verify(body, len, rcpt_lookup, &x, &rc)) !=
	    LSN_OK) {
		snprintf(detail, detailsz, "receipt from %s does not verify: "
		    "%s", e->sender, lsn_strerror(rv));
		return (rv == LSN_ENOMEM ? rv : rv == LSN_EDB ? rv :
		    LSN_EBADSIG);
	}
	if (strcmp(rc->recipient, e->sender) != 0) {
		snprintf(detail, detailsz, "receipt signed by %s carried by "
		    "%s", rc->recipient, e->sender);
		rv = LSN_EBADSIG;
		goto out;
	}
	if ((rv = lsn_dir_sign_key(a->dir, rc->recipient, rc->key_id,
	    rc->time_ms, pk)) != LSN_OK) {
		snprintf(detail, detailsz, "receipt key of %s not valid at "
		    "its time: %s", rc->recipient, lsn_strerror(rv));
		goto out;
	}
	/* every message named must be ours, with the hash we signed:
	 * checked for all before anything of the batch is kept */
	n = lsn_receipt_count(rc);
	for (size_t i = 0; i < n; i++) {
		if ((rv = lsn_receipt_item(rc, i, &id, &eh)) != LSN_OK)
			goto out;
		rv = astore_outbox_env_hash(a, id, h);
		if (rv == LSN_ENOENT || (rv == LSN_OK &&
		    memcmp(h, eh, LSN_HASH_BYTES) != 0)) {
			snprintf(detail, detailsz, "receipt from %s for a "
			    "message we did not send", e->sender);
			rv = LSN_EINVAL;
			goto out;
		}
		if (rv != LSN_OK)
			goto out;
	}
	for (size_t i = 0; i < n && rv == LSN_OK; i++) {
		if ((rv = lsn_receipt_item(rc, i, &id, &eh)) != LSN_OK)
			break;
		rv = rcpt_store(a, id, (int) rc->stage, rc->recipient,
		    rc->time_ms, body, len, e->message_id.data,
		    RCPT_ROW(n, i));
		if (rv == LSN_OK && rc->stage ==
		    LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE)
			rv = outbox_undeliverable(a, id, rc->recipient);
		if (rv == LSN_OK)
			rv = wf_on_receipt(a, id, rc->recipient,
			    (int) rc->stage);
		if (rv == LSN_OK)
			rv = agent_event(a, "receipt", id, NULL,
			    rc->recipient, lsn_receipt_stage_name(
			    (int) rc->stage));
	}
	if (rv == LSN_OK)
		rv = RCPT_CONSUMED;
 out:
	lsn_receipt_free(&rc);
	return (rv);
}

/* ---- custody ---- */

void
rcpt_custody_free(Liaison__V1__CustodyResponse *out)
{
	for (size_t i = 0; i < out->n_events; i++) {
		Liaison__V1__CustodyEvent *ev = out->events[i];

		if (ev == NULL)
			continue;
		free(ev->kind);
		free(ev->signer);
		free(ev->key_id);
		free(ev->stage);
		free(ev->signed_.data);
		free(ev->message_id.data);
		free(ev);
	}
	free(out->events);
	free(out->direction);
	free(out->message_id.data);
	memset(out, 0, sizeof(*out));
	liaison__v1__custody_response__init(out);
}

static int
dup_bytes(ProtobufCBinaryData *d, const void *p, size_t n)
{
	if ((d->data = malloc(n ? n : 1)) == NULL)
		return (LSN_ENOMEM);
	if (n)
		memcpy(d->data, p, n);
	d->len = n;
	return (LSN_OK);
}

static int
add_event(Liaison__V1__CustodyResponse *out, size_t cap, const char *kind,
    const char *signer, const char *key_id, uint64_t time_ms,
    const char *stage, int verified, const void *sig, size_t siglen,
    const uint8_t *carrier)
{
	Liaison__V1__CustodyEvent	*ev;

	if (out->n_events >= cap)
		return (LSN_ETOOBIG);
	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__custody_event__init(ev);
	out->events[out->n_events++] = ev;
	if ((ev->kind = strdup(kind)) == NULL ||
	    (ev->signer = strdup(signer != NULL ? signer : "?")) == NULL ||
	    (ev->key_id = strdup(key_id != NULL ? key_id : "?")) == NULL ||
	    (stage != NULL && (ev->stage = strdup(stage)) == NULL) ||
	    dup_bytes(&ev->signed_, sig, siglen) != LSN_OK ||
	    dup_bytes(&ev->message_id, carrier, 16) != LSN_OK)
		return (LSN_ENOMEM);
	ev->has_signed_ = 1;
	ev->has_message_id = 1;
	ev->has_time_ms = 1;
	ev->time_ms = time_ms;
	ev->has_verified = 1;
	ev->verified = verified;
	return (LSN_OK);
}

#define CUSTODY_MAX	256

/* BLAKE2b-256 of the signed `envelope` bytes of SignedEnvelope bytes. */
static int
env_hash(const uint8_t *se, size_t len, uint8_t h[LSN_HASH_BYTES])
{
	Liaison__V1__SignedEnvelope	*x;

	if ((x = liaison__v1__signed_envelope__unpack(NULL, len, se)) ==
	    NULL)
		return (LSN_EPROTO);
	if (!x->has_envelope) {
		liaison__v1__signed_envelope__free_unpacked(x, NULL);
		return (LSN_EPROTO);
	}
	lsn_hash(x->envelope.data, x->envelope.len, h);
	liaison__v1__signed_envelope__free_unpacked(x, NULL);
	return (LSN_OK);
}

/*
 * The signed message `msgid` from the outbox (ours) or the inbox: a
 * malloc'd copy of its SignedEnvelope bytes. LSN_ENOENT if in neither.
 */
static int
signed_of(struct agent *a, const uint8_t *msgid, uint8_t **bufp,
    size_t *lenp)
{
	return (astore_signed_of(a, msgid, bufp, lenp, NULL));
}

/*
 * The workflow item a handoff or alert envelope opens (its referral_id /
 * alert_id), from its body (unsealed for us: a sender's own sealed copy
 * is sealed to itself too). *kindp "referral" or "alert"; LSN_ENOENT for
 * other types.
 */
static int
item_of(struct agent *a, const Liaison__V1__Envelope *env,
    const char **kindp, uint8_t id[16])
{
	Liaison__V1__ReferralHandoff	*h = NULL;
	Liaison__V1__Alert		*al = NULL;
	char				 detail[AGENT_DETAIL_MAX];
	uint8_t				*body = NULL;
	size_t				 len = 0;
	int				 rv, type = env->has_type ?
					    (int) env->type : 0;

	if (type != LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF &&
	    type != LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT)
		return (LSN_ENOENT);
	if ((rv = inbox_open_body(a, env, &body, &len, detail,
	    sizeof(detail))) != LSN_OK)
		return (rv == LSN_ENOMEM ? rv : LSN_ENOENT);
	rv = LSN_ENOENT;
	if (type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF) {
		if ((h = liaison__v1__referral_handoff__unpack(NULL, len,
		    body)) != NULL && h->referral_id.len == 16) {
			memcpy(id, h->referral_id.data, 16);
			*kindp = "referral";
			rv = LSN_OK;
		}
	} else if ((al = liaison__v1__alert__unpack(NULL, len, body)) !=
	    NULL && al->alert_id.len == 16) {
		memcpy(id, al->alert_id.data, 16);
		*kindp = "alert";
		rv = LSN_OK;
	}
	if (h != NULL)
		liaison__v1__referral_handoff__free_unpacked(h, NULL);
	if (al != NULL)
		liaison__v1__alert__free_unpacked(al, NULL);
	sodium_memzero(body, len);
	free(body);
	return (rv);
}

/* The action a verified response envelope carries ("?" if unknown). */
static const char *
action_of(struct agent *a, const Liaison__V1__Envelope *env)
{
	Liaison__V1__ReferralResponse	*rr;
	char				 detail[AGENT_DETAIL_MAX];
	uint8_t				*body = NULL;
	size_t				 len = 0;
	const char			*name = "?";

	if (env->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK)
		return ("ack");
	if (env->type !=
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE ||
	    inbox_open_body(a, env, &body, &len, detail, sizeof(detail)) !=
	    LSN_OK)
		return (name);
	if ((rr = liaison__v1__referral_response__unpack(NULL, len, body)) !=
	    NULL) {
		name = lsn_referral_action_name((int) rr->action);
		liaison__v1__referral_response__free_unpacked(rr, NULL);
	}
	sodium_memzero(body, len);
	free(body);
	return (name);
}

/*
 * The workflow responses of the thread a handoff or alert opened: every
 * message recorded as a step of that referral / alert in the events
 * table (both directions, every peer), in order, each re-verified.
 */
static int
custody_responses(struct agent *a, const Liaison__V1__Envelope *env,
    Liaison__V1__CustodyResponse *out)
{
	Liaison__V1__Envelope	*re = NULL;
	const char		*kind = NULL;
	char			 detail[AGENT_DETAIL_MAX];
	uint8_t			 id[16], (*ids)[16] = NULL, *buf = NULL;
	size_t			 n = 0, len = 0;
	int			 rv, ok;

	if ((rv = item_of(a, env, &kind, id)) != LSN_OK)
		return (rv == LSN_ENOENT ? LSN_OK : rv);
	if ((ids = calloc(CUSTODY_MAX, sizeof(*ids))) == NULL)
		return (LSN_ENOMEM);
	if ((rv = astore_events_thread(a, kind, id, env->message_id.data,
	    ids, CUSTODY_MAX, &n)) != LSN_OK)
		goto out;
	for (size_t i = 0; i < n && out->n_events < CUSTODY_MAX; i++) {
		rv = signed_of(a, ids[i], &buf, &len);
		if (rv == LSN_ENOENT)
			continue;	/* purged */
		if (rv != LSN_OK)
			goto out;
		rv = inbox_verify(a, buf, len, &re, detail, sizeof(detail));
		if (rv == LSN_EDB || rv == LSN_ENOMEM)
			goto out;
		ok = rv == LSN_OK;
		rv = add_event(out, CUSTODY_MAX, "response",
		    re != NULL ? re->sender : NULL,
		    re != NULL ? re->sender_key_id : NULL,
		    re != NULL ? re->created_ms : 0,
		    re != NULL ? action_of(a, re) : "?", ok, buf, len, ids[i]);
		lsn_envelope_free(&re);
		free(buf);
		buf = NULL;
		if (rv != LSN_OK)
			goto out;
	}
	rv = LSN_OK;
 out:
	lsn_envelope_free(&re);
	free(buf);
	free(ids);
	return (rv);
}

struct custody_ctx {
	struct lookup_ctx		 x;
	Liaison__V1__CustodyResponse	*out;
	const uint8_t			*msgid;
	const uint8_t			*ehash;
	int				 hashed;
};

/* One receipt of the chain: its signature, and that it names the bytes. */
static int
custody_rcpt(void *arg, const uint8_t *blob, size_t blen,
    const uint8_t *carrier)
{
	struct custody_ctx	*c = arg;
	Liaison__V1__Receipt	*rc = NULL;
	int			 rv, ok;

	if (c->out->n_events >= CUSTODY_MAX)
		return (1);
	ok = lsn_receipt_verify(blob, blen, rcpt_lookup, &c->x, &rc) ==
	    LSN_OK && c->hashed && lsn_receipt_names(rc, c->msgid, c->ehash);
	rv = add_event(c->out, CUSTODY_MAX, "receipt",
	    rc != NULL ? rc->recipient : NULL,
	    rc != NULL ? rc->key_id : NULL,
	    rc != NULL ? rc->time_ms : 0,
	    rc != NULL ? lsn_receipt_stage_name((int) rc->stage) :
	    "?", ok, blob, blen, carrier);
	lsn_receipt_free(&rc);
	return (rv != LSN_OK ? rv : 0);
}

/*
 * The custody chain of a message we sent or received: the envelope, the
 * receipts for it (the recipients' at the sender, our own at the
 * recipient; each must verify and name this envelope's hash), and the
 * workflow responses of its thread (custody_responses). Every signature
 * is verified again now; out is filled (rcpt_custody_free).
 */
int
rcpt_custody(struct agent *a, const Liaison__V1__CustodyRequest *q,
    Liaison__V1__CustodyResponse *out)
{
	struct custody_ctx		 c;
	Liaison__V1__Envelope		*env = NULL;
	char				 detail[AGENT_DETAIL_MAX];
	uint8_t				*sig = NULL;
	uint8_t				 ehash[LSN_HASH_BYTES];
	size_t				 siglen = 0;
	int				 rv, sent = 1, ok;

	if (!q->has_message_id || q->message_id.len != 16)
		return (LSN_EINVAL);
	memset(ehash, 0, sizeof(ehash));
	liaison__v1__custody_response__init(out);
	if ((out->events = calloc(CUSTODY_MAX, sizeof(*out->events))) ==
	    NULL)
		return (LSN_ENOMEM);
	/* the envelope: ours (outbox) or received (inbox) */
	if ((rv = astore_signed_of(a, q->message_id.data, &sig, &siglen,
	    &sent)) != LSN_OK)
		goto out;
	ok = inbox_verify(a, sig, siglen, &env, detail, sizeof(detail)) ==
	    LSN_OK;
	if ((out->direction = strdup(sent ? "sent" : "received")) == NULL ||
	    dup_bytes(&out->message_id, q->message_id.data, 16) != LSN_OK) {
		rv = LSN_ENOMEM;
		goto out;
	}
	out->has_message_id = 1;
	if ((rv = add_event(out, CUSTODY_MAX, "envelope",
	    env != NULL ? env->sender : NULL,
	    env != NULL ? env->sender_key_id : NULL,
	    env != NULL ? env->created_ms : 0, NULL, ok, sig, siglen,
	    q->message_id.data)) != LSN_OK)
		goto out;
	/* receipts (theirs and, at the recipient, our own), in order */
	memset(&c, 0, sizeof(c));
	c.x.a = a;
	c.out = out;
	c.msgid = q->message_id.data;
	c.ehash = ehash;
	c.hashed = env != NULL && env_hash(sig, siglen, ehash) == LSN_OK;
	rv = astore_rcpt_signed_of(a, q->message_id.data, custody_rcpt, &c);
	if (rv == LSN_OK && env != NULL)
		rv = custody_responses(a, env, out);
 out:
	if (env != NULL)
		lsn_envelope_free(&env);
	free(sig);
	if (rv != LSN_OK)
		rcpt_custody_free(out);
	return (rv);
}
