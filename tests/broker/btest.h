/*
 * btest.h -- shared setup for the broker module tests: a fixture task force
 * and a struct broker opened on its database, without sockets (frames the
 * broker would send stay in b->out), with a test clock.
 */
#ifndef BTEST_H
#define BTEST_H

#include <stdlib.h>
#include <string.h>

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

/* A single-integer query on the broker's store. */
static inline long long
btest_count(struct btest *t, const char *sql)
{
	sqlite3_stmt	*s = NULL;
	long long	 n = -1;

	if (sqlite3_prepare_v2(lsn_store_db(t->b.st), sql, -1, &s, NULL) !=
	    SQLITE_OK)
		fail_msg("prepare %s", sql);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (n);
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
