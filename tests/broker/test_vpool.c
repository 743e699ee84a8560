/* test_vpool.c -- the broker's signature verification pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btest.h"
#include "vpool.h"

#define NJOBS	64

struct vfix {
	struct lsn_fixture	*fx;
	uint8_t			*env[NJOBS];
	size_t			 len[NJOBS];
	struct lsn_envelope_outer *o[NJOBS];
	struct vjob		 j[NJOBS];
};

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { .npartners = 2 };
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct vfix		*v = calloc(1, sizeof(*v));
	const char		*field = NULL;

	if (v == NULL || lsn_fixture_create(&o, &v->fx) != LSN_OK)
		return (-1);
	for (int i = 0; i < NJOBS; i++) {
		if (lsn_fixture_envelope(v->fx, 0, &m, NULL, &v->env[i],
		    &v->len[i]) != LSN_OK)
			return (-1);
		if (lsn_envelope_peek(v->env[i], v->len[i], 0, &v->o[i],
		    &field) != LSN_OK)
			return (-1);
	}
	*state = v;
	return (0);
}

static int
teardown(void **state)
{
	struct vfix	*v = *state;

	for (int i = 0; i < NJOBS; i++) {
		lsn_envelope_free(&v->j[i].env);
		lsn_envelope_outer_destroy(&v->o[i]);
		free(v->env[i]);
	}
	lsn_fixture_destroy(&v->fx);
	free(v);
	return (0);
}

/* Job i gets the right key, except every 5th (another partner's key) and
 * every 7th (a flipped signature bit); with keep, every 3rd is kept for
 * the waiter (vpool_keep) instead of queued: the same verdicts. */
static void
run_jobs(struct vfix *v, int nthreads, int keep)
{
	struct vpool	*p = NULL;
	const uint8_t	*good = v->fx->partners[0].sign->pk;
	const uint8_t	*other = v->fx->partners[1].sign->pk;

	assert_ok(vpool_open(nthreads, &p));
	assert_int_equal(vpool_threads(p), nthreads);
	for (int i = 0; i < NJOBS; i++) {
		memset(&v->j[i], 0, sizeof(v->j[i]));
		v->j[i].o = v->o[i];
		memcpy(v->j[i].pk, i % 5 == 4 ? other : good, LSN_PK_BYTES);
		if (i % 7 == 6)
			((uint8_t *) (uintptr_t) v->o[i]->sig)[0] ^= 1;
		if (keep && i % 3 == 2)
			vpool_keep(&v->j[i]);
		else
			vpool_submit(p, &v->j[i]);
	}
	for (int i = 0; i < NJOBS; i++) {
		vpool_wait(p, &v->j[i]);
		if (i % 5 == 4 || i % 7 == 6) {
			assert_int_equal(v->j[i].rv, LSN_EBADSIG);
			assert_null(v->j[i].env);
		} else {
			assert_int_equal(v->j[i].rv, LSN_OK);
			assert_non_null(v->j[i].env);
			assert_string_equal(v->j[i].env->sender, "p01");
		}
		lsn_envelope_free(&v->j[i].env);
		if (i % 7 == 6)
			((uint8_t *) (uintptr_t) v->o[i]->sig)[0] ^= 1;
	}
	vpool_close(&p);
	assert_null(p);
}

static void
test_vpool_inline_without_threads(void **state)
{
	run_jobs(*state, 0, 0);
}

static void
test_vpool_one_thread_results_per_job(void **state)
{
	run_jobs(*state, 1, 0);
}

static void
test_vpool_several_threads_results_per_job(void **state)
{
	run_jobs(*state, 3, 0);
}

static void
test_vpool_kept_jobs_run_by_the_waiter(void **state)
{
	run_jobs(*state, 2, 1);
	run_jobs(*state, 0, 1);
}

static void
test_vpool_refuses_bad_thread_count(void **state)
{
	struct vpool	*p = NULL;

	(void) state;
	assert_int_equal(vpool_open(-1, &p), LSN_EINVAL);
	assert_int_equal(vpool_open(VPOOL_THREADS_MAX + 1, &p), LSN_EINVAL);
	assert_null(p);
	vpool_close(&p);
	vpool_close(NULL);
}

/* Jobs may be waited for in any order; one still queued is run by the
 * waiter. */
static void
test_vpool_waits_in_any_order(void **state)
{
	struct vfix	*v = *state;
	struct vpool	*p = NULL;

	assert_ok(vpool_open(2, &p));
	for (int i = 0; i < NJOBS; i++) {
		memset(&v->j[i], 0, sizeof(v->j[i]));
		v->j[i].o = v->o[i];
		memcpy(v->j[i].pk, v->fx->partners[0].sign->pk, LSN_PK_BYTES);
		vpool_submit(p, &v->j[i]);
	}
	/* Wait in reverse: queued jobs are run by the waiter. */
	for (int i = NJOBS - 1; i >= 0; i--) {
		vpool_wait(p, &v->j[i]);
		assert_int_equal(v->j[i].rv, LSN_OK);
		lsn_envelope_free(&v->j[i].env);
	}
	vpool_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_vpool_inline_without_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_vpool_one_thread_results_per_job, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_vpool_several_threads_results_per_job, setup,
		    teardown),
		cmocka_unit_test(test_vpool_refuses_bad_thread_count),
		cmocka_unit_test_setup_teardown(
		    test_vpool_kept_jobs_run_by_the_waiter, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_vpool_waits_in_any_order, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
