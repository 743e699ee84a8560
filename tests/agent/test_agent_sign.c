/*
 * test_agent_sign.c -- the turn's signatures (agent/outbox_sign.c),
 * in-process without a broker: the messages of one turn to the same
 * recipients share one batch signature, each row opens with the agent's
 * key through lsn_envelope_peek / lsn_envelope_verify_parse (so no row is
 * ever committed with its placeholder), other recipients get their own
 * batch, a message alone and envelope_batch = no keep the single form, a
 * savepoint rolled back and a failed turn leave nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/util.h"

#include "agent.h"
#include "agent_fixture.h"
#include "astore.h"
#include "lsn_test.h"

#define NMAX	16

static int
setup(void **state)
{
	return (agent_fx_setup(state, 3));
}

/* A GREEN note to to0 (and to1 when not NULL). */
static int
submit(struct agent_env *e, const char *to0, const char *to1,
    uint8_t id[16])
{
	Liaison__V1__SubmitRequest	r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		n = LIAISON__V1__NOTE__INIT;
	uint8_t				body[128];
	char				*tov[2], detail[256];

	n.text = (char *) (uintptr_t) "Synthetic coordination note.";
	r.body.len = liaison__v1__note__pack(&n, body);
	r.body.data = body;
	r.has_body = 1;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	tov[0] = (char *) (uintptr_t) to0;
	tov[1] = (char *) (uintptr_t) to1;
	r.n_to = to1 != NULL ? 2 : 1;
	r.to = tov;
	detail[0] = '\0';
	return (outbox_submit(e->a, &r, id, detail, sizeof(detail)));
}

/* What one committed row holds once opened. */
struct opened {
	int	batch;		/* the batch form */
	uint32_t count;
	uint8_t	sig[LSN_SIG_BYTES];
};

struct walk {
	struct agent_env	*e;
	size_t			 n;
	uint8_t			 ids[NMAX][16];
	struct opened		 o[NMAX];
	uint8_t			 hash[NMAX][LSN_HASH_BYTES];
};

/* Opens every outbox row as a recipient would: it must verify. */
static int
open_row(void *arg, const struct astore_outbox_row *r)
{
	struct walk			*w = arg;
	struct lsn_envelope_outer	*o = NULL;
	Liaison__V1__Envelope		*env = NULL;
	const char			*field = NULL;

	assert_true(w->n < NMAX);
	assert_ok(lsn_envelope_peek(r->signed_env, r->signed_len, 0, &o,
	    &field));
	if (lsn_envelope_verify_parse(o, w->e->a->sign_kp->pk, &env,
	    &field) != LSN_OK)
		fail_msg("outbox row %zu does not verify (%s)", w->n,
		    field != NULL ? field : "-");
	memcpy(w->ids[w->n], env->message_id.data, 16);
	w->o[w->n].batch = o->has_batch;
	w->o[w->n].count = o->has_batch ? o->batch.count : 1;
	memcpy(w->o[w->n].sig, o->sig, LSN_SIG_BYTES);
	assert_ok(lsn_envelope_hash(o, w->hash[w->n]));
	w->n++;
	lsn_envelope_free(&env);
	lsn_envelope_outer_destroy(&o);
	return (0);
}

static void
open_all(struct agent_env *e, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	w->e = e;
	assert_ok(astore_outbox_pending(e->a, 0, NMAX, open_row, w));
}

/* The row of message id in w. */
static const struct opened *
row_of(const struct walk *w, const uint8_t id[16])
{
	for (size_t i = 0; i < w->n; i++)
		if (memcmp(w->ids[i], id, 16) == 0)
			return (&w->o[i]);
	fail_msg("message not in the outbox");
	return (NULL);
}

static void
test_agent_sign_one_signature_per_recipients(void **state)
{
	struct agent_env	*e = *state;
	const char		*p0 = e->fx->partners[0].id;
	const char		*p2 = e->fx->partners[2].id;
	uint8_t			 a[5][16], b[3][16], c[16];
	const struct opened	*x, *y;
	struct walk		 w;

	assert_ok(agent_tx_begin(e->a));
	for (int i = 0; i < 5; i++) {
		assert_ok(submit(e, p0, NULL, a[i]));
		if (i < 3)
			assert_ok(submit(e, p2, NULL, b[i]));
	}
	assert_ok(submit(e, p0, p2, c));
	assert_ok(agent_tx_commit(e->a));
	assert_int_equal(e->a->nus, 0);
	open_all(e, &w);
	assert_int_equal(w.n, 9);
	x = row_of(&w, a[0]);
	assert_true(x->batch);
	assert_int_equal(x->count, 5);
	for (int i = 1; i < 5; i++) {
		y = row_of(&w, a[i]);
		assert_true(y->batch);
		assert_memory_equal(y->sig, x->sig, LSN_SIG_BYTES);
	}
	y = row_of(&w, b[0]);
	assert_true(y->batch);
	assert_int_equal(y->count, 3);
	assert_memory_not_equal(y->sig, x->sig, LSN_SIG_BYTES);
	/* alone with its recipients: the single form */
	assert_false(row_of(&w, c)->batch);
}

