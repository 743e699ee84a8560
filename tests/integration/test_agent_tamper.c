/*
 * test_agent_tamper.c -- the test acts as the broker (a ROUTER with a CURVE
 * server key and its own ZAP handler in this process) and feeds a real
 * liaison-agent a directory sync stream with a flipped byte, a forged
 * signature, or a checkpoint that contradicts the log. The agent must
 * refuse, keep its last good state, halt the replica (also across a
 * restart) and show the alert in `liaison status --json`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zmq.h>

#include "directory.pb-c.h"
#include "wire.pb-c.h"

#include "liaison/client.h"
#include "liaison/dir.h"
#include "liaison/sig.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define TAMPER_REV	3

enum tamper {
	TAMPER_FLIP_BYTE,	/* a byte of signed_op flipped */
	TAMPER_FORGED_SIG,	/* signature changed, entry hash recomputed */
	TAMPER_CHECKPOINT,	/* genuine log, lying checkpoint */
};

struct fake {
	void			*ctx;
	void			*zap;
	void			*router;
	char			 ep[256];
	struct lsn_store	*st;
	struct lsn_dir		*dir;
	enum tamper		 how;
	int			 syncs;
};

struct env {
	struct lsn_fixture	*fx;
	struct fake		 fb;
	pid_t			 agent;
};


static void
fake_open(struct fake *fb, const struct lsn_fixture *fx)
{
	char	sk[LSN_Z85_KEYLEN + 1];
	int	one = 1, zero = 0;
	size_t	len = sizeof(fb->ep);

	assert_ok(lsn_store_open(fx->broker_db, lsn_dir_migrations, 0,
	    &fb->st));
	assert_ok(lsn_dir_open(fb->st, &fb->dir));
	assert_non_null(fb->ctx = zmq_ctx_new());
	assert_non_null(fb->zap = zmq_socket(fb->ctx, ZMQ_REP));
	assert_int_equal(zmq_bind(fb->zap, "inproc://zeromq.zap.01"), 0);
	assert_non_null(fb->router = zmq_socket(fb->ctx, ZMQ_ROUTER));
	assert_ok(lsn_key_z85(fx->broker_transport->sk, sk));
	assert_int_equal(zmq_setsockopt(fb->router, ZMQ_CURVE_SERVER, &one,
	    sizeof(one)), 0);
	assert_int_equal(zmq_setsockopt(fb->router, ZMQ_CURVE_SECRETKEY, sk,
	    LSN_Z85_KEYLEN), 0);
	assert_int_equal(zmq_setsockopt(fb->router, ZMQ_LINGER, &zero,
	    sizeof(zero)), 0);
	assert_int_equal(zmq_bind(fb->router, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(fb->router, ZMQ_LAST_ENDPOINT, fb->ep,
	    &len), 0);
}

static void
fake_close(struct fake *fb)
{
	if (fb->router != NULL)
		zmq_close(fb->router);
	if (fb->zap != NULL)
		zmq_close(fb->zap);
	if (fb->ctx != NULL)
		zmq_ctx_term(fb->ctx);
	lsn_dir_close(&fb->dir);
	lsn_store_close(&fb->st);
}

/* ZAP: accept every client, User-Id "p01". */
static void
zap_answer(struct fake *fb)
{
	zmq_msg_t	parts[8];
	int		n = 0, more = 1;

	while (more && n < 8) {
		zmq_msg_init(&parts[n]);
		if (zmq_msg_recv(&parts[n], fb->zap, 0) < 0)
			fail_msg("zap recv");
		more = zmq_msg_more(&parts[n]);
		n++;
	}
	assert_true(n >= 2);
	zmq_send(fb->zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(fb->zap, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]),
	    ZMQ_SNDMORE);
	zmq_send(fb->zap, "200", 3, ZMQ_SNDMORE);
	zmq_send(fb->zap, "OK", 2, ZMQ_SNDMORE);
	zmq_send(fb->zap, "p01", 3, ZMQ_SNDMORE);
	zmq_send(fb->zap, "", 0, 0);
	for (int i = 0; i < n; i++)
		zmq_msg_close(&parts[i]);
}

