/*
 * test_agent_batch.c -- the agent's batched commits, in-process without a
 * broker: API requests read in one turn are stored in one transaction and
 * answered after it (a refused request leaves nothing behind, the others
 * are kept); the in-memory outbox counts follow the database across
 * commits, rollbacks and a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "liaison/util.h"

#include "agent.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

struct env {
	struct lsn_fixture	*fx;
	struct agent		*a;	/* partner index 1 */
	struct agent_conf	 c;
	void			*ctx;
};

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	char			 err[256];

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 3;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 1, "tcp://127.0.0.1:9",
	    NULL));
	assert_ok(aconf_load(e->fx->partners[1].agent_conf, &e->c, err,
	    sizeof(err)));
	assert_ok(agent_open(NULL, &e->c, &e->a));
	assert_non_null(e->ctx = zmq_ctx_new());
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	agent_close(&e->a);
	zmq_ctx_term(e->ctx);
	lsn_fixture_destroy(&e->fx);
	free(e);
	return (0);
}

/* A note to `to` (PLAIN TLP: no sealing, no directory key needed). */
static void
note_request(Liaison__V1__SubmitRequest *r, char **tov, const char *to,
    uint8_t *body, size_t *blen)
{
	Liaison__V1__Note	n = LIAISON__V1__NOTE__INIT;

	n.text = (char *) (uintptr_t) "coordination";
	*blen = liaison__v1__note__pack(&n, body);
	r->body.len = *blen;
	r->body.data = body;
	r->has_body = 1;
	r->has_type = 1;
	r->type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	tov[0] = (char *) (uintptr_t) to;
	r->n_to = 1;
	r->to = tov;
}

