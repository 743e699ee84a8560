/*
 * test_control.c -- the status the control socket answers (control.c):
 * queued totals, the fullest queues and the recent problems read from
 * the store, on sqlite and (test_control_pg) on PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btest.h"

static int
setup(void **state)
{
	return (btest_setup(state, "skew_ms = 60s\n"));
}

static int
teardown(void **state)
{
	return (btest_teardown(state));
}

/* control_status's JSON (keys sorted, compact) must hold want. */
static void
status_has(struct btest *t, const char *want)
{
	char	*s = NULL;

	assert_ok(control_status(&t->b, &s));
	if (strstr(s, want) == NULL)
		fail_msg("status %s\nlacks %s", s, want);
	free(s);
}

static void
test_control_status_queues_and_problems(void **state)
{
	struct btest		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct lsn_fixture_msg	 x = { .to = { "p03" } };
	struct ingress_result	 r;
	char			 want[64];
	size_t			 n = 0;

	status_has(t, "\"queued\":0,");
	status_has(t, "\"queues\":{}");
	status_has(t, "\"recent_problems\":[]");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(btest_publish(t, 0, "p01", &m, NULL, &r),
		    LSN_OK);
		ingress_result_free(&r);
	}
	x.created_ms = t->now;
	x.expires_ms = t->now + 1000;
	assert_int_equal(btest_publish(t, 0, "p01", &x, NULL, &r), LSN_OK);
	ingress_result_free(&r);
	assert_ok(broker_tx_end(&t->b));
	status_has(t, "\"queued\":3,");
	status_has(t, "\"queues\":{\"p02\":2,\"p03\":1}");

	t->now += 1000;
	assert_ok(deliver_expire(&t->b, t->now, &n));
	assert_int_equal(n, 1);
	assert_ok(broker_tx_end(&t->b));
	status_has(t, "\"queued\":2,");
	status_has(t, "\"queues\":{\"p02\":2}");
	status_has(t, "\"kind\":\"expired\"");
	status_has(t, "recipient=p03 seq=1");
	/* ids run 1..n: the newest id is the number of entries */
	snprintf(want, sizeof(want), "\"audit_entries\":%lld,",
	    btest_count(t, "SELECT COUNT(*) FROM audit"));
	status_has(t, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_control_status_queues_and_problems, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
