/*
 * test_dirsvc.c -- DirOps submitted through the broker (dirsvc.c) inside
 * a turn: applied ones and refused ones (already done, stale) share the
 * turn with publishes; a refusal leaves the turn's other work to commit.
 * PostgreSQL (test_dirsvc_pg) aborts a transaction at a failed statement
 * where sqlite carries on: a refusal must fail no statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Submits a CreateGroup `name` expecting version exp, as partner p01. */
static void
create_group(struct btest *t, const char *name, uint64_t exp)
{
	Liaison__V1__CreateGroup	 cg = LIAISON__V1__CREATE_GROUP__INIT;
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__DirSubmit		 s = LIAISON__V1__DIR_SUBMIT__INIT;
	uint8_t				*buf = NULL;
	size_t				 len = 0;
	char				 nm[32], desc[] = "via the broker";

	lsn_strlcpy(nm, name, sizeof(nm));
	cg.name = nm;
	cg.description = desc;
	op.has_expected_version = 1;
	op.expected_version = exp;
	op.has_created_ms = 1;
	op.created_ms = t->now;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
	op.create_group = &cg;
	assert_ok(lsn_fixture_op_sign(t->fx, &op, 2, &buf, &len));
	s.op = liaison__v1__signed_dir_op__unpack(NULL, len, buf);
	assert_non_null(s.op);
	assert_ok(dirsvc_submit(&t->b, "p01", (const uint8_t *) "r", 1, &s));
	liaison__v1__signed_dir_op__free_unpacked(s.op, NULL);
	free(buf);
}

static void
test_dirsvc_refusals_leave_the_turn_whole(void **state)
{
	struct btest		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct ingress_result	 r;
	uint64_t		 rev0 = 0, rev = 0;

	assert_ok(lsn_dir_head(t->b.dir, &rev0, NULL));
	create_group(t, "g-one", 0);
	create_group(t, "g-one", 0);	/* exists: refused */
	create_group(t, "g-two", 7);	/* stale: refused */
	assert_int_equal(btest_publish(t, 0, "p01", &m, NULL, &r), LSN_OK);
	ingress_result_free(&r);
	create_group(t, "g-two", 0);
	assert_ok(broker_tx_end(&t->b));
	assert_ok(lsn_dir_head(t->b.dir, &rev, NULL));
	assert_int_equal(rev, rev0 + 2);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM dir_group "
	    "WHERE name IN ('g-one', 'g-two')"), 2);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM messages"), 1);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'dirop'"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_dirsvc_refusals_leave_the_turn_whole, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
