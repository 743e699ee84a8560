/*
 * test_batchsig.c -- one signature over a batch of envelopes: every leaf of
 * every batch size verifies, the tree has RFC 9162's shape (recomputed
 * here by hand), and every way of bending a proof, a leaf, the count or
 * the signature is refused, also after the per-thread cache holds the
 * batch; the SignedEnvelope batch form end to end (pack, sign, wrap, peek,
 * verify) and its shape checks.
 */
#include "lsn_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/batchsig.h"
#include "liaison/envelope.h"
#include "liaison/keys.h"
#include "liaison/sig.h"
#include "liaison/util.h"

#define ENVSZ	96

struct fx {
	struct lsn_keypair	*kp, *other;
	uint8_t			 env[LSN_BATCH_MAX][ENVSZ];
	const uint8_t		*ep[LSN_BATCH_MAX];
	size_t			 len[LSN_BATCH_MAX];
	struct lsn_batch_proof	 pr[LSN_BATCH_MAX];
	uint8_t			 sig[LSN_SIG_BYTES];
};

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL || lsn_init() != LSN_OK ||
	    lsn_keypair_generate(LSN_KEY_SIGN, "au-afp", &fx->kp) != LSN_OK ||
	    lsn_keypair_generate(LSN_KEY_SIGN, "au-afp", &fx->other) != LSN_OK)
		return (-1);
	for (size_t i = 0; i < LSN_BATCH_MAX; i++) {
		lsn_random(fx->env[i], ENVSZ);
		fx->ep[i] = fx->env[i];
		fx->len[i] = ENVSZ - (i % 7);	/* not all the same length */
	}
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	lsn_keypair_destroy(&fx->kp);
	lsn_keypair_destroy(&fx->other);
	free(fx);
	return (0);
}

static int
verify(const struct fx *fx, size_t i, const struct lsn_batch_proof *p)
{
	return (lsn_batch_verify(fx->kp->pk, fx->ep[i], fx->len[i], p,
	    fx->sig, LSN_SIG_BYTES));
}

/* Every leaf of every batch size verifies; depth is ceil(log2(n)) at most. */
static void
test_batch_every_size_every_leaf(void **state)
{
	struct fx	*fx = *state;

	for (size_t n = 2; n <= LSN_BATCH_MAX; n++) {
		assert_ok(lsn_batch_sign(fx->kp, fx->ep, fx->len, n, fx->sig,
		    fx->pr));
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(fx->pr[i].index, i);
			assert_int_equal(fx->pr[i].count, n);
			assert_true(fx->pr[i].depth <= LSN_BATCH_DEPTH_MAX);
			assert_ok(verify(fx, i, &fx->pr[i]));
			/* the other key never verifies it */
			assert_err(lsn_batch_verify(fx->other->pk, fx->ep[i],
			    fx->len[i], &fx->pr[i], fx->sig, LSN_SIG_BYTES),
			    LSN_EBADSIG);
		}
	}
}

static void
h_node(const uint8_t *l, const uint8_t *r, uint8_t out[32])
{
	static const char	p[] = "liaison/batch-node/v1";
	uint8_t			m[sizeof(p) + 64];

	memcpy(m, p, sizeof(p));
	memcpy(m + sizeof(p), l, 32);
	memcpy(m + sizeof(p) + 32, r, 32);
	crypto_generichash(out, 32, m, sizeof(m), NULL, 0);
}

/*
 * Three leaves: root = node(node(l0, l1), l2), the signed bytes are
 * u32be(3) || root in the "liaison/envelope-batch/v1" role, and the proofs
 * are [l1, l2], [l0, l2], [node(l0, l1)]: computed here by hand.
 */
