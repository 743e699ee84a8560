/* test_receipt.c -- signed receipts: round trip, bad signature, wrong role,
 * hint mismatch, malformed input; the batch form (round trip, limits,
 * forged and oversized batches). */
#include "lsn_test.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.pb-c.h"

#include "liaison/keys.h"
#include "liaison/body.h"
#include "liaison/receipt.h"
#include "liaison/sig.h"
#include "liaison/util.h"

#define NOW		1700000000000ULL
#define DELIVERED	LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED
#define READ		LIAISON__V1__RECEIPT_STAGE__RECEIPT_READ
#define ACTIONED	LIAISON__V1__RECEIPT_STAGE__RECEIPT_ACTIONED

struct fx {
	struct lsn_keypair	*kp;	/* uk-ceop's signing key */
	struct lsn_keypair	*other;	/* another uk-ceop key */
	uint8_t			 msgid[16];
	uint8_t			 hash[LSN_HASH_BYTES];
	int			 lookups;
};

static struct fx	F;

/* The directory of this test: uk-ceop's current key only. */
static int
lookup(void *arg, const char *signer, const char *key_id,
    uint8_t pk[LSN_PK_BYTES])
{
	struct fx *f = arg;

	f->lookups++;
	if (strcmp(signer, "uk-ceop") != 0)
		return (LSN_EUNKNOWNSENDER);
	if (strcmp(key_id, f->kp->key_id) == 0) {
		memcpy(pk, f->kp->pk, LSN_PK_BYTES);
		return (LSN_OK);
	}
	if (strcmp(key_id, f->other->key_id) == 0)
		return (LSN_EKEYREVOKED);
	return (LSN_EUNKNOWNKEY);
}

static int
setup(void **state)
{
	(void) state;
	if (lsn_init() != LSN_OK ||
	    lsn_keypair_generate(LSN_KEY_SIGN, "uk-ceop", &F.kp) != LSN_OK ||
	    lsn_keypair_generate(LSN_KEY_SIGN, "uk-ceop", &F.other) != LSN_OK)
		return (-1);
	memset(F.msgid, 0xa5, sizeof(F.msgid));
	lsn_hash("envelope bytes", 14, F.hash);
	return (0);
}

static int
teardown(void **state)
{
	(void) state;
	lsn_keypair_destroy(&F.kp);
	lsn_keypair_destroy(&F.other);
	return (0);
}

static void
test_receipt_roundtrip_every_stage(void **state)
{
	(void) state;
	for (int st = DELIVERED; st <= ACTIONED; st++) {
		Liaison__V1__Receipt	*r = NULL;
		uint8_t			*buf = NULL;
		size_t			 len = 0;

		assert_ok(lsn_receipt_sign(F.msgid, F.hash, st, NOW + st,
		    "uk-ceop", F.kp, &buf, &len));
		assert_true(len <= LSN_RECEIPT_MAX);
		F.lookups = 0;
		assert_ok(lsn_receipt_verify(buf, len, lookup, &F, &r));
		assert_int_equal(F.lookups, 1);
		assert_int_equal(r->stage, st);
		assert_int_equal(r->time_ms, NOW + st);
		assert_string_equal(r->recipient, "uk-ceop");
		assert_string_equal(r->key_id, F.kp->key_id);
		assert_memory_equal(r->message_id.data, F.msgid, 16);
		assert_memory_equal(r->envelope_hash.data, F.hash,
		    LSN_HASH_BYTES);
		lsn_receipt_free(&r);
		assert_null(r);
		free(buf);
	}
	assert_string_equal(lsn_receipt_stage_name(READ), "read");
	assert_string_equal(lsn_receipt_stage_name(0), "?");
	lsn_receipt_free(NULL);
	lsn_receipt_signed_free(NULL);
}

