/*
 * test_crash_load.c -- crash under load: the real broker and four real
 * agents, sustained traffic among the agents (direct and to groups)
 * submitted through the agents' local APIs with many requests in flight,
 * while the broker is killed with SIGKILL at random points (at least 10
 * times) and the agents too (senders and recipients alike), each restarted
 * at once or after a short random pause.
 *
 * "Acknowledged" is the agent's answer to a submit: ApiResponse code OK
 * with a message id. integrators.md states that a submit answered OK is
 * durable in the outbox and that the agent resends it until the broker
 * acknowledges it (protocol.md: PublishAck OK only after the broker's
 * commit; DeliverAck OK only after the recipient agent stored it). So
 * every acknowledged message must end up in the inbox of each of its
 * recipients (groups expanded, the sender removed when reached through a
 * group) exactly once, whatever was killed when. A submit whose answer
 * was lost with a killed agent is "unanswered": it may or may not have
 * been stored; if it is delivered, its sender's outbox must know it and it
 * must not be delivered twice either. Answers the agent sent before it
 * was killed are read after the kill and counted like any other (an
 * "accepted" among them is a promise). Every third broker kill also kills
 * an agent, in either order (overlapping kills).
 *
 * Figures printed: seed, sent, acknowledged, refused, unanswered, expected
 * and delivered (message, recipient) pairs, duplicates, lost, misdelivered,
 * unanswered-but-delivered, kills survived, longest recovery (kill ->
 * every agent's new session with the broker after a broker kill; kill ->
 * the killed agent's new session after an agent kill, both from the
 * agents' own Welcome times in status.last_connected_ms).
 *
 * Environment: LSN_CRASH_SEED (decimal) repeats a run, LSN_CRASH_MSGS
 * changes the message count. The sanitizer build sends fewer messages
 * (ASAN_MSGS) with the same number of kills; the figures say which.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "api.pb-c.h"
#include "envelope.pb-c.h"

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define CL_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CL_SANITIZED	1
#endif
#endif
#ifndef CL_SANITIZED
#define CL_SANITIZED	0
#endif

#define NAG		4	/* agents p01..p04 */
#define FULL_MSGS	20000
#define ASAN_MSGS	4000
#define BROKER_KILLS	12
#define AGENT_KILLS	5
#define WINDOW		48	/* submits in flight per agent */
#define MAX_OUT		(WINDOW + 4)
#define DOWN_MAX_MS	250	/* longest pause before a restart */
#define STATUS_IVL_MS	40	/* status polls while a recovery runs */
/*
 * Flow control: no new submits to an agent whose outbox holds this many
 * messages the broker has not acknowledged yet (status polled every
 * FLOW_IVL_MS). Submitting is much faster than delivering; without it the
 * whole stream would be submitted in the first seconds and most kills
 * would fall after it. With it the traffic lasts as long as the work and
 * the kill points, chosen in message numbers, are spread over the run.
 */
#define OUTBOX_CAP	400
#define FLOW_IVL_MS	100
#define DRAIN_MS	180000	/* the final wait for every delivery */

/*
 * Agent timers. A broker killed with SIGKILL closes its TCP connections, so
 * the agents see the disconnect at once (socket monitor) and reconnect
 * within reconnect_max_ms; heartbeats are not what finds it here, and a
 * short dead_after_ms only drops sessions of a busy broker (sanitizer
 * build, loaded machine). resend_ms at its default: every new session
 * resends the whole outbox anyway.
 */
#ifndef CL_AGENT_CONF
#define CL_AGENT_CONF							\
	"ping_ms = 1000\n"						\
	"dead_after_ms = 10000\n"					\
	"reconnect_min_ms = 50\n"					\
	"reconnect_max_ms = 500\n"					\
	"resend_ms = 5000\n"
#endif

enum ag_state { AG_UP, AG_DOWN, AG_STARTING };
enum msg_state { M_NEW, M_SENT, M_ACKED, M_REFUSED, M_UNANSWERED };
enum req_kind { R_SUBMIT, R_STATUS };

struct msg {
	uint8_t		 id[16];
	uint8_t		 sender;
	uint8_t		 rcpt;		/* bit i: partner i is a recipient */
	uint8_t		 state;		/* enum msg_state */
	uint8_t		 seen;		/* bit i: found in i's inbox */
};

struct req {
	uint64_t	 rid;
	int		 kind;
	uint32_t	 k;		/* message index (R_SUBMIT) */
};

struct ag {
	pid_t		 pid;
	int		 state;		/* enum ag_state */
	/* DEALERs to its API: [0] submits, [1] status (the agent's ROUTER
	 * takes requests from both in turn: status is not queued behind
	 * the submits) */
	void		*sock[2];
	struct req	 out[MAX_OUT];
	size_t		 nout;
	size_t		 nsub;		/* submits among out[] */
	size_t		 nsub_lost;	/* unanswered at the last kill */
	int		 status_out;
	uint64_t	 status_at;	/* mono ms of the last status sent */
	uint64_t	 restart_at;	/* mono ms (AG_DOWN) */
	uint64_t	 reconnected;	/* last_connected_ms seen (wall) */
	int		 connected;
	uint64_t	 outbox_pending, outbox_rejected, inbox, quar;
	int		 counts_fresh;
};

