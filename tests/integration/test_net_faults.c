/*
 * test_net_faults.c -- network faults between an agent and the broker.
 *
 * A real broker and two agents; each agent reaches the broker through its
 * own tcpproxy (tests/common/tcpproxy.h). The faults are applied to agent
 * 0's proxy one after the other: stall (nothing moves, sockets stay open),
 * drop (every connection closed, new ones closed at once), delay (150 ms
 * per chunk), cut agent -> broker, cut broker -> agent. During each fault
 * both agents send notes to each other through their local APIs.
 *
 * Per fault it prints: when the agent noticed (its status says not
 * connected) and when the broker noticed (the session is gone from its
 * status) against the configured timeouts, the reconnect attempts seen by
 * the proxy and the intervals between them (the backoff), the recovery
 * time once the fault is removed, and the messages sent / delivered /
 * duplicated / lost. At the end every note is in its recipient's inbox
 * exactly once.
 *
 * No timed assertions: a fault is held until both sides noticed it (or a
 * generous cap), and the only timing check is a lower bound that the
 * backoff guarantees by construction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"
#include "tcpproxy.h"

/* Configuration under test (short, so the test is quick). */
#define BROKER_HB_MS	300	/* broker heartbeat_ms: ZMTP timeout 3x */
#define AGENT_PING_MS	200
#define AGENT_DEAD_MS	1000
#define AGENT_RMIN_MS	50
#define AGENT_RMAX_MS	400

#define NFAULTS		5
#define NPER		6	/* notes per agent per fault */
#define NMSG_MAX	(NFAULTS * 2 * NPER + 16)
#define HOLD_CAP_MS	15000	/* a fault never lasts longer */
#define ACCEPTS_MAX	256

struct fault {
	const char	*name;
	int		 mode;
	int		 delay_ms;
	int		 min_hold_ms;	/* after both noticed (or from start) */
	int		 dead;		/* the link is dead: both must notice */
};

static const struct fault faults[NFAULTS] = {
	{ "stall", TCPPROXY_STALL, 0, 1500, 1 },
	{ "drop", TCPPROXY_DROP, 0, 2500, 1 },
	{ "delay 150ms", TCPPROXY_DELAY, 150, 2000, 0 },
	{ "cut agent->broker", TCPPROXY_ONLY_BA, 0, 1500, 1 },
	{ "cut broker->agent", TCPPROXY_ONLY_AB, 0, 1500, 1 },
};

struct sent {
	uint8_t		id[16];
	size_t		to;
	int		fault;
};

struct env {
	struct lsn_fixture	*fx;
	struct tcpproxy		*px[2];
	pid_t			 broker;
	pid_t			 agents[2];
	void			*zctx;
	char			 ctl[LSN_FX_PATH_MAX + 32];
	struct sent		 msgs[NMSG_MAX];
	size_t			 nmsgs;
};

static char *
mut(const char *s)
{
	return ((char *) (uintptr_t) s);
}

static pid_t
start_agent(struct env *e, size_t i)
{
	struct lsn_fixture	*fx = e->fx;
	char			 ep[64], extra[512];
	char			 sock[LSN_FX_PATH_MAX + 16];
	char			*bin, *argv[6];
	pid_t			 pid;

	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d",
	    tcpproxy_port(e->px[i]));
	snprintf(extra, sizeof(extra), "ping_ms = %d\ndead_after_ms = %d\n"
	    "reconnect_min_ms = %d\nreconnect_max_ms = %d\nresend_ms = 700\n",
	    AGENT_PING_MS, AGENT_DEAD_MS, AGENT_RMIN_MS, AGENT_RMAX_MS);
	if (lsn_fixture_write_agent_conf(fx, i, ep, extra) != LSN_OK)
		return (-1);
	snprintf(sock, sizeof(sock), "%s/api.sock", fx->partners[i].dir);
	(void) remove(sock);
	if ((bin = lsn_proc_bin(LSN_BIN_AGENT)) == NULL)
		return (-1);
	argv[0] = bin;
	argv[1] = mut("-d");
	argv[2] = mut("-v");
	argv[3] = mut("-c");
	argv[4] = fx->partners[i].agent_conf;
	argv[5] = NULL;
	pid = lsn_proc_spawn(bin, argv, fx->partners[i].agent_log);
	free(bin);
	if (pid == -1)
		return (-1);
	if (lsn_proc_wait_file(sock, 10000, pid) != 0) {
		lsn_proc_dump_log(fx->partners[i].agent_log, 4000);
		return (-1);
	}
	return (pid);
}