static void
send_frame(struct fake *fb, const void *rid, size_t ridlen,
    const Liaison__V1__Frame *f)
{
	size_t	 len = liaison__v1__frame__get_packed_size(f);
	uint8_t	*buf = malloc(len ? len : 1);

	assert_non_null(buf);
	liaison__v1__frame__pack(f, buf);
	assert_true(zmq_send(fb->router, rid, ridlen, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(fb->router, buf, len, 0) >= 0);
	free(buf);
}

struct collect {
	Liaison__V1__LogEntry	**v;
	size_t			  n;
};

static int
collect_entry(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct collect	*c = arg;

	(void) rev;
	c->v[c->n] = liaison__v1__log_entry__unpack(NULL, len, entry);
	if (c->v[c->n] == NULL)
		return (LSN_EPROTO);
	c->n++;
	return (0);
}

static void
entry_rehash(Liaison__V1__LogEntry *e)
{
	uint8_t	*buf, be[8];
	size_t	 n = 32 + 8 + e->signed_op.len;

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t) (e->rev >> (56 - 8 * i));
	assert_non_null(buf = malloc(n));
	memcpy(buf, e->prev_hash.data, 32);
	memcpy(buf + 32, be, 8);
	memcpy(buf + 40, e->signed_op.data, e->signed_op.len);
	lsn_hash(buf, n, e->entry_hash.data);
	free(buf);
}

static void
tamper_entry(struct fake *fb, Liaison__V1__LogEntry *e)
{
	Liaison__V1__SignedDirOp	*sop;
	size_t				 len;

	if (fb->how == TAMPER_FLIP_BYTE) {
		e->signed_op.data[e->signed_op.len / 2] ^= 0x01;
		return;
	}
	/* a forged signature on an otherwise intact, correctly chained op */
	assert_non_null(sop = liaison__v1__signed_dir_op__unpack(NULL,
	    e->signed_op.len, e->signed_op.data));
	assert_true(sop->n_signatures >= 1);
	sop->signatures[0]->signature.data[5] ^= 0x40;
	len = liaison__v1__signed_dir_op__get_packed_size(sop);
	free(e->signed_op.data);
	assert_non_null(e->signed_op.data = malloc(len));
	e->signed_op.len = liaison__v1__signed_dir_op__pack(sop,
	    e->signed_op.data);
	liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	entry_rehash(e);
}