struct cl {
	struct lsn_fixture	*fx;
	void			*ctx;
	char			 ep[256];
	pid_t			 broker;
	int			 broker_state;	/* enum ag_state */
	uint64_t		 broker_restart_at;
	uint64_t		 broker_spawned;	/* mono ms */
	struct ag		 ag[NAG];
	struct msg		*m;
	size_t			 nmsg;
	size_t			 next;		/* next message to send */
	uint64_t		 rid;
	uint64_t		 rng;
	uint64_t		 seed;
	uint8_t			 groups[3];	/* member masks */
	const char		*gname[3];
	/* the kill schedule: message counts at which to kill */
	size_t			 bkill_at[BROKER_KILLS];
	size_t			 akill_at[AGENT_KILLS];
	size_t			 nbkill, nakill;
	/* a running recovery */
	int			 rec_kind;	/* 0 none, 1 broker, 2 agent */
	int			 rec_agent;
	uint64_t		 rec_kill_ms;	/* wall */
	uint64_t		 rec_broker_max, rec_agent_max;
	/* figures */
	size_t			 sent, acked, refused, unanswered;
	size_t			 bkills, akills, okills;
	size_t			 late_answers;	/* read after the kill */
	int			 first_refusal;
};


/* splitmix64 */
static uint64_t
rnd(struct cl *t)
{
	uint64_t	z = (t->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static size_t
rnd_below(struct cl *t, size_t n)
{
	return ((size_t) (rnd(t) % n));
}

static uint64_t
env_u64(const char *name, uint64_t def)
{
	const char	*s = getenv(name);
	char		*end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return (def);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return (def);
	return ((uint64_t) v);
}

static int
cmp_size(const void *a, const void *b)
{
	size_t	x = *(const size_t *) a, y = *(const size_t *) b;

	return (x < y ? -1 : x > y);
}

/* ---- processes ---- */

static void
api_sock_path(const struct cl *t, int i, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/api.sock", t->fx->partners[i].dir);
}

static void
agent_spawn(struct cl *t, int i)
{
	char	 sock[LSN_FX_PATH_MAX + 16], *bin, *argv[5];

	api_sock_path(t, i, sock, sizeof(sock));
	(void) remove(sock);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_AGENT));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = t->fx->partners[i].agent_conf;
	argv[4] = NULL;
	t->ag[i].pid = lsn_proc_spawn(bin, argv, t->fx->partners[i].agent_log);
	free(bin);
	assert_true(t->ag[i].pid > 0);
	t->ag[i].state = AG_STARTING;
}

static void
broker_spawn(struct cl *t)
{
	char	*bin, *argv[5];

	(void) unlink(t->fx->endpoint_file);
	assert_non_null(bin = lsn_proc_bin(LSN_BIN_BROKER));
	argv[0] = bin;
	argv[1] = lsn_proc_mut("-d");
	argv[2] = lsn_proc_mut("-c");
	argv[3] = t->fx->broker_conf;
	argv[4] = NULL;
	t->broker_spawned = lsn_mono_ms();
	t->broker = lsn_proc_spawn(bin, argv, t->fx->broker_log);
	free(bin);
	assert_true(t->broker > 0);
	t->broker_state = AG_STARTING;
}

static void
agent_open_sock(struct cl *t, int i)
{
	char	 ep[LSN_FX_PATH_MAX + 16];
	int	 zero = 0, hwm = 100000;
	void	*d;

	agent_it_endpoint(t->fx, (size_t) i, ep, sizeof(ep));
	for (int k = 0; k < 2; k++) {
		assert_non_null(d = zmq_socket(t->ctx, ZMQ_DEALER));
		assert_int_equal(zmq_setsockopt(d, ZMQ_LINGER, &zero,
		    sizeof(zero)), 0);
		assert_int_equal(zmq_setsockopt(d, ZMQ_SNDHWM, &hwm,
		    sizeof(hwm)), 0);
		assert_int_equal(zmq_setsockopt(d, ZMQ_RCVHWM, &hwm,
		    sizeof(hwm)), 0);
		assert_int_equal(zmq_connect(d, ep), 0);
		t->ag[i].sock[k] = d;
	}
}

static void
agent_close_sock(struct ag *a)
{
	for (int k = 0; k < 2; k++)
		if (a->sock[k] != NULL) {
			assert_int_equal(zmq_close(a->sock[k]), 0);
			a->sock[k] = NULL;
		}
}

