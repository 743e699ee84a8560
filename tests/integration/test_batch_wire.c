/*
 * test_batch_wire.c -- the batch form of SignedEnvelope (issue 14) against
 * the real liaison-broker over CURVE, by a member speaking the wire with
 * its own real keys (docs/threat-model.md, "member with its own keys").
 * A valid batch is acked and queued leaf by leaf; every bent batch --
 * wrong leaf_index or leaf_count, a path one entry short or long, a
 * flipped path byte, a leaf of batch A with the signature of batch B, the
 * batch signature without its proof, a batch signed by another member's
 * key under this member's hints, leaf_count 1 or 65 -- is answered
 * PublishAck E_BADSIG and nothing of it is stored or queued; and after a
 * batch verified (the broker's per-thread cache warm) the same root and
 * signature with one bent leaf is still E_BADSIG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "liaison/batchsig.h"
#include "liaison/envelope.h"
#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define T_MS	10000	/* generous wait for an answer */
#define P_FROM	0	/* p01: the member speaking the wire */
#define P_OTHER	1	/* p02: another member (its key) */
#define RCPT	"p03"	/* never connected: its queue keeps everything */

struct bw {
	struct lsn_fixture	*fx;
	int			 pid;
	char			 ep[256];
	void			*ctx;
	void			*s;	/* p01's connection */
};

static struct bw	*G;
static long		 nrefused;	/* bent envelopes refused */

/* One signed batch: n envelopes from partners[from] to RCPT. */
struct batch {
	size_t			 n;
	uint8_t			*env[LSN_BATCH_MAX];
	size_t			 len[LSN_BATCH_MAX];
	uint8_t			 sig[LSN_SIG_BYTES];
	struct lsn_batch_proof	 p[LSN_BATCH_MAX];
};

/* ---- helpers ---- */

static long long
db_count(const char *sql)
{
	return (lsn_test_db_count(G->fx->broker_db, sql));
}

static long long
queued(void)
{
	return (db_count("SELECT COUNT(*) FROM queue WHERE recipient = '"
	    RCPT "'"));
}

static long long
stored(void)
{
	return (db_count("SELECT COUNT(*) FROM messages"));
}

/* n envelopes of partners[from], packed, signed as one batch by kp. */
static void
batch_make(struct batch *b, size_t n, size_t from,
    const struct lsn_keypair *kp)
{
	struct lsn_fixture_msg	m = { .to = { RCPT } };

	memset(b, 0, sizeof(*b));
	b->n = n;
	m.text = "batch wire";
	for (size_t i = 0; i < n; i++)
		assert_ok(lsn_fixture_envelope_pack(G->fx, from, &m, NULL,
		    &b->env[i], &b->len[i]));
	assert_ok(lsn_batch_sign(kp, (const uint8_t *const *) b->env, b->len,
	    n, b->sig, b->p));
}

static void
batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->env[i]);
	memset(b, 0, sizeof(*b));
}

/*
 * SignedEnvelope{env, sig, p01's hints, BatchProof{index, count, the first
 * depth 32-byte entries of path}} packed as it is, whatever the shape
 * (depth up to 8); p NULL: no batch field (the single form).
 */
static uint8_t *
wrap(const uint8_t *env, size_t envlen, const uint8_t *sig,
    const struct lsn_batch_proof *p, uint32_t index, uint32_t count,
    const void *path, size_t depth, size_t *outlen)
{
	const struct lsn_fixture_partner *me = &G->fx->partners[P_FROM];
	Liaison__V1__SignedEnvelope	 se =
	    LIAISON__V1__SIGNED_ENVELOPE__INIT;
	Liaison__V1__BatchProof		 bp = LIAISON__V1__BATCH_PROOF__INIT;
	ProtobufCBinaryData		 pb[8];
	uint8_t				*out;

	assert_true(depth <= 8);
	se.has_envelope = 1;
	se.envelope.data = (uint8_t *) (uintptr_t) env;
	se.envelope.len = envlen;
	se.has_signature = 1;
	se.signature.data = (uint8_t *) (uintptr_t) sig;
	se.signature.len = LSN_SIG_BYTES;
	se.signer = (char *) (uintptr_t) me->id;
	se.key_id = (char *) (uintptr_t) me->sign->key_id;
	if (p != NULL) {
		for (size_t i = 0; i < depth; i++) {
			pb[i].data = (uint8_t *) (uintptr_t) path +
			    i * LSN_HASH_BYTES;
			pb[i].len = LSN_HASH_BYTES;
		}
		bp.has_leaf_index = bp.has_leaf_count = 1;
		bp.leaf_index = index;
		bp.leaf_count = count;
		bp.n_path = depth;
		bp.path = pb;
		se.batch = &bp;
	}
	*outlen = liaison__v1__signed_envelope__get_packed_size(&se);
	assert_non_null(out = malloc(*outlen + 1));
	(void) liaison__v1__signed_envelope__pack(&se, out);
	return (out);
}