static uint64_t
db_count(struct env *e, const char *state)
{
	sqlite3_stmt	*s;
	uint64_t	 n;

	assert_int_equal(sqlite3_prepare_v2(lsn_store_db(e->a->st),
	    "SELECT count(*) FROM outbox WHERE state = ?", -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = (uint64_t) sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return (n);
}

static void
check_counts(struct env *e)
{
	uint64_t	pend, rej;

	assert_ok(outbox_counts(e->a, &pend, &rej));
	assert_int_equal(pend, db_count(e, "pending"));
	assert_int_equal(rej, db_count(e, "rejected"));
}

static int
submit(struct env *e, const char *to, uint8_t id[16])
{
	Liaison__V1__SubmitRequest	r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	uint8_t				body[256];
	char				*tov[1], detail[256];
	size_t				blen;

	note_request(&r, tov, to, body, &blen);
	detail[0] = '\0';
	return (outbox_submit(e->a, &r, id, detail, sizeof(detail)));
}

static void
ack(struct env *e, const uint8_t id[16], int code)
{
	Liaison__V1__PublishAck	k = LIAISON__V1__PUBLISH_ACK__INIT;

	k.has_message_id = 1;
	k.message_id.data = (uint8_t *) (uintptr_t) id;
	k.message_id.len = 16;
	k.has_code = 1;
	k.code = lsn_err_to_wire(code);
	assert_ok(outbox_on_ack(e->a, &k));
}

static void
test_agent_batch_outbox_counts_follow_commits_and_rollbacks(void **state)
{
	struct env	*e = *state;
	const char	*to = e->fx->partners[0].id;
	uint8_t		 id[4][16];
	uint64_t	 pend, rej;

	check_counts(e);
	/* outside a transaction: stored at once */
	assert_ok(submit(e, to, id[0]));
	assert_ok(submit(e, to, id[1]));
	check_counts(e);
	assert_int_equal(db_count(e, "pending"), 2);

	/* inside a turn's transaction */
	assert_ok(agent_tx_begin(e->a));
	assert_ok(submit(e, to, id[2]));
	/* a refused submit inside the transaction leaves nothing */
	assert_int_not_equal(submit(e, "Not A Slug", id[3]), LSN_OK);
	ack(e, id[0], LSN_OK);
	ack(e, id[1], LSN_EUNKNOWNRCPT);
	check_counts(e);
	assert_ok(agent_tx_commit(e->a));
	check_counts(e);
	assert_int_equal(db_count(e, "pending"), 1);
	assert_int_equal(db_count(e, "rejected"), 1);

	/* a failed turn: everything of it is rolled back, counts reload */
	assert_ok(agent_tx_begin(e->a));
	assert_ok(submit(e, to, id[3]));
	ack(e, id[2], LSN_OK);
	assert_ok(outbox_counts(e->a, &pend, &rej));
	assert_int_equal(pend, 1);
	e->a->tx_failed = 1;
	assert_int_equal(agent_tx_commit(e->a), LSN_EDB);
	check_counts(e);
	assert_int_equal(db_count(e, "pending"), 1);

	/* after a restart the counts come from the database */
	agent_close(&e->a);
	assert_ok(agent_open(NULL, &e->c, &e->a));
	assert_ok(outbox_counts(e->a, &pend, &rej));
	assert_int_equal(pend, 1);
	assert_int_equal(rej, 1);
}

static void
send_request(void *s, const Liaison__V1__ApiRequest *q)
{
	uint8_t	buf[1024];
	size_t	len;

	len = liaison__v1__api_request__get_packed_size(q);
	assert_true(len <= sizeof(buf));
	liaison__v1__api_request__pack(q, buf);
	assert_true(zmq_send(s, "", 0, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(s, buf, len, 0) >= 0);
}

static Liaison__V1__ApiResponse *
recv_answer(void *s, int timeout_ms)
{
	zmq_pollitem_t	 pi;
	zmq_msg_t	 m;
	Liaison__V1__ApiResponse *r;

	pi.socket = s;
	pi.events = ZMQ_POLLIN;
	pi.revents = 0;
	if (zmq_poll(&pi, 1, timeout_ms) != 1)
		return (NULL);
	zmq_msg_init(&m);
	assert_true(zmq_msg_recv(&m, s, 0) >= 0);	/* delimiter */
	assert_int_equal(zmq_msg_size(&m), 0);
	assert_true(zmq_msg_more(&m));
	assert_true(zmq_msg_recv(&m, s, 0) >= 0);
	r = liaison__v1__api_response__unpack(NULL, zmq_msg_size(&m),
	    zmq_msg_data(&m));
	zmq_msg_close(&m);
	assert_non_null(r);
	return (r);
}

/*
 * Ten requests in one API turn (three refused): one transaction, each
 * answered after the COMMIT, the refused ones leave no row.
 */
static void
test_agent_batch_api_turn_answers_after_commit(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiRequest		 q = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__ApiResponse	*ans;
	uint8_t				 body[256];
	char				*tov[1];
	size_t				 blen;
	void				*s;
	int				 zero = 0, ok = 0, refused = 0;
	int				 seen[10] = { 0 };

	assert_non_null(s = zmq_socket(e->ctx, ZMQ_DEALER));
	assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)),
	    0);
	assert_int_equal(zmq_connect(s, e->a->api_ep), 0);
	note_request(&r, tov, e->fx->partners[0].id, body, &blen);
	q.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	q.submit = &r;
	q.has_request_id = 1;
	for (int i = 0; i < 10; i++) {
		q.request_id = (uint64_t) i + 100;
		tov[0] = (char *) (uintptr_t) (i % 3 == 1 ? "Not A Slug" :
		    e->fx->partners[0].id);
		send_request(s, &q);
	}
	/* let the ten arrive (answering the connection's ZAP handshake as
	 * the agent's loop does), then one turn reads them all */
	for (int tries = 0; tries < 100; tries++) {
		zmq_pollitem_t pi[2] = {
			{ e->a->api, -1, ZMQ_POLLIN, 0 },
			{ e->a->api_zap, -1, ZMQ_POLLIN, 0 },
		};

		if (zmq_poll(pi, 2, 100) <= 0)
			continue;
		if (pi[1].revents & ZMQ_POLLIN)
			apiauth_serve(e->a);
		if (pi[0].revents & ZMQ_POLLIN)
			break;
	}
	lsn_proc_sleep_ms(200);
	api_on_readable(e->a);
	assert_false(e->a->in_tx);
	assert_int_equal(e->a->nheld, 0);
	for (int i = 0; i < 10; i++) {
		assert_non_null(ans = recv_answer(s, 5000));
		assert_true(ans->request_id >= 100 && ans->request_id < 110);
		seen[ans->request_id - 100]++;
		if (ans->code == 0) {
			assert_int_equal(ans->kind_case,
			    LIAISON__V1__API_RESPONSE__KIND_SUBMIT);
			ok++;
		} else {
			assert_int_equal((ans->request_id - 100) % 3, 1);
			refused++;
		}
		liaison__v1__api_response__free_unpacked(ans, NULL);
	}
	for (int i = 0; i < 10; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(ok, 7);
	assert_int_equal(refused, 3);
	assert_int_equal(db_count(e, "pending"), 7);
	check_counts(e);
	zmq_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_batch_outbox_counts_follow_commits_and_rollbacks,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_batch_api_turn_answers_after_commit,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