/* Checks the daemons being started; a daemon that died is a failure. */
static void
check_starting(struct cl *t)
{
	char		sock[LSN_FX_PATH_MAX + 16];
	struct stat	sb;

	if (t->broker_state == AG_STARTING) {
		if (stat(t->fx->endpoint_file, &sb) == 0 &&
		    sb.st_size > 0) {
			t->broker_state = AG_UP;
			printf("crash-load:   broker listening %" PRIu64 " ms "
			    "after its start\n", lsn_mono_ms() -
			    t->broker_spawned);
		}
		else if (!lsn_proc_alive(t->broker)) {
			lsn_proc_dump_log(t->fx->broker_log, 4000);
			fail_msg("the broker exited while starting");
		}
	}
	for (int i = 0; i < NAG; i++) {
		if (t->ag[i].state != AG_STARTING)
			continue;
		api_sock_path(t, i, sock, sizeof(sock));
		if (stat(sock, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
			agent_open_sock(t, i);
			t->ag[i].state = AG_UP;
			t->ag[i].status_at = 0;
		} else if (!lsn_proc_alive(t->ag[i].pid)) {
			lsn_proc_dump_log(t->fx->partners[i].agent_log, 4000);
			fail_msg("agent %s exited while starting",
			    t->fx->partners[i].id);
		}
	}
}

/* ---- requests ---- */

static void
send_req(struct cl *t, int i, Liaison__V1__ApiRequest *req, int kind,
    uint32_t k)
{
	struct ag	*a = &t->ag[i];
	uint8_t		 buf[4096];
	size_t		 len;
	void		*d;

	assert_true(a->nout < MAX_OUT);
	req->has_request_id = 1;
	req->request_id = ++t->rid;
	len = liaison__v1__api_request__get_packed_size(req);
	assert_true(len <= sizeof(buf));
	liaison__v1__api_request__pack(req, buf);
	d = a->sock[kind == R_SUBMIT ? 0 : 1];
	assert_int_equal(zmq_send(d, "", 0, ZMQ_SNDMORE), 0);
	assert_int_equal(zmq_send(d, buf, len, 0), (int) len);
	a->out[a->nout].rid = req->request_id;
	a->out[a->nout].kind = kind;
	a->out[a->nout].k = k;
	a->nout++;
	if (kind == R_SUBMIT)
		a->nsub++;
	else
		a->status_out = 1;
}

static void
send_status(struct cl *t, int i)
{
	Liaison__V1__ApiRequest		req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__StatusRequest	s = LIAISON__V1__STATUS_REQUEST__INIT;

	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	req.status = &s;
	send_req(t, i, &req, R_STATUS, 0);
	t->ag[i].status_at = lsn_mono_ms();
}

/* Picks the recipients of message k (sent by s) and submits it. */
static void
send_submit(struct cl *t, int s, size_t k)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	struct msg			*m = &t->m[k];
	char				*tov[2], *grv[1], text[128];
	uint8_t				 body[512];
	size_t				 r, g, o;

	m->sender = (uint8_t) s;
	r = rnd_below(t, 20);
	if (r < 3) {
		/* a group: every active member but the sender */
		g = rnd_below(t, 3);
		grv[0] = lsn_proc_mut(t->gname[g]);
		sr.n_to_groups = 1;
		sr.to_groups = grv;
		m->rcpt = (uint8_t) (t->groups[g] & ~(1u << s));
	} else {
		o = (size_t) s + 1 + rnd_below(t, NAG - 1);
		tov[0] = t->fx->partners[o % NAG].id;
		m->rcpt = (uint8_t) (1u << (o % NAG));
		sr.n_to = 1;
		if (r == 3) {
			/* two named recipients */
			o = (size_t) s + 1 + (o - (size_t) s) % (NAG - 1);
			tov[1] = t->fx->partners[o % NAG].id;
			m->rcpt |= (uint8_t) (1u << (o % NAG));
			sr.n_to = 2;
		}
		sr.to = tov;
	}
	snprintf(text, sizeof(text), "crash-load seed %" PRIu64 " note %zu "
	    "from %s", t->seed, k, t->fx->partners[s].id);
	note.text = text;
	sr.body.len = liaison__v1__note__pack(&note, body);
	sr.body.data = body;
	sr.has_body = 1;
	sr.has_type = 1;
	sr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	send_req(t, s, &req, R_SUBMIT, (uint32_t) k);
	m->state = M_SENT;
	t->sent++;
}

static void
on_status(struct cl *t, int i, const Liaison__V1__ApiResponse *r)
{
	struct ag				*a = &t->ag[i];
	const Liaison__V1__StatusResponse	*s = r->status;

	if (r->code != 0 || s == NULL)
		return;
	a->connected = s->connected;
	if (s->connected && s->has_last_connected_ms)
		a->reconnected = s->last_connected_ms;
	a->outbox_pending = s->outbox_pending;
	a->outbox_rejected = s->outbox_rejected;
	a->inbox = s->inbox_total;
	a->quar = s->quarantined;
	a->counts_fresh = 1;
}

static void
on_response(struct cl *t, int i, const uint8_t *data, size_t len)
{
	struct ag			*a = &t->ag[i];
	Liaison__V1__ApiResponse	*r;
	struct msg			*m;
	size_t				 j;
	int				 code;

	assert_non_null(r = liaison__v1__api_response__unpack(NULL, len,
	    data));
	for (j = 0; j < a->nout; j++)
		if (r->has_request_id && a->out[j].rid == r->request_id)
			break;
	assert_true(j < a->nout);
	if (a->out[j].kind == R_STATUS) {
		a->status_out = 0;
		on_status(t, i, r);
	} else {
		m = &t->m[a->out[j].k];
		code = lsn_err_from_wire((int) r->code);
		if (code == LSN_OK) {
			assert_int_equal(r->kind_case,
			    LIAISON__V1__API_RESPONSE__KIND_SUBMIT);
			assert_int_equal(r->submit->message_id.len, 16);
			memcpy(m->id, r->submit->message_id.data, 16);
			m->state = M_ACKED;
			t->acked++;
		} else {
			/* kept and reported: a refusal is not a loss */
			if (t->refused++ == 0) {
				t->first_refusal = code;
				fprintf(stderr, "crash-load: submit refused: "
				    "%s: %s\n", lsn_errname(code),
				    r->detail != NULL ? r->detail : "");
			}
			m->state = M_REFUSED;
		}
		a->nsub--;
	}
	a->out[j] = a->out[--a->nout];
	liaison__v1__api_response__free_unpacked(r, NULL);
}

