/*
 * test_integrator_example.c -- compiles the C integrator example
 * (docs/examples/integrator.c, without its main) and runs it against a
 * real broker and two agents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define INTEGRATOR_NO_MAIN
#include "../../docs/examples/integrator.c"

static void
test_integrator_example_c_referral_round_trip(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct lsn_fixture	*fx = NULL;
	pid_t			 broker;
	char			 ep[256], a_api[256], b_api[256];

	(void) state;
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &fx));
	assert_ok(lsn_fixture_write_broker_conf(fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(fx, 0, &broker, ep, sizeof(ep)));
	for (size_t i = 0; i < 2; i++)
		assert_true(agent_it_start(fx, i, ep, NULL) > 0);
	for (size_t i = 0; i < 2; i++)
		assert_ok(agent_it_wait_connected(fx, i, 1, 15000));
	agent_it_endpoint(fx, 0, a_api, sizeof(a_api));
	agent_it_endpoint(fx, 1, b_api, sizeof(b_api));
	assert_ok(integrator_run(a_api, b_api, fx->partners[0].id,
	    fx->partners[1].id));
	lsn_proc_kill_all();
	lsn_fixture_destroy(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_integrator_example_c_referral_round_trip),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
