/*
 * receipt.c -- signed receipts (receipt.h): sign; peek, verify, then parse.
 */
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "liaison/envelope.h"
#include "liaison/receipt.h"
#include "liaison/sig.h"

#define RECEIPT_TIME_MAX	((1ULL << 53) - 1)

/* 1 if buf (len bytes) is exactly what protobuf-c packs for m and m has
 * no unknown fields (neither message has sub-messages). */
static int
canonical(const ProtobufCMessage *m, const uint8_t *buf, size_t len)
{
	uint8_t	tmp[LSN_RECEIPT_MAX];

	if (m->n_unknown_fields != 0 || len > sizeof(tmp) ||
	    protobuf_c_message_get_packed_size(m) != len)
		return (0);
	return (protobuf_c_message_pack(m, tmp) == len &&
	    memcmp(tmp, buf, len) == 0);
}

/* The batch lists: 2..LSN_RECEIPT_BATCH_MAX pairs, sizes right, no id
 * twice. */
static int
batch_valid(const Liaison__V1__Receipt *r)
{
	size_t	n = r->n_batch_message_ids;

	if (n < 2 || n > LSN_RECEIPT_BATCH_MAX ||
	    r->n_batch_envelope_hashes != n)
		return (0);
	for (size_t i = 0; i < n; i++) {
		if (r->batch_message_ids[i].len != LSN_MSGID_BYTES ||
		    r->batch_envelope_hashes[i].len != LSN_HASH_BYTES)
			return (0);
		for (size_t j = 0; j < i; j++)
			if (memcmp(r->batch_message_ids[i].data,
			    r->batch_message_ids[j].data,
			    LSN_MSGID_BYTES) == 0)
				return (0);
	}
	return (1);
}

static int
receipt_valid(const Liaison__V1__Receipt *r)
{
	int	single, batch;

	single = r->has_message_id && r->message_id.len == LSN_MSGID_BYTES &&
	    r->has_envelope_hash && r->envelope_hash.len == LSN_HASH_BYTES &&
	    r->n_batch_message_ids == 0 && r->n_batch_envelope_hashes == 0;
	batch = !r->has_message_id && !r->has_envelope_hash && batch_valid(r);
	return ((single || batch) && r->has_stage &&
	    r->stage >= LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED &&
	    r->stage <= LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE &&
	    r->has_time_ms && r->time_ms > 0 &&
	    r->time_ms <= RECEIPT_TIME_MAX && lsn_slug_valid(r->recipient) &&
	    lsn_key_id_valid(r->key_id));
}

size_t
lsn_receipt_count(const Liaison__V1__Receipt *r)
{
	if (r == NULL)
		return (0);
	return (r->has_message_id ? 1 : r->n_batch_message_ids);
}

int
lsn_receipt_item(const Liaison__V1__Receipt *r, size_t i,
    const uint8_t **idp, const uint8_t **hashp)
{
	if (r == NULL || idp == NULL || hashp == NULL ||
	    i >= lsn_receipt_count(r))
		return (LSN_EINVAL);
	if (r->has_message_id) {
		*idp = r->message_id.data;
		*hashp = r->envelope_hash.data;
	} else {
		*idp = r->batch_message_ids[i].data;
		*hashp = r->batch_envelope_hashes[i].data;
	}
	return (LSN_OK);
}

int
lsn_receipt_names(const Liaison__V1__Receipt *r, const uint8_t id[16],
    const uint8_t hash[LSN_HASH_BYTES])
{
	const uint8_t	*rid, *rh;
	size_t		 n = lsn_receipt_count(r);

	for (size_t i = 0; i < n; i++)
		if (lsn_receipt_item(r, i, &rid, &rh) == LSN_OK &&
		    memcmp(rid, id, LSN_MSGID_BYTES) == 0)
			return (hash == NULL ||
			    memcmp(rh, hash, LSN_HASH_BYTES) == 0);
	return (0);
}

int
lsn_receipt_sign(const uint8_t message_id[16],
    const uint8_t env_hash[LSN_HASH_BYTES], int stage, uint64_t time_ms,
    const char *recipient, const struct lsn_keypair *kp, uint8_t **outp,
    size_t *lenp)
{
	uint8_t	id1[1][LSN_MSGID_BYTES], h1[1][LSN_HASH_BYTES];

	if (message_id == NULL || env_hash == NULL)
		return (LSN_EINVAL);
	memcpy(id1[0], message_id, LSN_MSGID_BYTES);
	memcpy(h1[0], env_hash, LSN_HASH_BYTES);
	return (lsn_receipt_sign_batch((const uint8_t (*)[16]) id1,
	    (const uint8_t (*)[LSN_HASH_BYTES]) h1, 1, stage, time_ms,
	    recipient, kp, outp, lenp));
}

