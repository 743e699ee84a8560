/*
 * test_leader.c -- one active broker per PostgreSQL store (leader.c),
 * against a throwaway PostgreSQL server (pgtmp): the first broker takes
 * the lease, a second stays standby; a lease not renewed for
 * LEADER_TTL_MS gets its holder's session terminated and taken over
 * (epoch + 1), after which the old holder cannot begin a turn; a broker
 * whose connection survives but whose epoch was taken is fenced at its
 * next turn and at its next renewal; the status shows role, backend and
 * lease. On sqlite leadership does not apply (leader_on is 0, the fence
 * passes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/util.h"

#include "broker.h"
#include "leader.h"
#include "lsn_test.h"
#include "pgtmp.h"

struct env {
	struct lsn_pgtmp	*pg;
	char			 uri[256];
	struct broker		 b[2];
};

static int	stop_calls, stop_after;

static int
stop_never(void)
{
	return (0);
}

/* Stops leader_acquire after stop_after polls (about 100 ms each). */
static int
stop_soon(void)
{
	return (++stop_calls > stop_after);
}

static void
broker_init(struct env *e, struct broker *b, const char *db)
{
	memset(b, 0, sizeof(*b));
	b->clock = lsn_clock_system();
	lsn_strlcpy(b->conf.db, db, sizeof(b->conf.db));
	lsn_strlcpy(b->conf.listen, "tcp://127.0.0.1:7400",
	    sizeof(b->conf.listen));
	(void) e;
}

static void
broker_fini(struct broker *b)
{
	if (b->st != NULL && lsn_store_in_tx(b->st))
		lsn_store_rollback(b->st);
	lsn_store_close(&b->st);
	leader_free(b);
}

static int
setup(void **state)
{
	struct env	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	if (lsn_pgtmp_start("liaison", &e->pg) != 0) {
		free(e);
		return (-1);
	}
	lsn_pgtmp_uri(e->pg, "postgres", "liaison", e->uri, sizeof(e->uri));
	broker_init(e, &e->b[0], e->uri);
	broker_init(e, &e->b[1], e->uri);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	if (e == NULL)
		return (0);
	broker_fini(&e->b[0]);
	broker_fini(&e->b[1]);
	lsn_pgtmp_stop(&e->pg);
	free(e);
	return (0);
}

/* The lease's epoch as the table has it. */
static int64_t
table_epoch(struct broker *b)
{
	int64_t	v = -1;

	assert_ok(lsn_store_i64(b->st, "SELECT epoch FROM broker_lease "
	    "WHERE id = 1", &v));
	return (v);
}

static const char *
role(struct broker *b)
{
	static char	 buf[32];
	json_t		*o;

	assert_non_null(o = json_object());
	assert_ok(leader_status(b, o));
	lsn_strlcpy(buf, json_string_value(json_object_get(o, "role")),
	    sizeof(buf));
	assert_string_equal(json_string_value(json_object_get(o,
	    "backend")), "postgresql");
	assert_non_null(json_object_get(o, "lease"));
	assert_non_null(json_object_get(o, "store"));
	json_decref(o);
	return (buf);
}

static void
test_one_active_then_takeover_and_fence(void **state)
{
	struct env	*e = *state;
	struct broker	*b0 = &e->b[0], *b1 = &e->b[1];
	uint8_t		 ep0[16], ep1[16];
	int64_t		 first;

	/* b0 takes the lease */
	assert_ok(leader_acquire(b0, stop_never, 1));
	assert_true(leader_on(b0));
	assert_false(leader_lost(b0));
	first = table_epoch(b0);
	assert_true(first >= 1);
	assert_string_equal(role(b0), "active");
	assert_true(leader_store_epoch(b0, ep0));

	/* b1 stays standby while b0 renews */
	stop_calls = 0;
	stop_after = 25;
	assert_int_equal(leader_acquire(b1, stop_soon, 1), LEADER_STOPPED);
	assert_string_equal(role(b1), "standby");
	assert_non_null(b1->st);

	/* b0's turns pass the fence */
	assert_ok(broker_tx(b0));
	assert_ok(broker_tx_end(b0));
	leader_tick(b0);
	assert_false(leader_lost(b0));

	/* b0 stops renewing (hung, paused, machine gone): b1 ends its
	 * session and takes over with the next epoch */
	assert_int_equal(lsn_pgtmp_exec(e->pg, "liaison",
	    "UPDATE broker_lease SET renewed_ms = 0"), 0);
	stop_calls = 0;
	stop_after = 100;
	assert_ok(leader_acquire(b1, stop_soon, 1));
	assert_int_equal(table_epoch(b1), first + 1);
	assert_string_equal(role(b1), "active");
	/* the same store epoch for every broker: no re-sync on failover */
	assert_true(leader_store_epoch(b1, ep1));
	assert_memory_equal(ep0, ep1, 16);

	/* the old leader cannot begin a turn: its session is gone */
	assert_int_not_equal(broker_tx(b0), LSN_OK);
	assert_true(leader_lost(b0));
	assert_false(b0->tx);
	broker_fini(b0);

	/* a leader whose connection survives but whose epoch was taken
	 * (as after a failover of the server) is fenced at its next turn */
	assert_ok(broker_tx(b1));
	assert_ok(broker_tx_end(b1));
	assert_int_equal(lsn_pgtmp_exec(e->pg, "liaison",
	    "UPDATE broker_lease SET epoch = epoch + 1"), 0);
	assert_int_equal(broker_tx(b1), LSN_EDB);
	assert_true(leader_lost(b1));
	assert_false(lsn_store_in_tx(b1->st));
	assert_string_equal(role(b1), "standby");
}

static void
test_renewal_notices_a_lost_lease(void **state)
{
	struct env	*e = *state;
	struct broker	*b0 = &e->b[0];

	assert_ok(leader_acquire(b0, stop_never, 1));
	assert_int_equal(lsn_pgtmp_exec(e->pg, "liaison",
	    "UPDATE broker_lease SET epoch = epoch + 1"), 0);
	{
		struct timespec ts = { 1, 200 * 1000000L };

		(void) nanosleep(&ts, NULL);
	}
	leader_tick(b0);
	assert_true(leader_lost(b0));
}

static void
test_sqlite_has_no_leadership(void **state)
{
	struct broker	 b;
	char		*dir = lsn_test_tmpdir(), *db;

	(void) state;
	db = lsn_test_path(dir, "broker.db");
	memset(&b, 0, sizeof(b));
	b.clock = lsn_clock_system();
	b.db_init = 1;
	lsn_strlcpy(b.conf.db, db, sizeof(b.conf.db));
	assert_ok(leader_acquire(&b, stop_never, 1));
	assert_false(leader_on(&b));
	assert_ok(broker_tx(&b));
	assert_ok(broker_tx_end(&b));
	leader_tick(&b);
	assert_false(leader_lost(&b));
	broker_fini(&b);
	lsn_test_rmdir(dir);
	free(db);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_one_active_then_takeover_and_fence, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_renewal_notices_a_lost_lease, setup, teardown),
		cmocka_unit_test(test_sqlite_has_no_leadership),
	};

	log_init(1, LOG_DAEMON, "test_leader");
	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
