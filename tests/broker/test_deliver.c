/* test_deliver.c -- sessions, queue sequence numbers, Hello cursors,
 * DeliverAck (incl. quarantine), expiry and the ZAP decision, without
 * sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/audit.h"
#include "btest.h"

static int
setup(void **state)
{
	return (btest_setup(state, "skew_ms = 60s\n"));
}

static int
teardown(void **state)
{
	return (btest_teardown(state));
}

static void
test_queue_seq_per_recipient(void **state)
{
	struct btest	*t = *state;
	uint8_t		 id[16] = { 1 };
	uint64_t	 seq = 0, n = 0, acked = 9;

	assert_ok(broker_tx(&t->b));
	for (uint64_t i = 1; i <= 3; i++) {
		id[1] = (uint8_t) i;
		assert_ok(queue_add(&t->b, "p02", id, 0, &seq));
		assert_int_equal(seq, i);
	}
	assert_ok(queue_add(&t->b, "p03", id, 0, &seq));
	assert_int_equal(seq, 1);
	assert_ok(queue_count(&t->b, "p02", &n));
	assert_int_equal(n, 3);
	assert_ok(queue_acked_seq(&t->b, "p02", &acked));
	assert_int_equal(acked, 0);
	assert_ok(broker_tx_end(&t->b));
	/* Unknown recipient: nothing acked, nothing queued. */
	assert_ok(queue_acked_seq(&t->b, "p04", &acked));
	assert_int_equal(acked, 0);
}

static void
test_hello_cursor_acks_and_clamps(void **state)
{
	struct btest		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct ingress_result	 r;
	struct session		*ss;
	uint64_t		 acked = 99, n = 0;

	for (int i = 0; i < 4; i++) {
		assert_int_equal(btest_publish(t, 0, "p01", &m, NULL, &r),
		    LSN_OK);
		ingress_result_free(&r);
	}
	assert_ok(broker_tx_end(&t->b));
	/* The agent stored 1..2: they are acknowledged. */
	assert_ok(session_hello(&t->b, "p02", (const uint8_t *) "r1", 2, 2,
	    &acked));
	assert_int_equal(acked, 2);
	ss = session_find(&t->b, "p02");
	assert_non_null(ss);
	assert_int_equal(ss->sent_upto, 2);
	assert_true(ss->pump);
	assert_ok(broker_tx_end(&t->b));
	assert_ok(queue_count(&t->b, "p02", &n));
	assert_int_equal(n, 2);
	/* A cursor beyond what was assigned is clamped; a newer Hello
	 * replaces the routing id. */
	assert_ok(session_hello(&t->b, "p02", (const uint8_t *) "r2", 2, 100,
	    &acked));
	assert_int_equal(acked, 4);
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(t->b.nsess, 1);
	assert_memory_equal(session_find(&t->b, "p02")->rid, "r2", 2);
	assert_int_equal(btest_count(t, "SELECT acked_seq FROM recipients "
	    "WHERE partner = 'p02'"), 4);
	/* an older cursor (a restored agent) never lowers acked_seq */
	assert_ok(session_hello(&t->b, "p02", (const uint8_t *) "r3", 2, 1,
	    &acked));
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(btest_count(t, "SELECT acked_seq FROM recipients "
	    "WHERE partner = 'p02'"), 4);
	session_drop(&t->b, "p02");
	assert_null(session_find(&t->b, "p02"));
}

static void
test_pump_keeps_inflight_bounded(void **state)
{
	struct btest		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct ingress_result	 r;
	Liaison__V1__DeliverAck	 a;
	struct session		*ss;
	uint64_t		 acked = 0;

	t->b.conf.inflight_max = 2;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(btest_publish(t, 0, "p01", &m, NULL, &r),
		    LSN_OK);
		ingress_result_free(&r);
	}
	assert_ok(broker_tx_end(&t->b));
	assert_ok(session_hello(&t->b, "p02", (const uint8_t *) "r", 1, 0,
	    &acked));
	deliver_pump(&t->b);
	ss = session_find(&t->b, "p02");
	assert_non_null(ss);
	assert_int_equal(ss->sent_upto, 2);
	assert_int_equal(ss->inflight, 2);
	deliver_pump(&t->b);
	assert_int_equal(ss->sent_upto, 2);
	/* one ack makes room for one more */
	liaison__v1__deliver_ack__init(&a);
	a.has_seq = 1;
	a.seq = 1;
	assert_ok(deliver_ack(&t->b, "p02", NULL, 0, &a));
	assert_ok(broker_tx_end(&t->b));
	deliver_pump(&t->b);
	assert_int_equal(ss->sent_upto, 3);
	assert_int_equal(ss->inflight, 2);
	/* a new Hello resends everything unacked from its cursor */
	assert_ok(session_hello(&t->b, "p02", (const uint8_t *) "s", 1, 1,
	    &acked));
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(acked, 1);
	deliver_pump(&t->b);
	assert_int_equal(ss->sent_upto, 3);
	assert_int_equal(ss->inflight, 2);
}

