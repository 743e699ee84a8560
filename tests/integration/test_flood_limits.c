/*
 * test_flood_limits.c -- one member floods the bus over the wire with its
 * own valid keys. The broker's bounds must hold: the sender's rate limit
 * refuses the excess (E_RATE), the recipient's queue stops at its quota
 * (E_QUOTA) but keeps room for urgent traffic, so a P1 message from
 * another member to the same recipient still goes through; the broker
 * answers other members meanwhile; refusals (and refused handshakes from
 * an unknown key) are audited as one row per peer per interval, never a
 * row per refusal.
 *
 * Limits of this test's broker: 20 messages/s with a burst of 30 per
 * sender, queue_quota 50 with 5 places kept for P1, one audit interval
 * per second. The flood is bounded in count (1200) and time (8 s); it
 * stops once the recipient's queue is seen full.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define T_MS		10000
#define FLOOD_MAX	1200
#define FLOOD_MS	8000
#define BURST		30
#define RATE		20

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	char			 ep[256];
	void			*zctx;
	void			*s[3];	/* flooder, other member, recipient */
};

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 3;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL,
	    "queue_quota = 50\n"
	    "urgent_reserve = 5\n"
	    "sender_msgs_per_s = 20\n"
	    "sender_burst_msgs = 30\n"
	    "refusal_audit_ms = 1s\n"));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	assert_non_null(e->zctx = zmq_ctx_new());
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		for (int i = 0; i < 3; i++)
			if (e->s[i] != NULL)
				zmq_close(e->s[i]);
		if (e->zctx != NULL)
			zmq_ctx_term(e->zctx);
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

/* A count from the broker's database (lsn_test_db_count). */
static long long
db_count(struct env *e, const char *sql)
{
	return (lsn_test_db_count(e->fx->broker_db, sql));
}

/* A note from partner i to partner 2 with priority prio (0 = none). */
static void
envelope(struct env *e, size_t i, int prio, uint8_t **env, size_t *len)
{
	struct lsn_fixture_msg	m = { 0 };

	m.to[0] = e->fx->partners[2].id;
	m.text = "synthetic flood note";
	m.priority = prio;
	assert_ok(lsn_fixture_envelope(e->fx, i, &m, NULL, env, len));
}

static void
ping_pong(void *s)
{
	Liaison__V1__Frame	 f, *a = NULL;
	Liaison__V1__Ping	 p;

	liaison__v1__ping__init(&p);
	p.has_nonce = 1;
	p.nonce = 42;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_PING;
	f.ping = &p;
	assert_ok(lsn_fixture_send(s, &f));
	assert_ok(lsn_fixture_recv_kind(s, LIAISON__V1__FRAME__KIND_PONG, T_MS,
	    &a));
	liaison__v1__frame__free_unpacked(a, NULL);
}

struct tally {
	size_t	sent, answered, ok, rate, quota, other;
};

/* Reads the PublishAcks that arrived (waits up to ms for the first). */
static void
drain_acks(void *s, struct tally *t, int ms)
{
	Liaison__V1__Frame	*a = NULL;

	while (t->answered < t->sent && lsn_fixture_recv_kind(s,
	    LIAISON__V1__FRAME__KIND_PUBLISH_ACK, ms, &a) == LSN_OK) {
		int code = lsn_err_from_wire((int) a->publish_ack->code);

		t->answered++;
		if (code == LSN_OK)
			t->ok++;
		else if (code == LSN_ERATE)
			t->rate++;
		else if (code == LSN_EQUOTA)
			t->quota++;
		else
			t->other++;
		liaison__v1__frame__free_unpacked(a, NULL);
		if (ms > 1)
			ms = 1000;	/* the rest follows quickly */
	}
}

