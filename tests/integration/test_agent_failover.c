/*
 * test_agent_failover.c -- agents that know several broker endpoints
 * (issue 16, item 3), with real processes on 127.0.0.1.
 *
 * The shared store of a real deployment (PostgreSQL) is simulated by one
 * sqlite file: broker "A" listens on port 1, is killed with SIGKILL, and
 * broker "B" starts on port 2 over the same database file and the same
 * keys, as a standby would take over; later B is killed and A restarted.
 * The agents are configured with "A,B" and must follow, under traffic
 * (a batch in flight at each kill, another submitted while no broker
 * runs). The second failure is silent: B is paused (SIGSTOP, a machine
 * lost without a TCP reset) so that the agents must notice it through
 * dead_after_ms before it is killed and A restarted.
 *
 *   failover       every message accepted by a broker reaches the
 *                  recipient's integrator API exactly once (counted by
 *                  message id), the agents report the endpoint they use,
 *                  and the time from each failure to the first message
 *                  accepted after it is printed (measured, not asserted
 *                  beyond a generous bound).
 *   first dead     the first endpoint never answers: the agent gets to
 *                  the second one.
 *   standby        the first endpoint is a standby that answers every
 *                  Hello with E_NOT_ACTIVE (a fake broker holding the
 *                  broker's transport key): the agent moves on at once.
 *   mute standby   the same fake answers Pings but never Hello: the agent
 *                  moves on after dead_after_ms.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "liaison/client.h"
#include "liaison/err.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define NMSG_MAX	128
#define BATCH		6	/* messages per traffic step */

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	pid_t			 agents[2];
	char			 ep[2][64];	/* A, B */
	char			 list[160];	/* "A,B" */
	uint8_t			 ids[NMSG_MAX][16];
	size_t			 nids;
	/* the fake standby (standby test) */
	pthread_t		 th;
	int			 th_started;
	volatile int		 stop;
	int			 mute;		/* never answer Hello */
	volatile int		 refused;	/* Hellos answered */
};

/* A port on 127.0.0.1 nobody listens on right now. */
static int
free_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, port;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return (port);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	int			 p0, p1;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	p0 = free_port();
	do
		p1 = free_port();
	while (p1 == p0);
	snprintf(e->ep[0], sizeof(e->ep[0]), "tcp://127.0.0.1:%d", p0);
	snprintf(e->ep[1], sizeof(e->ep[1]), "tcp://127.0.0.1:%d", p1);
	snprintf(e->list, sizeof(e->list), "%s,%s", e->ep[0], e->ep[1]);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		if (e->th_started) {
			e->stop = 1;
			pthread_join(e->th, NULL);
		}
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

/* Starts the broker on endpoint k (0 = A, 1 = B) over the one db file. */
static void
start_broker(struct env *e, int k)
{
	char	ep[256];

	assert_ok(lsn_fixture_write_broker_conf(e->fx, e->ep[k], NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, ep,
	    sizeof(ep)));
	assert_string_equal(ep, e->ep[k]);
}

static void
start_agents(struct env *e, const char *list)
{
	for (size_t i = 0; i < 2; i++) {
		e->agents[i] = agent_it_start(e->fx, i, list, NULL);
		assert_true(e->agents[i] > 0);
	}
}

/* Submits n notes from agent 0 to partner 1 (ids appended). */
static void
submit_n(struct env *e, size_t n)
{
	char	text[64];

	assert_true(e->nids + n <= NMSG_MAX);
	for (size_t k = 0; k < n; k++, e->nids++) {
		snprintf(text, sizeof(text), "synthetic failover note %zu",
		    e->nids);
		assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
		    text, e->ids[e->nids]));
	}
}

/*
 * Waits until ids[from..nids) are accepted; returns the ms from t0 to
 * the first acceptance seen (polled every 20 ms).
 */
