/*
 * btest.h -- shared setup for the broker module tests: a fixture task force
 * and a struct broker opened on its database, without sockets (frames the
 * broker would send stay in b->out), with a test clock. The database is
 * the fixture's: sqlite, or PostgreSQL when LSN_TEST_STORE=pg (the
 * <test>_pg variants, lsn_tstore.h); inspect it only through query.h.
 */
#ifndef BTEST_H
#define BTEST_H

#include <stdlib.h>
#include <string.h>

#include "liaison/query.h"
#include "liaison/util.h"

#include "broker.h"
#include "lsn_fixture.h"
#include "lsn_test.h"

struct btest {
	struct lsn_fixture	*fx;
	struct broker		 b;
	struct lsn_clock	 clock;
	uint64_t		 now;
};

static inline uint64_t
btest_clock(void *arg)
{
	return (((struct btest *) arg)->now);
}

/* extra: more [broker] lines (may be NULL). */
static inline int
btest_setup(void **state, const char *extra)
{
	struct lsn_fixture_opts	 o = { .npartners = 4 };
	struct btest		*t = calloc(1, sizeof(*t));
	char			 err[256];

	if (t == NULL || lsn_fixture_create(&o, &t->fx) != LSN_OK)
		return (-1);
	if (lsn_fixture_write_broker_conf(t->fx, NULL, extra) != LSN_OK)
		return (-1);
	if (bconf_load(t->fx->broker_conf, &t->b.conf, err,
	    sizeof(err)) != LSN_OK) {
		fprintf(stderr, "%s\n", err);
		return (-1);
	}
	t->now = lsn_now_ms();
	t->clock.now_ms = btest_clock;
	t->clock.arg = t;
	t->b.clock = &t->clock;
	if (broker_open_state(&t->b) != LSN_OK)
		return (-1);
	*state = t;
	return (0);
}

static inline int
btest_teardown(void **state)
{
	struct btest	*t = *state;

	if (t == NULL)
		return (0);
	broker_close(&t->b);
	lsn_fixture_destroy(&t->fx);
	free(t);
	return (0);
}

/*
 * A single-integer query on the broker's store, on either backend
 * (query.h): sql is a string literal (statements are cached by its
 * address); s, when not NULL, is bound to its one `?`. -1 when there is
 * no row; a failing query fails the test.
 */
static inline long long
btest_count_s(struct btest *t, const char *sql, const char *s)
{
	struct lsn_q	*q;
	long long	 n = -1;
	int		 rv;

	if (lsn_store_q(t->b.st, sql, &q) != LSN_OK)
		fail_msg("prepare %s", sql);
	if (s != NULL)
		lsn_q_text(q, 1, s);
	if ((rv = lsn_q_step(q)) == LSN_ROW)
		n = lsn_q_col_i64(q, 0);
	lsn_q_reset(q);
	if (rv < 0)
		fail_msg("%s: %s", sql, lsn_strerror(rv));
	return (n);
}

static inline long long
btest_count(struct btest *t, const char *sql)
{
	return (btest_count_s(t, sql, NULL));
}

/* Signs a note from partner `from` and runs the ingress rules on it. */
static inline int
btest_publish(struct btest *t, size_t from, const char *as,
    const struct lsn_fixture_msg *m, uint8_t id[16],
    struct ingress_result *res)
{
	uint8_t	*env = NULL;
	size_t	 len = 0;
	int	 rv;

	if (lsn_fixture_envelope(t->fx, from, m, id, &env, &len) != LSN_OK)
		fail_msg("envelope");
	rv = ingress_publish(&t->b, as, env, len, res);
	free(env);
	return (rv);
}

#endif
