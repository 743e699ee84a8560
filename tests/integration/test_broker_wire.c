/*
 * test_broker_wire.c -- the real liaison-broker on 127.0.0.1 with raw
 * DEALER clients (lsn_fixture): handshake, publish/deliver, fan-out, every
 * ingress refusal with its code, idempotency, suspension, directory
 * submit/sync/push, audit chain.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/util.h"

#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define T_MS		5000	/* generous wait for an answer */
#define NSOCK		16

struct bt {
	struct lsn_fixture	*fx;
	int			 pid;
	char			 ep[256];
	void			*ctx;
	void			*socks[NSOCK];
};

static void *
client(struct bt *t, size_t i, const struct lsn_keypair *kp)
{
	void	*s = NULL;

	assert_ok(lsn_fixture_dealer(t->fx, t->ctx, i, kp, t->ep, &s));
	for (int k = 0; k < NSOCK; k++)
		if (t->socks[k] == NULL) {
			t->socks[k] = s;
			return (s);
		}
	fail_msg("too many sockets");
	return (NULL);
}

static void
close_socks(struct bt *t)
{
	for (int k = 0; k < NSOCK; k++)
		if (t->socks[k] != NULL) {
			zmq_close(t->socks[k]);
			t->socks[k] = NULL;
		}
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { .npartners = 6,
	    .extra_group = "hotline-desk", .extra_group_n = 0 };
	struct bt		*t = calloc(1, sizeof(*t));

	if (t == NULL)
		return (-1);
	if (lsn_fixture_create(&o, &t->fx) != LSN_OK)
		return (-1);
	if (lsn_fixture_write_broker_conf(t->fx, NULL,
	    "max_msg_bytes = 65536\nskew_ms = 60s\nexpiry_check_ms = 100ms\n"
	    "heartbeat_ms = 1s\n") != LSN_OK)
		return (-1);
	if (lsn_fixture_start_broker(t->fx, 1, &t->pid, t->ep,
	    sizeof(t->ep)) != LSN_OK)
		return (-1);
	t->ctx = zmq_ctx_new();
	*state = t;
	return (0);
}

static int
teardown(void **state)
{
	struct bt	*t = *state;
	int		 rv = 0;

	if (t == NULL)
		return (0);
	close_socks(t);
	if (t->ctx != NULL)
		zmq_ctx_term(t->ctx);
	if (getenv("LSN_TEST_VERBOSE") != NULL)
		lsn_proc_dump_log(t->fx->broker_log, 20000);
	/* A clean exit on SIGTERM (and, under the sanitizers, no leak). */
	if (t->pid > 0 && lsn_proc_alive(t->pid) &&
	    lsn_proc_stop(t->pid) != 0) {
		lsn_proc_dump_log(t->fx->broker_log, 8000);
		rv = -1;
	}
	lsn_proc_kill_all();
	lsn_fixture_destroy(&t->fx);
	free(t);
	return (rv);
}

/* Publishes a fresh note from partner `from`; returns the ack code. */
static int
pub(struct bt *t, void *s, size_t from, const struct lsn_fixture_msg *m,
    uint8_t msgid[16])
{
	uint8_t	*env = NULL;
	size_t	 len = 0;
	int	 code = 999;

	assert_ok(lsn_fixture_envelope(t->fx, from, m, msgid, &env, &len));
	assert_ok(lsn_fixture_publish(s, env, len, T_MS, &code));
	free(env);
	return (code);
}

/* Waits for one Deliver; returns its seq and checks its message id. */
static uint64_t
expect_deliver(void *s, const uint8_t msgid[16])
{
	Liaison__V1__Frame		*f = NULL;
	struct lsn_envelope_outer	*o = NULL;
	Liaison__V1__Envelope		*e;
	uint64_t			 seq;

	assert_ok(lsn_fixture_recv_kind(s, LIAISON__V1__FRAME__KIND_DELIVER,
	    T_MS, &f));
	seq = f->deliver->seq;
	assert_true(seq > 0);
	if (msgid != NULL) {
		size_t	 len = liaison__v1__signed_envelope__get_packed_size(
			    f->deliver->envelope);
		uint8_t	*buf = malloc(len);

		assert_non_null(buf);
		liaison__v1__signed_envelope__pack(f->deliver->envelope, buf);
		assert_ok(lsn_envelope_peek(buf, len, 0, &o, NULL));
		e = liaison__v1__envelope__unpack(NULL, o->envlen, o->env);
		assert_non_null(e);
		assert_memory_equal(e->message_id.data, msgid, 16);
		liaison__v1__envelope__free_unpacked(e, NULL);
		lsn_envelope_outer_destroy(&o);
		free(buf);
	}
	liaison__v1__frame__free_unpacked(f, NULL);
	return (seq);
}

static void
expect_nothing(void *s, int kind, int ms)
{
	Liaison__V1__Frame	*f = NULL;

	assert_err(lsn_fixture_recv_kind(s, kind, ms, &f), LSN_ETIMEDOUT);
}

/* A count from the broker's database (lsn_test_db_count). */
static long long
db_count(struct bt *t, const char *sql)
{
	return (lsn_test_db_count(t->fx->broker_db, sql));
}

