/*
 * test_agent_direct.c -- real liaison-broker + liaison-agent processes:
 * a note from A to B through the CLI and the C client, inbox / show / ack,
 * status --json, group fan-out, publish refusals reaching the caller.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	pid_t			 agents[LSN_FX_PARTNERS_MAX];
	char			 ep[256];
};

static int
setup_n(void **state, size_t n)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = n;
	o.extra_group = "five";
	o.extra_group_n = n < 6 ? n : 6;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	for (size_t i = 0; i < n; i++) {
		e->agents[i] = agent_it_start(e->fx, i, e->ep, NULL);
		assert_true(e->agents[i] > 0);
	}
	for (size_t i = 0; i < n; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
	*state = e;
	return (0);
}

static int
setup(void **state)
{
	return (setup_n(state, 6));
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

static void
test_agent_direct_note_reaches_recipient_once(void **state)
{
	struct env	*e = *state;
	char		*out = NULL, idhex[33], *nl;
	uint64_t	 n = 0;
	json_t		*j;
	json_error_t	 jerr;

	/* A -> B with the CLI, waiting for the broker's verdict */
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "send", "--to",
	    e->fx->partners[1].id, "--type", "note", "--text",
	    "synthetic coordination note", "--wait", NULL), 0);
	assert_non_null(out);
	assert_non_null(strstr(out, "accepted"));
	assert_non_null(nl = strchr(out, '\n'));
	assert_int_equal(nl - out, 32);
	memcpy(idhex, out, 32);
	idhex[32] = '\0';
	free(out);
	out = NULL;

	assert_ok(agent_it_wait_inbox(e->fx, 1, 1, 10000));
	assert_ok(agent_it_counts(e->fx, 1, &n, NULL));
	assert_int_equal(n, 1);

	/* inbox --json shows it with the text */
	assert_int_equal(agent_it_cli(e->fx, 1, &out, "inbox", "--json",
	    NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "message_id")), idhex);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "text")), "synthetic coordination note");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "sender")), e->fx->partners[0].id);
	json_decref(j);
	free(out);
	out = NULL;

	/* show, ack: then the default inbox listing is empty */
	assert_int_equal(agent_it_cli(e->fx, 1, &out, "show", idhex, NULL),
	    0);
	assert_non_null(strstr(out, "synthetic coordination note"));
	free(out);
	out = NULL;
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "ack", idhex, NULL),
	    0);
	assert_int_equal(agent_it_cli(e->fx, 1, &out, "inbox", "--json",
	    NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	free(out);
	out = NULL;
	assert_int_equal(agent_it_cli(e->fx, 1, &out, "inbox", "--json",
	    "--all", NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	free(out);
	out = NULL;

	/* the sender did not get a copy */
	assert_ok(agent_it_counts(e->fx, 0, &n, NULL));
	assert_int_equal(n, 0);
}

static void
test_agent_status_json_shows_connection_head_outbox(void **state)
{
	struct env	*e = *state;
	char		*out = NULL;
	json_t		*j, *h;
	json_error_t	 jerr;

	assert_int_equal(agent_it_cli(e->fx, 2, &out, "status", "--json",
	    NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	assert_true(json_is_true(json_object_get(j, "connected")));
	assert_non_null(h = json_object_get(j, "dir_head"));
	assert_true(json_integer_value(json_object_get(h, "rev")) >= 1);
	assert_int_equal(strlen(json_string_value(json_object_get(h,
	    "hash"))), 64);
	assert_int_equal(strlen(json_string_value(json_object_get(j,
	    "digest"))), 64);
	assert_int_equal(json_integer_value(json_object_get(j,
	    "outbox_pending")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "partner")),
	    e->fx->partners[2].id);
	assert_int_equal(json_array_size(json_object_get(j, "alerts")), 0);
	json_decref(j);
	free(out);
}

static void
test_agent_group_fanout_reaches_five_agents(void **state)
{
	struct env	*e = *state;
	uint8_t		 id[16];
	int		 st = 0;
	uint64_t	 before[6], n;

	for (size_t i = 0; i < 6; i++)
		assert_ok(agent_it_counts(e->fx, i, &before[i], NULL));
	/* partner 0 sends to "five" = partners 0..5: 5 others get it */
	assert_ok(agent_it_send(e->fx, 0, NULL, "five", "fan-out note", id));
	assert_ok(agent_it_wait_outbox(e->fx, 0, id, 10000, &st, NULL));
	assert_int_equal(st, LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
	for (size_t i = 1; i < 6; i++) {
		assert_ok(agent_it_wait_inbox(e->fx, i, before[i] + 1,
		    10000));
		assert_ok(agent_it_counts(e->fx, i, &n, NULL));
		assert_int_equal(n, before[i] + 1);
	}
	assert_ok(agent_it_counts(e->fx, 0, &n, NULL));
	assert_int_equal(n, before[0]);
}

static void
test_agent_unknown_recipient_refusal_reaches_cli(void **state)
{
	struct env	*e = *state;
	char		*out = NULL;
	int		 rv;

	rv = agent_it_cli(e->fx, 0, &out, "send", "--to", "zz-nobody",
	    "--text", "to nowhere", "--wait", NULL);
	assert_int_equal(rv, 1);
	assert_non_null(out);
	assert_non_null(strstr(out, "refused"));
	free(out);
	out = NULL;
	/* the agent refuses a body that does not validate (empty text) */
	rv = agent_it_cli(e->fx, 0, &out, "send", "--to",
	    e->fx->partners[1].id, "--text", "", NULL);
	assert_int_equal(rv, 1);
	free(out);
	out = NULL;
	/* status counts the refused message */
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "status", NULL), 0);
	assert_non_null(strstr(out, "1 refused"));
	free(out);
}

static void
test_agent_cli_unreachable_exits_3(void **state)
{
	char	*bin, *argv[6];

	(void) state;
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_CLI));
	argv[0] = bin;
	argv[1] = (char *) (uintptr_t) "status";
	argv[2] = (char *) (uintptr_t) "--agent";
	argv[3] = (char *) (uintptr_t) "ipc:///nonexistent/liaison/api.sock";
	argv[4] = NULL;
	assert_int_equal(lsn_proc_run(bin, argv, NULL, "/dev/null", 10000),
	    3);
	free(bin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_direct_note_reaches_recipient_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_status_json_shows_connection_head_outbox,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_group_fanout_reaches_five_agents, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_unknown_recipient_refusal_reaches_cli, setup,
		    teardown),
		cmocka_unit_test(test_agent_cli_unreachable_exits_3),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