static void
test_deliver_ack_removes_and_quarantine_is_audited(void **state)
{
	struct btest		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct ingress_result	 r;
	Liaison__V1__DeliverAck	 a;
	uint64_t		 acked = 0, n = 0;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(btest_publish(t, 0, "p01", &m, NULL, &r),
		    LSN_OK);
		ingress_result_free(&r);
	}
	assert_ok(broker_tx_end(&t->b));
	liaison__v1__deliver_ack__init(&a);
	a.has_seq = 1;
	a.seq = 1;
	assert_ok(deliver_ack(&t->b, "p02", NULL, 0, &a));
	/* seq 3 refused by the agent: quarantined, removed, audited */
	a.seq = 3;
	a.has_code = 1;
	a.code = LIAISON__V1__ERROR_CODE__E_BADSIG;
	assert_ok(deliver_ack(&t->b, "p02", NULL, 0, &a));
	/* an unknown seq is harmless */
	a.seq = 77;
	a.has_code = 0;
	assert_ok(deliver_ack(&t->b, "p02", NULL, 0, &a));
	a.has_seq = 0;
	assert_err(deliver_ack(&t->b, "p02", NULL, 0, &a), LSN_EINVAL);
	assert_ok(broker_tx_end(&t->b));
	assert_ok(queue_count(&t->b, "p02", &n));
	assert_int_equal(n, 1);
	assert_ok(queue_acked_seq(&t->b, "p02", &acked));
	assert_int_equal(acked, 1);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'quarantined' AND detail LIKE '%LSN_EBADSIG%'"), 1);
	/* the quota counter follows the rows */
	assert_int_equal(btest_count(t, "SELECT queued FROM recipients "
	    "WHERE partner = 'p02'"), 1);
}

static void
test_expiry_removes_with_audit_entry(void **state)
{
	struct btest		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02", "p03" } };
	struct lsn_fixture_msg	 keep = { .to = { "p02" } };
	struct ingress_result	 r;
	size_t			 n = 9;
	uint64_t		 cnt = 0;

	m.created_ms = t->now;
	m.expires_ms = t->now + 1000;
	assert_int_equal(btest_publish(t, 0, "p01", &m, NULL, &r), LSN_OK);
	ingress_result_free(&r);
	assert_int_equal(btest_publish(t, 0, "p01", &keep, NULL, &r), LSN_OK);
	ingress_result_free(&r);
	assert_ok(broker_tx_end(&t->b));
	assert_ok(deliver_expire(&t->b, t->now, &n));
	assert_int_equal(n, 0);
	/* p03 has it in flight: expiry frees the slot */
	{
		uint64_t	 acked = 0;
		struct session	*ss;

		assert_ok(session_hello(&t->b, "p03", (const uint8_t *) "r",
		    1, 0, &acked));
		deliver_pump(&t->b);
		ss = session_find(&t->b, "p03");
		assert_int_equal(ss->inflight, 1);
	}
	t->now += 1000;
	assert_ok(deliver_expire(&t->b, t->now, &n));
	assert_int_equal(n, 2);
	assert_ok(broker_tx_end(&t->b));
	assert_ok(queue_count(&t->b, "p02", &cnt));
	assert_int_equal(cnt, 1);
	assert_ok(queue_count(&t->b, "p03", &cnt));
	assert_int_equal(cnt, 0);
	assert_int_equal(session_find(&t->b, "p03")->inflight, 0);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'expired'"), 2);
}

/*
 * The delivery role of the trust gate: a message that expired while its
 * recipient was offline, before the periodic expiry job ran, is not sent
 * on the recipient's Hello; it is dropped with an audit row. A message
 * still valid behind it is sent.
 */