static void
read_responses(struct cl *t, int i, int k)
{
	zmq_msg_t	part;
	int		more, n;

	while (t->ag[i].state == AG_UP) {
		zmq_msg_init(&part);
		n = zmq_msg_recv(&part, t->ag[i].sock[k], ZMQ_DONTWAIT);
		if (n < 0) {
			zmq_msg_close(&part);
			assert_int_equal(errno, EAGAIN);
			return;
		}
		more = zmq_msg_more(&part);
		if (zmq_msg_size(&part) > 0 || !more)
			on_response(t, i, zmq_msg_data(&part),
			    zmq_msg_size(&part));
		zmq_msg_close(&part);
	}
}

/* ---- kills ---- */

static void
kill_broker(struct cl *t)
{
	t->rec_kill_ms = lsn_now_ms();
	assert_int_equal(lsn_proc_kill9(t->broker), 137);
	t->broker_state = AG_DOWN;
	t->broker_restart_at = lsn_mono_ms() + rnd_below(t, DOWN_MAX_MS + 1);
	printf("crash-load: SIGKILL broker at message %zu (restart in %"
	    PRIu64 " ms)\n", t->sent, t->broker_restart_at - lsn_mono_ms());
	t->rec_kind = 1;
	for (int i = 0; i < NAG; i++)
		t->ag[i].reconnected = 0;
	t->bkills++;
}

/*
 * Reads the answers a just-killed agent sent before it died: they are
 * answers (an "accepted" among them is a promise), though nobody read
 * them yet. Reads until the sockets stay quiet for 50 ms (at most 1 s).
 */
static void
read_late_answers(struct cl *t, int i)
{
	struct ag	*a = &t->ag[i];
	zmq_pollitem_t	 pi[2];
	uint64_t	 end = lsn_mono_ms() + 1000, quiet = lsn_mono_ms() + 50;
	size_t		 before = t->acked + t->refused;
	int		 n;

	while (lsn_mono_ms() < end && lsn_mono_ms() < quiet && a->nout > 0) {
		for (int k = 0; k < 2; k++) {
			pi[k].socket = a->sock[k];
			pi[k].fd = 0;
			pi[k].events = ZMQ_POLLIN;
			pi[k].revents = 0;
		}
		if ((n = zmq_poll(pi, 2, 10)) < 0)
			break;
		for (int k = 0; k < 2; k++)
			if (pi[k].revents & ZMQ_POLLIN) {
				read_responses(t, i, k);
				quiet = lsn_mono_ms() + 50;
			}
	}
	t->late_answers += t->acked + t->refused - before;
}

static void
kill_agent(struct cl *t, int i)
{
	struct ag	*a = &t->ag[i];

	/* Unread answers pile up meanwhile: the kill finds some. */
	lsn_proc_sleep_ms((int) rnd_below(t, 30));
	t->rec_kill_ms = lsn_now_ms();
	assert_int_equal(lsn_proc_kill9(a->pid), 137);
	/* answers it sent before dying are answers: count them */
	read_late_answers(t, i);
	/* answers it never sent are lost with it */
	a->nsub_lost = 0;
	for (size_t j = 0; j < a->nout; j++)
		if (a->out[j].kind == R_SUBMIT) {
			t->m[a->out[j].k].state = M_UNANSWERED;
			t->unanswered++;
			a->nsub_lost++;
		}
	a->nout = a->nsub = 0;
	a->status_out = 0;
	agent_close_sock(a);
	a->state = AG_DOWN;
	a->restart_at = lsn_mono_ms() + rnd_below(t, DOWN_MAX_MS + 1);
	a->reconnected = 0;
	a->outbox_pending = 0;
	printf("crash-load: SIGKILL agent %s at message %zu (%zu submits "
	    "unanswered, restart in %" PRIu64 " ms)\n", t->fx->partners[i].id,
	    t->sent, a->nsub_lost, a->restart_at - lsn_mono_ms());
	t->rec_kind = 2;
	t->rec_agent = i;
	t->akills++;
}

/* Restarts what is down when its pause is over; follows the recovery. */
static void
maintain(struct cl *t)
{
	uint64_t	now = lsn_mono_ms(), worst = 0;
	int		done = 1;

	if (t->broker_state == AG_DOWN && now >= t->broker_restart_at)
		broker_spawn(t);
	for (int i = 0; i < NAG; i++)
		if (t->ag[i].state == AG_DOWN && now >= t->ag[i].restart_at)
			agent_spawn(t, i);
	check_starting(t);
	for (int i = 0; i < NAG; i++)
		if (t->ag[i].state == AG_UP && !t->ag[i].status_out &&
		    now - t->ag[i].status_at >= FLOW_IVL_MS)
			send_status(t, i);
	if (t->rec_kind == 0)
		return;
	for (int i = 0; i < NAG; i++) {
		struct ag	*a = &t->ag[i];

		if (t->rec_kind == 2 && i != t->rec_agent)
			continue;
		if (a->reconnected > t->rec_kill_ms) {
			if (a->reconnected - t->rec_kill_ms > worst)
				worst = a->reconnected - t->rec_kill_ms;
			continue;
		}
		done = 0;
		if (a->state == AG_UP && !a->status_out &&
		    now - a->status_at >= STATUS_IVL_MS)
			send_status(t, i);
	}
	if (!done)
		return;
	printf("crash-load:   recovered: %s in session %" PRIu64 " ms after "
	    "the kill (message %zu now)\n", t->rec_kind == 1 ? "all agents" :
	    t->fx->partners[t->rec_agent].id, worst, t->sent);
	if (t->rec_kind == 1 && worst > t->rec_broker_max)
		t->rec_broker_max = worst;
	if (t->rec_kind == 2 && worst > t->rec_agent_max)
		t->rec_agent_max = worst;
	t->rec_kind = 0;
}

