/*
 * test_broker_durability.c -- SIGKILL the real broker in the middle of a
 * pipelined stream, five times at different points, restart it on the same
 * database and port: every message acknowledged to the publisher reaches the
 * receiver, and the broker stored each exactly once (one seq per message).
 *
 * The raw clients behave like agents: the publisher resends every message
 * not yet acknowledged after a restart (its outbox); the receiver acks what
 * it stored and says Hello with its contiguous cursor after each restart.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "liaison/envelope.h"
#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define N_MSG		300
#define WINDOW		40
#define N_KILL		5
#define MAX_SEQ		(N_MSG * 4)

struct msg {
	uint8_t		 id[16];
	uint8_t		*env;
	size_t		 len;
	int		 acked;		/* PublishAck OK seen */
	int		 sent;		/* sent since the last restart */
	uint64_t	 seq;		/* seq it was delivered at (0: not) */
};

struct dt {
	struct lsn_fixture	*fx;
	int			 pid;
	char			 ep[256];
	void			*ctx, *a, *b;
	struct msg		 m[N_MSG];
	uint8_t			 seen[MAX_SEQ + 1];	/* seq stored by B */
	uint64_t		 cursor;
	size_t			 nacked, nrecv;
	uint64_t		 last_ack_ms;	/* monotonic */
};

static int
find_msg(struct dt *t, const uint8_t *id, size_t len)
{
	if (len != 16)
		return (-1);
	for (int i = 0; i < N_MSG; i++)
		if (memcmp(t->m[i].id, id, 16) == 0)
			return (i);
	return (-1);
}

static void
restart(struct dt *t, int kill)
{
	if (kill)
		assert_int_equal(lsn_proc_kill9(t->pid), 128 + SIGKILL);
	assert_ok(lsn_fixture_start_broker(t->fx, 0, &t->pid, NULL, 0));
}

static void
hello_b(struct dt *t)
{
	Liaison__V1__Frame	f;
	Liaison__V1__Hello	h;

	/* No wait for Welcome here: Deliver frames may follow at once and
	 * are handled by the main loop. */
	liaison__v1__hello__init(&h);
	h.has_protocol_version = 1;
	h.protocol_version = 1;
	h.has_delivery_cursor = 1;
	h.delivery_cursor = t->cursor;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_HELLO;
	f.hello = &h;
	assert_ok(lsn_fixture_send(t->b, &f));
}

/* Handles every frame waiting on A (PublishAcks). */
static void
drain_a(struct dt *t, int ms)
{
	Liaison__V1__Frame	*f;

	while (lsn_fixture_recv(t->a, ms, &f) == LSN_OK) {
		ms = 0;
		if (f->kind_case == LIAISON__V1__FRAME__KIND_PUBLISH_ACK) {
			Liaison__V1__PublishAck	*a = f->publish_ack;
			int			 i;

			assert_int_equal(lsn_err_from_wire((int) a->code),
			    LSN_OK);
			i = find_msg(t, a->message_id.data, a->message_id.len);
			assert_true(i >= 0);
			if (!t->m[i].acked) {
				t->m[i].acked = 1;
				t->nacked++;
				t->last_ack_ms = lsn_mono_ms();
			}
		}
		liaison__v1__frame__free_unpacked(f, NULL);
	}
}

/* Handles every frame waiting on B (Welcome, Deliver). */
static void
drain_b(struct dt *t, int ms)
{
	Liaison__V1__Frame	*f;

	while (lsn_fixture_recv(t->b, ms, &f) == LSN_OK) {
		ms = 0;
		if (f->kind_case == LIAISON__V1__FRAME__KIND_DELIVER) {
			Liaison__V1__Deliver		*d = f->deliver;
			Liaison__V1__Envelope		*e;
			int				 i;

			assert_true(d->seq > 0 && d->seq <= MAX_SEQ);
			e = liaison__v1__envelope__unpack(NULL,
			    d->envelope->envelope.len,
			    d->envelope->envelope.data);
			assert_non_null(e);
			i = find_msg(t, e->message_id.data,
			    e->message_id.len);
			liaison__v1__envelope__free_unpacked(e, NULL);
			assert_true(i >= 0);
			/* One message, one seq: stored once by the broker. */
			if (t->m[i].seq != 0)
				assert_int_equal(t->m[i].seq, d->seq);
			if (!t->seen[d->seq]) {
				t->seen[d->seq] = 1;
				t->m[i].seq = d->seq;
				t->nrecv++;
				while (t->cursor < MAX_SEQ &&
				    t->seen[t->cursor + 1])
					t->cursor++;
			}
			assert_ok(lsn_fixture_deliver_ack(t->b, d->seq));
		}
		liaison__v1__frame__free_unpacked(f, NULL);
	}
}