/* ---- tests ---- */

static void
test_broker_unknown_curve_key_refused(void **state)
{
	struct bt		*t = *state;
	struct lsn_keypair	*kp = NULL;
	void			*s;

	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "intruder", &kp));
	s = client(t, 0, kp);
	/* A key outside the directory: no Welcome, ever. */
	assert_err(lsn_fixture_hello(s, 0, 1000, NULL), LSN_ETIMEDOUT);
	lsn_keypair_destroy(&kp);
	/* A known partner still gets in. */
	s = client(t, 1, NULL);
	assert_ok(lsn_fixture_hello(s, 0, T_MS, NULL));
	assert_int_equal(lsn_proc_stop(t->pid), 0);
	assert_true(db_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'authfail'") >= 1);
}

static void
test_broker_publish_and_deliver(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	Liaison__V1__Frame	*w = NULL;
	uint8_t			 id[16];
	void			*a, *b;
	uint64_t		 seq;

	a = client(t, 0, NULL);
	b = client(t, 1, NULL);
	/* Publishing before Hello is accepted (the session only matters
	 * for deliveries). */
	assert_int_equal(pub(t, a, 0, &m, id), LSN_OK);
	assert_ok(lsn_fixture_hello(b, 0, T_MS, &w));
	assert_string_equal(w->welcome->partner, "p02");
	assert_int_equal(w->welcome->protocol_version, 1);
	assert_int_equal(w->welcome->max_msg_bytes, 65536);
	liaison__v1__frame__free_unpacked(w, NULL);
	seq = expect_deliver(b, id);
	assert_int_equal(seq, 1);
	assert_ok(lsn_fixture_deliver_ack(b, seq));
	/* A second message while connected arrives live. */
	assert_int_equal(pub(t, a, 0, &m, id), LSN_OK);
	assert_int_equal(expect_deliver(b, id), 2);
	/* Unacked seq 2 is resent after the next Hello. */
	assert_ok(lsn_fixture_hello(b, 1, T_MS, &w));
	assert_int_equal(w->welcome->delivery_cursor, 1);
	liaison__v1__frame__free_unpacked(w, NULL);
	assert_int_equal(expect_deliver(b, id), 2);
	assert_ok(lsn_fixture_deliver_ack(b, 2));
	/* Acked: a new Hello with cursor 2 brings nothing. */
	assert_ok(lsn_fixture_hello(b, 2, T_MS, NULL));
	expect_nothing(b, LIAISON__V1__FRAME__KIND_DELIVER, 300);
}

static void
test_broker_offline_receiver_gets_all_in_order(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	uint8_t			 ids[100][16];
	void			*a, *b;

	a = client(t, 0, NULL);
	for (int i = 0; i < 100; i++)
		assert_int_equal(pub(t, a, 0, &m, ids[i]), LSN_OK);
	b = client(t, 1, NULL);
	assert_ok(lsn_fixture_hello(b, 0, T_MS, NULL));
	for (int i = 0; i < 100; i++) {
		assert_int_equal(expect_deliver(b, ids[i]), (uint64_t) i + 1);
		assert_ok(lsn_fixture_deliver_ack(b, (uint64_t) i + 1));
	}
	expect_nothing(b, LIAISON__V1__FRAME__KIND_DELIVER, 300);
}

static void
test_broker_group_fanout(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .groups = { "all-members" } };
	void			*s[6];
	uint8_t			 id[16];

	for (size_t i = 0; i < 6; i++) {
		s[i] = client(t, i, NULL);
		assert_ok(lsn_fixture_hello(s[i], 0, T_MS, NULL));
	}
	/* p01 to all-members (6 partners): 5 recipients, not itself. */
	assert_int_equal(pub(t, s[0], 0, &m, id), LSN_OK);
	for (size_t i = 1; i < 6; i++)
		assert_int_equal(expect_deliver(s[i], id), 1);
	expect_nothing(s[0], LIAISON__V1__FRAME__KIND_DELIVER, 300);
}