/* Over 80 lines: fill and pack the Receipt, sign, pack the signed one. */
int
lsn_receipt_sign_batch(const uint8_t (*ids)[LSN_MSGID_BYTES],
    const uint8_t (*hashes)[LSN_HASH_BYTES], size_t n, int stage,
    uint64_t time_ms, const char *recipient, const struct lsn_keypair *kp,
    uint8_t **outp, size_t *lenp)
{
	Liaison__V1__Receipt		 r = LIAISON__V1__RECEIPT__INIT;
	Liaison__V1__SignedReceipt	 s =
	    LIAISON__V1__SIGNED_RECEIPT__INIT;
	ProtobufCBinaryData		 bid[LSN_RECEIPT_BATCH_MAX];
	ProtobufCBinaryData		 bh[LSN_RECEIPT_BATCH_MAX];
	char				 rcpt[LSN_LABEL_MAX + 1];
	char				 kid[LSN_KEYID_HEXLEN + 1];
	uint8_t				 rb[LSN_RECEIPT_MAX];
	uint8_t				 sig[LSN_SIG_BYTES];
	uint8_t				*out = NULL;
	size_t				 rlen, slen;
	int				 rv;

	if (ids == NULL || hashes == NULL || n == 0 ||
	    n > LSN_RECEIPT_BATCH_MAX || kp == NULL ||
	    kp->kind != LSN_KEY_SIGN || kp->sk == NULL || outp == NULL ||
	    lenp == NULL || !lsn_slug_valid(recipient))
		return (LSN_EINVAL);
	(void) lsn_strlcpy(rcpt, recipient, sizeof(rcpt));
	(void) lsn_strlcpy(kid, kp->key_id, sizeof(kid));
	if (n == 1) {
		/* one message: the single form, which every agent reads */
		r.has_message_id = 1;
		r.message_id.len = LSN_MSGID_BYTES;
		r.message_id.data = (uint8_t *) (uintptr_t) ids[0];
		r.has_envelope_hash = 1;
		r.envelope_hash.len = LSN_HASH_BYTES;
		r.envelope_hash.data = (uint8_t *) (uintptr_t) hashes[0];
	} else {
		for (size_t i = 0; i < n; i++) {
			bid[i].len = LSN_MSGID_BYTES;
			bid[i].data = (uint8_t *) (uintptr_t) ids[i];
			bh[i].len = LSN_HASH_BYTES;
			bh[i].data = (uint8_t *) (uintptr_t) hashes[i];
		}
		r.n_batch_message_ids = r.n_batch_envelope_hashes = n;
		r.batch_message_ids = bid;
		r.batch_envelope_hashes = bh;
	}
	r.has_stage = 1;
	r.stage = (Liaison__V1__ReceiptStage) stage;
	r.has_time_ms = 1;
	r.time_ms = time_ms;
	r.recipient = rcpt;
	r.key_id = kid;
	if (!receipt_valid(&r))
		return (LSN_EINVAL);
	/* Bounded: at most LSN_RECEIPT_BATCH_MAX id + hash pairs, a slug,
	 * a key id and two varints (receipt.h). */
	if ((rlen = liaison__v1__receipt__get_packed_size(&r)) > sizeof(rb))
		return (LSN_EINTERNAL);
	if (liaison__v1__receipt__pack(&r, rb) != rlen)
		return (LSN_EINTERNAL);
	if ((rv = lsn_sig_sign(LSN_SIG_RECEIPT, kp, rb, rlen, sig)) != LSN_OK)
		return (rv);
	s.has_receipt = 1;
	s.receipt.len = rlen;
	s.receipt.data = rb;
	s.has_signature = 1;
	s.signature.len = LSN_SIG_BYTES;
	s.signature.data = sig;
	s.signer = rcpt;
	s.key_id = kid;
	slen = liaison__v1__signed_receipt__get_packed_size(&s);
	if (slen > LSN_RECEIPT_MAX)
		return (LSN_EINTERNAL);
	if ((out = malloc(slen)) == NULL)
		return (LSN_ENOMEM);
	if (liaison__v1__signed_receipt__pack(&s, out) != slen) {
		free(out);
		return (LSN_EINTERNAL);
	}
	*outp = out;
	*lenp = slen;
	return (LSN_OK);
}