static void
test_batch_shape_by_hand(void **state)
{
	struct fx	*fx = *state;
	uint8_t		 l[3][32], n01[32], root[32], sb[36];

	assert_ok(lsn_batch_sign(fx->kp, fx->ep, fx->len, 3, fx->sig,
	    fx->pr));
	for (int i = 0; i < 3; i++) {
		static const char	p[] = "liaison/batch-leaf/v1";
		uint8_t			m[sizeof(p) + ENVSZ];

		memcpy(m, p, sizeof(p));
		memcpy(m + sizeof(p), fx->ep[i], fx->len[i]);
		crypto_generichash(l[i], 32, m, sizeof(p) + fx->len[i], NULL,
		    0);
	}
	h_node(l[0], l[1], n01);
	h_node(n01, l[2], root);
	sb[0] = sb[1] = sb[2] = 0;
	sb[3] = 3;
	memcpy(sb + 4, root, 32);
	assert_ok(lsn_sig_verify(LSN_SIG_ENVELOPE_BATCH, fx->kp->pk, sb,
	    sizeof(sb), fx->sig, LSN_SIG_BYTES));
	assert_int_equal(fx->pr[0].depth, 2);
	assert_memory_equal(fx->pr[0].path[0], l[1], 32);
	assert_memory_equal(fx->pr[0].path[1], l[2], 32);
	assert_int_equal(fx->pr[1].depth, 2);
	assert_memory_equal(fx->pr[1].path[0], l[0], 32);
	assert_int_equal(fx->pr[2].depth, 1);
	assert_memory_equal(fx->pr[2].path[0], n01, 32);
	/* a batch signature is not an envelope signature, nor the reverse */
	assert_err(lsn_sig_verify(LSN_SIG_ENVELOPE, fx->kp->pk, sb,
	    sizeof(sb), fx->sig, LSN_SIG_BYTES), LSN_EBADSIG);
}

/*
 * An attacker holding one valid batch bends it every way: each must fail,
 * and the run is done twice so the second pass meets a warm cache.
 */
static void
test_batch_bent_proofs_refused(void **state)
{
	struct fx		*fx = *state;
	struct lsn_batch_proof	 p;
	uint8_t			 env[ENVSZ], sig[LSN_SIG_BYTES];
	const size_t		 n = 11;

	assert_ok(lsn_batch_sign(fx->kp, fx->ep, fx->len, n, fx->sig,
	    fx->pr));
	for (int pass = 0; pass < 2; pass++)
	for (size_t i = 0; i < n; i++) {
		assert_ok(verify(fx, i, &fx->pr[i]));
		/* another leaf's proof, or another index, for this envelope */
		for (size_t j = 0; j < n; j++) {
			if (j == i)
				continue;
			assert_err(verify(fx, i, &fx->pr[j]), LSN_EBADSIG);
			p = fx->pr[i];
			p.index = (uint32_t) j;
			assert_err(verify(fx, i, &p), LSN_EBADSIG);
		}
		/* another count (same path) */
		for (uint32_t c = 0; c <= LSN_BATCH_MAX + 1; c++) {
			if (c == n)
				continue;
			p = fx->pr[i];
			p.count = c;
			assert_err(verify(fx, i, &p), LSN_EBADSIG);
		}
		/* a path one short, one long, an entry flipped, swapped */
		p = fx->pr[i];
		p.depth--;
		assert_err(verify(fx, i, &p), LSN_EBADSIG);
		p = fx->pr[i];
		if (p.depth < LSN_BATCH_DEPTH_MAX) {
			memcpy(p.path[p.depth], p.path[0], 32);
			p.depth++;
			assert_err(verify(fx, i, &p), LSN_EBADSIG);
		}
		for (size_t k = 0; k < fx->pr[i].depth; k++) {
			p = fx->pr[i];
			p.path[k][k % 32] ^= 0x01;
			assert_err(verify(fx, i, &p), LSN_EBADSIG);
		}
		if (fx->pr[i].depth >= 2) {
			p = fx->pr[i];
			memcpy(p.path[0], fx->pr[i].path[1], 32);
			memcpy(p.path[1], fx->pr[i].path[0], 32);
			assert_err(verify(fx, i, &p), LSN_EBADSIG);
		}
		/* every bit of the envelope */
		for (size_t b = 0; b < fx->len[i] * 8; b += 13) {
			memcpy(env, fx->ep[i], fx->len[i]);
			env[b / 8] ^= (uint8_t) (1u << (b % 8));
			assert_err(lsn_batch_verify(fx->kp->pk, env,
			    fx->len[i], &fx->pr[i], fx->sig, LSN_SIG_BYTES),
			    LSN_EBADSIG);
		}
		/* one bit of the signature; a short signature */
		memcpy(sig, fx->sig, sizeof(sig));
		sig[i % LSN_SIG_BYTES] ^= 0x80;
		assert_err(lsn_batch_verify(fx->kp->pk, fx->ep[i], fx->len[i],
		    &fx->pr[i], sig, LSN_SIG_BYTES), LSN_EBADSIG);
		assert_err(lsn_batch_verify(fx->kp->pk, fx->ep[i], fx->len[i],
		    &fx->pr[i], fx->sig, LSN_SIG_BYTES - 1), LSN_EBADSIG);
	}
}