/* Leaf i of b as sent: its own proof and b's signature. */
static uint8_t *
leaf(const struct batch *b, size_t i, size_t *outlen)
{
	return (wrap(b->env[i], b->len[i], b->sig, &b->p[i], b->p[i].index,
	    b->p[i].count, b->p[i].path,
	    b->p[i].depth, outlen));
}

/*
 * Publishes buf (takes it) of *lenp bytes on p01's connection; the
 * PublishAck's code. A pointer, as buf is often made in the same call
 * (wrap(..., &len)) and arguments are evaluated in no fixed order.
 */
static int
publish(uint8_t *buf, const size_t *lenp)
{
	int	code = 999;

	assert_ok(lsn_fixture_publish(G->s, buf, *lenp, T_MS, &code));
	free(buf);
	assert_true(lsn_proc_alive(G->pid));
	return (code);
}

/* A bent envelope (buf taken) must be refused E_BADSIG. */
static void
refused(uint8_t *buf, const size_t *lenp, const char *what)
{
	int	code = publish(buf, lenp);

	if (code != LSN_EBADSIG)
		fail_msg("%s: answered %s, want E_BADSIG", what,
		    lsn_errname(code));
	nrefused++;
}

/* Every leaf of b published in order: each acked and queued. */
static void
publish_all(const struct batch *b)
{
	long long	q0 = queued();
	size_t		len;

	for (size_t i = 0; i < b->n; i++)
		assert_int_equal(publish(leaf(b, i, &len), &len), LSN_OK);
	assert_int_equal(queued(), q0 + (long long) b->n);
}

/* Bends the first letter of the note text "batch wire" in env. */
static void
text_bend(uint8_t *env, size_t len)
{
	for (size_t k = 0; k + 10 <= len; k++)
		if (memcmp(env + k, "batch wire", 10) == 0) {
			env[k] = 'c';
			return;
		}
	fail_msg("no note text in the envelope");
}

/* ---- setup ---- */

static int
group_setup(void **state)
{
	struct lsn_fixture_opts	 o = { .npartners = 4 };
	struct bw		*t = calloc(1, sizeof(*t));

	if (t == NULL || lsn_init() != LSN_OK)
		return (-1);
	if (lsn_fixture_create(&o, &t->fx) != LSN_OK)
		return (-1);
	if (lsn_fixture_write_broker_conf(t->fx, NULL,
	    "max_msg_bytes = 65536\nskew_ms = 60s\nheartbeat_ms = 5s\n") !=
	    LSN_OK)
		return (-1);
	if (lsn_fixture_start_broker(t->fx, getenv("LSN_TEST_VERBOSE") !=
	    NULL, &t->pid, t->ep, sizeof(t->ep)) != LSN_OK)
		return (-1);
	t->ctx = zmq_ctx_new();
	if (lsn_fixture_dealer(t->fx, t->ctx, P_FROM, NULL, t->ep, &t->s) !=
	    LSN_OK)
		return (-1);
	G = t;
	*state = t;
	return (0);
}

static int
group_teardown(void **state)
{
	struct bw	*t = *state;
	int		 rv = 0;

	if (t == NULL)
		return (0);
	printf("  bent batch envelopes refused with E_BADSIG: %ld\n",
	    nrefused);
	zmq_close(t->s);
	zmq_ctx_term(t->ctx);
	if (t->pid > 0 && lsn_proc_alive(t->pid) &&
	    lsn_proc_stop(t->pid) != 0) {
		lsn_proc_dump_log(t->fx->broker_log, 8000);
		rv = -1;
	}
	lsn_proc_kill_all();
	lsn_fixture_destroy(&t->fx);
	free(t);
	return (rv);
}

/* ---- tests ---- */

static void
test_batch_wire_valid_batches_queued(void **state)
{
	struct bw	*t = *state;
	struct batch	 b;
	long long	 s0 = stored();

	/* the full batch, an odd one, the smallest */
	batch_make(&b, LSN_BATCH_MAX, P_FROM, t->fx->partners[P_FROM].sign);
	publish_all(&b);
	batch_free(&b);
	batch_make(&b, 5, P_FROM, t->fx->partners[P_FROM].sign);
	publish_all(&b);
	batch_free(&b);
	batch_make(&b, 2, P_FROM, t->fx->partners[P_FROM].sign);
	publish_all(&b);
	batch_free(&b);
	assert_int_equal(stored(), s0 + LSN_BATCH_MAX + 5 + 2);
}