static void
test_flood_bounded_urgent_still_delivered(void **state)
{
	struct env		*e = *state;
	struct tally		 t = { 0 };
	struct lsn_keypair	*kp = NULL;
	void			*fl = NULL, *other = NULL, *in = NULL;
	uint8_t			*env = NULL;
	size_t			 len = 0;
	uint64_t		 t0, el;
	long long		 rows, rate_rows;
	int			 code = 0;

	assert_ok(lsn_fixture_dealer(e->fx, e->zctx, 0, NULL, e->ep, &fl));
	e->s[0] = fl;
	assert_ok(lsn_fixture_hello(fl, 0, T_MS, NULL));
	assert_ok(lsn_fixture_dealer(e->fx, e->zctx, 1, NULL, e->ep, &other));
	e->s[1] = other;
	assert_ok(lsn_fixture_hello(other, 0, T_MS, NULL));
	/* the flood: bounded in count and time, one envelope (a retry of
	 * the same message is deduplicated, so each one is new) */
	t0 = lsn_mono_ms();
	while (t.sent < FLOOD_MAX && lsn_mono_ms() - t0 < FLOOD_MS &&
	    t.quota < 20) {
		/* 20 every 50 ms: ten times the allowed rate */
		for (int k = 0; k < 20 && t.sent < FLOOD_MAX; k++) {
			envelope(e, 0, 0, &env, &len);
			assert_ok(lsn_fixture_publish_raw(fl, env, len));
			free(env);
			t.sent++;
		}
		drain_acks(fl, &t, 1);
		lsn_proc_sleep_ms(50);
	}
	drain_acks(fl, &t, T_MS);
	el = lsn_mono_ms() - t0;
	assert_int_equal(t.answered, t.sent);
	/* the rate limit held: never more than the burst plus the rate */
	if (t.ok + t.quota > BURST + RATE * (el / 1000 + 1))
		fail_msg("%zu publishes passed the rate limit in %llu ms",
		    t.ok + t.quota, (unsigned long long) el);
	assert_true(t.rate > 0);
	/* the queue of partner 2 (never connected) filled to 50 - 5 */
	assert_int_equal(t.ok, 45);
	assert_true(t.quota > 0);
	assert_int_equal(t.other, 0);
	/* the broker still answers another member at once */
	ping_pong(other);
	/* ... who cannot put a routine message in the full queue ... */
	envelope(e, 1, 0, &env, &len);
	assert_ok(lsn_fixture_publish(other, env, len, T_MS, &code));
	free(env);
	assert_int_equal(code, LSN_EQUOTA);
	/* ... but an urgent one goes through */
	envelope(e, 1, LIAISON__V1__PRIORITY__PRIORITY_P1, &env, &len);
	assert_ok(lsn_fixture_publish(other, env, len, T_MS, &code));
	free(env);
	assert_int_equal(code, LSN_OK);
	/* and the recipient gets it: the last of its 46 messages */
	assert_ok(lsn_fixture_dealer(e->fx, e->zctx, 2, NULL, e->ep, &in));
	e->s[2] = in;
	assert_ok(lsn_fixture_hello(in, 0, T_MS, NULL));
	for (int n = 0; n < 46; n++) {
		Liaison__V1__Frame *d = NULL;

		assert_ok(lsn_fixture_recv_kind(in,
		    LIAISON__V1__FRAME__KIND_DELIVER, T_MS, &d));
		if (n == 45)
			assert_int_equal(d->deliver->seq, 46);
		liaison__v1__frame__free_unpacked(d, NULL);
	}
	/* refused handshakes of an unknown key, ten times */
	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "intruder", &kp));
	for (int i = 0; i < 10; i++) {
		void	*s = NULL;
		int	 rv;

		assert_ok(lsn_fixture_dealer(e->fx, e->zctx, 0, kp, e->ep, &s));
		rv = lsn_fixture_hello(s, 0, 300, NULL);
		zmq_close(s);
		assert_err(rv, LSN_ETIMEDOUT);
	}
	/* audit: one row per peer per 1 s interval (the last at shutdown),
	 * never one per refusal */
	el = lsn_mono_ms() - t0;
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	rows = db_count(e, "SELECT COUNT(*) FROM audit WHERE kind = "
	    "'authfail' AND subject = 'p01'");
	rate_rows = db_count(e, "SELECT COUNT(*) FROM audit WHERE kind = "
	    "'authfail' AND subject = 'p01' AND detail LIKE '%rate=%'");
	if (rows < 1 || rows > (long long) (el / 1000) + 2)
		fail_msg("%lld audit rows for %zu refusals in %llu ms", rows,
		    t.rate + t.quota, (unsigned long long) el);
	assert_true(rate_rows >= 1);
	rows = db_count(e, "SELECT COUNT(*) FROM audit WHERE kind = "
	    "'authfail' AND subject LIKE 'key:%'");
	if (rows < 1 || rows > 5)
		fail_msg("%lld audit rows for 10 refused handshakes", rows);
	lsn_keypair_destroy(&kp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_flood_bounded_urgent_still_delivered, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