static uint64_t
wait_accepted(struct env *e, size_t from, uint64_t t0)
{
	uint64_t	deadline = lsn_mono_ms() + 60000, first = 0;
	int		st, code;
	size_t		k = from;

	while (k < e->nids) {
		assert_ok(agent_it_outbox(e->fx, 0, e->ids[k], &st, &code));
		if (st == LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED) {
			if (first == 0)
				first = lsn_mono_ms();
			k++;
			continue;
		}
		if (st != LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING)
			fail_msg("message %zu: outbox state %d code %s", k,
			    st, lsn_errname(code));
		if (lsn_mono_ms() > deadline)
			fail_msg("message %zu not accepted within 60 s", k);
		lsn_proc_sleep_ms(20);
	}
	return (first > t0 ? first - t0 : 0);
}

/* Agent i's status names endpoint ep; returns its switch count. */
static uint64_t
check_endpoint(struct env *e, size_t i, const char *ep)
{
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 deadline = lsn_mono_ms() + 15000;
	uint64_t			 sw = 0;
	int				 ok = 0;

	while (!ok && lsn_mono_ms() < deadline) {
		assert_ok(agent_it_status(e->fx, i, &r));
		assert_non_null(r->status);
		ok = r->status->connected &&
		    r->status->broker_endpoint != NULL &&
		    strcmp(r->status->broker_endpoint, ep) == 0;
		sw = r->status->broker_switches;
		if (!ok)
			lsn_proc_sleep_ms(50);
		lsn_client_response_free(&r);
	}
	if (!ok)
		fail_msg("agent %zu is not connected to %s", i, ep);
	return (sw);
}

/* B's inbox holds ids[0..nids), each exactly once, and nothing else. */
static void
check_inbox_once(struct env *e)
{
	Liaison__V1__ApiResponse	*r = NULL;
	size_t				 n, found, twice = 0, lost = 0;

	assert_ok(agent_it_wait_inbox(e->fx, 1, e->nids, 60000));
	lsn_proc_sleep_ms(1000);	/* a duplicate would show now */
	assert_ok(agent_it_inbox(e->fx, 1, 0, &r));
	assert_non_null(r->inbox_list);
	n = r->inbox_list->n_items;
	for (size_t m = 0; m < e->nids; m++) {
		found = 0;
		for (size_t k = 0; k < n; k++)
			if (r->inbox_list->items[k]->message_id.len == 16 &&
			    memcmp(r->inbox_list->items[k]->message_id.data,
			    e->ids[m], 16) == 0)
				found++;
		lost += found == 0;
		twice += found > 1;
	}
	lsn_client_response_free(&r);
	printf("failover: %zu accepted, %zu lost, %zu delivered twice, "
	    "%zu in the inbox\n", e->nids, lost, twice, n);
	assert_int_equal(lost, 0);
	assert_int_equal(twice, 0);
	assert_int_equal(n, e->nids);
}

/* Waits (<= 15 s) until neither agent reports a session. */
static void
wait_disconnected(struct env *e)
{
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 deadline = lsn_mono_ms() + 15000;
	int				 up = 1;

	while (up && lsn_mono_ms() < deadline) {
		up = 0;
		for (size_t i = 0; i < 2; i++) {
			assert_ok(agent_it_status(e->fx, i, &r));
			assert_non_null(r->status);
			up |= r->status->connected;
			lsn_client_response_free(&r);
		}
		if (up)
			lsn_proc_sleep_ms(50);
	}
	if (up)
		fail_msg("an agent still reports a session with a paused "
		    "broker");
}

/*
 * Submits a batch and kills the running broker at once (some of the batch
 * in flight, some deliveries unacknowledged), submits another batch while
 * none runs, starts the other one (the takeover) and waits until both
 * batches are accepted.
 */