/*
 * A random agent, preferring one with submits in flight (flow control may
 * have paused some), so that kills also hit API requests being answered.
 */
static int
pick_victim(struct cl *t)
{
	int	busy[NAG], n = 0;

	for (int i = 0; i < NAG; i++)
		if (t->ag[i].nsub > 0)
			busy[n++] = i;
	if (n == 0)
		return ((int) rnd_below(t, NAG));
	return (busy[rnd_below(t, (size_t) n)]);
}

/* The next kill whose point in the stream has come, one at a time. */
static void
maybe_kill(struct cl *t)
{
	if (t->rec_kind != 0 || t->broker_state != AG_UP)
		return;
	for (int i = 0; i < NAG; i++)
		if (t->ag[i].state != AG_UP)
			return;
	if (t->nbkill < BROKER_KILLS && t->sent >= t->bkill_at[t->nbkill] &&
	    (t->nakill >= AGENT_KILLS ||
	    t->bkill_at[t->nbkill] <= t->akill_at[t->nakill])) {
		t->nbkill++;
		if (t->nbkill % 3 == 0) {
			/* Overlapping: the broker and an agent together, in
			 * either order. */
			int	v = pick_victim(t);

			if (rnd_below(t, 2) == 0) {
				kill_agent(t, v);
				kill_broker(t);
			} else {
				kill_broker(t);
				kill_agent(t, v);
				t->rec_kind = 1;	/* wait for all */
			}
			t->okills++;
		} else
			kill_broker(t);
	} else if (t->nakill < AGENT_KILLS &&
	    t->sent >= t->akill_at[t->nakill]) {
		t->nakill++;
		kill_agent(t, pick_victim(t));
	}
}

/* Submits on every live agent with room, in message order. */
static void
fill(struct cl *t)
{
	int	s, tries;

	while (t->next < t->nmsg) {
		s = (int) rnd_below(t, NAG);
		for (tries = 0; tries < NAG; tries++, s = (s + 1) % NAG)
			if (t->ag[s].state == AG_UP &&
			    t->ag[s].nsub < WINDOW &&
			    t->ag[s].outbox_pending < OUTBOX_CAP)
				break;
		if (tries == NAG)
			return;
		send_submit(t, s, t->next++);
	}
}

static void
poll_once(struct cl *t, int timeout_ms)
{
	zmq_pollitem_t	pi[2 * NAG];
	int		idx[2 * NAG], n = 0;

	for (int i = 0; i < NAG; i++)
		for (int k = 0; k < 2 && t->ag[i].state == AG_UP; k++) {
			pi[n].socket = t->ag[i].sock[k];
			pi[n].fd = -1;
			pi[n].events = ZMQ_POLLIN;
			pi[n].revents = 0;
			idx[n++] = 2 * i + k;
		}
	if (n == 0) {
		lsn_proc_sleep_ms(timeout_ms);
		return;
	}
	assert_true(zmq_poll(pi, n, timeout_ms) >= 0 || errno == EINTR);
	for (int j = 0; j < n; j++)
		if (pi[j].revents & ZMQ_POLLIN)
			read_responses(t, idx[j] / 2, idx[j] % 2);
}

static size_t
outstanding(const struct cl *t)
{
	size_t	n = 0;

	for (int i = 0; i < NAG; i++)
		n += t->ag[i].nsub;
	return (n);
}

/* ---- the end: wait for the deliveries, then count ---- */

static int
all_up(const struct cl *t)
{
	if (t->broker_state != AG_UP)
		return (0);
	for (int i = 0; i < NAG; i++)
		if (t->ag[i].state != AG_UP)
			return (0);
	return (1);
}

/* Expected deliveries of acknowledged messages to partner i. */
static uint64_t
expected_for(const struct cl *t, int i)
{
	uint64_t	n = 0;

	for (size_t k = 0; k < t->nmsg; k++)
		if (t->m[k].state == M_ACKED && (t->m[k].rcpt & (1u << i)))
			n++;
	return (n);
}

static void
report_drain(const struct cl *t, const uint64_t *want, uint64_t t0)
{
	printf("crash-load: drain at %.1f s: broker %s", (double)
	    (lsn_mono_ms() - t0) / 1000.0, t->broker_state == AG_UP ? "up" :
	    "down");
	for (int i = 0; i < NAG; i++)
		printf("; %s %s%s outbox %" PRIu64 " inbox %" PRIu64 "/%"
		    PRIu64, t->fx->partners[i].id, t->ag[i].state == AG_UP ?
		    "up" : "down", t->ag[i].connected ? " connected" : "",
		    t->ag[i].outbox_pending, t->ag[i].inbox, want[i]);
	printf("\n");
	fflush(stdout);
}

/*
 * Waits until every outbox is empty and every inbox holds at least its
 * acknowledged messages (status counts), or the deadline. Returns 1 when
 * the counts were reached.
 */