static void
test_receipt_two_step(void **state)
{
	Liaison__V1__SignedReceipt	*s = NULL;
	Liaison__V1__Receipt		*r = NULL;
	uint8_t				*buf = NULL;
	size_t				 len = 0;

	(void) state;
	assert_ok(lsn_receipt_sign(F.msgid, F.hash, READ, NOW, "uk-ceop",
	    F.kp, &buf, &len));
	assert_ok(lsn_receipt_peek(buf, len, &s));
	assert_string_equal(s->signer, "uk-ceop");
	assert_string_equal(s->key_id, F.kp->key_id);
	/* The wrong key: bad signature, nothing parsed. */
	assert_err(lsn_receipt_verify_parse(s, F.other->pk, &r),
	    LSN_EBADSIG);
	assert_null(r);
	assert_ok(lsn_receipt_verify_parse(s, F.kp->pk, &r));
	lsn_receipt_free(&r);
	lsn_receipt_signed_free(&s);
	assert_null(s);
	free(buf);
}

static void
test_receipt_bad_signature(void **state)
{
	Liaison__V1__Receipt	*r = NULL;
	uint8_t			*buf = NULL;
	size_t			 len = 0;
	int			 refused = 0;

	(void) state;
	assert_ok(lsn_receipt_sign(F.msgid, F.hash, DELIVERED, NOW,
	    "uk-ceop", F.kp, &buf, &len));
	/* Every single-bit flip anywhere is refused. */
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t) (1 << bit);
			if (lsn_receipt_verify(buf, len, lookup, &F, &r) !=
			    LSN_OK)
				refused++;
			else
				fail_msg("flip at %zu bit %d accepted", i,
				    bit);
			buf[i] ^= (uint8_t) (1 << bit);
		}
	assert_int_equal(refused, (int) len * 8);
	assert_null(r);
	free(buf);
}

/* Builds a SignedReceipt by hand: receipt bytes signed in `role` by kp,
 * with the given hints. */
static void
make_signed(const Liaison__V1__Receipt *rc, enum lsn_sig_role role,
    const struct lsn_keypair *kp, const char *signer, const char *key_id,
    uint8_t **outp, size_t *lenp)
{
	Liaison__V1__SignedReceipt	s = LIAISON__V1__SIGNED_RECEIPT__INIT;
	uint8_t				rb[2 * LSN_RECEIPT_MAX];
	uint8_t				sig[LSN_SIG_BYTES];
	size_t				rlen;

	assert_true(liaison__v1__receipt__get_packed_size(rc) <= sizeof(rb));
	rlen = liaison__v1__receipt__pack(rc, rb);
	assert_ok(lsn_sig_sign(role, kp, rb, rlen, sig));
	s.has_receipt = 1;
	s.receipt.data = rb;
	s.receipt.len = rlen;
	s.has_signature = 1;
	s.signature.data = sig;
	s.signature.len = LSN_SIG_BYTES;
	s.signer = (char *) (uintptr_t) signer;
	s.key_id = (char *) (uintptr_t) key_id;
	*lenp = liaison__v1__signed_receipt__get_packed_size(&s);
	*outp = malloc(*lenp);
	assert_non_null(*outp);
	liaison__v1__signed_receipt__pack(&s, *outp);
}

static void
fill_receipt(Liaison__V1__Receipt *rc, char *rcpt, char *kid)
{
	Liaison__V1__Receipt	r0 = LIAISON__V1__RECEIPT__INIT;

	*rc = r0;
	rc->has_message_id = 1;
	rc->message_id.data = F.msgid;
	rc->message_id.len = 16;
	rc->has_envelope_hash = 1;
	rc->envelope_hash.data = F.hash;
	rc->envelope_hash.len = LSN_HASH_BYTES;
	rc->has_stage = 1;
	rc->stage = LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED;
	rc->has_time_ms = 1;
	rc->time_ms = NOW;
	rc->recipient = rcpt;
	rc->key_id = kid;
}