static void
answer_sync(struct fake *fb, const void *rid, size_t ridlen,
    const Liaison__V1__DirSync *ds, const struct lsn_fixture *fx)
{
	Liaison__V1__Frame		 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__DirOps		 ops = LIAISON__V1__DIR_OPS__INIT;
	Liaison__V1__SignedCheckpoint	*scp = NULL;
	Liaison__V1__HeadCheckpoint	 hc = LIAISON__V1__HEAD_CHECKPOINT__INIT;
	Liaison__V1__SignedCheckpoint	 lie =
	    LIAISON__V1__SIGNED_CHECKPOINT__INIT;
	struct collect			 c;
	uint8_t				*cp = NULL, *hcb = NULL, sig[64];
	uint8_t				 head[32], digest[32];
	size_t				 cplen = 0, hclen;
	uint64_t			 rev;

	fb->syncs++;
	assert_non_null(c.v = calloc(1000, sizeof(*c.v)));
	c.n = 0;
	assert_ok(lsn_dir_entries_after(fb->dir, ds->after_rev, 1000,
	    collect_entry, &c));
	for (size_t i = 0; i < c.n; i++)
		if (c.v[i]->rev == TAMPER_REV && fb->how != TAMPER_CHECKPOINT)
			tamper_entry(fb, c.v[i]);
	ops.n_entries = c.n;
	ops.entries = c.v;
	ops.has_more = 1;
	ops.more = 0;
	if (fb->how == TAMPER_CHECKPOINT) {
		/* correctly signed by the sequencer, but a wrong digest */
		assert_ok(lsn_dir_head(fb->dir, &rev, head));
		lsn_random(digest, sizeof(digest));
		hc.has_rev = 1;
		hc.rev = rev;
		hc.has_entry_hash = 1;
		hc.entry_hash.data = head;
		hc.entry_hash.len = 32;
		hc.has_state_digest = 1;
		hc.state_digest.data = digest;
		hc.state_digest.len = 32;
		hc.has_time_ms = 1;
		hc.time_ms = lsn_now_ms();
		hclen = liaison__v1__head_checkpoint__get_packed_size(&hc);
		assert_non_null(hcb = malloc(hclen));
		liaison__v1__head_checkpoint__pack(&hc, hcb);
		assert_ok(lsn_sig_sign(LSN_SIG_CHECKPOINT, fx->seq, hcb, hclen,
		    sig));
		lie.has_checkpoint = 1;
		lie.checkpoint.data = hcb;
		lie.checkpoint.len = hclen;
		lie.key_id = fx->seq->key_id;
		lie.has_signature = 1;
		lie.signature.data = sig;
		lie.signature.len = 64;
		ops.checkpoint = &lie;
	} else {
		assert_ok(lsn_dir_checkpoint_make(fb->dir, fx->seq,
		    lsn_now_ms(), &cp, &cplen));
		assert_non_null(scp = liaison__v1__signed_checkpoint__unpack(
		    NULL, cplen, cp));
		ops.checkpoint = scp;
	}
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_OPS;
	f.dir_ops = &ops;
	send_frame(fb, rid, ridlen, &f);
	for (size_t i = 0; i < c.n; i++)
		liaison__v1__log_entry__free_unpacked(c.v[i], NULL);
	free(c.v);
	if (scp != NULL)
		liaison__v1__signed_checkpoint__free_unpacked(scp, NULL);
	free(cp);
	free(hcb);
}

static void
on_router(struct fake *fb, const struct lsn_fixture *fx)
{
	zmq_msg_t		 rid, body;
	Liaison__V1__Frame	*in, out = LIAISON__V1__FRAME__INIT;
	Liaison__V1__Welcome	 w = LIAISON__V1__WELCOME__INIT;
	Liaison__V1__Pong	 po = LIAISON__V1__PONG__INIT;

	zmq_msg_init(&rid);
	zmq_msg_init(&body);
	assert_true(zmq_msg_recv(&rid, fb->router, 0) >= 0);
	assert_true(zmq_msg_more(&rid));
	assert_true(zmq_msg_recv(&body, fb->router, 0) >= 0);
	in = liaison__v1__frame__unpack(NULL, zmq_msg_size(&body),
	    zmq_msg_data(&body));
	assert_non_null(in);
	switch (in->kind_case) {
	case LIAISON__V1__FRAME__KIND_HELLO:
		w.has_protocol_version = 1;
		w.protocol_version = 1;
		w.partner = lsn_proc_mut("p01");
		w.has_server_time_ms = 1;
		w.server_time_ms = lsn_now_ms();
		out.kind_case = LIAISON__V1__FRAME__KIND_WELCOME;
		out.welcome = &w;
		send_frame(fb, zmq_msg_data(&rid), zmq_msg_size(&rid), &out);
		break;
	case LIAISON__V1__FRAME__KIND_DIR_SYNC:
		answer_sync(fb, zmq_msg_data(&rid), zmq_msg_size(&rid),
		    in->dir_sync, fx);
		break;
	case LIAISON__V1__FRAME__KIND_PING:
		po.has_nonce = 1;
		po.nonce = in->ping->nonce;
		out.kind_case = LIAISON__V1__FRAME__KIND_PONG;
		out.pong = &po;
		send_frame(fb, zmq_msg_data(&rid), zmq_msg_size(&rid), &out);
		break;
	default:
		break;
	}
	liaison__v1__frame__free_unpacked(in, NULL);
	zmq_msg_close(&rid);
	zmq_msg_close(&body);
}