static int
drain(struct cl *t, uint64_t *ms)
{
	uint64_t	want[NAG], t0 = lsn_mono_ms();
	uint64_t	deadline = t0 + DRAIN_MS, last_report = t0;
	int		ok = 0;

	for (int i = 0; i < NAG; i++)
		want[i] = expected_for(t, i);
	while (lsn_mono_ms() < deadline) {
		maintain(t);
		ok = all_up(t) && t->rec_kind == 0;
		for (int i = 0; i < NAG && ok; i++)
			ok = t->ag[i].counts_fresh && t->ag[i].connected &&
			    t->ag[i].outbox_pending == 0 &&
			    t->ag[i].inbox >= want[i];
		if (ok)
			break;
		if (lsn_mono_ms() - last_report >= 10000) {
			last_report = lsn_mono_ms();
			report_drain(t, want, t0);
		}
		for (int i = 0; i < NAG; i++)
			if (t->ag[i].state == AG_UP && !t->ag[i].status_out &&
			    lsn_mono_ms() - t->ag[i].status_at >= 100) {
				t->ag[i].counts_fresh = 0;
				send_status(t, i);
			}
		poll_once(t, 20);
	}
	*ms = lsn_mono_ms() - t0;
	if (!ok)
		report_drain(t, want, t0);
	return (ok);
}

struct idx {
	uint8_t		 id[16];
	uint32_t	 k;
	int		 used;
};

static size_t
idx_slot(const uint8_t id[16], size_t cap)
{
	uint64_t	h;

	memcpy(&h, id, sizeof(h));
	return ((size_t) (h & (cap - 1)));
}

struct extra {
	uint8_t		 id[16];
	int		 sender;
	uint8_t		 seen;
};

static void
check_outbox_has(struct cl *t, int s, const uint8_t id[16])
{
	int	state = 0, code = 0;

	assert_ok(agent_it_outbox(t->fx, (size_t) s, id, &state, &code));
	assert_int_equal(state, LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
}

/* inbox_fetch of id at partner i: the agent's code, *resp if OK. */
static int
fetch(struct cl *t, int i, const uint8_t id[16],
    Liaison__V1__ApiResponse **resp)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__InboxFetchRequest	 fr =
	    LIAISON__V1__INBOX_FETCH_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	uint8_t				 idc[16];
	int				 rv;

	memcpy(idc, id, 16);
	fr.has_message_id = 1;
	fr.message_id.data = idc;
	fr.message_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_FETCH;
	req.inbox_fetch = &fr;
	assert_ok(agent_it_call(t->fx, (size_t) i, &req, &r));
	rv = lsn_err_from_wire((int) r->code);
	if (rv == LSN_OK && resp != NULL)
		*resp = r;
	else
		lsn_client_response_free(&r);
	return (rv);
}

/*
 * Identifies a delivered message whose submit was not answered by the
 * note number in its text, and checks that each of its recipients has it
 * (waiting a while: only the acknowledged ones were waited for). Returns
 * the number of recipients that never got it.
 */
static uint64_t
check_extra(struct cl *t, const struct extra *x)
{
	Liaison__V1__ApiResponse	*r = NULL;
	Liaison__V1__Note		*note;
	unsigned long long		 seed;
	size_t				 k;
	uint64_t			 deadline, missing = 0;
	int				 i, rv;

	for (i = 0; i < NAG && !(x->seen & (1u << i)); i++)
		;
	assert_true(i < NAG);
	assert_ok(fetch(t, i, x->id, &r));
	assert_non_null(r->inbox_fetch);
	assert_non_null(r->inbox_fetch->item);
	assert_non_null(note = liaison__v1__note__unpack(NULL,
	    r->inbox_fetch->item->body.len, r->inbox_fetch->item->body.data));
	assert_int_equal(sscanf(note->text, "crash-load seed %llu note %zu",
	    &seed, &k), 2);
	liaison__v1__note__free_unpacked(note, NULL);
	lsn_client_response_free(&r);
	assert_true(seed == t->seed && k < t->nmsg);
	/* only a submit whose answer was lost can be unknown here */
	assert_int_equal(t->m[k].state, M_UNANSWERED);
	assert_int_equal(t->m[k].sender, x->sender);
	assert_int_equal(x->seen & ~t->m[k].rcpt, 0);
	deadline = lsn_mono_ms() + 30000;
	for (i = 0; i < NAG; i++) {
		if (!(t->m[k].rcpt & (1u << i)) || (x->seen & (1u << i)))
			continue;
		while ((rv = fetch(t, i, x->id, NULL)) == LSN_ENOENT &&
		    lsn_mono_ms() < deadline)
			lsn_proc_sleep_ms(50);
		if (rv != LSN_OK) {
			printf("crash-load: unanswered note %zu stored by %s "
			    "is missing at %s (%s)\n", k,
			    t->fx->partners[x->sender].id,
			    t->fx->partners[i].id, lsn_errname(rv));
			missing++;
		}
	}
	return (missing);
}