static void
test_receipt_wrong_role_prefix(void **state)
{
	Liaison__V1__Receipt	 rc, *r = NULL;
	char			 rcpt[] = "uk-ceop", kid[17];
	uint8_t			*buf = NULL;
	size_t			 len = 0;

	(void) state;
	memcpy(kid, F.kp->key_id, sizeof(kid));
	fill_receipt(&rc, rcpt, kid);
	/* Control: the right role verifies. */
	make_signed(&rc, LSN_SIG_RECEIPT, F.kp, rcpt, kid, &buf, &len);
	assert_ok(lsn_receipt_verify(buf, len, lookup, &F, &r));
	lsn_receipt_free(&r);
	free(buf);
	/* The same bytes signed as an envelope or a dir op are refused. */
	make_signed(&rc, LSN_SIG_ENVELOPE, F.kp, rcpt, kid, &buf, &len);
	assert_err(lsn_receipt_verify(buf, len, lookup, &F, &r),
	    LSN_EBADSIG);
	free(buf);
	make_signed(&rc, LSN_SIG_DIROP, F.kp, rcpt, kid, &buf, &len);
	assert_err(lsn_receipt_verify(buf, len, lookup, &F, &r),
	    LSN_EBADSIG);
	assert_null(r);
	free(buf);
}

static void
test_receipt_hint_mismatch(void **state)
{
	Liaison__V1__SignedReceipt	*s = NULL;
	Liaison__V1__Receipt		 rc, *r = NULL;
	char				 rcpt[] = "uk-ceop", kid[17];
	char				 other_rcpt[] = "us-ncmec";
	uint8_t				*buf = NULL;
	size_t				 len = 0;

	(void) state;
	memcpy(kid, F.kp->key_id, sizeof(kid));
	/* Signed recipient us-ncmec under a uk-ceop hint and key. */
	fill_receipt(&rc, other_rcpt, kid);
	make_signed(&rc, LSN_SIG_RECEIPT, F.kp, rcpt, kid, &buf, &len);
	assert_err(lsn_receipt_verify(buf, len, lookup, &F, &r),
	    LSN_EBADSIG);
	free(buf);
	/* Signed key id of another key, hint of the signing key. */
	fill_receipt(&rc, rcpt, F.other->key_id);
	make_signed(&rc, LSN_SIG_RECEIPT, F.kp, rcpt, kid, &buf, &len);
	assert_err(lsn_receipt_verify(buf, len, lookup, &F, &r),
	    LSN_EBADSIG);
	free(buf);
	/* Hint and signed key id agree but name a key that did not sign:
	 * the verifier gets that key's pk, which is not the signer's. */
	fill_receipt(&rc, rcpt, F.other->key_id);
	make_signed(&rc, LSN_SIG_RECEIPT, F.kp, rcpt, F.other->key_id, &buf,
	    &len);
	assert_ok(lsn_receipt_peek(buf, len, &s));
	assert_err(lsn_receipt_verify_parse(s, F.other->pk, &r),
	    LSN_EBADSIG);
	/* ... and a key id that is not the key's own: a valid signature by
	 * kp, but the signed key_id names another key. */
	assert_err(lsn_receipt_verify_parse(s, F.kp->pk, &r), LSN_EBADSIG);
	lsn_receipt_signed_free(&s);
	/* The lookup's refusal comes back unchanged. */
	assert_err(lsn_receipt_verify(buf, len, lookup, &F, &r),
	    LSN_EKEYREVOKED);
	assert_null(r);
	free(buf);
}

static void
test_receipt_invalid_fields(void **state)
{
	Liaison__V1__Receipt	 rc, *r = NULL;
	char			 rcpt[] = "uk-ceop", kid[17];
	uint8_t			*buf = NULL;
	size_t			 len = 0;

	(void) state;
	memcpy(kid, F.kp->key_id, sizeof(kid));
	/* Correctly signed, but the receipt itself is invalid. */
	fill_receipt(&rc, rcpt, kid);
	rc.stage = 0;
	make_signed(&rc, LSN_SIG_RECEIPT, F.kp, rcpt, kid, &buf, &len);
	assert_err(lsn_receipt_verify(buf, len, lookup, &F, &r), LSN_EINVAL);
	free(buf);
	fill_receipt(&rc, rcpt, kid);
	rc.message_id.len = 15;
	make_signed(&rc, LSN_SIG_RECEIPT, F.kp, rcpt, kid, &buf, &len);
	assert_err(lsn_receipt_verify(buf, len, lookup, &F, &r), LSN_EINVAL);
	free(buf);
	fill_receipt(&rc, rcpt, kid);
	rc.has_time_ms = 0;
	make_signed(&rc, LSN_SIG_RECEIPT, F.kp, rcpt, kid, &buf, &len);
	assert_err(lsn_receipt_verify(buf, len, lookup, &F, &r), LSN_EINVAL);
	free(buf);
	assert_null(r);

	/* Signing refuses bad arguments. */
	assert_err(lsn_receipt_sign(F.msgid, F.hash, 0, NOW, "uk-ceop", F.kp,
	    &buf, &len), LSN_EINVAL);
	assert_err(lsn_receipt_sign(F.msgid, F.hash, 5, NOW, "uk-ceop", F.kp,
	    &buf, &len), LSN_EINVAL);
	assert_err(lsn_receipt_sign(F.msgid, F.hash, READ, 0, "uk-ceop", F.kp,
	    &buf, &len), LSN_EINVAL);
	assert_err(lsn_receipt_sign(F.msgid, F.hash, READ, NOW, "UK CEOP",
	    F.kp, &buf, &len), LSN_EINVAL);
	assert_err(lsn_receipt_sign(NULL, F.hash, READ, NOW, "uk-ceop", F.kp,
	    &buf, &len), LSN_EINVAL);
	assert_err(lsn_receipt_sign(F.msgid, F.hash, READ, NOW, "uk-ceop",
	    NULL, &buf, &len), LSN_EINVAL);
}