static void
send_window(struct dt *t)
{
	int	out = 0;

	for (int i = 0; i < N_MSG; i++)
		if (t->m[i].sent && !t->m[i].acked)
			out++;
	for (int i = 0; i < N_MSG && out < WINDOW; i++) {
		if (t->m[i].acked || t->m[i].sent)
			continue;
		assert_ok(lsn_fixture_publish_raw(t->a, t->m[i].env,
		    t->m[i].len));
		t->m[i].sent = 1;
		out++;
	}
}

static void
test_broker_sigkill_loses_and_duplicates_nothing(void **state)
{
	struct dt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	size_t			 kill_at[N_KILL] = { 20, 75, 140, 190, 260 };
	int			 k = 0, spins = 0;
	char			 listen[300];

	/* Fix the port for restarts. */
	snprintf(listen, sizeof(listen), "%s", t->ep);
	assert_ok(lsn_fixture_write_broker_conf(t->fx, listen, NULL));
	for (int i = 0; i < N_MSG; i++)
		assert_ok(lsn_fixture_envelope(t->fx, 0, &m, t->m[i].id,
		    &t->m[i].env, &t->m[i].len));
	assert_ok(lsn_fixture_dealer(t->fx, t->ctx, 0, NULL, t->ep, &t->a));
	assert_ok(lsn_fixture_dealer(t->fx, t->ctx, 1, NULL, t->ep, &t->b));
	hello_b(t);

	t->last_ack_ms = lsn_mono_ms();
	while (t->nacked < N_MSG && spins++ < 20000) {
		/* Like an agent's resend timer: a frame written into a
		 * connection that was dying is lost, so resend what stays
		 * unacknowledged, and say Hello again. */
		if (lsn_mono_ms() > t->last_ack_ms + 1000) {
			for (int i = 0; i < N_MSG; i++)
				t->m[i].sent = 0;
			hello_b(t);
			t->last_ack_ms = lsn_mono_ms();
		}
		send_window(t);
		drain_a(t, 5);
		/* B stops acking for a while before some kills. */
		if (k % 2 == 0 || t->nacked + 10 < kill_at[k < N_KILL ? k : 0])
			drain_b(t, 0);
		if (k < N_KILL && t->nacked >= kill_at[k]) {
			restart(t, 1);
			/* The publisher's outbox resends what is unacked. */
			for (int i = 0; i < N_MSG; i++)
				t->m[i].sent = 0;
			hello_b(t);
			k++;
		}
	}
	assert_int_equal(k, N_KILL);
	assert_int_equal(t->nacked, N_MSG);
	/* Everything acknowledged reaches B, once. */
	spins = 0;
	while (t->nrecv < N_MSG && spins++ < 400) {
		drain_b(t, 50);
		if (spins % 100 == 0)
			hello_b(t);
	}
	assert_int_equal(t->nrecv, N_MSG);
	for (int i = 0; i < N_MSG; i++)
		assert_true(t->m[i].seq != 0);
	/* The broker assigned exactly N seqs to p02: no second copy. */
	assert_int_equal(t->cursor, N_MSG);
	assert_int_equal(lsn_proc_stop(t->pid), 0);
	t->pid = 0;
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { .npartners = 2 };
	struct dt		*t = calloc(1, sizeof(*t));

	if (t == NULL || lsn_fixture_create(&o, &t->fx) != LSN_OK)
		return (-1);
	if (lsn_fixture_start_broker(t->fx, 0, &t->pid, t->ep,
	    sizeof(t->ep)) != LSN_OK)
		return (-1);
	t->ctx = zmq_ctx_new();
	*state = t;
	return (0);
}

static int
teardown(void **state)
{
	struct dt	*t = *state;
	int		 rv = 0;

	if (t == NULL)
		return (0);
	if (t->a != NULL)
		zmq_close(t->a);
	if (t->b != NULL)
		zmq_close(t->b);
	zmq_ctx_term(t->ctx);
	if (t->pid > 0 && lsn_proc_alive(t->pid) &&
	    lsn_proc_stop(t->pid) != 0) {
		lsn_proc_dump_log(t->fx->broker_log, 8000);
		rv = -1;
	}
	lsn_proc_kill_all();
	for (int i = 0; i < N_MSG; i++)
		free(t->m[i].env);
	lsn_fixture_destroy(&t->fx);
	free(t);
	return (rv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_broker_sigkill_loses_and_duplicates_nothing, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