static void
test_crash_load_sigkill_broker_and_agents_loses_nothing(void **state)
{
	struct cl		*t = *state;
	struct idx		*ix;
	struct extra		*ex = NULL;
	size_t			 cap = 1, nex = 0, capex = 0;
	uint64_t		 t0, t_traffic, drain_ms, expected = 0;
	uint64_t		 delivered = 0, dups = 0, lost = 0, mis = 0;
	uint64_t		 quar = 0, extra_pairs = 0, extra_lost = 0;
	int			 drained;

	t0 = lsn_mono_ms();
	/* traffic with the kills */
	while (t->next < t->nmsg || outstanding(t) > 0 ||
	    t->nbkill < BROKER_KILLS || t->nakill < AGENT_KILLS) {
		maintain(t);
		fill(t);
		/* windows are full here: a killed agent dies with work */
		maybe_kill(t);
		if (t->next >= t->nmsg && t->rec_kind == 0) {
			/* kills scheduled late in the stream: do them now */
			if (t->nbkill < BROKER_KILLS)
				t->bkill_at[t->nbkill] = 0;
			if (t->nakill < AGENT_KILLS)
				t->akill_at[t->nakill] = 0;
			maybe_kill(t);
		}
		poll_once(t, 5);
	}
	t_traffic = lsn_mono_ms() - t0;
	drained = drain(t, &drain_ms);

	/* count what every inbox holds */
	while (cap < 2 * t->nmsg)
		cap *= 2;
	assert_non_null(ix = calloc(cap, sizeof(*ix)));
	for (size_t k = 0; k < t->nmsg; k++) {
		size_t	h;

		if (t->m[k].state != M_ACKED)
			continue;
		for (h = idx_slot(t->m[k].id, cap); ix[h].used;
		    h = (h + 1) & (cap - 1))
			assert_memory_not_equal(ix[h].id, t->m[k].id, 16);
		memcpy(ix[h].id, t->m[k].id, 16);
		ix[h].k = (uint32_t) k;
		ix[h].used = 1;
		expected += (uint64_t) __builtin_popcount(t->m[k].rcpt);
	}
	for (int i = 0; i < NAG; i++) {
		Liaison__V1__ApiRequest		 req =
		    LIAISON__V1__API_REQUEST__INIT;
		Liaison__V1__InboxListRequest	 lr =
		    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
		Liaison__V1__ApiResponse	*r = NULL;
		struct lsn_client		*c = NULL;
		char				 ep[LSN_CLIENT_EP_MAX];
		uint64_t			 after = 0;
		size_t				 n;

		quar += t->ag[i].quar;
		agent_it_endpoint(t->fx, (size_t) i, ep, sizeof(ep));
		assert_ok(lsn_client_open(ep, &c));
		do {
			lr.has_include_acked = lr.include_acked = 1;
			lr.has_limit = 1;
			lr.limit = 1000;
			lr.has_after_seq = after != 0;
			lr.after_seq = after;
			lr.has_type = 1;
			lr.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
			req.kind_case =
			    LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
			req.inbox_list = &lr;
			assert_ok(lsn_client_call(c, &req, 30000, &r));
			assert_int_equal(r->code, 0);
			assert_non_null(r->inbox_list);
			n = r->inbox_list->n_items;
			for (size_t j = 0; j < n; j++) {
				const Liaison__V1__InboxItem *it =
				    r->inbox_list->items[j];
				size_t	h;
				long	k = -1;

				after = it->local_seq;
				assert_int_equal(it->message_id.len, 16);
				for (h = idx_slot(it->message_id.data, cap);
				    ix[h].used; h = (h + 1) & (cap - 1))
					if (memcmp(ix[h].id,
					    it->message_id.data, 16) == 0) {
						k = ix[h].k;
						break;
					}
				if (k < 0) {
					/* not acknowledged: remember it */
					size_t	e;

					for (e = 0; e < nex; e++)
						if (memcmp(ex[e].id,
						    it->message_id.data,
						    16) == 0)
							break;
					if (e == nex) {
						if (nex == capex) {
							capex = capex ?
							    capex * 2 : 64;
							assert_non_null(ex =
							    reallocarray(ex,
							    capex,
							    sizeof(*ex)));
						}
						memcpy(ex[e].id,
						    it->message_id.data, 16);
						ex[e].sender =
						    lsn_fixture_find(t->fx,
						    it->sender);
						ex[e].seen = 0;
						nex++;
					}
					if (ex[e].seen & (1u << i))
						dups++;
					else
						extra_pairs++;
					ex[e].seen |= (uint8_t) (1u << i);
					continue;
				}
				struct msg *m = &t->m[k];

				assert_string_equal(it->sender,
				    t->fx->partners[m->sender].id);
				if (!(m->rcpt & (1u << i)))
					mis++;
				else if (m->seen & (1u << i))
					dups++;
				else {
					m->seen |= (uint8_t) (1u << i);
					delivered++;
				}
			}
			lsn_client_response_free(&r);
		} while (n > 0);
		lsn_client_close(&c);
	}
	lost = expected - delivered;
	/*
	 * An unanswered message that was delivered: its sender stored it,
	 * so it must reach every one of its recipients, once (found by the
	 * note number in its text).
	 */
	for (size_t e = 0; e < nex; e++) {
		assert_true(ex[e].sender >= 0);
		check_outbox_has(t, ex[e].sender, ex[e].id);
		extra_lost += check_extra(t, &ex[e]);
	}

	printf("crash-load: seed %" PRIu64 "%s\n", t->seed,
	    CL_SANITIZED ? " (sanitizer build: fewer messages)" : "");
	printf("crash-load: agents %d, messages sent %zu, acknowledged %zu, "
	    "refused %zu, unanswered (agent killed) %zu\n", NAG, t->sent,
	    t->acked, t->refused, t->unanswered);
	printf("crash-load: deliveries expected %" PRIu64 ", delivered %"
	    PRIu64 ", duplicates %" PRIu64 ", lost %" PRIu64
	    ", misdelivered %" PRIu64 ", quarantined %" PRIu64 "\n",
	    expected, delivered, dups, lost, mis, quar);
	printf("crash-load: unanswered but stored and delivered: %zu "
	    "messages, %" PRIu64 " deliveries (each in its sender's outbox "
	    "as accepted), missing at a recipient %" PRIu64 "\n", nex,
	    extra_pairs, extra_lost);
	printf("crash-load: answers read after their agent's SIGKILL %zu "
	    "(counted above), overlapping broker+agent kills %zu\n",
	    t->late_answers, t->okills);
	printf("crash-load: SIGKILL broker %zu times, agents %zu times; "
	    "longest recovery: broker kill -> all agents in session %" PRIu64
	    " ms, agent kill -> its new session %" PRIu64 " ms\n", t->bkills,
	    t->akills, t->rec_broker_max, t->rec_agent_max);
	printf("crash-load: traffic %.1f s (%.0f msg/s acknowledged), drain "
	    "%.1f s%s\n", (double) t_traffic / 1000.0,
	    t_traffic ? (double) t->acked * 1000.0 / (double) t_traffic : 0.0,
	    (double) drain_ms / 1000.0, drained ? "" : " (NOT DRAINED)");
	printf("crash-load: %zu rounds of SIGKILL survived with %" PRIu64
	    " lost and %" PRIu64 " duplicated\n", t->bkills + t->akills, lost,
	    dups);
	fflush(stdout);
	free(ix);
	free(ex);

	for (int i = 0; i < NAG; i++)
		assert_int_equal(t->ag[i].outbox_rejected, 0);
	assert_int_equal(t->refused, 0);
	assert_int_equal(lost, 0);
	assert_int_equal(dups, 0);
	assert_int_equal(mis, 0);
	assert_int_equal(extra_lost, 0);
	assert_int_equal(quar, 0);
	assert_true(drained);
	assert_true(t->bkills >= 10);
	assert_true(t->akills >= 3);
	assert_true(t->okills >= 3);
	/* the daemons survive a clean stop after all that */
	assert_int_equal(lsn_proc_stop(t->broker), 0);
	for (int i = 0; i < NAG; i++)
		assert_int_equal(lsn_proc_stop(t->ag[i].pid), 0);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct cl		*t;
	char			 listen[300];
	uint64_t		 seed;

	if (lsn_init() != LSN_OK)
		return (-1);
	assert_non_null(t = calloc(1, sizeof(*t)));
	lsn_random(&seed, sizeof(seed));
	t->seed = env_u64("LSN_CRASH_SEED", seed % 1000000000ULL);
	t->rng = t->seed;
	t->nmsg = (size_t) env_u64("LSN_CRASH_MSGS", CL_SANITIZED ?
	    ASAN_MSGS : FULL_MSGS);
	if (t->nmsg < 100)
		t->nmsg = 100;
	printf("crash-load: seed %" PRIu64 ", %zu messages, %d agents, %d "
	    "broker kills, %d agent kills%s\n", t->seed, t->nmsg, NAG,
	    BROKER_KILLS, AGENT_KILLS, CL_SANITIZED ?
	    " (sanitizer build)" : "");
	fflush(stdout);
	assert_non_null(t->m = calloc(t->nmsg, sizeof(*t->m)));
	for (int b = 0; b < BROKER_KILLS; b++)
		t->bkill_at[b] = t->nmsg / 40 + rnd_below(t, t->nmsg * 85 /
		    100);
	for (int b = 0; b < AGENT_KILLS; b++)
		t->akill_at[b] = t->nmsg / 40 + rnd_below(t, t->nmsg * 85 /
		    100);
	qsort(t->bkill_at, BROKER_KILLS, sizeof(size_t), cmp_size);
	qsort(t->akill_at, AGENT_KILLS, sizeof(size_t), cmp_size);

	o.npartners = NAG;
	assert_ok(lsn_fixture_create(&o, &t->fx));
	if (t->fx->keep)
		printf("crash-load: kept in %s\n", t->fx->dir);
	/* groups (lsn_fixture.h): even indices law enforcement, odd
	 * hotlines, everyone all-members */
	t->gname[0] = "law-enforcement";
	t->gname[1] = "hotlines";
	t->gname[2] = "all-members";
	for (int i = 0; i < NAG; i++) {
		t->groups[i % 2] |= (uint8_t) (1u << i);
		t->groups[2] |= (uint8_t) (1u << i);
	}
	assert_ok(lsn_fixture_write_broker_conf(t->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(t->fx, 0, &t->broker, t->ep,
	    sizeof(t->ep)));
	t->broker_state = AG_UP;
	/* restart on the same port from now on */
	snprintf(listen, sizeof(listen), "%s", t->ep);
	assert_ok(lsn_fixture_write_broker_conf(t->fx, listen, NULL));
	assert_non_null(t->ctx = zmq_ctx_new());
	for (int i = 0; i < NAG; i++) {
		assert_ok(lsn_fixture_write_agent_conf(t->fx, (size_t) i,
		    t->ep, CL_AGENT_CONF));
		agent_spawn(t, i);
	}
	for (int i = 0; i < NAG; i++) {
		char	sock[LSN_FX_PATH_MAX + 16];

		api_sock_path(t, i, sock, sizeof(sock));
		assert_int_equal(lsn_proc_wait_file(sock, 15000,
		    t->ag[i].pid), 0);
	}
	check_starting(t);
	for (int i = 0; i < NAG; i++)
		assert_ok(agent_it_wait_connected(t->fx, (size_t) i, 1,
		    15000));
	*state = t;
	return (0);
}

static int
teardown(void **state)
{
	struct cl	*t = *state;

	lsn_proc_kill_all();
	if (t == NULL)
		return (0);
	for (int i = 0; i < NAG; i++)
		for (int k = 0; k < 2; k++)
			if (t->ag[i].sock[k] != NULL)
				zmq_close(t->ag[i].sock[k]);
	if (t->ctx != NULL)
		zmq_ctx_term(t->ctx);
	lsn_fixture_destroy(&t->fx);
	free(t->m);
	free(t);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_crash_load_sigkill_broker_and_agents_loses_nothing,
		    setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