static void
test_receipt_malformed_input(void **state)
{
	Liaison__V1__SignedReceipt	*s = NULL;
	Liaison__V1__Receipt		*r = NULL;
	uint8_t				 junk[LSN_RECEIPT_MAX + 1];
	uint8_t				*buf = NULL;
	size_t				 len = 0;

	(void) state;
	memset(junk, 0xff, sizeof(junk));
	assert_err(lsn_receipt_peek(junk, 10, &s), LSN_EPROTO);
	assert_err(lsn_receipt_peek(junk, sizeof(junk), &s), LSN_ETOOBIG);
	assert_err(lsn_receipt_peek(NULL, 0, &s), LSN_EPROTO);
	assert_err(lsn_receipt_peek(junk, 10, NULL), LSN_EINVAL);
	assert_err(lsn_receipt_verify(junk, 10, NULL, NULL, &r), LSN_EINVAL);
	assert_null(s);
	/* Truncations of a valid receipt are all refused. */
	assert_ok(lsn_receipt_sign(F.msgid, F.hash, READ, NOW, "uk-ceop",
	    F.kp, &buf, &len));
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(lsn_receipt_verify(buf, n, lookup, &F,
		    &r), LSN_OK);
	/* An appended unknown field in the outer message is refused. */
	{
		uint8_t *ext = malloc(len + 3);

		assert_non_null(ext);
		memcpy(ext, buf, len);
		ext[len] = 0x78;	/* field 15, varint */
		ext[len + 1] = 0x01;
		assert_err(lsn_receipt_peek(ext, len + 2, &s), LSN_EPROTO);
		free(ext);
	}
	assert_null(r);
	free(buf);
}

/* n distinct message ids and hashes. */
static void
batch_items(uint8_t (*ids)[16], uint8_t (*hs)[LSN_HASH_BYTES], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(ids[i], 0x10 + (int) i, 16);
		lsn_hash(ids[i], 16, hs[i]);
	}
}