/*
 * Second preimage: an inner node's two children presented as an envelope
 * of a smaller "batch" never verify (leaf and node hashes differ).
 */
static void
test_batch_node_as_leaf_refused(void **state)
{
	struct fx		*fx = *state;
	struct lsn_batch_proof	 p;
	uint8_t			 l0[32], l1[32], two[64];

	assert_ok(lsn_batch_sign(fx->kp, fx->ep, fx->len, 4, fx->sig,
	    fx->pr));
	lsn_batch_leaf(fx->ep[0], fx->len[0], l0);
	lsn_batch_leaf(fx->ep[1], fx->len[1], l1);
	memcpy(two, l0, 32);
	memcpy(two + 32, l1, 32);
	/* "leaf 0 of 2" whose sibling is node(l2, l3) */
	memset(&p, 0, sizeof(p));
	p.index = 0;
	p.count = 2;
	p.depth = 1;
	memcpy(p.path[0], fx->pr[0].path[1], 32);
	assert_err(lsn_batch_verify(fx->kp->pk, two, sizeof(two), &p, fx->sig,
	    LSN_SIG_BYTES), LSN_EBADSIG);
	p.count = 4;
	assert_err(lsn_batch_verify(fx->kp->pk, two, sizeof(two), &p, fx->sig,
	    LSN_SIG_BYTES), LSN_EBADSIG);
}

static void
test_batch_sign_bad_args(void **state)
{
	struct fx	*fx = *state;
	size_t		 zero[2] = { 0, 0 };

	assert_err(lsn_batch_sign(fx->kp, fx->ep, fx->len, 1, fx->sig,
	    fx->pr), LSN_EINVAL);
	assert_err(lsn_batch_sign(fx->kp, fx->ep, fx->len, LSN_BATCH_MAX + 1,
	    fx->sig, fx->pr), LSN_EINVAL);
	assert_err(lsn_batch_sign(fx->kp, fx->ep, zero, 2, fx->sig, fx->pr),
	    LSN_EINVAL);
	assert_err(lsn_batch_sign(NULL, fx->ep, fx->len, 2, fx->sig, fx->pr),
	    LSN_EINVAL);
	assert_err(lsn_batch_verify(fx->kp->pk, NULL, 1, &fx->pr[0], fx->sig,
	    LSN_SIG_BYTES), LSN_EBADSIG);
}

/* Another thread reaches the same verdicts (the cache is the process's). */
static void *
other_thread(void *arg)
{
	struct fx		*fx = arg;
	struct lsn_batch_proof	 p = fx->pr[1];
	intptr_t		 bad = 0;

	if (verify(fx, 1, &fx->pr[1]) != LSN_OK)
		bad++;
	p.index = 0;
	if (verify(fx, 1, &p) != LSN_EBADSIG)
		bad++;
	return ((void *) bad);
}

