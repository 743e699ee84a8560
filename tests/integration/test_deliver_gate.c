/*
 * test_deliver_gate.c -- the broker's delivery-role trust gate over the
 * wire (docs/protocol.md 4, "The broker on delivery").
 *
 * p02 (a raw wire client with its own keys) publishes to the offline p01
 * a message with a short expires_ms and one without; the broker's
 * periodic expiry job is an hour away (expiry_check_ms = 1h). When p01
 * connects after the expiry, the broker must not deliver the expired one;
 * the other one is delivered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "envelope.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define T_MS		20000
#define LIFE_MS		3000	/* the short message's lifetime */

struct dg {
	struct lsn_fixture	*fx;
	int			 pid;
	char			 ep[256];
	void			*ctx;
	void			*snd;
	void			*rcv;
};

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { .npartners = 2 };
	struct dg		*t = calloc(1, sizeof(*t));

	if (t == NULL || lsn_init() != LSN_OK ||
	    lsn_fixture_create(&o, &t->fx) != LSN_OK)
		return (-1);
	if (lsn_fixture_write_broker_conf(t->fx, NULL,
	    "skew_ms = 60s\nexpiry_check_ms = 1h\n") != LSN_OK)
		return (-1);
	if (lsn_fixture_start_broker(t->fx, getenv("LSN_TEST_VERBOSE") !=
	    NULL, &t->pid, t->ep, sizeof(t->ep)) != LSN_OK)
		return (-1);
	t->ctx = zmq_ctx_new();
	*state = t;
	return (0);
}

static int
teardown(void **state)
{
	struct dg	*t = *state;

	if (t == NULL)
		return (0);
	if (t->snd != NULL)
		zmq_close(t->snd);
	if (t->rcv != NULL)
		zmq_close(t->rcv);
	if (t->ctx != NULL)
		zmq_ctx_term(t->ctx);
	if (getenv("LSN_TEST_VERBOSE") != NULL)
		lsn_proc_dump_log(t->fx->broker_log, 20000);
	lsn_proc_kill_all();
	lsn_fixture_destroy(&t->fx);
	free(t);
	return (0);
}

static void
publish(struct dg *t, const struct lsn_fixture_msg *m, uint8_t id[16])
{
	uint8_t	*env = NULL;
	size_t	 len = 0;
	int	 code = -1;

	assert_ok(lsn_fixture_envelope(t->fx, 1, m, id, &env, &len));
	assert_ok(lsn_fixture_publish(t->snd, env, len, T_MS, &code));
	assert_int_equal(code, LSN_OK);
	free(env);
}

static void
test_deliver_gate_expired_while_offline_not_delivered(void **state)
{
	struct dg		*t = *state;
	struct lsn_fixture_msg	 short_m = { .to = { "p01" } };
	struct lsn_fixture_msg	 keep = { .to = { "p01" } };
	Liaison__V1__Frame	*f = NULL;
	Liaison__V1__Envelope	*e;
	uint8_t			 sid[16], kid[16];
	uint64_t		 deadline;
	int			 got_short = 0, got_keep = 0;

	assert_ok(lsn_fixture_dealer(t->fx, t->ctx, 1, NULL, t->ep, &t->snd));
	assert_ok(lsn_fixture_hello(t->snd, 0, T_MS, NULL));
	short_m.created_ms = lsn_now_ms();
	short_m.expires_ms = short_m.created_ms + LIFE_MS;
	publish(t, &short_m, sid);
	publish(t, &keep, kid);
	/* p01 comes online only after the expiry */
	while (lsn_now_ms() <= short_m.expires_ms + 200)
		lsn_proc_sleep_ms(100);
	assert_ok(lsn_fixture_dealer(t->fx, t->ctx, 0, NULL, t->ep, &t->rcv));
	assert_ok(lsn_fixture_hello(t->rcv, 0, T_MS, NULL));
	/* deliveries come in seq order: the kept one (seq 2) is last */
	deadline = lsn_mono_ms() + T_MS;
	while (!got_keep && lsn_mono_ms() < deadline) {
		if (lsn_fixture_recv(t->rcv, 500, &f) != LSN_OK)
			continue;
		if (f->kind_case == LIAISON__V1__FRAME__KIND_DELIVER &&
		    f->deliver->envelope != NULL) {
			assert_ok(lsn_fixture_deliver_ack(t->rcv,
			    f->deliver->seq));
			e = liaison__v1__envelope__unpack(NULL,
			    f->deliver->envelope->envelope.len,
			    f->deliver->envelope->envelope.data);
			assert_non_null(e);
			assert_int_equal(e->message_id.len, 16);
			if (memcmp(e->message_id.data, sid, 16) == 0)
				got_short = 1;
			if (memcmp(e->message_id.data, kid, 16) == 0)
				got_keep = 1;
			liaison__v1__envelope__free_unpacked(e, NULL);
		}
		liaison__v1__frame__free_unpacked(f, NULL);
		f = NULL;
	}
	assert_true(got_keep);
	assert_false(got_short);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_deliver_gate_expired_while_offline_not_delivered,
		    setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
