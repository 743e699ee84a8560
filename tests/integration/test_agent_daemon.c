/*
 * test_agent_daemon.c -- liaison-agent daemon conventions: -n, --version,
 * refused configurations, SIGHUP keeping the old configuration on error,
 * SIGTERM clean exit, a wrong trust root halting the replica, and
 * `liaison inbox --wait` long-polling.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	char			 ep[256];
};


static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

static int
run_agent(const char *a1, const char *a2, const char *a3, char **out)
{
	char	*bin, *argv[5];
	int	 rv;

	assert_non_null(bin = lsn_proc_bin(LSN_BIN_AGENT));
	argv[0] = bin;
	argv[1] = lsn_proc_mut(a1);
	argv[2] = lsn_proc_mut(a2);
	argv[3] = lsn_proc_mut(a3);
	argv[4] = NULL;
	rv = lsn_proc_run(bin, argv, out, "/dev/null", 10000);
	free(bin);
	return (rv);
}

static void
test_agent_check_config_and_version(void **state)
{
	struct env	*e = *state;
	const char	*conf = e->fx->partners[0].agent_conf;
	char		*out = NULL;

	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep, NULL));
	assert_int_equal(run_agent("-n", "-c", conf, &out), 0);
	assert_non_null(strstr(out, "configuration OK"));
	free(out);
	out = NULL;
	assert_int_equal(run_agent("--version", NULL, NULL, &out), 0);
	assert_non_null(strstr(out, "liaison-agent"));
	free(out);
	out = NULL;
	/* a typo is an error, not ignored */
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep,
	    "resend_msec = 10\n"));
	assert_int_equal(run_agent("-n", "-c", conf, NULL), 1);
	/* out-of-range value */
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep,
	    "ping_ms = 1\n"));
	assert_int_equal(run_agent("-n", "-c", conf, NULL), 1);
	/* API on a non-loopback address */
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep,
	    "api = tcp://0.0.0.0:7777\n"));
	assert_int_equal(run_agent("-n", "-c", conf, NULL), 1);
	/* group-writable config */
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep, NULL));
	assert_int_equal(chmod(conf, 0664), 0);
	assert_int_equal(run_agent("-n", "-c", conf, NULL), 1);
	assert_int_equal(chmod(conf, 0600), 0);
	assert_int_equal(run_agent("-n", "-c", conf, NULL), 0);
}

static void
test_agent_sighup_keeps_old_config_on_error_sigterm_exits_0(void **state)
{
	struct env	*e = *state;
	pid_t		 pid;
	char		*out = NULL;
	uint8_t		 id[16];
	int		 st = 0;

	assert_true((pid = agent_it_start(e->fx, 0, e->ep, NULL)) > 0);
	assert_true(agent_it_start(e->fx, 1, e->ep, NULL) > 0);
	assert_ok(agent_it_wait_connected(e->fx, 0, 1, 15000));
	/* a second agent on the same database refuses to start */
	assert_int_equal(run_agent("-d", "-c", e->fx->partners[0].agent_conf,
	    NULL), 1);
	assert_true(lsn_proc_alive(pid));
	assert_ok(agent_it_wait_connected(e->fx, 0, 1, 5000));
	/* break the file, reload: still running and serving */
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep,
	    "no_such_option = 1\n"));
	assert_int_equal(lsn_proc_signal(pid, SIGHUP), 0);
	lsn_proc_sleep_ms(300);
	assert_true(lsn_proc_alive(pid));
	assert_ok(agent_it_wait_connected(e->fx, 0, 1, 5000));
	assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
	    "after a failed reload", id));
	assert_ok(agent_it_wait_outbox(e->fx, 0, id, 10000, &st, NULL));
	assert_int_equal(st, LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
	/* a good file reloads */
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, e->ep,
	    AGENT_IT_CONF_EXTRA "resend_ms = 900\n"));
	assert_int_equal(lsn_proc_signal(pid, SIGHUP), 0);
	lsn_proc_sleep_ms(300);
	assert_true(lsn_proc_alive(pid));
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "status", NULL), 0);
	assert_non_null(strstr(out, "connected:       yes"));
	free(out);
	assert_int_equal(lsn_proc_stop(pid), 0);
}

static void
test_agent_wrong_trust_root_halts_replica(void **state)
{
	struct env	*e = *state;
	char		*out = NULL, saved[sizeof(e->fx->trust_root_hex)];
	uint8_t		 bogus[32];
	json_t		*j = NULL;
	json_error_t	 jerr;

	/* an agent configured with another genesis hash */
	memcpy(saved, e->fx->trust_root_hex, sizeof(saved));
	lsn_random(bogus, sizeof(bogus));
	lsn_hex_encode(bogus, sizeof(bogus), e->fx->trust_root_hex);
	assert_true(agent_it_start(e->fx, 1, e->ep, NULL) > 0);
	memcpy(e->fx->trust_root_hex, saved, sizeof(saved));
	for (int k = 0; k < 100; k++) {
		assert_int_equal(agent_it_cli(e->fx, 1, &out, "status",
		    "--json", NULL), 0);
		assert_non_null(j = json_loads(out, 0, &jerr));
		free(out);
		out = NULL;
		if (json_array_size(json_object_get(j, "alerts")) > 0)
			break;
		json_decref(j);
		j = NULL;
		lsn_proc_sleep_ms(50);
	}
	if (j == NULL)
		lsn_proc_dump_log(e->fx->partners[1].agent_log, 3000);
	assert_non_null(j);
	assert_non_null(strstr(json_string_value(json_array_get(
	    json_object_get(j, "alerts"), 0)), "ROOT"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    j, "dir_head"), "rev")), 0);
	json_decref(j);
}

static void
test_agent_inbox_wait_returns_when_a_message_arrives(void **state)
{
	struct env	*e = *state;
	char		*bin, *argv[8], ep[256], log[LSN_FX_PATH_MAX + 16];
	uint8_t		 id[16], *buf = NULL;
	size_t		 len = 0;
	pid_t		 cli;

	assert_true(agent_it_start(e->fx, 0, e->ep, NULL) > 0);
	assert_true(agent_it_start(e->fx, 1, e->ep, NULL) > 0);
	assert_ok(agent_it_wait_connected(e->fx, 0, 1, 15000));
	assert_ok(agent_it_wait_connected(e->fx, 1, 1, 15000));
	agent_it_endpoint(e->fx, 1, ep, sizeof(ep));
	snprintf(log, sizeof(log), "%s/inbox-wait.out", e->fx->dir);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_CLI));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("inbox");
	argv[2] = lsn_proc_mut("--wait=20");
	argv[3] = lsn_proc_mut("--agent");
	argv[4] = ep;
	argv[5] = NULL;
	assert_true((cli = lsn_proc_spawn(bin, argv, log)) > 0);
	lsn_proc_sleep_ms(300);
	assert_true(lsn_proc_alive(cli));
	assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
	    "wake up the long poll", id));
	assert_int_equal(lsn_proc_wait(cli, 15000), 0);
	assert_ok(lsn_file_read(log, 1 << 20, &buf, &len));
	assert_non_null(strstr((char *) buf, "wake up the long poll"));
	free(buf);
	free(bin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_check_config_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_sighup_keeps_old_config_on_error_sigterm_exits_0,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_wrong_trust_root_halts_replica, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_inbox_wait_returns_when_a_message_arrives,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