static void
test_broker_ingress_refusals(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct lsn_fixture_msg	 mm;
	uint8_t			*env = NULL, id[16];
	size_t			 len = 0;
	uint64_t		 now = lsn_now_ms();
	void			*a;
	int			 code;

	a = client(t, 0, NULL);

	/* forged signature: one bit of the signature flipped */
	assert_ok(lsn_fixture_envelope(t->fx, 0, &m, id, &env, &len));
	{
		Liaison__V1__SignedEnvelope *se =
		    liaison__v1__signed_envelope__unpack(NULL, len, env);

		assert_non_null(se);
		se->signature.data[5] ^= 0x01;
		liaison__v1__signed_envelope__pack(se, env);
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	}
	assert_ok(lsn_fixture_publish(a, env, len, T_MS, &code));
	assert_int_equal(code, LSN_EBADSIG);
	free(env);

	/* signed by p03 but sent over p01's connection */
	assert_int_equal(pub(t, a, 2, &m, NULL), LSN_ESENDER);

	/* oversized (over max_msg_bytes 65536 but under the socket cap) */
	mm = m;
	mm.pad = 66000;
	assert_int_equal(pub(t, a, 0, &mm, NULL), LSN_ETOOBIG);

	/* unknown recipient, unknown group */
	mm = m;
	mm.to[0] = "zz-nobody";
	assert_int_equal(pub(t, a, 0, &mm, NULL), LSN_EUNKNOWNRCPT);
	memset(&mm, 0, sizeof(mm));
	mm.groups[0] = "no-such-group";
	assert_int_equal(pub(t, a, 0, &mm, NULL), LSN_EUNKNOWNGROUP);
	/* an empty group yields no recipient */
	mm.groups[0] = "hotline-desk";
	assert_int_equal(pub(t, a, 0, &mm, NULL), LSN_EUNKNOWNRCPT);

	/* created_ms outside the skew window (60 s), both directions */
	mm = m;
	mm.created_ms = now - 10 * 60 * 1000;
	assert_int_equal(pub(t, a, 0, &mm, NULL), LSN_ESKEW);
	mm.created_ms = now + 10 * 60 * 1000;
	assert_int_equal(pub(t, a, 0, &mm, NULL), LSN_ESKEW);

	/* expired */
	mm = m;
	mm.created_ms = now - 2000;
	mm.expires_ms = now - 1000;
	assert_int_equal(pub(t, a, 0, &mm, NULL), LSN_EEXPIRED);

	/* reused message_id with different bytes */
	assert_int_equal(pub(t, a, 0, &m, id), LSN_OK);
	mm = m;
	mm.message_id = id;
	mm.text = "different text";
	assert_int_equal(pub(t, a, 0, &mm, NULL), LSN_EDUPID);

	/* unknown key id: a fresh key with p01's label */
	{
		struct lsn_keypair	*k = NULL, *saved;

		assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "p01", &k));
		saved = t->fx->partners[0].sign;
		t->fx->partners[0].sign = k;
		code = pub(t, a, 0, &m, NULL);
		t->fx->partners[0].sign = saved;
		lsn_keypair_destroy(&k);
		assert_int_equal(code, LSN_EUNKNOWNKEY);
	}

	/* garbage instead of an envelope */
	{
		static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0x01, 0x02 };
		Liaison__V1__Frame	*f = NULL;

		assert_ok(lsn_fixture_publish_raw(a, junk, sizeof(junk)));
		assert_ok(lsn_fixture_recv_kind(a,
		    LIAISON__V1__FRAME__KIND_PUBLISH_ACK, T_MS, &f));
		assert_int_equal(lsn_err_from_wire((int) f->publish_ack->code),
		    LSN_EPROTO);
		liaison__v1__frame__free_unpacked(f, NULL);
	}
	/* The broker is still up and accepting. */
	assert_int_equal(pub(t, a, 0, &m, NULL), LSN_OK);
}

/* A publish whose signature has one bit flipped (malloc'd). */
static void
forged(struct bt *t, const struct lsn_fixture_msg *m, uint8_t **env,
    size_t *len)
{
	Liaison__V1__SignedEnvelope	*se;

	assert_ok(lsn_fixture_envelope(t->fx, 0, m, NULL, env, len));
	se = liaison__v1__signed_envelope__unpack(NULL, *len, *env);
	assert_non_null(se);
	se->signature.data[7] ^= 0x01;
	liaison__v1__signed_envelope__pack(se, *env);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
}

/*
 * Frames sent back to back (verified in parallel within a loop turn) are
 * answered as if handled one by one: each refusal with its code, in
 * order; a duplicate id within the burst sees the first copy; a Ping in
 * the middle is answered between the acks around it.
 */
