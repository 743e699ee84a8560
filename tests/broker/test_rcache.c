/*
 * test_rcache.c -- the broker's cached queue state per recipient
 * (queue.c): sequence numbers and queued counts stay equal to the
 * database across turns, a rolled-back turn, acks, a Hello cursor and a
 * restart; next_seq is written once per recipient per turn.
 */
#include <stdio.h>

#include "btest.h"

static int
setup(void **state)
{
	return (btest_setup(state, NULL));
}

static int
teardown(void **state)
{
	return (btest_teardown(state));
}

static long long
db_next(struct btest *t, const char *who)
{
	return (btest_count_s(t, "SELECT next_seq FROM recipients WHERE "
	    "partner = ?", who));
}

static long long
db_queued(struct btest *t, const char *who)
{
	return (btest_count_s(t, "SELECT queued FROM recipients WHERE "
	    "partner = ?", who));
}

static void
add(struct btest *t, const char *who, uint8_t k, uint64_t want)
{
	uint8_t		id[16] = { 7 };
	uint64_t	seq = 0;

	id[1] = k;
	assert_ok(queue_add(&t->b, who, id, 0, &seq));
	assert_int_equal(seq, want);
}

static void
check(struct btest *t, const char *who)
{
	uint64_t	n = 0;

	assert_ok(queue_count(&t->b, who, &n));
	assert_int_equal((long long) n, db_queued(t, who));
	assert_int_equal((long long) n, btest_count(t, who[1] == '0' &&
	    who[2] == '2' ? "SELECT count(*) FROM queue WHERE recipient = "
	    "'p02'" : "SELECT count(*) FROM queue WHERE recipient = 'p03'"));
}

static void
test_rcache_follows_commits_rollbacks_acks_and_restart(void **state)
{
	struct btest	*t = *state;
	uint64_t	 acked = 0;
	int		 found = 0;

	assert_ok(broker_tx(&t->b));
	add(t, "p02", 1, 1);
	add(t, "p02", 2, 2);
	add(t, "p02", 3, 3);
	add(t, "p03", 4, 1);
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(db_next(t, "p02"), 4);
	assert_int_equal(db_next(t, "p03"), 2);
	check(t, "p02");
	check(t, "p03");

	/* a failed turn: nothing of it stays, the cache reloads */
	assert_ok(broker_tx(&t->b));
	add(t, "p02", 5, 4);
	add(t, "p02", 6, 5);
	t->b.tx_failed = 1;
	assert_int_equal(broker_tx_end(&t->b), LSN_EDB);
	assert_int_equal(db_next(t, "p02"), 4);
	check(t, "p02");
	assert_ok(broker_tx(&t->b));
	add(t, "p02", 5, 4);
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(db_next(t, "p02"), 5);
	check(t, "p02");

	/* an ack and a Hello cursor remove rows */
	assert_ok(broker_tx(&t->b));
	assert_ok(queue_ack(&t->b, "p02", 1, &found));
	assert_true(found);
	check(t, "p02");
	assert_ok(session_hello(&t->b, "p02", (const uint8_t *) "r", 1, 3,
	    &acked));
	assert_int_equal(acked, 3);
	check(t, "p02");
	assert_ok(broker_tx_end(&t->b));
	check(t, "p02");

	/* restart: the sequence goes on from the database */
	broker_close(&t->b);
	assert_ok(broker_open_state(&t->b));
	check(t, "p02");
	assert_ok(broker_tx(&t->b));
	add(t, "p02", 9, 5);
	add(t, "p03", 9, 2);
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(db_next(t, "p02"), 6);
	check(t, "p02");
	check(t, "p03");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_rcache_follows_commits_rollbacks_acks_and_restart,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