/* Leaf i of b under a proof that is not its own: index, count, path. */
static void
bent_proofs(const struct batch *b, size_t i)
{
	const struct lsn_batch_proof	*p = &b->p[i];
	uint8_t				 path[8][LSN_HASH_BYTES];
	size_t				 len, j = (i + 1) % b->n;
	char				 what[96];

	memset(path, 0x5a, sizeof(path));
	memcpy(path, p->path, p->depth * LSN_HASH_BYTES);
	snprintf(what, sizeof(what), "leaf %zu/%zu: leaf_index %zu", i, b->n,
	    j);
	refused(wrap(b->env[i], b->len[i], b->sig, p, (uint32_t) j, p->count,
	    path, p->depth, &len), &len, what);
	snprintf(what, sizeof(what), "leaf %zu/%zu: the proof of leaf %zu",
	    i, b->n, j);
	refused(wrap(b->env[i], b->len[i], b->sig, p, (uint32_t) j, p->count,
	    b->p[j].path, b->p[j].depth,
	    &len), &len, what);
	for (uint32_t c = 2; c <= LSN_BATCH_MAX; c++) {
		if (c == p->count || i >= c)
			continue;
		snprintf(what, sizeof(what), "leaf %zu/%zu: leaf_count %u", i,
		    b->n, c);
		refused(wrap(b->env[i], b->len[i], b->sig, p, p->index, c,
		    path, p->depth, &len), &len, what);
	}
	snprintf(what, sizeof(what), "leaf %zu/%zu: path one short", i, b->n);
	refused(wrap(b->env[i], b->len[i], b->sig, p, p->index, p->count,
	    path, p->depth - 1, &len), &len, what);
	snprintf(what, sizeof(what), "leaf %zu/%zu: path one long", i, b->n);
	refused(wrap(b->env[i], b->len[i], b->sig, p, p->index, p->count,
	    path, p->depth + 1, &len), &len, what);
	for (size_t d = 0; d < p->depth; d++) {
		path[d][d % LSN_HASH_BYTES] ^= 0x01;
		snprintf(what, sizeof(what), "leaf %zu/%zu: path[%zu] byte "
		    "flipped", i, b->n, d);
		refused(wrap(b->env[i], b->len[i], b->sig, p, p->index,
		    p->count, path, p->depth, &len), &len, what);
		path[d][d % LSN_HASH_BYTES] ^= 0x01;
	}
	snprintf(what, sizeof(what), "leaf %zu/%zu: leaf_index = leaf_count",
	    i, b->n);
	refused(wrap(b->env[i], b->len[i], b->sig, p, p->count, p->count,
	    path, p->depth, &len), &len, what);
	snprintf(what, sizeof(what), "leaf %zu/%zu: leaf_count 1", i, b->n);
	refused(wrap(b->env[i], b->len[i], b->sig, p, 0, 1, path, 0, &len),
	    &len, what);
	snprintf(what, sizeof(what), "leaf %zu/%zu: leaf_count 65", i, b->n);
	refused(wrap(b->env[i], b->len[i], b->sig, p, p->index,
	    LSN_BATCH_MAX + 1, path, 7, &len), &len, what);
	refused(wrap(b->env[i], b->len[i], b->sig, p, p->index,
	    LSN_BATCH_MAX + 1, path, p->depth, &len), &len, what);
}