static void
test_batch_cache_shared(void **state)
{
	struct fx	*fx = *state;
	pthread_t	 t;
	void		*res;

	struct lsn_batch_proof	 bent;

	for (int i = 0; i < 5; i++)	/* a batch no other test signed */
		lsn_random(fx->env[i], ENVSZ);
	assert_ok(lsn_batch_sign(fx->kp, fx->ep, fx->len, 5, fx->sig,
	    fx->pr));
	/* known only once verified, and only with a fitting proof */
	assert_false(lsn_batch_known(fx->kp->pk, fx->ep[0], fx->len[0],
	    &fx->pr[0], fx->sig, LSN_SIG_BYTES));
	assert_ok(verify(fx, 0, &fx->pr[0]));
	assert_true(lsn_batch_known(fx->kp->pk, fx->ep[3], fx->len[3],
	    &fx->pr[3], fx->sig, LSN_SIG_BYTES));
	assert_false(lsn_batch_known(fx->other->pk, fx->ep[3], fx->len[3],
	    &fx->pr[3], fx->sig, LSN_SIG_BYTES));
	assert_false(lsn_batch_known(fx->kp->pk, fx->ep[2], fx->len[2],
	    &fx->pr[3], fx->sig, LSN_SIG_BYTES));
	bent = fx->pr[3];
	bent.path[0][0] ^= 1;
	assert_false(lsn_batch_known(fx->kp->pk, fx->ep[3], fx->len[3],
	    &bent, fx->sig, LSN_SIG_BYTES));
	assert_int_equal(pthread_create(&t, NULL, other_thread, fx), 0);
	assert_int_equal(pthread_join(t, &res), 0);
	assert_null(res);
	/* more batches than the cache holds: the first still verifies */
	for (int k = 0; k < LSN_BATCH_CACHE + 3; k++) {
		uint8_t			sig[LSN_SIG_BYTES];
		struct lsn_batch_proof	pr[2];
		const uint8_t		*ep[2] = { fx->ep[k % 8], fx->ep[9] };
		size_t			len[2] = { fx->len[k % 8], (size_t) k + 1 };

		assert_ok(lsn_batch_sign(fx->kp, ep, len, 2, sig, pr));
		assert_ok(lsn_batch_verify(fx->kp->pk, ep[1], len[1], &pr[1],
		    sig, LSN_SIG_BYTES));
	}
	assert_ok(verify(fx, 4, &fx->pr[4]));
}

/* ---- the SignedEnvelope batch form ---- */

static void
note_env(Liaison__V1__Envelope *e, Liaison__V1__Handling *h, uint8_t id[16],
    char **to, uint8_t *body, size_t bodysz, int k)
{
	Liaison__V1__Note	note = LIAISON__V1__NOTE__INIT;
	char			txt[64];
	static char		to0[] = "uk-ceop";

	snprintf(txt, sizeof(txt), "Synthetic batch note %d.", k);
	note.text = txt;
	lsn_random(id, 16);
	to[0] = to0;
	h->has_tlp = 1;
	h->tlp = LIAISON__V1__TLP__TLP_GREEN;
	e->has_version = 1;
	e->version = 1;
	e->has_message_id = 1;
	e->message_id.data = id;
	e->message_id.len = 16;
	e->n_to = 1;
	e->to = to;
	e->has_created_ms = 1;
	e->created_ms = 1700000000000ULL;
	e->has_type = 1;
	e->type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	e->handling = h;
	e->has_body = 1;
	e->body.data = body;
	assert_true(liaison__v1__note__get_packed_size(&note) <= bodysz);
	e->body.len = liaison__v1__note__pack(&note, body);
}

/* Four envelopes packed, batch-signed, wrapped: each opens alone. */
static void
wrap4(struct fx *fx, uint8_t *out[4], size_t outlen[4])
{
	uint8_t		*eb[4], id[4][16], body[4][96];
	size_t		 el[4];
	char		*to[4][1];
	const char	*field = NULL;

	for (int k = 0; k < 4; k++) {
		Liaison__V1__Envelope	e = LIAISON__V1__ENVELOPE__INIT;
		Liaison__V1__Handling	h = LIAISON__V1__HANDLING__INIT;

		note_env(&e, &h, id[k], to[k], body[k], sizeof(body[k]), k);
		assert_ok(lsn_envelope_pack(&e, fx->kp, &eb[k], &el[k],
		    &field));
	}
	assert_ok(lsn_batch_sign(fx->kp, (const uint8_t *const *) eb, el, 4,
	    fx->sig, fx->pr));
	for (int k = 0; k < 4; k++) {
		assert_ok(lsn_envelope_wrap_batch(eb[k], el[k], fx->sig,
		    fx->kp->label, fx->kp->key_id, &fx->pr[k], &out[k],
		    &outlen[k]));
		free(eb[k]);
	}
}

