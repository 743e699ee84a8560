/*
 * test_agent_delivery.c -- durability with real processes: a recipient
 * offline while 100 messages are sent, an agent killed with a full outbox,
 * the broker killed with SIGKILL in the middle of a stream (5 times).
 * Every message accepted must be in the recipient's inbox exactly once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define NMSG	100

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	pid_t			 agents[2];
	char			 ep[256];
	uint8_t			 ids[NMSG][16];
};

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	char			 listen[300];

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	/* restart on the same port from now on */
	snprintf(listen, sizeof(listen), "%s", e->ep);
	assert_ok(lsn_fixture_write_broker_conf(e->fx, listen, NULL));
	for (size_t i = 0; i < 2; i++) {
		e->agents[i] = agent_it_start(e->fx, i, e->ep, NULL);
		assert_true(e->agents[i] > 0);
	}
	for (size_t i = 0; i < 2; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
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

static void
restart_broker(struct env *e)
{
	char	ep[256];

	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, ep,
	    sizeof(ep)));
	assert_string_equal(ep, e->ep);
}

/* Waits until partner i's outbox has nothing pending. */
static void
wait_outbox_drained(struct env *e, size_t i, int timeout_ms)
{
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 deadline = lsn_mono_ms() + timeout_ms;
	uint64_t			 pending = 1;

	while (lsn_mono_ms() < deadline) {
		assert_ok(agent_it_status(e->fx, i, &r));
		assert_non_null(r->status);
		pending = r->status->outbox_pending;
		assert_int_equal(r->status->outbox_rejected, 0);
		lsn_client_response_free(&r);
		if (pending == 0)
			return;
		lsn_proc_sleep_ms(50);
	}
	fail_msg("outbox of %s still has %llu pending",
	    e->fx->partners[i].id, (unsigned long long) pending);
}

/* Checks that B's inbox holds exactly ids[0..n) in this order. */
static void
check_inbox_exact(struct env *e, size_t n, int ordered)
{
	Liaison__V1__ApiResponse	*r = NULL;
	size_t				 found;

	assert_ok(agent_it_wait_inbox(e->fx, 1, n, 30000));
	assert_ok(agent_it_inbox(e->fx, 1, 0, &r));
	assert_non_null(r->inbox_list);
	assert_int_equal(r->inbox_list->n_items, n);
	for (size_t k = 0; k < n; k++) {
		const Liaison__V1__InboxItem *it = r->inbox_list->items[k];

		assert_int_equal(it->message_id.len, 16);
		if (ordered) {
			assert_memory_equal(it->message_id.data, e->ids[k],
			    16);
			continue;
		}
		found = 0;
		for (size_t m = 0; m < n; m++)
			if (memcmp(it->message_id.data, e->ids[m], 16) == 0)
				found++;
		assert_int_equal(found, 1);
	}
	lsn_client_response_free(&r);
}

static void
test_agent_recipient_offline_gets_all_100_in_order(void **state)
{
	struct env	*e = *state;
	char		 text[64];
	uint64_t	 q = 0;

	assert_int_equal(lsn_proc_stop(e->agents[1]), 0);
	for (size_t k = 0; k < NMSG; k++) {
		snprintf(text, sizeof(text), "offline note %zu", k);
		assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id,
		    NULL, text, e->ids[k]));
	}
	wait_outbox_drained(e, 0, 30000);
	e->agents[1] = agent_it_start(e->fx, 1, e->ep, NULL);
	assert_true(e->agents[1] > 0);
	check_inbox_exact(e, NMSG, 1);
	assert_ok(agent_it_counts(e->fx, 1, NULL, &q));
	assert_int_equal(q, 0);
	/* a clean stop exits 0 (and, under ASan, leaks nothing) */
	assert_int_equal(lsn_proc_stop(e->agents[1]), 0);
	/* after a restart nothing is delivered twice */
	e->agents[1] = agent_it_start(e->fx, 1, e->ep, NULL);
	assert_true(e->agents[1] > 0);
	assert_ok(agent_it_wait_connected(e->fx, 1, 1, 15000));
	check_inbox_exact(e, NMSG, 1);
}

static void
test_agent_killed_with_full_outbox_delivers_each_once(void **state)
{
	struct env	*e = *state;
	char		 text[64];
	size_t		 n = 30;

	/* broker down: everything stays in A's outbox */
	assert_int_equal(lsn_proc_kill9(e->broker), 137);
	for (size_t k = 0; k < n; k++) {
		snprintf(text, sizeof(text), "queued note %zu", k);
		assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id,
		    NULL, text, e->ids[k]));
	}
	assert_int_equal(lsn_proc_kill9(e->agents[0]), 137);
	restart_broker(e);
	e->agents[0] = agent_it_start(e->fx, 0, e->ep, NULL);
	assert_true(e->agents[0] > 0);
	wait_outbox_drained(e, 0, 30000);
	check_inbox_exact(e, n, 1);
}

static void
test_agent_broker_sigkill_mid_stream_loses_and_duplicates_nothing(
    void **state)
{
	struct env		*e = *state;
	struct lsn_client	*c = NULL;
	char			 text[64], api[256];
	size_t			 k = 0;

	agent_it_endpoint(e->fx, 0, api, sizeof(api));
	for (int round = 0; round < 5; round++) {
		/* a burst, then the kill at a different point each round */
		for (size_t j = 0; j < NMSG / 5; j++, k++) {
			snprintf(text, sizeof(text), "stream %zu", k);
			assert_ok(agent_it_send(e->fx, 0,
			    e->fx->partners[1].id, NULL, text, e->ids[k]));
			if (j == (size_t) (round * 4))
				assert_int_equal(lsn_proc_kill9(e->broker),
				    137);
		}
		lsn_proc_sleep_ms(round * 40);
		restart_broker(e);
		lsn_proc_sleep_ms(50 + round * 60);
	}
	(void) c;
	wait_outbox_drained(e, 0, 60000);
	check_inbox_exact(e, NMSG, 0);
	/* one more kill after everything: still exactly once */
	assert_int_equal(lsn_proc_kill9(e->broker), 137);
	restart_broker(e);
	assert_ok(agent_it_wait_connected(e->fx, 1, 1, 15000));
	lsn_proc_sleep_ms(300);
	check_inbox_exact(e, NMSG, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_recipient_offline_gets_all_100_in_order,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_killed_with_full_outbox_delivers_each_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_broker_sigkill_mid_stream_loses_and_duplicates_nothing,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