static void
test_pump_gate_drops_expired_before_expiry_job(void **state)
{
	struct btest		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct lsn_fixture_msg	 keep = { .to = { "p02" } };
	struct ingress_result	 r;
	struct session		*ss;
	uint64_t		 acked = 0, cnt = 9;

	m.created_ms = t->now;
	m.expires_ms = t->now + 1000;
	assert_int_equal(btest_publish(t, 0, "p01", &m, NULL, &r), LSN_OK);
	ingress_result_free(&r);
	assert_int_equal(btest_publish(t, 0, "p01", &keep, NULL, &r), LSN_OK);
	ingress_result_free(&r);
	assert_ok(broker_tx_end(&t->b));
	/* expired now; deliver_expire has not run */
	t->now += 2000;
	assert_ok(session_hello(&t->b, "p02", (const uint8_t *) "r", 1, 0,
	    &acked));
	assert_ok(broker_tx_end(&t->b));
	deliver_pump(&t->b);
	ss = session_find(&t->b, "p02");
	assert_non_null(ss);
	/* only seq 2 went out */
	assert_int_equal(ss->inflight, 1);
	assert_int_equal(ss->sent_upto, 2);
	assert_false(t->b.tx);	/* the drop is committed by the pump */
	assert_ok(queue_count(&t->b, "p02", &cnt));
	assert_int_equal(cnt, 1);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM queue WHERE "
	    "recipient = 'p02' AND seq = 1"), 0);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'expired' AND detail LIKE '%not-expired%'"), 1);
}

static void
test_prune_drops_delivered_bytes_keeps_ledger(void **state)
{
	struct btest		*t = *state;
	struct lsn_fixture_msg	 m = { .to = { "p02" } };
	struct lsn_fixture_msg	 m3 = { .to = { "p03" } };
	struct ingress_result	 r;
	Liaison__V1__DeliverAck	 a;
	uint8_t			*env = NULL;
	size_t			 len = 0, n = 9;

	assert_ok(lsn_fixture_envelope(t->fx, 0, &m, NULL, &env, &len));
	assert_int_equal(ingress_publish(&t->b, "p01", env, len, &r), LSN_OK);
	ingress_result_free(&r);
	assert_int_equal(btest_publish(t, 0, "p01", &m3, NULL, &r), LSN_OK);
	ingress_result_free(&r);
	assert_ok(broker_tx_end(&t->b));
	liaison__v1__deliver_ack__init(&a);
	a.has_seq = 1;
	a.seq = 1;
	assert_ok(deliver_ack(&t->b, "p02", NULL, 0, &a));
	assert_ok(broker_tx_end(&t->b));
	/* too recent */
	assert_ok(deliver_prune(&t->b, t->now, &n));
	assert_int_equal(n, 0);
	assert_ok(broker_tx_end(&t->b));
	/* later: the delivered one loses its bytes, the queued one not */
	t->now += (uint64_t) t->b.conf.retain_ms + 1000;
	assert_ok(deliver_prune(&t->b, t->now, &n));
	assert_int_equal(n, 1);
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM messages "
	    "WHERE length(signed) = 0"), 1);
	/* the ledger still answers a retry as a duplicate */
	assert_int_equal(ingress_publish(&t->b, "p01", env, len, &r), LSN_OK);
	assert_true(r.duplicate);
	ingress_result_free(&r);
	assert_ok(broker_tx_end(&t->b));
	free(env);
}

static void
test_zap_accepts_only_active_partners_current_key(void **state)
{
	struct btest		*t = *state;
	struct lsn_keypair	*kp = NULL;
	char			 status[4], text[64], user[LSN_DIR_ID_MAX + 1];
	uint8_t			*op = NULL;
	size_t			 len = 0;
	char			 why[LSN_DIR_WHY_MAX];

	assert_ok(limits_open(&t->b));
	assert_ok(zap_decide(&t->b, "CURVE", t->fx->partners[2].transport->pk,
	    32, "127.0.0.1", status, text, sizeof(text), user));
	assert_string_equal(status, "200");
	assert_string_equal(user, "p03");
	/* a sign key is not a transport key; unknown keys; NULL mech */
	assert_int_not_equal(zap_decide(&t->b, "CURVE",
	    t->fx->partners[2].sign->pk, 32, "127.0.0.1", status, text,
	    sizeof(text), user), LSN_OK);
	assert_string_equal(status, "400");
	assert_string_equal(user, "");
	assert_ok(lsn_keypair_generate(LSN_KEY_TRANSPORT, "x1", &kp));
	for (int i = 0; i < 5; i++)
		assert_int_not_equal(zap_decide(&t->b, "CURVE", kp->pk, 32,
		    "127.0.0.1", status, text, sizeof(text), user), LSN_OK);
	lsn_keypair_destroy(&kp);
	assert_int_not_equal(zap_decide(&t->b, "PLAIN", NULL, 0, "127.0.0.1",
	    status, text, sizeof(text), user), LSN_OK);
	/* suspended partner: refused */
	assert_ok(lsn_fixture_op_set_status(t->fx, "p03",
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, 1, 2, &op, &len));
	assert_ok(lsn_dir_submit(t->b.dir, op, len, lsn_now_ms(), NULL, why,
	    sizeof(why)));
	free(op);
	assert_err(zap_decide(&t->b, "CURVE",
	    t->fx->partners[2].transport->pk, 32, "127.0.0.1", status, text,
	    sizeof(text), user), LSN_ESUSPENDED);
	assert_ok(broker_tx_end(&t->b));
	/* nothing audited per refusal: one row per peer per interval */
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'authfail'"), 0);
	limits_tick(&t->b, 1);
	assert_ok(broker_tx_end(&t->b));
	/* 4 peers (sign key, x1 five times, PLAIN address, p03) */
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'authfail'"), 4);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM audit WHERE "
	    "kind = 'authfail' AND detail LIKE '%handshakes=5 %'"), 1);
	limits_close(&t->b);
}