static void
fail_over(struct env *e, int to, int silent, const char *label)
{
	uint64_t	t0, ms;
	size_t		from = e->nids;

	submit_n(e, BATCH);
	t0 = lsn_mono_ms();
	if (silent) {
		/* the machine is lost without a TCP reset: the broker
		 * stops answering; the agents must notice (dead_after_ms)
		 * by themselves. Killed once they left it, so that the
		 * paused process cannot share the database file. */
		assert_int_equal(lsn_proc_signal(e->broker, SIGSTOP), 0);
		wait_disconnected(e);
	}
	assert_int_equal(lsn_proc_kill9(e->broker), 128 + 9);
	submit_n(e, BATCH);
	start_broker(e, to);
	ms = wait_accepted(e, from + BATCH, t0);
	(void) wait_accepted(e, from, t0);
	printf("failover: %s: %llu ms from the failure to the first "
	    "message accepted after it\n", label, (unsigned long long) ms);
	/* dead_after_ms is 2 s and reconnect_max_ms 0.4 s in tests */
	assert_true(ms < 15000);
	for (size_t i = 0; i < 2; i++)
		(void) check_endpoint(e, i, e->ep[to]);
}

static void
test_failover_a_to_b_and_back_loses_and_duplicates_nothing(void **state)
{
	struct env	*e = *state;
	uint64_t	 sw;
	char		*out = NULL, line[128];

	start_broker(e, 0);
	start_agents(e, e->list);
	for (size_t i = 0; i < 2; i++) {
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
		assert_int_equal(check_endpoint(e, i, e->ep[0]), 0);
	}
	submit_n(e, BATCH);
	(void) wait_accepted(e, 0, lsn_mono_ms());
	assert_ok(agent_it_wait_inbox(e->fx, 1, e->nids, 30000));

	fail_over(e, 1, 0, "A -> B (killed)");
	submit_n(e, BATCH);
	(void) wait_accepted(e, e->nids - BATCH, lsn_mono_ms());

	fail_over(e, 0, 1, "B -> A (paused, then killed)");
	submit_n(e, BATCH);
	(void) wait_accepted(e, e->nids - BATCH, lsn_mono_ms());
	sw = check_endpoint(e, 0, e->ep[0]);
	printf("failover: agent 0 changed endpoint %llu times\n",
	    (unsigned long long) sw);
	assert_true(sw >= 2);
	/* `liaison status` names it too */
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "status", NULL), 0);
	assert_non_null(out);
	snprintf(line, sizeof(line), "broker:          %s (", e->ep[0]);
	if (strstr(out, line) == NULL)
		fail_msg("liaison status lacks '%s':\n%s", line, out);
	free(out);
	check_inbox_once(e);
}

static void
test_first_endpoint_dead_agent_uses_the_second(void **state)
{
	struct env	*e = *state;
	char		 list[160];
	uint64_t	 t0 = lsn_mono_ms();

	/* B's port is never opened; the list is "B A" (space form) */
	snprintf(list, sizeof(list), "%s %s", e->ep[1], e->ep[0]);
	start_broker(e, 0);
	start_agents(e, list);
	for (size_t i = 0; i < 2; i++) {
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
		assert_true(check_endpoint(e, i, e->ep[0]) >= 1);
	}
	printf("failover: first endpoint dead: connected after %llu ms\n",
	    (unsigned long long) (lsn_mono_ms() - t0));
	submit_n(e, BATCH);
	(void) wait_accepted(e, 0, lsn_mono_ms());
	check_inbox_once(e);
}

/*
 * A standby on ep[0]: answers every Hello with Error{E_NOT_ACTIVE}, or
 * (e->mute) answers Pings only.
 */