static void
test_broker_burst_answered_in_order(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } }, mm;
	Liaison__V1__Frame	 pf, *f = NULL;
	Liaison__V1__Ping	 ping;
	uint8_t			*env[8] = { NULL }, id[16];
	size_t			 len[8] = { 0 };
	static const int	 want[] = { LSN_OK, LSN_EBADSIG, LSN_EDUPID,
				    LSN_OK, LSN_ESENDER, -1, LSN_OK,
				    LSN_OK };
	void			*a;

	a = client(t, 0, NULL);
	assert_ok(lsn_fixture_hello(a, 0, T_MS, NULL));
	assert_ok(lsn_fixture_envelope(t->fx, 0, &m, id, &env[0], &len[0]));
	forged(t, &m, &env[1], &len[1]);
	mm = m;
	mm.message_id = id;
	mm.text = "same id, other text";
	assert_ok(lsn_fixture_envelope(t->fx, 0, &mm, NULL, &env[2],
	    &len[2]));
	/* env[3]: the first one again (idempotent OK) */
	assert_ok(lsn_fixture_envelope(t->fx, 2, &m, NULL, &env[4], &len[4]));
	/* [5]: a Ping */
	assert_ok(lsn_fixture_envelope(t->fx, 0, &m, NULL, &env[6], &len[6]));
	assert_ok(lsn_fixture_envelope(t->fx, 0, &m, NULL, &env[7], &len[7]));
	liaison__v1__ping__init(&ping);
	ping.has_nonce = 1;
	ping.nonce = 4242;
	liaison__v1__frame__init(&pf);
	pf.kind_case = LIAISON__V1__FRAME__KIND_PING;
	pf.ping = &ping;
	for (int i = 0; i < 8; i++) {
		if (i == 5)
			assert_ok(lsn_fixture_send(a, &pf));
		else
			assert_ok(lsn_fixture_publish_raw(a, i == 3 ? env[0] :
			    env[i], i == 3 ? len[0] : len[i]));
	}
	for (int i = 0; i < 8; i++) {
		for (;;) {
			int k;

			assert_ok(lsn_fixture_recv(a, T_MS, &f));
			k = f->kind_case;
			if (k == LIAISON__V1__FRAME__KIND_PUBLISH_ACK ||
			    k == LIAISON__V1__FRAME__KIND_PONG)
				break;
			liaison__v1__frame__free_unpacked(f, NULL);
		}
		if (want[i] == -1) {
			assert_int_equal(f->kind_case,
			    LIAISON__V1__FRAME__KIND_PONG);
			assert_int_equal(f->pong->nonce, 4242);
		} else {
			assert_int_equal(f->kind_case,
			    LIAISON__V1__FRAME__KIND_PUBLISH_ACK);
			assert_int_equal(lsn_err_from_wire(
			    (int) f->publish_ack->code), want[i]);
		}
		liaison__v1__frame__free_unpacked(f, NULL);
	}
	for (int i = 0; i < 8; i++)
		free(env[i]);
	assert_int_equal(db_count(t, "SELECT COUNT(*) FROM messages"), 3);
	assert_int_equal(db_count(t, "SELECT COUNT(*) FROM queue WHERE "
	    "recipient = 'p02'"), 3);
}

static void
test_broker_same_bytes_twice_stored_once(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	uint8_t			*env = NULL, id[16];
	size_t			 len = 0;
	void			*a, *b;
	int			 code;

	a = client(t, 0, NULL);
	b = client(t, 1, NULL);
	assert_ok(lsn_fixture_envelope(t->fx, 0, &m, id, &env, &len));
	assert_ok(lsn_fixture_publish(a, env, len, T_MS, &code));
	assert_int_equal(code, LSN_OK);
	assert_ok(lsn_fixture_publish(a, env, len, T_MS, &code));
	assert_int_equal(code, LSN_OK);
	free(env);
	assert_ok(lsn_fixture_hello(b, 0, T_MS, NULL));
	assert_int_equal(expect_deliver(b, id), 1);
	expect_nothing(b, LIAISON__V1__FRAME__KIND_DELIVER, 300);
	assert_int_equal(db_count(t, "SELECT COUNT(*) FROM messages"), 1);
}

static int
submit(struct bt *t, void *s, const uint8_t *op, size_t len, uint64_t *rev)
{
	Liaison__V1__Frame	 f, *a = NULL;
	Liaison__V1__DirSubmit	 ds;
	Liaison__V1__SignedDirOp *sop;
	uint8_t			 reqid[4] = { 1, 2, 3, 4 };
	int			 code;

	(void) t;
	sop = liaison__v1__signed_dir_op__unpack(NULL, len, op);
	assert_non_null(sop);
	liaison__v1__dir_submit__init(&ds);
	ds.has_request_id = 1;
	ds.request_id.data = reqid;
	ds.request_id.len = sizeof(reqid);
	ds.op = sop;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
	f.dir_submit = &ds;
	assert_ok(lsn_fixture_send(s, &f));
	liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	assert_ok(lsn_fixture_recv_kind(s,
	    LIAISON__V1__FRAME__KIND_DIR_SUBMIT_ACK, T_MS, &a));
	assert_int_equal(a->dir_submit_ack->request_id.len, 4);
	code = lsn_err_from_wire((int) a->dir_submit_ack->code);
	if (rev != NULL)
		*rev = a->dir_submit_ack->rev;
	liaison__v1__frame__free_unpacked(a, NULL);
	return (code);
}