static void
test_batch_wire_bent_batches_refused(void **state)
{
	struct bw	*t = *state;
	struct batch	 a, b, c, o;
	long long	 q0 = queued(), s0 = stored();
	uint8_t		*e, *buf;
	size_t		 len, leaves[] = { 0, 1, 2, 31, 62, 63 };

	batch_make(&a, LSN_BATCH_MAX, P_FROM, t->fx->partners[P_FROM].sign);
	batch_make(&b, LSN_BATCH_MAX, P_FROM, t->fx->partners[P_FROM].sign);
	batch_make(&c, 5, P_FROM, t->fx->partners[P_FROM].sign);
	for (size_t k = 0; k < sizeof(leaves) / sizeof(leaves[0]); k++)
		bent_proofs(&a, leaves[k]);
	for (size_t i = 0; i < c.n; i++)
		bent_proofs(&c, i);
	for (size_t i = 0; i < a.n; i++) {
		/* a leaf of A with B's signature (A's proof, B's proof) */
		refused(wrap(a.env[i], a.len[i], b.sig, &a.p[i], a.p[i].index,
		    a.p[i].count, a.p[i].path, a.p[i].depth, &len), &len,
		    "leaf of A, signature of B");
		refused(wrap(a.env[i], a.len[i], b.sig, &b.p[i], b.p[i].index,
		    b.p[i].count, b.p[i].path, b.p[i].depth, &len), &len,
		    "leaf of A, proof and signature of B");
		/* the batch signature presented as a single one */
		refused(wrap(a.env[i], a.len[i], a.sig, NULL, 0, 0, NULL, 0,
		    &len), &len, "batch signature without its proof");
	}
	/* the signed bytes bent, proof and signature as signed */
	assert_non_null(e = malloc(a.len[7]));
	for (size_t off = 0; off < a.len[7]; off += 7) {
		memcpy(e, a.env[7], a.len[7]);
		e[off] ^= 0x20;
		refused(wrap(e, a.len[7], a.sig, &a.p[7], a.p[7].index,
		    a.p[7].count, a.p[7].path, a.p[7].depth, &len), &len,
		    "leaf byte bent");
	}
	memcpy(e, a.env[7], a.len[7]);
	text_bend(e, a.len[7]);
	refused(wrap(e, a.len[7], a.sig, &a.p[7], a.p[7].index, a.p[7].count,
	    a.p[7].path, a.p[7].depth, &len), &len, "note text bent");
	free(e);
	/* p01's envelopes and hints, batch-signed with p02's key */
	batch_make(&o, LSN_BATCH_MAX, P_FROM, t->fx->partners[P_OTHER].sign);
	for (size_t i = 0; i < o.n; i++)
		refused(leaf(&o, i, &len), &len, "signed by another member");
	/* nothing of it stored or queued; the good batches still go */
	assert_int_equal(queued(), q0);
	assert_int_equal(stored(), s0);
	publish_all(&b);
	buf = leaf(&a, 3, &len);
	assert_int_equal(publish(buf, &len), LSN_OK);
	assert_int_equal(queued(), q0 + LSN_BATCH_MAX + 1);
	assert_int_equal(stored(), s0 + LSN_BATCH_MAX + 1);
	batch_free(&a);
	batch_free(&b);
	batch_free(&c);
	batch_free(&o);
}

/*
 * A batch verified once is in the broker's verification threads' caches
 * (keyed by key, count, root and signature): a bent leaf under the same
 * root and signature must still fail, as must another envelope of p01's
 * presented as one of its leaves.
 */
static void
test_batch_wire_warm_cache_bent_leaf(void **state)
{
	struct bw		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { RCPT } };
	struct batch		 b;
	long long		 q0, s0;
	uint8_t			*e, *other;
	size_t			 len, olen;

	batch_make(&b, LSN_BATCH_MAX, P_FROM, t->fx->partners[P_FROM].sign);
	publish_all(&b);
	/* the same bytes again: acked (idempotent), not stored twice */
	q0 = queued();
	s0 = stored();
	for (size_t i = 0; i < b.n; i++) {
		assert_int_equal(publish(leaf(&b, i, &len), &len), LSN_OK);
		assert_int_equal(queued(), q0);
	}
	assert_ok(lsn_fixture_envelope_pack(t->fx, P_FROM, &m, NULL, &other,
	    &olen));
	for (size_t i = 0; i < b.n; i++) {
		/* leaf i, one letter of its note text bent: still a valid
		 * envelope of p01's, only the signature can refuse it */
		assert_non_null(e = malloc(b.len[i]));
		memcpy(e, b.env[i], b.len[i]);
		text_bend(e, b.len[i]);
		refused(wrap(e, b.len[i], b.sig, &b.p[i], b.p[i].index,
		    b.p[i].count, b.p[i].path, b.p[i].depth, &len), &len,
		    "warm cache: leaf byte bent");
		free(e);
		/* another valid envelope of p01 in leaf i's place */
		refused(wrap(other, olen, b.sig, &b.p[i], b.p[i].index,
		    b.p[i].count, b.p[i].path, b.p[i].depth, &len), &len,
		    "warm cache: another envelope as leaf");
		/* leaf i under leaf i+1's proof */
		refused(wrap(b.env[i], b.len[i], b.sig, &b.p[i],
		    b.p[(i + 1) % b.n].index, b.p[i].count,
		    b.p[(i + 1) % b.n].path, b.p[(i + 1) % b.n].depth, &len),
		    &len, "warm cache: leaf under its neighbour's proof");
	}
	free(other);
	assert_int_equal(queued(), q0);
	assert_int_equal(stored(), s0);
	batch_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_wire_valid_batches_queued),
		cmocka_unit_test(test_batch_wire_bent_batches_refused),
		cmocka_unit_test(test_batch_wire_warm_cache_bent_leaf),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