static void *
standby_main(void *arg)
{
	struct env		*e = arg;
	Liaison__V1__Frame	*f, out = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Error	 err = LIAISON__V1__ERROR__INIT;
	char			 sk[LSN_Z85_KEYLEN + 1];
	void			*ctx, *s;
	uint8_t			 id[256], buf[8192], pk[1024];
	int			 one = 1, n, idn, len;
	size_t			 plen;

	ctx = zmq_ctx_new();
	s = zmq_socket(ctx, ZMQ_ROUTER);
	if (lsn_key_z85(e->fx->broker_transport->sk, sk) != LSN_OK ||
	    zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sk, LSN_Z85_KEYLEN) != 0 ||
	    zmq_bind(s, e->ep[0]) != 0) {
		fprintf(stderr, "standby: cannot bind %s\n", e->ep[0]);
		goto out;
	}
	err.has_code = 1;
	err.code = -LSN_ENOTACTIVE;
	err.detail = (char *) "standby: not the active broker";
	out.kind_case = LIAISON__V1__FRAME__KIND_ERROR;
	out.error = &err;
	plen = liaison__v1__frame__pack(&out, pk);
	n = 0;
	while (!e->stop) {
		zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };

		if (zmq_poll(&it, 1, 100) <= 0)
			continue;
		if ((idn = zmq_recv(s, id, sizeof(id), 0)) < 0)
			continue;
		if ((len = zmq_recv(s, buf, sizeof(buf), 0)) < 0)
			continue;
		if (len > (int) sizeof(buf))
			continue;
		f = liaison__v1__frame__unpack(NULL, (size_t) len, buf);
		if (f != NULL && f->kind_case ==
		    LIAISON__V1__FRAME__KIND_HELLO) {
			if (!e->mute) {
				zmq_send(s, id, (size_t) idn, ZMQ_SNDMORE);
				zmq_send(s, pk, plen, 0);
			}
			e->refused = ++n;
		} else if (f != NULL && f->kind_case ==
		    LIAISON__V1__FRAME__KIND_PING) {
			Liaison__V1__Frame	pf = LIAISON__V1__FRAME__INIT;
			Liaison__V1__Pong	po = LIAISON__V1__PONG__INIT;
			uint8_t			pb[64];
			size_t			pl;

			po.has_nonce = f->ping->has_nonce;
			po.nonce = f->ping->nonce;
			pf.kind_case = LIAISON__V1__FRAME__KIND_PONG;
			pf.pong = &po;
			pl = liaison__v1__frame__pack(&pf, pb);
			zmq_send(s, id, (size_t) idn, ZMQ_SNDMORE);
			zmq_send(s, pb, pl, 0);
		}
		if (f != NULL)
			liaison__v1__frame__free_unpacked(f, NULL);
	}
 out:
	zmq_close(s);
	zmq_ctx_term(ctx);
	return (NULL);
}

static void
standby_first(struct env *e, int mute)
{
	uint64_t	 t0 = lsn_mono_ms();

	e->mute = mute;
	/* the real broker on B, the standby on A; the list is "A,B" */
	assert_int_equal(pthread_create(&e->th, NULL, standby_main, e), 0);
	e->th_started = 1;
	start_broker(e, 1);
	start_agents(e, e->list);
	for (size_t i = 0; i < 2; i++) {
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
		assert_true(check_endpoint(e, i, e->ep[1]) >= 1);
	}
	printf("failover: %s standby first: connected after %llu ms, %d "
	    "Hello %s\n", mute ? "mute" : "refusing",
	    (unsigned long long) (lsn_mono_ms() - t0), e->refused,
	    mute ? "unanswered" : "refused E_NOT_ACTIVE");
	assert_true(e->refused >= 1);
	submit_n(e, BATCH);
	(void) wait_accepted(e, 0, lsn_mono_ms());
	check_inbox_once(e);
}

static void
test_standby_not_active_agent_moves_on(void **state)
{
	standby_first(*state, 0);
}

static void
test_mute_standby_agent_moves_on_after_dead_after_ms(void **state)
{
	standby_first(*state, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_failover_a_to_b_and_back_loses_and_duplicates_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_first_endpoint_dead_agent_uses_the_second,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_standby_not_active_agent_moves_on, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_mute_standby_agent_moves_on_after_dead_after_ms,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