static int
open_one(const uint8_t *buf, size_t len, const uint8_t *pk,
    const char **fieldp)
{
	struct lsn_envelope_outer	*o = NULL;
	Liaison__V1__Envelope		*env = NULL;
	int				 rv;

	if ((rv = lsn_envelope_peek(buf, len, 0, &o, fieldp)) != LSN_OK)
		return (rv);
	rv = lsn_envelope_verify_parse(o, pk, &env, fieldp);
	lsn_envelope_outer_destroy(&o);
	lsn_envelope_free(&env);
	return (rv);
}

static void
test_envelope_batch_form_opens(void **state)
{
	struct fx	*fx = *state;
	uint8_t		*out[4];
	size_t		 outlen[4];
	const char	*field = NULL;

	wrap4(fx, out, outlen);
	for (int k = 0; k < 4; k++) {
		assert_ok(open_one(out[k], outlen[k], fx->kp->pk, &field));
		assert_err(open_one(out[k], outlen[k], fx->other->pk, &field),
		    LSN_EBADSIG);
		free(out[k]);
	}
}

/* Re-packs out with its BatchProof changed by bend; returns the result. */
static int
bent(const uint8_t *buf, size_t len, const uint8_t *pk, int what,
    const char **fieldp)
{
	Liaison__V1__SignedEnvelope	*se;
	uint8_t				*b2, extra[32] = { 0 };
	ProtobufCBinaryData		 path[LSN_BATCH_DEPTH_MAX + 1];
	ProtobufCBinaryData		*orig = NULL;
	Liaison__V1__BatchProof		*ob = NULL;
	size_t				 n, on = 0;
	int				 rv;

	se = liaison__v1__signed_envelope__unpack(NULL, len, buf);
	assert_non_null(se);
	assert_non_null(se->batch);
	switch (what) {
	case 0:	/* count 1 */
		se->batch->leaf_count = 1;
		se->batch->leaf_index = 0;
		break;
	case 1:	/* count 65 */
		se->batch->leaf_count = LSN_BATCH_MAX + 1;
		break;
	case 2:	/* index == count */
		se->batch->leaf_index = se->batch->leaf_count;
		break;
	case 3:	/* no index */
		se->batch->has_leaf_index = 0;
		break;
	case 4:	/* a 31-byte path entry */
		se->batch->path[0].len = 31;
		break;
	case 5:	/* seven path entries */
		for (size_t i = 0; i <= LSN_BATCH_DEPTH_MAX; i++) {
			path[i].len = 32;
			path[i].data = extra;
		}
		orig = se->batch->path;
		on = se->batch->n_path;
		se->batch->n_path = LSN_BATCH_DEPTH_MAX + 1;
		se->batch->path = path;
		break;
	case 6:	/* the proof removed: the batch signature as a single one */
		ob = se->batch;
		se->batch = NULL;
		break;
	}
	n = liaison__v1__signed_envelope__get_packed_size(se);
	assert_non_null(b2 = malloc(n));
	liaison__v1__signed_envelope__pack(se, b2);
	if (what == 5) {
		se->batch->n_path = on;	/* the unpacked ones, to be freed */
		se->batch->path = orig;
	}
	if (what == 6)
		se->batch = ob;
	rv = open_one(b2, n, pk, fieldp);
	free(b2);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	return (rv);
}

static void
test_envelope_batch_shape_refused(void **state)
{
	struct fx	*fx = *state;
	uint8_t		*out[4];
	size_t		 outlen[4];
	const char	*field;

	wrap4(fx, out, outlen);
	for (int what = 0; what <= 6; what++) {
		field = NULL;
		assert_err(bent(out[0], outlen[0], fx->kp->pk, what, &field),
		    LSN_EBADSIG);
		assert_non_null(field);
		assert_string_equal(field, what == 6 ? "signature" :
		    "batch");
	}
	for (int k = 0; k < 4; k++)
		free(out[k]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_every_size_every_leaf),
		cmocka_unit_test(test_batch_shape_by_hand),
		cmocka_unit_test(test_batch_bent_proofs_refused),
		cmocka_unit_test(test_batch_node_as_leaf_refused),
		cmocka_unit_test(test_batch_sign_bad_args),
		cmocka_unit_test(test_batch_cache_shared),
		cmocka_unit_test(test_envelope_batch_form_opens),
		cmocka_unit_test(test_envelope_batch_shape_refused),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
