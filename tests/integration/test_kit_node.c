/*
 * test_kit_node.c -- integrator kit: runs the Node client's own tests
 * (node --test, clients/node/test, tests/kit/node.sh) against a real
 * broker and two agents (tests/common/kit_env): every message type, the
 * exactly-once inbox, the sender reading its own sealed message
 * (outboxFetch, outboxList and its paging), typed errors.
 */
#include <stdio.h>
#include <stdlib.h>

#include "liaison/util.h"

#include "kit_env.h"
#include "lsn_proc.h"
#include "lsn_test.h"

static void
test_kit_node_against_real_agents(void **state)
{
	struct lsn_fixture	*fx = NULL;
	int			 rv;

	(void) state;
	assert_ok(kit_env_up(&fx));
	rv = kit_env_run(fx, "node.sh", 240000);
	lsn_proc_kill_all();
	lsn_fixture_destroy(&fx);
	assert_int_equal(rv, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kit_node_against_real_agents),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