/*
 * Asks the broker's control socket whether partner has a session:
 * 1 yes, 0 no, -1 no answer.
 */
static int
broker_session(struct env *e, const char *partner)
{
	char	 buf[65536], pat[80], *s, *end;
	void	*sk;
	int	 zero = 0, tmo = 3000, n, rv = -1;

	if ((sk = zmq_socket(e->zctx, ZMQ_REQ)) == NULL)
		return (-1);
	(void) zmq_setsockopt(sk, ZMQ_LINGER, &zero, sizeof(zero));
	(void) zmq_setsockopt(sk, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	if (zmq_connect(sk, e->ctl) != 0 || zmq_send(sk, "status", 6, 0) != 6)
		goto out;
	if ((n = zmq_recv(sk, buf, sizeof(buf) - 1, 0)) < 0 ||
	    (size_t) n >= sizeof(buf))
		goto out;
	buf[n] = '\0';
	if ((s = strstr(buf, "\"sessions\"")) == NULL ||
	    (s = strchr(s, '[')) == NULL || (end = strchr(s, ']')) == NULL)
		goto out;
	*end = '\0';
	snprintf(pat, sizeof(pat), "\"%s\"", partner);
	rv = strstr(s, pat) != NULL;
 out:
	zmq_close(sk);
	return (rv);
}

/* 1 connected, 0 not, -1 no answer. */
static int
agent_connected(struct env *e, size_t i)
{
	Liaison__V1__ApiResponse	*r = NULL;
	int				 c;

	if (agent_it_status(e->fx, i, &r) != LSN_OK)
		return (-1);
	c = r->status != NULL && r->status->connected;
	lsn_client_response_free(&r);
	return (c);
}

/* Waits until agent i is connected and the broker has its session. */
static int
wait_linked(struct env *e, size_t i, int timeout_ms)
{
	uint64_t	deadline = lsn_mono_ms() + (uint64_t) timeout_ms;

	while (lsn_mono_ms() < deadline) {
		if (agent_connected(e, i) == 1 &&
		    broker_session(e, e->fx->partners[i].id) == 1)
			return (0);
		lsn_proc_sleep_ms(20);
	}
	return (-1);
}

/* Sends one note from agent `from` to the other one. */
static void
send_note(struct env *e, int fault, size_t from)
{
	struct sent	*m = &e->msgs[e->nmsgs];
	char		 text[96];

	assert_true(e->nmsgs < NMSG_MAX);
	snprintf(text, sizeof(text), "net fault %d note %zu from %zu", fault,
	    e->nmsgs, from);
	assert_ok(agent_it_send(e->fx, from, e->fx->partners[1 - from].id,
	    NULL, text, m->id));
	m->to = 1 - from;
	m->fault = fault;
	e->nmsgs++;
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	char			 ep[256], extra[LSN_FX_PATH_MAX + 192];
	const char		*colon;
	int			 port;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	snprintf(e->ctl, sizeof(e->ctl), "ipc://%s/control.sock",
	    e->fx->broker_dir);
	snprintf(extra, sizeof(extra), "heartbeat_ms = %dms\ncontrol = %s\n",
	    BROKER_HB_MS, e->ctl);
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, extra));
	assert_ok(lsn_fixture_start_broker(e->fx, 1, &e->broker, ep,
	    sizeof(ep)));
	assert_non_null(colon = strrchr(ep, ':'));
	port = atoi(colon + 1);
	assert_true(port > 0);
	assert_non_null(e->zctx = zmq_ctx_new());
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(tcpproxy_start(port, &e->px[i]), 0);
	for (size_t i = 0; i < 2; i++) {
		e->agents[i] = start_agent(e, i);
		assert_true(e->agents[i] > 0);
	}
	for (size_t i = 0; i < 2; i++) {
		assert_ok(agent_it_wait_connected(e->fx, i, 1, 15000));
		assert_int_equal(wait_linked(e, i, 15000), 0);
	}
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		for (size_t i = 0; i < 2; i++)
			tcpproxy_stop(&e->px[i]);
		if (e->zctx != NULL)
			zmq_ctx_term(e->zctx);
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

struct figures {
	long	agent_det;	/* ms, -1 not noticed */
	long	broker_det;
	long	px_a;		/* proxy saw the agent close, -1 never */
	long	px_b;		/* proxy saw the broker close */
	long	recovery;	/* from the end of the fault */
	size_t	attempts;	/* new connections during the fault */
	long	ivl[ACCEPTS_MAX];
	size_t	nivl;
	size_t	sent, delivered, dup, lost;
};

