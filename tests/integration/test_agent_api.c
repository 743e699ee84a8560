/*
 * test_agent_api.c -- the agent's local API under hostile or unusual
 * input: garbage bytes, unknown request kinds, bad ids, a REQ socket
 * client, oversized requests, directory submits while the broker is down,
 * list limits. Every answer carries a code and a text; the agent keeps
 * serving.
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

struct env {
	struct lsn_fixture	*fx;
	pid_t			 agent;
	void			*ctx;
	char			 api[256];
};

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	/* no broker at all: the API must work offline */
	e->agent = agent_it_start(e->fx, 0, "tcp://127.0.0.1:9", NULL);
	assert_true(e->agent > 0);
	agent_it_endpoint(e->fx, 0, e->api, sizeof(e->api));
	assert_non_null(e->ctx = zmq_ctx_new());
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	zmq_ctx_term(e->ctx);
	lsn_fixture_destroy(&e->fx);
	free(e);
	return (0);
}

static Liaison__V1__ApiResponse *
raw_call(struct env *e, int type, const void *buf, size_t len,
    int timeout_ms)
{
	Liaison__V1__ApiResponse	*r;
	void				*s;
	zmq_pollitem_t			 pi;
	zmq_msg_t			 m;
	int				 zero = 0, more;

	assert_non_null(s = zmq_socket(e->ctx, type));
	assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero)),
	    0);
	assert_int_equal(zmq_connect(s, e->api), 0);
	if (type == ZMQ_DEALER)
		assert_true(zmq_send(s, "", 0, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(s, buf, len, 0) >= 0);
	pi.socket = s;
	pi.events = ZMQ_POLLIN;
	pi.revents = 0;
	if (zmq_poll(&pi, 1, timeout_ms) != 1) {
		zmq_close(s);
		return (NULL);
	}
	do {
		zmq_msg_init(&m);
		assert_true(zmq_msg_recv(&m, s, 0) >= 0);
		more = zmq_msg_more(&m);
		if (!more)
			break;
		zmq_msg_close(&m);
	} while (more);
	r = liaison__v1__api_response__unpack(NULL, zmq_msg_size(&m),
	    zmq_msg_data(&m));
	zmq_msg_close(&m);
	zmq_close(s);
	assert_non_null(r);
	assert_true(r->has_code);
	assert_non_null(r->detail);
	return (r);
}

static Liaison__V1__ApiResponse *
call(struct env *e, int type, Liaison__V1__ApiRequest *req)
{
	Liaison__V1__ApiResponse	*r;
	uint8_t				*buf;
	size_t				 len;

	len = liaison__v1__api_request__get_packed_size(req);
	assert_non_null(buf = malloc(len + 1));
	liaison__v1__api_request__pack(req, buf);
	r = raw_call(e, type, buf, len, 5000);
	free(buf);
	return (r);
}

static void
test_agent_api_garbage_and_unknown_kind_answered_with_codes(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiResponse	*r;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	uint8_t				 junk[64];

	memset(junk, 0xff, sizeof(junk));
	assert_non_null(r = raw_call(e, ZMQ_DEALER, junk, sizeof(junk), 5000));
	assert_int_equal(lsn_err_from_wire((int) r->code), LSN_EPROTO);
	liaison__v1__api_response__free_unpacked(r, NULL);
	/* no kind set */
	req.has_request_id = 1;
	req.request_id = 77;
	assert_non_null(r = call(e, ZMQ_DEALER, &req));
	assert_int_equal(r->request_id, 77);
	assert_int_equal(lsn_err_from_wire((int) r->code), LSN_EINVAL);
	liaison__v1__api_response__free_unpacked(r, NULL);
}

