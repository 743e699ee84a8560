/*
 * test_revoked_session.c -- an open session whose transport key stops
 * being valid (the key revoked in the directory, or the partner revoked)
 * gets no further deliveries from the moment the directory op commits,
 * is told why once, and the agent shows the refusal, refuses its own
 * submits and backs off instead of reconnecting at the normal rate.
 *
 * The agent under test talks to the broker through a TCP proxy, which
 * counts its connection attempts; an admin op is submitted over the wire
 * by another member's raw connection, messages to the victim are
 * published by a third member's raw connection.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/client.h"
#include "liaison/util.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"
#include "tcpproxy.h"

#define T_MS	10000

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	char			 ep[256];
	struct tcpproxy		*px;
	void			*zctx;
	void			*pub;	/* partner 1, raw */
	void			*adm;	/* partner 2, raw (submits ops) */
};

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	const char		*c;
	char			 pep[128];

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 3;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	assert_non_null(c = strrchr(e->ep, ':'));
	assert_int_equal(tcpproxy_start(atoi(c + 1), &e->px), 0);
	snprintf(pep, sizeof(pep), "tcp://127.0.0.1:%d",
	    tcpproxy_port(e->px));
	assert_true(agent_it_start(e->fx, 0, pep, NULL) > 0);
	assert_ok(agent_it_wait_connected(e->fx, 0, 1, 15000));
	assert_non_null(e->zctx = zmq_ctx_new());
	assert_ok(lsn_fixture_dealer(e->fx, e->zctx, 1, NULL, e->ep, &e->pub));
	assert_ok(lsn_fixture_hello(e->pub, 0, T_MS, NULL));
	assert_ok(lsn_fixture_dealer(e->fx, e->zctx, 2, NULL, e->ep, &e->adm));
	assert_ok(lsn_fixture_hello(e->adm, 0, T_MS, NULL));
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	lsn_proc_kill_all();
	if (e != NULL) {
		if (e->pub != NULL)
			zmq_close(e->pub);
		if (e->adm != NULL)
			zmq_close(e->adm);
		if (e->zctx != NULL)
			zmq_ctx_term(e->zctx);
		tcpproxy_stop(&e->px);
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (0);
}

/* Submits a signed op over partner 2's raw connection; its code. */
static int
submit_op(struct env *e, const uint8_t *sop, size_t len)
{
	Liaison__V1__Frame	 f, *a = NULL;
	Liaison__V1__DirSubmit	 ds;
	int			 code;

	liaison__v1__dir_submit__init(&ds);
	assert_non_null(ds.op = liaison__v1__signed_dir_op__unpack(NULL, len,
	    sop));
	liaison__v1__frame__init(&f);
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
	f.dir_submit = &ds;
	assert_ok(lsn_fixture_send(e->adm, &f));
	liaison__v1__signed_dir_op__free_unpacked(ds.op, NULL);
	assert_ok(lsn_fixture_recv_kind(e->adm,
	    LIAISON__V1__FRAME__KIND_DIR_SUBMIT_ACK, T_MS, &a));
	code = lsn_err_from_wire((int) a->dir_submit_ack->code);
	liaison__v1__frame__free_unpacked(a, NULL);
	return (code);
}

/* Publishes a note from partner 1 to partner 0; the PublishAck code. */
static int
publish_to_victim(struct env *e, const char *text)
{
	struct lsn_fixture_msg	 m = { 0 };
	uint8_t			*env = NULL;
	size_t			 len = 0;
	int			 code = LSN_EINTERNAL;

	m.to[0] = e->fx->partners[0].id;
	m.text = text;
	assert_ok(lsn_fixture_envelope(e->fx, 1, &m, NULL, &env, &len));
	assert_ok(lsn_fixture_publish(e->pub, env, len, T_MS, &code));
	free(env);
	return (code);
}

/* Waits until `liaison status` of agent 0 prints want. */
static void
wait_status_text(struct env *e, const char *want)
{
	char	*out = NULL;
	int	 found = 0;

	for (int i = 0; i < 150 && !found; i++) {
		free(out);
		out = NULL;
		(void) agent_it_cli(e->fx, 0, &out, "status", NULL);
		found = out != NULL && strstr(out, want) != NULL;
		if (!found)
			lsn_proc_sleep_ms(100);
	}
	if (!found)
		fail_msg("status never showed \"%s\"; last:\n%s", want,
		    out != NULL ? out : "(none)");
	free(out);
}