int
lsn_receipt_peek(const uint8_t *buf, size_t len,
    Liaison__V1__SignedReceipt **sp)
{
	Liaison__V1__SignedReceipt	*s = NULL;
	int				 rv = LSN_EPROTO;

	if (sp == NULL)
		return (LSN_EINVAL);
	if (buf == NULL || len == 0)
		return (LSN_EPROTO);
	if (len > LSN_RECEIPT_MAX)
		return (LSN_ETOOBIG);
	if ((s = liaison__v1__signed_receipt__unpack(NULL, len, buf)) == NULL)
		return (LSN_EPROTO);
	if (!canonical(&s->base, buf, len))
		goto out;
	if (!s->has_receipt || s->receipt.len == 0)
		goto out;
	rv = LSN_EBADSIG;
	if (!s->has_signature || s->signature.len != LSN_SIG_BYTES)
		goto out;
	rv = LSN_EINVAL;
	if (!lsn_slug_valid(s->signer) || !lsn_key_id_valid(s->key_id))
		goto out;
	*sp = s;
	s = NULL;
	rv = LSN_OK;
 out:
	lsn_receipt_signed_free(&s);
	return (rv);
}

int
lsn_receipt_verify_parse(const Liaison__V1__SignedReceipt *s,
    const uint8_t pk[LSN_PK_BYTES], Liaison__V1__Receipt **rp)
{
	Liaison__V1__Receipt	*r = NULL;
	char			 kid[LSN_KEYID_HEXLEN + 1];
	int			 rv;

	if (s == NULL || pk == NULL || rp == NULL || !s->has_receipt ||
	    s->receipt.data == NULL || s->signer == NULL || s->key_id == NULL)
		return (LSN_EINVAL);
	/* Nothing signed is parsed before this succeeds. */
	if ((rv = lsn_sig_verify(LSN_SIG_RECEIPT, pk, s->receipt.data,
	    s->receipt.len, s->signature.data, s->signature.len)) != LSN_OK)
		return (rv);
	if ((r = liaison__v1__receipt__unpack(NULL, s->receipt.len,
	    s->receipt.data)) == NULL)
		return (LSN_EPROTO);
	rv = LSN_EPROTO;
	if (!canonical(&r->base, s->receipt.data, s->receipt.len))
		goto out;
	rv = LSN_EINVAL;
	if (!receipt_valid(r))
		goto out;
	/* Bind the unsigned hints and the key to the signed identity. */
	rv = LSN_EBADSIG;
	lsn_key_id(pk, kid);
	if (strcmp(r->recipient, s->signer) != 0 ||
	    strcmp(r->key_id, s->key_id) != 0 || strcmp(r->key_id, kid) != 0)
		goto out;
	*rp = r;
	r = NULL;
	rv = LSN_OK;
 out:
	lsn_receipt_free(&r);
	return (rv);
}

int
lsn_receipt_verify(const uint8_t *buf, size_t len, lsn_key_lookup_fn *lookup,
    void *arg, Liaison__V1__Receipt **rp)
{
	Liaison__V1__SignedReceipt	*s = NULL;
	uint8_t				 pk[LSN_PK_BYTES];
	int				 rv;

	if (lookup == NULL || rp == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_receipt_peek(buf, len, &s)) != LSN_OK)
		return (rv);
	if ((rv = lookup(arg, s->signer, s->key_id, pk)) == LSN_OK)
		rv = lsn_receipt_verify_parse(s, pk, rp);
	else if (rv > 0)	/* not an lsn_err: still a refusal */
		rv = LSN_EINTERNAL;
	lsn_receipt_signed_free(&s);
	return (rv);
}

void
lsn_receipt_free(Liaison__V1__Receipt **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	liaison__v1__receipt__free_unpacked(*rp, NULL);
	*rp = NULL;
}

void
lsn_receipt_signed_free(Liaison__V1__SignedReceipt **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	liaison__v1__signed_receipt__free_unpacked(*sp, NULL);
	*sp = NULL;
}

const char *
lsn_receipt_stage_name(int stage)
{
	switch (stage) {
	case LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED:
		return ("delivered");
	case LIAISON__V1__RECEIPT_STAGE__RECEIPT_READ:
		return ("read");
	case LIAISON__V1__RECEIPT_STAGE__RECEIPT_ACTIONED:
		return ("actioned");
	case LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE:
		return ("undeliverable");
	}
	return ("?");
}