static void
test_agent_sign_batch_off_signs_each(void **state)
{
	struct agent_env	*e = *state;
	uint8_t			 id[3][16];
	struct walk		 w;

	e->a->conf.envelope_batch = 0;
	assert_ok(agent_tx_begin(e->a));
	for (int i = 0; i < 3; i++)
		assert_ok(submit(e, e->fx->partners[0].id, NULL, id[i]));
	assert_ok(agent_tx_commit(e->a));
	open_all(e, &w);
	assert_int_equal(w.n, 3);
	for (int i = 0; i < 3; i++)
		assert_false(row_of(&w, id[i])->batch);
}

/* A submit outside any turn commits at once, alone: the single form. */
static void
test_agent_sign_outside_turn(void **state)
{
	struct agent_env	*e = *state;
	uint8_t			 id[16];
	struct walk		 w;

	assert_ok(submit(e, e->fx->partners[0].id, NULL, id));
	assert_int_equal(e->a->nus, 0);
	open_all(e, &w);
	assert_int_equal(w.n, 1);
	assert_false(row_of(&w, id)->batch);
}

/*
 * A message whose savepoint is rolled back after it was queued still
 * counts as a leaf of its batch, but has no row; the others verify. A
 * failed turn signs nothing and leaves nothing queued.
 */
static void
test_agent_sign_rollbacks(void **state)
{
	struct agent_env	*e = *state;
	const char		*p0 = e->fx->partners[0].id;
	uint8_t			 gone[16], kept[2][16], lost[16];
	struct walk		 w;

	assert_ok(agent_tx_begin(e->a));
	assert_ok(submit(e, p0, NULL, kept[0]));
	assert_ok(agent_savepoint(e->a, AGENT_SP_BEGIN));
	assert_ok(submit(e, p0, NULL, gone));
	assert_ok(agent_savepoint(e->a, AGENT_SP_ROLLBACK));
	assert_ok(submit(e, p0, NULL, kept[1]));
	assert_int_equal(e->a->nus, 3);
	assert_ok(agent_tx_commit(e->a));
	open_all(e, &w);
	assert_int_equal(w.n, 2);
	assert_int_equal(row_of(&w, kept[0])->count, 3);
	assert_int_equal(row_of(&w, kept[1])->count, 3);

	assert_ok(agent_tx_begin(e->a));
	assert_ok(submit(e, p0, NULL, lost));
	e->a->tx_failed = 1;
	assert_int_equal(agent_tx_commit(e->a), LSN_EDB);
	assert_int_equal(e->a->nus, 0);
	open_all(e, &w);
	assert_int_equal(w.n, 2);
}

/*
 * The hash receipts name is kept with each row (no receipt check reads
 * and hashes the stored envelope); a row from before the column still
 * gives it, from the stored envelope.
 */
static void
test_agent_sign_env_hash_kept(void **state)
{
	struct agent_env	*e = *state;
	struct walk		 w;
	uint8_t			 id[2][16], h[LSN_HASH_BYTES];
	uint8_t			 want[2][LSN_HASH_BYTES];

	assert_ok(agent_tx_begin(e->a));
	for (int i = 0; i < 2; i++)
		assert_ok(submit(e, e->fx->partners[0].id, NULL, id[i]));
	assert_ok(agent_tx_commit(e->a));
	open_all(e, &w);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM outbox WHERE length(env_hash) = 32"), 2);
	for (int i = 0; i < 2; i++)
		memcpy(want[i], w.hash[i], LSN_HASH_BYTES);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < w.n; i++) {
			assert_ok(astore_outbox_env_hash(e->a, w.ids[i], h));
			assert_memory_equal(h, want[i], LSN_HASH_BYTES);
		}
		/* the second pass: rows of the older form */
		assert_int_equal(agent_fx_count_sql(e, "UPDATE outbox SET "
		    "env_hash = NULL RETURNING 1"), 1);
	}
	id[0][0] ^= 1;
	assert_err(astore_outbox_env_hash(e->a, id[0], h), LSN_ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_sign_one_signature_per_recipients, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_sign_batch_off_signs_each, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(test_agent_sign_outside_turn,
		    setup, agent_fx_teardown),
		cmocka_unit_test_setup_teardown(test_agent_sign_rollbacks,
		    setup, agent_fx_teardown),
		cmocka_unit_test_setup_teardown(test_agent_sign_env_hash_kept,
		    setup, agent_fx_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
