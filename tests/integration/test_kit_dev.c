/*
 * test_kit_dev.c -- integrator kit: builds docs/examples/integrator.c
 * with pkg-config against the liaison-dev files installed into a scratch
 * prefix (tests/kit/dev.sh) and runs it against a real broker and two
 * agents (tests/common/kit_env).
 */
#include <stdio.h>
#include <stdlib.h>

#include "liaison/util.h"

#include "kit_env.h"
#include "lsn_proc.h"
#include "lsn_test.h"

static void
test_kit_dev_against_real_agents(void **state)
{
	struct lsn_fixture	*fx = NULL;
	int			 rv;

	(void) state;
	assert_ok(kit_env_up(&fx));
	rv = kit_env_run(fx, "dev.sh", 240000);
	lsn_proc_kill_all();
	lsn_fixture_destroy(&fx);
	assert_int_equal(rv, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kit_dev_against_real_agents),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