static void
test_receipt_batch_roundtrip(void **state)
{
	uint8_t				 ids[LSN_RECEIPT_BATCH_MAX][16];
	uint8_t				 hs[LSN_RECEIPT_BATCH_MAX][32];
	Liaison__V1__SignedReceipt	*s = NULL;
	Liaison__V1__Receipt		*r = NULL;
	const uint8_t			*id, *h;
	uint8_t				*buf = NULL, other[32];
	size_t				 len = 0;
	char				 longid[64];

	(void) state;
	batch_items(ids, hs, LSN_RECEIPT_BATCH_MAX);
	for (size_t n = 1; n <= LSN_RECEIPT_BATCH_MAX; n++) {
		assert_ok(lsn_receipt_sign_batch((const uint8_t (*)[16]) ids,
		    (const uint8_t (*)[32]) hs, n, DELIVERED, NOW, "uk-ceop",
		    F.kp, &buf, &len));
		assert_ok(lsn_receipt_verify(buf, len, lookup, &F, &r));
		assert_int_equal(lsn_receipt_count(r), n);
		/* one message: the single form every agent reads */
		assert_int_equal(r->has_message_id, n == 1);
		assert_int_equal(r->n_batch_message_ids, n == 1 ? 0 : n);
		for (size_t i = 0; i < n; i++) {
			assert_ok(lsn_receipt_item(r, i, &id, &h));
			assert_memory_equal(id, ids[i], 16);
			assert_memory_equal(h, hs[i], 32);
			assert_true(lsn_receipt_names(r, ids[i], hs[i]));
		}
		assert_err(lsn_receipt_item(r, n, &id, &h), LSN_EINVAL);
		memset(other, 0, sizeof(other));
		assert_false(lsn_receipt_names(r, ids[0], other));
		assert_false(lsn_receipt_names(r, other, NULL));
		lsn_receipt_free(&r);
		free(buf);
	}
	/* the largest batch with the longest slug stays within the size
	 * limits; the compatible one within those of the release before
	 * (1024 bytes each) */
	memset(longid, 'a', 63);
	longid[63] = '\0';
	for (int compat = 0; compat < 2; compat++) {
		size_t	n = compat ? LSN_RECEIPT_BATCH_COMPAT :
		    LSN_RECEIPT_BATCH_MAX;
		size_t	lim = compat ? 1024 : LSN_RECEIPT_MAX;

		assert_ok(lsn_receipt_sign_batch((const uint8_t (*)[16]) ids,
		    (const uint8_t (*)[32]) hs, n, DELIVERED, NOW, longid,
		    F.kp, &buf, &len));
		assert_true(len <= lim);
		assert_ok(lsn_receipt_peek(buf, len, &s));
		assert_true(s->receipt.len <= (compat ? 1024 :
		    LSN_BODY_RECEIPT_MAX));
		assert_ok(lsn_receipt_verify_parse(s, F.kp->pk, &r));
		assert_int_equal(lsn_receipt_count(r), n);
		lsn_receipt_free(&r);
		lsn_receipt_signed_free(&s);
		free(buf);
	}
}

static void
test_receipt_batch_sign_limits(void **state)
{
	uint8_t	 ids[LSN_RECEIPT_BATCH_MAX + 1][16];
	uint8_t	 hs[LSN_RECEIPT_BATCH_MAX + 1][32];
	uint8_t	*buf = NULL;
	size_t	 len = 0;

	(void) state;
	batch_items(ids, hs, LSN_RECEIPT_BATCH_MAX + 1);
	assert_err(lsn_receipt_sign_batch((const uint8_t (*)[16]) ids,
	    (const uint8_t (*)[32]) hs, 0, DELIVERED, NOW, "uk-ceop", F.kp,
	    &buf, &len), LSN_EINVAL);
	assert_err(lsn_receipt_sign_batch((const uint8_t (*)[16]) ids,
	    (const uint8_t (*)[32]) hs, LSN_RECEIPT_BATCH_MAX + 1, DELIVERED,
	    NOW, "uk-ceop", F.kp, &buf, &len), LSN_EINVAL);
	/* the same message twice */
	memcpy(ids[1], ids[0], 16);
	assert_err(lsn_receipt_sign_batch((const uint8_t (*)[16]) ids,
	    (const uint8_t (*)[32]) hs, 2, DELIVERED, NOW, "uk-ceop", F.kp,
	    &buf, &len), LSN_EINVAL);
	assert_null(buf);
}

/* Verifies a hand-made, correctly signed Receipt: the refusal code. */
static int
verify_forged(const Liaison__V1__Receipt *rc, char *rcpt, char *kid)
{
	Liaison__V1__Receipt	*r = NULL;
	uint8_t			*buf = NULL;
	size_t			 len = 0;
	int			 rv;

	make_signed(rc, LSN_SIG_RECEIPT, F.kp, rcpt, kid, &buf, &len);
	rv = lsn_receipt_verify(buf, len, lookup, &F, &r);
	if (rv == LSN_OK)
		lsn_receipt_free(&r);
	free(buf);
	return (rv);
}