/* ms from t0 to the first event of kind, or -1. */
static long
first_event(struct tcpproxy *px, int kind, uint64_t t0)
{
	struct tcpproxy_event	ev;

	if (tcpproxy_events(px, kind, t0, &ev, 1) == 0)
		return (-1);
	return ((long) (ev.t_ms - t0));
}

static void
run_fault(struct env *e, int fi, struct figures *fg)
{
	const struct fault	*f = &faults[fi];
	struct tcpproxy_event	 acc[ACCEPTS_MAX];
	const char		*p0 = e->fx->partners[0].id;
	uint64_t		 t0, now, t_end, noticed = 0;
	size_t			 nacc, nsent = 0;

	memset(fg, 0, sizeof(*fg));
	fg->agent_det = fg->broker_det = -1;
	assert_int_equal(wait_linked(e, 0, 15000), 0);
	assert_int_equal(wait_linked(e, 1, 15000), 0);
	t0 = lsn_mono_ms();
	tcpproxy_set_mode(e->px[0], f->mode, f->delay_ms);
	for (;;) {
		now = lsn_mono_ms();
		if (fg->agent_det < 0 && agent_connected(e, 0) == 0)
			fg->agent_det = (long) (lsn_mono_ms() - t0);
		if (fg->broker_det < 0 && broker_session(e, p0) == 0)
			fg->broker_det = (long) (lsn_mono_ms() - t0);
		/*
		 * Notes: one per turn (a submit takes a few ms, the status
		 * polls stay frequent), the first half at once, the second
		 * half from the middle of the minimum hold.
		 */
		if (nsent < 2 * NPER && (nsent < NPER ||
		    now - t0 >= (uint64_t) f->min_hold_ms / 2)) {
			send_note(e, fi, nsent % 2);
			nsent++;
		}
		if (noticed == 0 && (!f->dead ||
		    (fg->agent_det >= 0 && fg->broker_det >= 0)))
			noticed = f->dead ? now : t0;
		if (nsent == 2 * NPER && noticed != 0 &&
		    now - noticed >= (uint64_t) f->min_hold_ms)
			break;
		if (now - t0 >= HOLD_CAP_MS)
			break;
		lsn_proc_sleep_ms(20);
	}
	tcpproxy_set_mode(e->px[0], TCPPROXY_PASS, 0);
	t_end = lsn_mono_ms();
	nacc = tcpproxy_events(e->px[0], TCPPROXY_EV_ACCEPT, t0, acc,
	    ACCEPTS_MAX);
	fg->attempts = nacc;
	fg->px_a = first_event(e->px[0], TCPPROXY_EV_A_CLOSED, t0);
	fg->px_b = first_event(e->px[0], TCPPROXY_EV_B_CLOSED, t0);
	for (size_t k = 1; k < nacc && k < ACCEPTS_MAX; k++)
		fg->ivl[fg->nivl++] = (long) (acc[k].t_ms - acc[k - 1].t_ms);
	assert_int_equal(wait_linked(e, 0, 30000), 0);
	fg->recovery = (long) (lsn_mono_ms() - t_end);
}