/* Serves the agent for about ms milliseconds. */
static void
fake_pump(struct fake *fb, const struct lsn_fixture *fx, int ms)
{
	uint64_t	deadline = lsn_mono_ms() + (uint64_t) ms, now;
	zmq_pollitem_t	it[2];

	while ((now = lsn_mono_ms()) < deadline) {
		it[0].socket = fb->zap;
		it[0].events = ZMQ_POLLIN;
		it[0].revents = 0;
		it[1].socket = fb->router;
		it[1].events = ZMQ_POLLIN;
		it[1].revents = 0;
		if (zmq_poll(it, 2, (long) (deadline - now)) <= 0)
			continue;
		if (it[0].revents & ZMQ_POLLIN)
			zap_answer(fb);
		if (it[1].revents & ZMQ_POLLIN)
			on_router(fb, fx);
	}
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 2;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	fake_open(&e->fb, e->fx);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		fake_close(&e->fb);
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

/* Runs the scenario; returns the agent's status --json (caller decrefs). */
static json_t *
run_until_alert(struct env *e)
{
	Liaison__V1__ApiResponse	*r = NULL;
	char				*out = NULL;
	json_t				*j;
	json_error_t			 jerr;
	size_t				 nalerts = 0;

	e->agent = agent_it_start(e->fx, 0, e->fb.ep, NULL);
	assert_true(e->agent > 0);
	for (int k = 0; k < 100 && nalerts == 0; k++) {
		fake_pump(&e->fb, e->fx, 100);
		assert_ok(agent_it_status(e->fx, 0, &r));
		nalerts = r->status != NULL ? r->status->n_alerts : 0;
		lsn_client_response_free(&r);
	}
	assert_true(nalerts > 0);
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "status", "--json",
	    NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	free(out);
	return (j);
}

static int
alerts_contain(json_t *j, const char *s)
{
	json_t	*al = json_object_get(j, "alerts");

	for (size_t i = 0; i < json_array_size(al); i++)
		if (strstr(json_string_value(json_array_get(al, i)), s))
			return (1);
	return (0);
}

static void
test_agent_tampered_sync_flipped_byte_halts_replica(void **state)
{
	struct env	*e = *state;
	json_t		*j;

	e->fb.how = TAMPER_FLIP_BYTE;
	j = run_until_alert(e);
	assert_true(alerts_contain(j, "halted"));
	assert_true(alerts_contain(j, "CHAIN"));
	/* the last good state: everything before the bad entry */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    j, "dir_head"), "rev")), TAMPER_REV - 1);
	json_decref(j);
}

static void
test_agent_forged_signature_refused_and_halt_survives_restart(void **state)
{
	struct env	*e = *state;
	json_t		*j;
	int		 syncs;

	e->fb.how = TAMPER_FORGED_SIG;
	j = run_until_alert(e);
	assert_true(alerts_contain(j, "halted"));
	assert_true(alerts_contain(j, "BADSIG"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    j, "dir_head"), "rev")), TAMPER_REV - 1);
	json_decref(j);

	/* restart: still halted, no further sync requested */
	assert_int_equal(lsn_proc_stop(e->agent), 0);
	syncs = e->fb.syncs;
	e->agent = agent_it_start(e->fx, 0, e->fb.ep, NULL);
	assert_true(e->agent > 0);
	fake_pump(&e->fb, e->fx, 800);
	assert_int_equal(e->fb.syncs, syncs);
	{
		char *out = NULL;
		json_error_t jerr;

		assert_int_equal(agent_it_cli(e->fx, 0, &out, "status",
		    "--json", NULL), 0);
		assert_non_null(j = json_loads(out, 0, &jerr));
		free(out);
	}
	assert_true(alerts_contain(j, "halted"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    j, "dir_head"), "rev")), TAMPER_REV - 1);
	json_decref(j);
}

static void
test_agent_lying_checkpoint_raises_fork_alert(void **state)
{
	struct env	*e = *state;
	json_t		*j;

	e->fb.how = TAMPER_CHECKPOINT;
	j = run_until_alert(e);
	assert_true(alerts_contain(j, "halted"));
	assert_true(alerts_contain(j, "FORK"));
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_tampered_sync_flipped_byte_halts_replica,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_forged_signature_refused_and_halt_survives_restart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_lying_checkpoint_raises_fork_alert,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