static void
test_agent_api_req_socket_and_bad_ids(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiResponse	*r;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__StatusRequest	 st = LIAISON__V1__STATUS_REQUEST__INIT;
	Liaison__V1__InboxFetchRequest	 fr =
	    LIAISON__V1__INBOX_FETCH_REQUEST__INIT;
	Liaison__V1__OutboxStatusRequest os =
	    LIAISON__V1__OUTBOX_STATUS_REQUEST__INIT;
	uint8_t				 id[16] = { 1 };

	/* a plain REQ socket works */
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	req.status = &st;
	assert_non_null(r = call(e, ZMQ_REQ, &req));
	assert_int_equal(r->code, 0);
	assert_non_null(r->status);
	assert_false(r->status->connected);
	liaison__v1__api_response__free_unpacked(r, NULL);
	/* a 3-byte message id */
	fr.has_message_id = 1;
	fr.message_id.data = id;
	fr.message_id.len = 3;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_FETCH;
	req.inbox_fetch = &fr;
	assert_non_null(r = call(e, ZMQ_DEALER, &req));
	assert_int_equal(lsn_err_from_wire((int) r->code), LSN_EINVAL);
	liaison__v1__api_response__free_unpacked(r, NULL);
	/* unknown ids */
	fr.message_id.len = 16;
	assert_non_null(r = call(e, ZMQ_DEALER, &req));
	assert_int_equal(lsn_err_from_wire((int) r->code), LSN_ENOENT);
	liaison__v1__api_response__free_unpacked(r, NULL);
	os.has_message_id = 1;
	os.message_id.data = id;
	os.message_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_OUTBOX_STATUS;
	req.outbox_status = &os;
	assert_non_null(r = call(e, ZMQ_DEALER, &req));
	assert_int_equal(lsn_err_from_wire((int) r->code), LSN_ENOENT);
	liaison__v1__api_response__free_unpacked(r, NULL);
}

static void
test_agent_api_oversized_request_dropped_agent_keeps_serving(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiResponse	*r;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__StatusRequest	 st = LIAISON__V1__STATUS_REQUEST__INIT;
	uint8_t				*big;
	size_t				 n = 2 * 1024 * 1024;

	assert_non_null(big = calloc(1, n));
	assert_null(raw_call(e, ZMQ_DEALER, big, n, 700));
	free(big);
	assert_true(lsn_proc_alive(e->agent));
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	req.status = &st;
	assert_non_null(r = call(e, ZMQ_DEALER, &req));
	assert_int_equal(r->code, 0);
	liaison__v1__api_response__free_unpacked(r, NULL);
}

static void
test_agent_api_offline_submit_queues_dir_submit_refused(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiResponse	*r;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__DirSubmitRequest	 ds =
	    LIAISON__V1__DIR_SUBMIT_REQUEST__INIT;
	Liaison__V1__SignedDirOp	 op = LIAISON__V1__SIGNED_DIR_OP__INIT;
	Liaison__V1__InboxListRequest	 lr =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	uint8_t				 id[16], dummy[4] = { 1, 2, 3, 4 };
	int				 st = 0;
	char				*out = NULL;

	/* a message while offline: stored, pending */
	assert_ok(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
	    "queued while offline", id));
	assert_ok(agent_it_outbox(e->fx, 0, id, &st, NULL));
	assert_int_equal(st, LIAISON__V1__OUTBOX_STATE__OUTBOX_PENDING);
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "send", "--to",
	    e->fx->partners[1].id, "--text", "x", "--wait=1", NULL), 1);
	assert_non_null(strstr(out, "pending"));
	free(out);
	/* a directory op cannot be forwarded now */
	op.has_op = 1;
	op.op.data = dummy;
	op.op.len = sizeof(dummy);
	ds.op = &op;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_SUBMIT;
	req.dir_submit = &ds;
	assert_non_null(r = call(e, ZMQ_DEALER, &req));
	assert_int_equal(lsn_err_from_wire((int) r->code), LSN_ECLOSED);
	liaison__v1__api_response__free_unpacked(r, NULL);
	/* a huge limit is clamped, a short wait returns empty */
	lr.has_limit = 1;
	lr.limit = 1000000;
	lr.has_wait_ms = 1;
	lr.wait_ms = 200;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_LIST;
	req.inbox_list = &lr;
	assert_non_null(r = call(e, ZMQ_DEALER, &req));
	assert_int_equal(r->code, 0);
	assert_non_null(r->inbox_list);
	assert_int_equal(r->inbox_list->n_items, 0);
	liaison__v1__api_response__free_unpacked(r, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_api_garbage_and_unknown_kind_answered_with_codes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_api_req_socket_and_bad_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_api_oversized_request_dropped_agent_keeps_serving,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_api_offline_submit_queues_dir_submit_refused,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