static void
test_net_faults_detected_no_loss_no_dup(void **state)
{
	struct env			*e = *state;
	struct figures			 fg[NFAULTS];
	Liaison__V1__ApiResponse	*r = NULL;
	uint64_t			 expect[2] = { 0, 0 };
	size_t				 tot_dup = 0, tot_lost = 0;
	size_t				 tot_deliv = 0, unexpected = 0;
	int				 st, code;

	for (int fi = 0; fi < NFAULTS; fi++)
		run_fault(e, fi, &fg[fi]);

	/* Every note acknowledged by the broker ... */
	for (size_t k = 0; k < e->nmsgs; k++) {
		size_t	from = 1 - e->msgs[k].to;

		assert_ok(agent_it_wait_outbox(e->fx, from, e->msgs[k].id,
		    30000, &st, &code));
		assert_int_equal(st, LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
		expect[e->msgs[k].to]++;
		fg[e->msgs[k].fault].sent++;
	}
	/* ... and in its recipient's inbox exactly once. */
	for (size_t i = 0; i < 2; i++) {
		Liaison__V1__InboxListResponse	*l;
		size_t				*seen;

		(void) agent_it_wait_inbox(e->fx, i, expect[i], 30000);
		/* a little longer: a duplicate would come after */
		lsn_proc_sleep_ms(300);
		assert_ok(agent_it_inbox(e->fx, i, 0, &r));
		assert_non_null(l = r->inbox_list);
		assert_non_null(seen = calloc(e->nmsgs, sizeof(*seen)));
		for (size_t j = 0; j < l->n_items; j++) {
			const Liaison__V1__InboxItem	*it = l->items[j];
			int				 hit = 0;

			for (size_t k = 0; k < e->nmsgs; k++)
				if (e->msgs[k].to == i &&
				    it->message_id.len == 16 &&
				    memcmp(it->message_id.data,
				    e->msgs[k].id, 16) == 0) {
					seen[k]++;
					hit = 1;
				}
			if (!hit)
				unexpected++;
		}
		for (size_t k = 0; k < e->nmsgs; k++) {
			struct figures	*g = &fg[e->msgs[k].fault];

			if (e->msgs[k].to != i)
				continue;
			if (seen[k] == 0) {
				g->lost++;
				tot_lost++;
			} else {
				g->delivered++;
				tot_deliv++;
			}
			if (seen[k] > 1) {
				g->dup += seen[k] - 1;
				tot_dup += seen[k] - 1;
			}
		}
		free(seen);
		lsn_client_response_free(&r);
	}

	printf("net faults: broker heartbeat_ms %d (ZMTP timeout %d ms); "
	    "agent ping_ms %d, dead_after_ms %d, reconnect %d..%d ms "
	    "(+0..50%% jitter)\n", BROKER_HB_MS, 3 * BROKER_HB_MS,
	    AGENT_PING_MS, AGENT_DEAD_MS, AGENT_RMIN_MS, AGENT_RMAX_MS);
	printf("%-18s %9s %10s %6s %6s %8s %8s %5s %5s %4s %4s  %s\n",
	    "fault", "agent_det", "broker_det", "a_cls", "b_cls", "recovery",
	    "attempts", "sent",
	    "deliv", "dup", "lost", "reconnect intervals (ms)");
	for (int fi = 0; fi < NFAULTS; fi++) {
		char	ivl[512];
		size_t	o = 0;

		ivl[0] = '\0';
		for (size_t k = 0; k < fg[fi].nivl && o + 12 < sizeof(ivl);
		    k++)
			o += (size_t) snprintf(ivl + o, sizeof(ivl) - o,
			    "%s%ld", k ? " " : "", fg[fi].ivl[k]);
		printf("%-18s %9ld %10ld %6ld %6ld %8ld %8zu %5zu %5zu %4zu "
		    "%4zu  %s\n", faults[fi].name, fg[fi].agent_det,
		    fg[fi].broker_det, fg[fi].px_a, fg[fi].px_b,
		    fg[fi].recovery, fg[fi].attempts, fg[fi].sent,
		    fg[fi].delivered, fg[fi].dup, fg[fi].lost, ivl);
	}
	printf("net faults: total sent %zu, delivered %zu, duplicates %zu, "
	    "lost %zu, unexpected %zu (ms from the fault's start: agent_det "
	    "= agent status not connected, broker_det = session gone from "
	    "the broker status, a_cls/b_cls = the proxy saw the agent/broker "
	    "close its TCP connection; -1: never)\n", e->nmsgs, tot_deliv, tot_dup,
	    tot_lost, unexpected);
	fflush(stdout);

	for (int fi = 0; fi < NFAULTS; fi++)
		if (faults[fi].dead) {
			/* both sides noticed the dead peer (within the cap) */
			assert_true(fg[fi].agent_det >= 0);
			assert_true(fg[fi].broker_det >= 0);
		}
	/* The daemons stop cleanly after all that (sanitizer builds: no
	 * leak, no error at exit). */
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(lsn_proc_stop(e->agents[i]), 0);
	assert_int_equal(lsn_proc_stop(e->broker), 0);
	assert_int_equal(tot_lost, 0);
	assert_int_equal(tot_dup, 0);
	assert_int_equal(unexpected, 0);
	assert_int_equal(tot_deliv, e->nmsgs);
	/* Reconnects back off: while connections are refused the interval
	 * grows past the first delay (a lower bound the timer guarantees). */
	{
		long	maxivl = 0;

		for (size_t k = 0; k < fg[1].nivl; k++)
			if (fg[1].ivl[k] > maxivl)
				maxivl = fg[1].ivl[k];
		assert_true(fg[1].attempts >= 3);
		assert_true(maxivl >= 2 * AGENT_RMIN_MS);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_net_faults_detected_no_loss_no_dup, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