/*
 * The common part: the op committed, then a message published to the
 * victim must not reach it; the status shows `reason`; a submit ends
 * refused with `code`; reconnects are few.
 */
static void
check_cut_off(struct env *e, const char *reason, int code, int still_rcpt)
{
	uint64_t	inbox = 0, q = 0, t0;
	uint8_t		id[16];
	int		st = 0, c = 0;
	size_t		nconn;

	if (still_rcpt)
		assert_ok(publish_to_victim(e, "after the op"));
	else
		assert_err(publish_to_victim(e, "after the op"),
		    LSN_EUNKNOWNRCPT);
	wait_status_text(e, reason);
	/* nothing more arrives, also not later */
	lsn_proc_sleep_ms(1500);
	assert_ok(agent_it_counts(e->fx, 0, &inbox, &q));
	assert_int_equal(inbox, 1);
	/* its own submits end refused with the reason's code */
	assert_int_equal(agent_it_send(e->fx, 0, e->fx->partners[1].id, NULL,
	    "synthetic note from a cut-off agency", id), LSN_OK);
	assert_ok(agent_it_wait_outbox(e->fx, 0, id, T_MS, &st, &c));
	assert_int_equal(st, LIAISON__V1__OUTBOX_STATE__OUTBOX_REJECTED);
	assert_int_equal(c, code);
	/* reconnect attempts back off: with reconnect_max_ms = 400 the
	 * normal rate would give 10 or more in 5 s */
	t0 = lsn_mono_ms();
	lsn_proc_sleep_ms(5000);
	nconn = tcpproxy_events(e->px, TCPPROXY_EV_ACCEPT, t0, NULL, 0);
	if (nconn > 5)
		fail_msg("%zu connection attempts in 5 s: no backoff", nconn);
	assert_ok(agent_it_counts(e->fx, 0, &inbox, &q));
	assert_int_equal(inbox, 1);
}

static void
test_revoked_transport_key_gets_no_deliveries(void **state)
{
	struct env			*e = *state;
	struct lsn_fixture_partner	*v = &e->fx->partners[0];
	Liaison__V1__DirOp		 op;
	Liaison__V1__RevokeKey		 rk;
	uint8_t				*sop = NULL;
	size_t				 len = 0;
	uint64_t			 ver = 0;

	assert_ok(publish_to_victim(e, "before the op"));
	assert_ok(agent_it_wait_inbox(e->fx, 0, 1, T_MS));
	/* the directory rotates the victim's transport key away */
	assert_ok(lsn_fixture_partner_version(e->fx, v->id, &ver));
	liaison__v1__revoke_key__init(&rk);
	rk.partner_id = v->id;
	rk.key_id = v->transport->key_id;
	rk.has_revoked_at_ms = 1;
	rk.revoked_at_ms = lsn_now_ms() - 1000;
	liaison__v1__dir_op__init(&op);
	op.has_expected_version = 1;
	op.expected_version = ver;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY;
	op.revoke_key = &rk;
	assert_ok(lsn_fixture_op_sign(e->fx, &op, 2, &sop, &len));
	assert_ok(submit_op(e, sop, len));
	free(sop);
	/* the partner stays ACTIVE: the broker accepts messages for it */
	check_cut_off(e, "refused: key rotated", LSN_EKEYREVOKED, 1);
}

static void
test_revoked_partner_gets_no_deliveries(void **state)
{
	struct env	*e = *state;
	uint8_t		*sop = NULL;
	size_t		 len = 0;
	uint64_t	 ver = 0;

	assert_ok(publish_to_victim(e, "before the op"));
	assert_ok(agent_it_wait_inbox(e->fx, 0, 1, T_MS));
	assert_ok(lsn_fixture_partner_version(e->fx, e->fx->partners[0].id,
	    &ver));
	assert_ok(lsn_fixture_op_set_status(e->fx, e->fx->partners[0].id,
	    LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED, ver, 2, &sop, &len));
	assert_ok(submit_op(e, sop, len));
	free(sop);
	check_cut_off(e, "refused: revoked", LSN_EPREVOKED, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_revoked_transport_key_gets_no_deliveries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_revoked_partner_gets_no_deliveries, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