static void
test_wire_publish_envelope_and_dirops_encoding(void **state)
{
	struct btest		*t = *state;
	const uint8_t		*env;
	size_t			 envlen, len;
	uint8_t			 good[] = { 0x1a, 4, 0x0a, 2, 0xaa, 0xbb };
	uint8_t			 two[] = { 0x1a, 0x02, 0x0a, 0x00, 0x1a, 0x00 };
	uint8_t			 trunc[] = { 0x1a, 0x05, 0x0a, 0x02, 0xaa };
	uint8_t			*buf = NULL;
	const uint8_t		*cp;
	size_t			 cplen;
	Liaison__V1__Frame	*f;

	assert_true(wire_publish_envelope(good, sizeof(good), &env, &envlen));
	assert_int_equal(envlen, 2);
	assert_int_equal(env[0], 0xaa);
	assert_false(wire_publish_envelope(two, sizeof(two), &env, &envlen));
	assert_false(wire_publish_envelope(trunc, sizeof(trunc), &env,
	    &envlen));
	/* DirOps with revs 2..4 and the head checkpoint parse as a Frame */
	assert_ok(dirsvc_checkpoint(&t->b, &cp, &cplen));
	assert_ok(dirsvc_encode(&t->b, 2, 4, cp, cplen, 1, &buf, &len));
	f = liaison__v1__frame__unpack(NULL, len, buf);
	assert_non_null(f);
	assert_int_equal(f->kind_case, LIAISON__V1__FRAME__KIND_DIR_OPS);
	assert_int_equal(f->dir_ops->n_entries, 3);
	assert_int_equal(f->dir_ops->entries[0]->rev, 2);
	assert_true(f->dir_ops->live);
	assert_false(f->dir_ops->more);
	assert_non_null(f->dir_ops->checkpoint);
	liaison__v1__frame__free_unpacked(f, NULL);
	free(buf);
}

/* Marking a recipient set reaches exactly the sessions in it, whether
 * the set is small (per-id lookups) or large (one pass with bsearch). */
static void
test_deliver_mark_set_marks_exactly_the_set(void **state)
{
	struct btest	*t = *state;
	char		*few[] = { "p03" };
	char		*many[] = { "p01", "p03", "zz-1", "zz-2", "zz-3" };
	const char	*ids[] = { "p01", "p02", "p03", "p04", "q05", "q06",
			    "q07", "q08", "q09", "q10" };
	uint64_t	 acked;

	for (size_t i = 0; i < 10; i++)
		assert_ok(session_hello(&t->b, ids[i], (const uint8_t *) "r",
		    1, 0, &acked));
	assert_ok(broker_tx_end(&t->b));
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < t->b.nsess; i++)
			t->b.sess[i].pump = 0;
		if (round == 0)
			deliver_mark_set(&t->b, many, 5);
		else
			deliver_mark_set(&t->b, few, 1);
		for (size_t i = 0; i < 10; i++) {
			struct session	*ss = session_find(&t->b, ids[i]);
			int		 want = round == 0 ? (i == 0 || i == 2) :
					    i == 2;

			assert_non_null(ss);
			assert_int_equal(ss->pump, want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_deliver_mark_set_marks_exactly_the_set, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_seq_per_recipient,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hello_cursor_acks_and_clamps, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pump_keeps_inflight_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_deliver_ack_removes_and_quarantine_is_audited, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_expiry_removes_with_audit_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pump_gate_drops_expired_before_expiry_job, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_prune_drops_delivered_bytes_keeps_ledger, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_zap_accepts_only_active_partners_current_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_wire_publish_envelope_and_dirops_encoding, setup,
		    teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
