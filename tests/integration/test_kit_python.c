/*
 * test_kit_python.c -- integrator kit: installs the Python module with
 * pip into a scratch directory and runs its unittest suite
 * (clients/python/tests, tests/kit/python.sh) against a real broker and
 * two agents (tests/common/kit_env).
 */
#include <stdio.h>
#include <stdlib.h>

#include "liaison/util.h"

#include "kit_env.h"
#include "lsn_proc.h"
#include "lsn_test.h"

static void
test_kit_python_against_real_agents(void **state)
{
	struct lsn_fixture	*fx = NULL;
	int			 rv;

	(void) state;
	assert_ok(kit_env_up(&fx));
	rv = kit_env_run(fx, "python.sh", 240000);
	lsn_proc_kill_all();
	lsn_fixture_destroy(&fx);
	assert_int_equal(rv, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kit_python_against_real_agents),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