static void
test_broker_suspension(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 to2 = { .to = { "p02" } };
	struct lsn_fixture_msg	 to3 = { .to = { "p03" } };
	struct lsn_fixture_msg	 grp = { .groups = { "all-members" } };
	Liaison__V1__Frame	*f = NULL;
	uint8_t			*op = NULL, id[16];
	size_t			 len = 0;
	uint64_t		 ver = 0, rev = 0;
	void			*a, *b, *c;

	a = client(t, 0, NULL);
	b = client(t, 1, NULL);
	c = client(t, 2, NULL);
	assert_ok(lsn_fixture_hello(b, 0, T_MS, NULL));
	assert_ok(lsn_fixture_hello(c, 0, T_MS, NULL));
	/* One message reaches p02 and is left unacked. */
	assert_int_equal(pub(t, a, 0, &to2, id), LSN_OK);
	(void) expect_deliver(b, id);

	assert_ok(lsn_fixture_partner_version(t->fx, "p02", &ver));
	assert_ok(lsn_fixture_op_set_status(t->fx, "p02",
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, ver, 2, &op, &len));
	assert_int_equal(submit(t, c, op, len, &rev), LSN_OK);
	assert_true(rev > 0);
	free(op);

	/* p02's next publish: E_SUSPENDED in the PublishAck */
	assert_int_equal(pub(t, b, 1, &to3, NULL), LSN_ESUSPENDED);
	/* any other frame: Error{E_SUSPENDED} */
	{
		Liaison__V1__Ping	p;
		Liaison__V1__Frame	pf;

		liaison__v1__ping__init(&p);
		liaison__v1__frame__init(&pf);
		pf.kind_case = LIAISON__V1__FRAME__KIND_PING;
		pf.ping = &p;
		assert_ok(lsn_fixture_send(b, &pf));
	}
	assert_ok(lsn_fixture_recv_kind(b, LIAISON__V1__FRAME__KIND_ERROR,
	    T_MS, &f));
	assert_int_equal(lsn_err_from_wire((int) f->error->code),
	    LSN_ESUSPENDED);
	liaison__v1__frame__free_unpacked(f, NULL);
	/* Messages to p02 are refused; through a group it is skipped. */
	assert_int_equal(pub(t, a, 0, &to2, NULL), LSN_EUNKNOWNRCPT);
	assert_int_equal(pub(t, a, 0, &grp, id), LSN_OK);
	assert_int_equal(pub(t, a, 0, &to3, id), LSN_OK);
	/* Nothing more is delivered to p02, even after a new Hello. */
	f = NULL;
	{
		Liaison__V1__Hello	h;
		Liaison__V1__Frame	hf;

		liaison__v1__hello__init(&h);
		h.has_protocol_version = 1;
		h.protocol_version = 1;
		liaison__v1__frame__init(&hf);
		hf.kind_case = LIAISON__V1__FRAME__KIND_HELLO;
		hf.hello = &h;
		assert_ok(lsn_fixture_send(b, &hf));
	}
	assert_ok(lsn_fixture_recv_kind(b, LIAISON__V1__FRAME__KIND_ERROR,
	    T_MS, &f));
	liaison__v1__frame__free_unpacked(f, NULL);
	expect_nothing(b, LIAISON__V1__FRAME__KIND_DELIVER, 500);
	/* refusals are audited as one row per peer and interval, the last
	 * interval at shutdown */
	assert_int_equal(lsn_proc_stop(t->pid), 0);
	assert_true(db_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'authfail' AND subject = 'p02'") >= 1);
}

static void
test_broker_revoked_transport_key_refused_per_frame(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	Liaison__V1__Frame	*f = NULL;
	Liaison__V1__DirOp	 op;
	Liaison__V1__RevokeKey	 rk;
	uint8_t			*sop = NULL;
	size_t			 len = 0;
	uint64_t		 ver = 0;
	void			*a, *c;

	a = client(t, 0, NULL);
	c = client(t, 2, NULL);
	assert_int_equal(pub(t, a, 0, &m, NULL), LSN_OK);
	/* Two admins revoke p01's transport key. */
	assert_ok(lsn_fixture_partner_version(t->fx, "p01", &ver));
	liaison__v1__revoke_key__init(&rk);
	rk.partner_id = (char *) "p01";
	rk.key_id = t->fx->partners[0].transport->key_id;
	rk.has_revoked_at_ms = 1;
	rk.revoked_at_ms = lsn_now_ms() - 1000;
	liaison__v1__dir_op__init(&op);
	op.has_expected_version = 1;
	op.expected_version = ver;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY;
	op.revoke_key = &rk;
	assert_ok(lsn_fixture_op_sign(t->fx, &op, 2, &sop, &len));
	assert_int_equal(submit(t, c, sop, len, NULL), LSN_OK);
	free(sop);
	/* The open connection's next frame is refused. */
	assert_int_equal(pub(t, a, 0, &m, NULL), LSN_EKEYREVOKED);
	assert_ok(lsn_fixture_hello(c, 0, T_MS, NULL));
	{
		Liaison__V1__Ping	p;
		Liaison__V1__Frame	pf;

		liaison__v1__ping__init(&p);
		liaison__v1__frame__init(&pf);
		pf.kind_case = LIAISON__V1__FRAME__KIND_PING;
		pf.ping = &p;
		assert_ok(lsn_fixture_send(a, &pf));
	}
	assert_ok(lsn_fixture_recv_kind(a, LIAISON__V1__FRAME__KIND_ERROR,
	    T_MS, &f));
	assert_int_equal(lsn_err_from_wire((int) f->error->code),
	    LSN_EKEYREVOKED);
	liaison__v1__frame__free_unpacked(f, NULL);
}

static void
test_broker_directory_submit_sync_push(void **state)
{
	struct bt			*t = *state;
	Liaison__V1__Frame		 f, *r = NULL;
	Liaison__V1__DirSync		 ds;
	struct lsn_dir_checkpoint	 cp;
	uint8_t				*op = NULL;
	size_t				 len = 0;
	uint64_t			 rev = 0, head = 0, after = 0;
	void				*a, *b;
	int				 rounds = 0;

	a = client(t, 0, NULL);
	b = client(t, 1, NULL);
	assert_ok(lsn_fixture_hello(a, 0, T_MS, NULL));
	assert_ok(lsn_fixture_hello(b, 0, T_MS, NULL));

	/* A sensitive op with one signature: E_THRESHOLD, nothing pushed. */
	assert_ok(lsn_fixture_op_set_status(t->fx, "p04",
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, 1, 1, &op, &len));
	assert_int_equal(submit(t, a, op, len, NULL), LSN_ETHRESHOLD);
	free(op);
	expect_nothing(b, LIAISON__V1__FRAME__KIND_DIR_OPS, 300);

	/* A good routine op is applied and pushed live to the others. */
	assert_ok(lsn_fixture_op_create_group(t->fx, "new-group", 1, &op,
	    &len));
	assert_int_equal(submit(t, a, op, len, &rev), LSN_OK);
	free(op);
	assert_ok(lsn_fixture_recv_kind(b, LIAISON__V1__FRAME__KIND_DIR_OPS,
	    T_MS, &r));
	assert_true(r->dir_ops->live);
	assert_int_equal(r->dir_ops->n_entries, 1);
	assert_int_equal(r->dir_ops->entries[0]->rev, rev);
	assert_non_null(r->dir_ops->checkpoint);
	{
		size_t	 cl = liaison__v1__signed_checkpoint__get_packed_size(
			    r->dir_ops->checkpoint);
		uint8_t	*cb = malloc(cl);

		liaison__v1__signed_checkpoint__pack(r->dir_ops->checkpoint,
		    cb);
		assert_ok(lsn_dir_checkpoint_parse(cb, cl, t->fx->seq->pk,
		    &cp));
		assert_int_equal(cp.rev, rev);
		free(cb);
	}
	liaison__v1__frame__free_unpacked(r, NULL);

	/* DirSync in batches of 3 up to the head, checkpoint at the end. */
	do {
		liaison__v1__dir_sync__init(&ds);
		ds.has_after_rev = 1;
		ds.after_rev = after;
		ds.has_max_entries = 1;
		ds.max_entries = 3;
		liaison__v1__frame__init(&f);
		f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SYNC;
		f.dir_sync = &ds;
		assert_ok(lsn_fixture_send(b, &f));
		assert_ok(lsn_fixture_recv_kind(b,
		    LIAISON__V1__FRAME__KIND_DIR_OPS, T_MS, &r));
		assert_true(r->dir_ops->n_entries <= 3);
		for (size_t i = 0; i < r->dir_ops->n_entries; i++)
			assert_int_equal(r->dir_ops->entries[i]->rev,
			    after + 1 + i);
		after += r->dir_ops->n_entries;
		if (!r->dir_ops->more) {
			size_t	 cl;
			uint8_t	*cb;

			assert_non_null(r->dir_ops->checkpoint);
			cl = liaison__v1__signed_checkpoint__get_packed_size(
			    r->dir_ops->checkpoint);
			cb = malloc(cl);
			liaison__v1__signed_checkpoint__pack(
			    r->dir_ops->checkpoint, cb);
			assert_ok(lsn_dir_checkpoint_parse(cb, cl,
			    t->fx->seq->pk, &cp));
			head = cp.rev;
			free(cb);
		}
		liaison__v1__frame__free_unpacked(r, NULL);
		rounds++;
	} while (head == 0 && rounds < 100);
	assert_int_equal(head, rev);
	assert_int_equal(after, rev);
	assert_true(rounds > 1);
}

static void
test_broker_survives_garbage(void **state)
{
	struct bt		*t = *state;
	Liaison__V1__Frame	 f, *r = NULL;
	Liaison__V1__Hello	 h;
	Liaison__V1__DeliverAck	 da;
	Liaison__V1__DirSync	 ds;
	Liaison__V1__DirSubmit	 sub;
	Liaison__V1__SignedDirOp sop;
	uint8_t			 buf[4096];
	void			*a = client(t, 0, NULL);

	/* random frames of every size, and multi-part messages */
	for (int i = 0; i < 300; i++) {
		size_t	n = (size_t) (i * 13) % sizeof(buf);

		lsn_random(buf, n);
		if (i % 5 == 0 && n > 0)
			buf[0] = 0x1a;	/* looks like a Publish */
		assert_int_equal(zmq_send(a, buf, n, i % 7 == 0 ?
		    ZMQ_SNDMORE : 0), (int) n);
	}
	assert_int_equal(zmq_send(a, "", 0, 0), 0);
	/* well-formed frames with bad content */
	liaison__v1__hello__init(&h);
	h.has_protocol_version = 1;
	h.protocol_version = 2;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_HELLO;
	f.hello = &h;
	assert_ok(lsn_fixture_send(a, &f));
	assert_ok(lsn_fixture_recv_kind(a, LIAISON__V1__FRAME__KIND_ERROR,
	    T_MS, &r));
	liaison__v1__frame__free_unpacked(r, NULL);
	liaison__v1__deliver_ack__init(&da);
	da.has_seq = 1;
	da.seq = UINT64_MAX;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_DELIVER_ACK;
	f.deliver_ack = &da;
	assert_ok(lsn_fixture_send(a, &f));
	liaison__v1__dir_sync__init(&ds);
	ds.has_after_rev = 1;
	ds.after_rev = UINT64_MAX;
	ds.has_max_entries = 1;
	ds.max_entries = UINT32_MAX;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SYNC;
	f.dir_sync = &ds;
	assert_ok(lsn_fixture_send(a, &f));
	assert_ok(lsn_fixture_recv_kind(a, LIAISON__V1__FRAME__KIND_DIR_OPS,
	    T_MS, &r));
	assert_int_equal(r->dir_ops->n_entries, 0);
	liaison__v1__frame__free_unpacked(r, NULL);
	liaison__v1__signed_dir_op__init(&sop);
	sop.has_op = 1;
	sop.op.data = buf;
	sop.op.len = 100;
	liaison__v1__dir_submit__init(&sub);
	sub.op = &sop;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
	f.dir_submit = &sub;
	assert_ok(lsn_fixture_send(a, &f));
	assert_ok(lsn_fixture_recv_kind(a,
	    LIAISON__V1__FRAME__KIND_DIR_SUBMIT_ACK, T_MS, &r));
	assert_int_not_equal(r->dir_submit_ack->code, 0);
	liaison__v1__frame__free_unpacked(r, NULL);
	/* a frame kind only the broker sends */
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_WELCOME;
	{
		Liaison__V1__Welcome	w;

		liaison__v1__welcome__init(&w);
		f.welcome = &w;
		assert_ok(lsn_fixture_send(a, &f));
	}
	/* still alive and answering */
	{
		Liaison__V1__Ping	p;

		liaison__v1__ping__init(&p);
		p.has_nonce = 1;
		p.nonce = 7;
		liaison__v1__frame__init(&f);
		f.kind_case = LIAISON__V1__FRAME__KIND_PING;
		f.ping = &p;
		assert_ok(lsn_fixture_send(a, &f));
	}
	assert_ok(lsn_fixture_recv_kind(a, LIAISON__V1__FRAME__KIND_PONG,
	    T_MS, &r));
	assert_int_equal(r->pong->nonce, 7);
	liaison__v1__frame__free_unpacked(r, NULL);
	assert_true(lsn_proc_alive(t->pid));
}

static void
test_broker_ping_pong(void **state)
{
	struct bt		*t = *state;
	Liaison__V1__Frame	 f, *r = NULL;
	Liaison__V1__Ping	 p;
	void			*a = client(t, 0, NULL);

	liaison__v1__ping__init(&p);
	p.has_nonce = 1;
	p.nonce = 424242;
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_PING;
	f.ping = &p;
	assert_ok(lsn_fixture_send(a, &f));
	assert_ok(lsn_fixture_recv_kind(a, LIAISON__V1__FRAME__KIND_PONG,
	    T_MS, &r));
	assert_int_equal(r->pong->nonce, 424242);
	liaison__v1__frame__free_unpacked(r, NULL);
}

static void
test_broker_audit_verify_cli(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	char			*cli = lsn_proc_bin(LSN_BIN_CLI), *out = NULL;
	char			 cmd[1024];
	void			*a = client(t, 0, NULL);
	char			*argv[] = { cli, (char *) "audit",
				    (char *) "verify", (char *) "--db",
				    t->fx->broker_db, NULL };

	for (int i = 0; i < 5; i++)
		assert_int_equal(pub(t, a, 0, &m, NULL), LSN_OK);
	assert_int_equal(lsn_proc_stop(t->pid), 0);
	assert_int_equal(lsn_proc_run(cli, argv, &out, NULL, 30000), 0);
	assert_non_null(strstr(out, "audit chain OK"));
	free(out);
	/* Alter one byte of entry 3's detail. */
	snprintf(cmd, sizeof(cmd), "python3 -c \"import sqlite3; "
	    "c = sqlite3.connect('%s'); c.execute(\\\"UPDATE audit SET "
	    "detail = 'X' || substr(detail, 2) WHERE id = 3\\\"); "
	    "c.commit()\"", t->fx->broker_db);
	assert_int_equal(system(cmd), 0);
	out = NULL;
	assert_int_equal(lsn_proc_run(cli, argv, &out, NULL, 30000), 1);
	assert_non_null(strstr(out, "BROKEN at id 3"));
	free(out);
	free(cli);
}

static void
test_broker_check_config_and_reload(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	char			*bin = lsn_proc_bin(LSN_BIN_BROKER);
	char			*out = NULL;
	char			*argv[] = { bin, (char *) "-n", (char *) "-c",
				    t->fx->broker_conf, NULL };
	void			*a = client(t, 0, NULL);

	assert_int_equal(lsn_proc_run(bin, argv, &out, NULL, 10000), 0);
	assert_non_null(strstr(out, "configuration OK"));
	free(out);
	/* A bad file: -n fails; SIGHUP keeps the running configuration. */
	assert_ok(lsn_fixture_write_broker_conf(t->fx, NULL,
	    "no_such_option = 1\n"));
	out = NULL;
	assert_int_equal(lsn_proc_run(bin, argv, &out, NULL, 10000), 1);
	free(out);
	assert_int_equal(lsn_proc_signal(t->pid, SIGHUP), 0);
	assert_int_equal(pub(t, a, 0, &m, NULL), LSN_OK);
	/* A good one with a small quota takes effect on SIGHUP. */
	assert_ok(lsn_fixture_write_broker_conf(t->fx, NULL,
	    "queue_quota = 2\nmax_msg_bytes = 65536\n"));

	assert_int_equal(lsn_proc_signal(t->pid, SIGHUP), 0);
	lsn_proc_sleep_ms(300);
	assert_int_equal(pub(t, a, 0, &m, NULL), LSN_OK);
	assert_int_equal(pub(t, a, 0, &m, NULL), LSN_EQUOTA);
	assert_true(lsn_proc_alive(t->pid));
	free(bin);
}

static void
test_broker_starts_with_extreme_limits(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	void			*a;

	assert_int_equal(lsn_proc_stop(t->pid), 0);
	assert_ok(lsn_fixture_write_broker_conf(t->fx, NULL,
	    "heartbeat_ms = 1h\nhwm = 100\ninflight_max = 1\n"
	    "dir_batch_max = 4096\nmax_msg_bytes = 1024\n"));
	assert_ok(lsn_fixture_start_broker(t->fx, 0, &t->pid, t->ep,
	    sizeof(t->ep)));
	a = client(t, 0, NULL);
	assert_int_equal(pub(t, a, 0, &m, NULL), LSN_OK);
}

static void
test_broker_control_socket_reports_status(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	char			 extra[LSN_FX_PATH_MAX + 64], buf[4096];
	json_t			*js;
	json_error_t		 jerr;
	void			*a, *req;
	int			 n, tmo = T_MS, zero = 0;

	assert_int_equal(lsn_proc_stop(t->pid), 0);
	snprintf(extra, sizeof(extra), "control = ipc://%s/control.sock\n",
	    t->fx->broker_dir);
	assert_ok(lsn_fixture_write_broker_conf(t->fx, NULL, extra));
	assert_ok(lsn_fixture_start_broker(t->fx, 0, &t->pid, t->ep,
	    sizeof(t->ep)));
	a = client(t, 0, NULL);
	assert_ok(lsn_fixture_hello(a, 0, T_MS, NULL));
	assert_int_equal(pub(t, a, 0, &m, NULL), LSN_OK);

	req = zmq_socket(t->ctx, ZMQ_REQ);
	assert_non_null(req);
	t->socks[NSOCK - 1] = req;
	assert_int_equal(zmq_setsockopt(req, ZMQ_RCVTIMEO, &tmo,
	    sizeof(tmo)), 0);
	assert_int_equal(zmq_setsockopt(req, ZMQ_LINGER, &zero,
	    sizeof(zero)), 0);
	snprintf(extra, sizeof(extra), "ipc://%s/control.sock",
	    t->fx->broker_dir);
	assert_int_equal(zmq_connect(req, extra), 0);
	assert_int_equal(zmq_send(req, "status", 6, 0), 6);
	n = zmq_recv(req, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0 && n < (int) sizeof(buf));
	buf[n] = '\0';
	js = json_loads(buf, 0, &jerr);
	assert_non_null(js);
	assert_int_equal(json_integer_value(json_object_get(js, "accepted")),
	    1);
	assert_int_equal(json_array_size(json_object_get(js, "sessions")), 1);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(js, "sessions"), 0)), "p01");
	assert_true(json_integer_value(json_object_get(js, "dir_rev")) > 0);
	assert_int_equal(json_integer_value(json_object_get(js, "queued")), 1);
	json_decref(js);
}

