/*
 * test_limits.c -- broker/limits.c: the sender token buckets, the quota
 * with its urgent reserve, and the aggregated refusal rows (bounded in
 * peers, one row per peer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btest.h"

static int
setup(void **state)
{
	int	rv;

	rv = btest_setup(state, "queue_quota = 20\nurgent_reserve = 2\n"
	    "sender_msgs_per_s = 1\nsender_burst_msgs = 5\n"
	    "sender_bytes_per_s = 1\nsender_burst_bytes = 300000\n"
	    "max_msg_bytes = 65536\n");
	if (rv == 0 && limits_open(&((struct btest *) *state)->b) != LSN_OK)
		rv = -1;
	return (rv);
}

static int
teardown(void **state)
{
	return (btest_teardown(state));
}

static void
test_limits_sender_buckets(void **state)
{
	struct btest	*t = *state;
	int		 ok = 0;

	/* messages: the burst, then (at 1/s) nothing within the loop;
	 * one refill at most on a very slow machine */
	for (int i = 0; i < 10; i++)
		if (limits_frame(&t->b, "p01", 100, 1) == LSN_OK)
			ok++;
	assert_true(ok == 5 || ok == 6);
	/* non-publish frames take bytes only */
	assert_ok(limits_frame(&t->b, "p01", 100, 0));
	/* another sender has its own buckets */
	assert_ok(limits_frame(&t->b, "p02", 100, 1));
	/* bytes: a frame larger than what is left is refused whole */
	assert_err(limits_frame(&t->b, "p02", 400000, 0), LSN_ERATE);
	assert_ok(limits_frame(&t->b, "p02", 200000, 0));
	assert_err(limits_frame(&t->b, "p02", 200000, 0), LSN_ERATE);
}

static void
test_limits_quota_keeps_room_for_p1(void **state)
{
	struct btest	*t = *state;
	uint8_t		 id[16] = { 0 };
	uint64_t	 seq;
	char		 d[160];

	assert_ok(broker_tx(&t->b));
	for (int i = 0; i < 18; i++) {
		id[0] = (uint8_t) i;
		assert_ok(queue_add(&t->b, "p03", id, 0, &seq));
	}
	/* 18 = 20 - 2 queued: routine refused, P1 accepted */
	assert_err(limits_quota(&t->b, "p01", "p03",
	    LIAISON__V1__PRIORITY__PRIORITY_P4, d, sizeof(d)), LSN_EQUOTA);
	assert_non_null(strstr(d, "reserved for P1"));
	assert_err(limits_quota(&t->b, "p01", "p03", 0, d, sizeof(d)),
	    LSN_EQUOTA);
	assert_ok(limits_quota(&t->b, "p02", "p03",
	    LIAISON__V1__PRIORITY__PRIORITY_P1, d, sizeof(d)));
	for (int i = 18; i < 20; i++) {
		id[0] = (uint8_t) i;
		assert_ok(queue_add(&t->b, "p03", id, 0, &seq));
	}
	/* full: P1 refused too */
	assert_err(limits_quota(&t->b, "p02", "p03",
	    LIAISON__V1__PRIORITY__PRIORITY_P1, d, sizeof(d)), LSN_EQUOTA);
	assert_ok(broker_tx_end(&t->b));
}

static void
test_limits_refusals_one_row_per_peer_bounded(void **state)
{
	struct btest	*t = *state;
	char		 peer[64];
	long long	 rows;

	for (int i = 0; i < 100; i++)
		limits_count(&t->b, "p01", LIM_FRAME, LSN_EPREVOKED);
	/* a flood of fresh keys: at most 4096 peers, then "(other)" */
	for (int i = 0; i < 6000; i++) {
		snprintf(peer, sizeof(peer), "key:%016x", i);
		limits_count(&t->b, peer, LIM_HANDSHAKE, LSN_ENOENT);
	}
	assert_ok(broker_tx(&t->b));
	limits_tick(&t->b, 1);
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'authfail' AND subject = 'p01' AND detail LIKE "
	    "'%frames=100 %'"), 1);
	rows = btest_count(t, "SELECT COUNT(*) FROM audit WHERE kind = "
	    "'authfail'");
	assert_true(rows <= 4097);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "subject = '(other)'"), 1);
	/* nothing new: no rows */
	assert_ok(broker_tx(&t->b));
	limits_tick(&t->b, 1);
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'authfail'"), rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_limits_sender_buckets,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_limits_quota_keeps_room_for_p1, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_limits_refusals_one_row_per_peer_bounded, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
