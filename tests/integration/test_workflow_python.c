/*
 * test_workflow_python.c -- runs the Python integrator example
 * (docs/examples/integrator.py) against a real broker and two agents: a
 * TLP:AMBER referral offered by A through A's local API, picked up and
 * acknowledged by B's system through B's API, the acknowledgement seen by
 * A. Uses Debian's python3 (python3-zmq, python3-protobuf) and protoc;
 * the Python classes are generated into a temporary directory by the
 * example itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

static void
test_workflow_python_integrator_example(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct lsn_fixture	*fx = NULL;
	pid_t			 broker;
	char			 ep[256], a_api[256], b_api[256];
	char			 script[1024], proto[1024];
	const char		*src = getenv("LSN_SRC_DIR");
	const char		*py = access("/usr/bin/python3", X_OK) == 0 ?
				    "/usr/bin/python3" : "python3";
	char			*out = NULL;
	char			*argv[16];
	int			 rv;

	(void) state;
	assert_non_null(src);
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
	snprintf(script, sizeof(script), "%s/docs/examples/integrator.py",
	    src);
	snprintf(proto, sizeof(proto), "%s/proto", src);
	argv[0] = (char *) (uintptr_t) py;
	argv[1] = script;
	argv[2] = (char *) (uintptr_t) "--proto";
	argv[3] = proto;
	argv[4] = (char *) (uintptr_t) "--a-api";
	argv[5] = a_api;
	argv[6] = (char *) (uintptr_t) "--b-api";
	argv[7] = b_api;
	argv[8] = (char *) (uintptr_t) "--a-id";
	argv[9] = fx->partners[0].id;
	argv[10] = (char *) (uintptr_t) "--b-id";
	argv[11] = fx->partners[1].id;
	argv[12] = NULL;
	rv = lsn_proc_run(py, argv, &out, NULL, 60000);
	if (rv != 0) {
		lsn_proc_dump_log(fx->partners[0].agent_log, 4096);
		lsn_proc_dump_log(fx->partners[1].agent_log, 4096);
	}
	assert_int_equal(rv, 0);
	assert_non_null(out);
	assert_non_null(strstr(out, "integrator example OK"));
	free(out);
	lsn_proc_kill_all();
	lsn_fixture_destroy(&fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workflow_python_integrator_example),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