static void
test_receipt_batch_forged_refused(void **state)
{
	Liaison__V1__Receipt	 rc;
	ProtobufCBinaryData	 bid[LSN_RECEIPT_BATCH_MAX + 1];
	ProtobufCBinaryData	 bh[LSN_RECEIPT_BATCH_MAX + 1];
	uint8_t			 ids[LSN_RECEIPT_BATCH_MAX + 1][16];
	uint8_t			 hs[LSN_RECEIPT_BATCH_MAX + 1][32];
	char			 rcpt[] = "uk-ceop", kid[17];

	(void) state;
	memcpy(kid, F.kp->key_id, sizeof(kid));
	batch_items(ids, hs, LSN_RECEIPT_BATCH_MAX + 1);
	for (size_t i = 0; i <= LSN_RECEIPT_BATCH_MAX; i++) {
		bid[i].data = ids[i];
		bid[i].len = 16;
		bh[i].data = hs[i];
		bh[i].len = 32;
	}
	fill_receipt(&rc, rcpt, kid);
	rc.has_message_id = rc.has_envelope_hash = 0;
	rc.batch_message_ids = bid;
	rc.batch_envelope_hashes = bh;
	/* control: a batch of 3 made by hand verifies */
	rc.n_batch_message_ids = rc.n_batch_envelope_hashes = 3;
	assert_ok(verify_forged(&rc, rcpt, kid));
	/* oversized: one message more than a batch may name */
	rc.n_batch_message_ids = rc.n_batch_envelope_hashes =
	    LSN_RECEIPT_BATCH_MAX + 1;
	assert_err(verify_forged(&rc, rcpt, kid), LSN_EINVAL);
	/* a batch of one (the single form exists for that) */
	rc.n_batch_message_ids = rc.n_batch_envelope_hashes = 1;
	assert_err(verify_forged(&rc, rcpt, kid), LSN_EINVAL);
	/* lists of different lengths */
	rc.n_batch_message_ids = 3;
	rc.n_batch_envelope_hashes = 2;
	assert_err(verify_forged(&rc, rcpt, kid), LSN_EINVAL);
	/* both forms at once */
	rc.n_batch_message_ids = rc.n_batch_envelope_hashes = 3;
	rc.has_message_id = rc.has_envelope_hash = 1;
	assert_err(verify_forged(&rc, rcpt, kid), LSN_EINVAL);
	rc.has_message_id = rc.has_envelope_hash = 0;
	/* a short id, a short hash, the same message twice */
	bid[1].len = 15;
	assert_err(verify_forged(&rc, rcpt, kid), LSN_EINVAL);
	bid[1].len = 16;
	bh[2].len = 31;
	assert_err(verify_forged(&rc, rcpt, kid), LSN_EINVAL);
	bh[2].len = 32;
	bid[2].data = ids[0];
	assert_err(verify_forged(&rc, rcpt, kid), LSN_EINVAL);
	bid[2].data = ids[2];
	/* signed by another key of the signer: refused by the lookup */
	{
		Liaison__V1__Receipt	*r = NULL;
		uint8_t			*buf = NULL;
		size_t			 len = 0;
		char			 okid[17];

		memcpy(okid, F.other->key_id, sizeof(okid));
		rc.key_id = okid;
		make_signed(&rc, LSN_SIG_RECEIPT, F.other, rcpt, okid, &buf,
		    &len);
		assert_err(lsn_receipt_verify(buf, len, lookup, &F, &r),
		    LSN_EKEYREVOKED);
		free(buf);
		rc.key_id = kid;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receipt_roundtrip_every_stage),
		cmocka_unit_test(test_receipt_two_step),
		cmocka_unit_test(test_receipt_bad_signature),
		cmocka_unit_test(test_receipt_wrong_role_prefix),
		cmocka_unit_test(test_receipt_hint_mismatch),
		cmocka_unit_test(test_receipt_invalid_fields),
		cmocka_unit_test(test_receipt_malformed_input),
		cmocka_unit_test(test_receipt_batch_roundtrip),
		cmocka_unit_test(test_receipt_batch_sign_limits),
		cmocka_unit_test(test_receipt_batch_forged_refused),
	};

	return (cmocka_run_group_tests_name("receipt", tests, setup,
	    teardown));
}