static void
test_broker_expiry_audited(void **state)
{
	struct bt		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	uint64_t		 now = lsn_now_ms();
	void			*a = client(t, 0, NULL), *b;
	int			 tries = 0;

	m.created_ms = now;
	/* 2 s: room for the publish on a loaded sanitizer build */
	m.expires_ms = now + 2000;
	assert_int_equal(pub(t, a, 0, &m, NULL), LSN_OK);
	/* The expiry timer (100 ms) removes it with an audit entry. */
	while (db_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'expired'") < 1 && tries++ < 300)
		lsn_proc_sleep_ms(50);
	assert_true(db_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'expired'") >= 1);
	b = client(t, 1, NULL);
	assert_ok(lsn_fixture_hello(b, 0, T_MS, NULL));
	expect_nothing(b, LIAISON__V1__FRAME__KIND_DELIVER, 300);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_broker_unknown_curve_key_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_publish_and_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_offline_receiver_gets_all_in_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_broker_group_fanout,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_broker_ingress_refusals,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_burst_answered_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_same_bytes_twice_stored_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broker_suspension,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_revoked_transport_key_refused_per_frame, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_directory_submit_sync_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broker_ping_pong,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_broker_survives_garbage,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_broker_audit_verify_cli,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_check_config_and_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broker_expiry_audited,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_starts_with_extreme_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broker_control_socket_reports_status, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
