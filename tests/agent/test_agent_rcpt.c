/*
 * test_agent_rcpt.c -- batched DELIVERED receipts, in-process without a
 * broker (agent/rcpt_batch.c, docs/protocol.md section 10): the messages
 * stored in one turn are receipted with one signed receipt per sender and
 * LSN_RECEIPT_BATCH_MAX messages (LSN_RECEIPT_BATCH_COMPAT with
 * envelope_batch = no); a batch receipt of N messages marks all
 * N delivered at the sender (custody shows each, verified); a batch that
 * names a message the agent did not send, or more messages than a batch
 * may name, is refused whole and nothing of it is kept. An UNDELIVERABLE
 * receipt for an alert or a P1 referral offer reaches its type's
 * on_receipt and escalates it on the next tick (agent/wf.c,
 * wf_escalate.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/receipt.h"
#include "liaison/sig.h"
#include "liaison/util.h"

#include "agent.h"
#include "agent_fixture.h"
#include "astore.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

static int
setup(void **state)
{
	return (agent_fx_setup(state, 3));
}

/* The signing key of partner `who` of the fixture, for receipts. */
static int
fx_lookup(void *arg, const char *signer, const char *key_id,
    uint8_t pk[LSN_PK_BYTES])
{
	struct agent_env	*e = arg;

	for (size_t i = 0; i < e->fx->npartners; i++)
		if (strcmp(e->fx->partners[i].id, signer) == 0 &&
		    strcmp(e->fx->partners[i].sign->key_id, key_id) == 0) {
			memcpy(pk, e->fx->partners[i].sign->pk, LSN_PK_BYTES);
			return (LSN_OK);
		}
	return (LSN_EUNKNOWNKEY);
}

/*
 * One turn stores n0 notes from p0 and n2 from p2; checks the receipts it
 * queued: `carriers` envelopes, each naming at most `max` messages in a
 * SignedReceipt of at most `bytes`, every message named once.
 */
static void
turn_receipts(struct agent_env *e, size_t n0, size_t n2, size_t max,
    size_t bytes, size_t carriers_want)
{
	struct lsn_fixture_msg	 m = { 0 };
	Liaison__V1__Deliver	 d = LIAISON__V1__DELIVER__INIT;
	sqlite3_stmt		*s;
	uint8_t			*buf = NULL;
	size_t			 len = 0, named[3] = { 0, 0, 0 };
	size_t			 carriers = 0;
	uint64_t		 seq = 0;

	m.to[0] = e->fx->partners[1].id;
	assert_ok(agent_tx_begin(e->a));
	for (size_t k = 0; k < n0 + n2; k++) {
		size_t	from = k < n0 ? 0 : 2;

		assert_ok(lsn_fixture_envelope(e->fx, from, &m, NULL, &buf,
		    &len));
		d.has_seq = 1;
		d.seq = ++seq;
		assert_non_null(d.envelope =
		    liaison__v1__signed_envelope__unpack(NULL, len, buf));
		assert_ok(inbox_on_deliver(e->a, &d));
		liaison__v1__signed_envelope__free_unpacked(d.envelope, NULL);
		free(buf);
	}
	assert_int_equal(e->a->nacks, n0 + n2);
	agent_tx_end(e->a);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM inbox"), n0 + n2);
	assert_ok(lsn_store_stmt(e->a->st, "SELECT signed FROM outbox_env", &s));
	while (sqlite3_step(s) == SQLITE_ROW) {
		Liaison__V1__SignedEnvelope	*se;
		Liaison__V1__Envelope		*env;
		Liaison__V1__Receipt		*r = NULL;

		assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL,
		    (size_t) sqlite3_column_bytes(s, 0),
		    sqlite3_column_blob(s, 0)));
		assert_non_null(env = liaison__v1__envelope__unpack(NULL,
		    se->envelope.len, se->envelope.data));
		assert_int_equal(env->type,
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT);
		assert_int_equal(env->n_to, 1);
		assert_true(env->body.len <= bytes);
		assert_ok(lsn_receipt_verify(env->body.data, env->body.len,
		    fx_lookup, e, &r));
		assert_string_equal(r->recipient, e->fx->partners[1].id);
		assert_true(lsn_receipt_count(r) <= max);
		for (size_t i = 0; i < 3; i++)
			if (strcmp(env->to[0], e->fx->partners[i].id) == 0)
				named[i] += lsn_receipt_count(r);
		carriers++;
		lsn_receipt_free(&r);
		liaison__v1__envelope__free_unpacked(env, NULL);
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	}
	sqlite3_reset(s);
	assert_int_equal(carriers, carriers_want);
	assert_int_equal(named[0], n0);
	assert_int_equal(named[2], n2);
	/* our own signed copy, one row per message; a batch's bytes kept
	 * once per receipt */
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM receipts"), n0 + n2);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM receipt_signed"), carriers_want);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM receipts WHERE length(signed) = 0"),
	    n0 + n2);
}

/* 70 notes from p0 and 3 from p2 in one turn: 64 + 6 for p0, 3 for p2,
 * three receipt envelopes instead of 73. */
static void
test_agent_rcpt_one_batch_per_sender_and_turn(void **state)
{
	struct agent_env	*e = *state;

	assert_int_equal(e->a->conf.envelope_batch, 1);
	turn_receipts(e, 70, 3, LSN_RECEIPT_BATCH_MAX, LSN_RECEIPT_MAX, 3);
}

/* With envelope_batch = no (older members), a receipt names at most the
 * 14 messages and 1024 bytes the release before reads: 20 notes from p0
 * are 14 + 6. */
static void
test_agent_rcpt_compat_batch_for_older_members(void **state)
{
	struct agent_env	*e = *state;

	e->a->conf.envelope_batch = 0;
	turn_receipts(e, 20, 3, LSN_RECEIPT_BATCH_COMPAT, 1024, 3);
}

/* Submits n notes from the agent to p0; their ids and envelope hashes. */
static void
send_notes(struct agent_env *e, size_t n, uint8_t (*ids)[16],
    uint8_t (*hs)[LSN_HASH_BYTES])
{
	Liaison__V1__SubmitRequest	 r =
	    LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	sqlite3_stmt			*s;
	uint8_t				 body[64];
	char				 detail[256], *to[1];

	note.text = (char *) (uintptr_t) "coordination";
	r.body.len = liaison__v1__note__pack(&note, body);
	r.body.data = body;
	r.has_body = 1;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	to[0] = e->fx->partners[0].id;
	r.n_to = 1;
	r.to = to;
	assert_ok(agent_tx_begin(e->a));
	for (size_t i = 0; i < n; i++)
		assert_ok(outbox_submit(e->a, &r, ids[i], detail,
		    sizeof(detail)));
	assert_ok(agent_tx_commit(e->a));
	assert_ok(lsn_store_stmt(e->a->st, "SELECT e.signed FROM outbox o "
	    "JOIN outbox_env e ON e.oid = o.oid WHERE o.message_id = ?", &s));
	for (size_t i = 0; i < n; i++) {
		Liaison__V1__SignedEnvelope	*se;

		assert_int_equal(sqlite3_bind_blob(s, 1, ids[i], 16,
		    SQLITE_STATIC), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL,
		    (size_t) sqlite3_column_bytes(s, 0),
		    sqlite3_column_blob(s, 0)));
		lsn_hash(se->envelope.data, se->envelope.len, hs[i]);
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
		sqlite3_reset(s);
	}
}

/* The carrier envelope p0 sends back: type RECEIPT, body = sr. */
static void
carrier(struct agent_env *e, const uint8_t *sr, size_t srlen, uint8_t **out,
    size_t *outlen)
{
	agent_fx_envelope(e, 0, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT,
	    LIAISON__V1__PRIORITY__PRIORITY_P4, sr, srlen, out, outlen);
}

#define NSENT	10

static void
test_agent_rcpt_batch_marks_all_delivered(void **state)
{
	struct agent_env		*e = *state;
	Liaison__V1__CustodyRequest	 q =
	    LIAISON__V1__CUSTODY_REQUEST__INIT;
	Liaison__V1__CustodyResponse	 out;
	uint8_t				 ids[NSENT][16], hs[NSENT][32];
	uint8_t				*sr = NULL, *buf = NULL;
	size_t				 srlen = 0, len = 0, nr;

	send_notes(e, NSENT, ids, hs);
	assert_ok(lsn_receipt_sign_batch((const uint8_t (*)[16]) ids,
	    (const uint8_t (*)[32]) hs, NSENT,
	    LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED, lsn_now_ms(),
	    e->fx->partners[0].id, e->fx->partners[0].sign, &sr, &srlen));
	carrier(e, sr, srlen, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 1, buf, len), LSN_OK);
	/* all N kept as receipts, none is an inbox item */
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM receipts WHERE stage = 1"), NSENT);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM inbox"), 0);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM events WHERE kind = 'receipt'"), NSENT);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM receipt_signed"), 1);
	for (size_t i = 0; i < NSENT; i++) {
		liaison__v1__custody_response__init(&out);
		q.has_message_id = 1;
		q.message_id.data = ids[i];
		q.message_id.len = 16;
		assert_ok(rcpt_custody(e->a, &q, &out));
		nr = 0;
		for (size_t k = 0; k < out.n_events; k++)
			if (strcmp(out.events[k]->kind, "receipt") == 0) {
				assert_true(out.events[k]->verified);
				assert_string_equal(out.events[k]->stage,
				    "delivered");
				assert_string_equal(out.events[k]->signer,
				    e->fx->partners[0].id);
				nr++;
			}
		assert_int_equal(nr, 1);
		rcpt_custody_free(&out);
	}
	free(sr);
	free(buf);
}

static void
test_agent_rcpt_forged_batch_refused(void **state)
{
	struct agent_env	*e = *state;
	Liaison__V1__Receipt	 rc = LIAISON__V1__RECEIPT__INIT;
	Liaison__V1__SignedReceipt s = LIAISON__V1__SIGNED_RECEIPT__INIT;
	ProtobufCBinaryData	 bid[LSN_RECEIPT_BATCH_MAX + 1];
	ProtobufCBinaryData	 bh[LSN_RECEIPT_BATCH_MAX + 1];
	uint8_t			 ids[LSN_RECEIPT_BATCH_MAX + 1][16];
	uint8_t			 hs[LSN_RECEIPT_BATCH_MAX + 1][32];
	uint8_t			*sr = NULL, *buf = NULL, rb[2 * LSN_RECEIPT_MAX];
	uint8_t			 sig[64];
	size_t			 srlen = 0, len = 0;

	send_notes(e, LSN_RECEIPT_BATCH_MAX + 1, ids, hs);
	/* a batch naming nine of ours and one we never sent */
	ids[5][0] ^= 0xff;
	assert_ok(lsn_receipt_sign_batch((const uint8_t (*)[16]) ids,
	    (const uint8_t (*)[32]) hs, 10,
	    LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED, lsn_now_ms(),
	    e->fx->partners[0].id, e->fx->partners[0].sign, &sr, &srlen));
	carrier(e, sr, srlen, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 1, buf, len), LSN_EINVAL);
	free(sr);
	free(buf);
	ids[5][0] ^= 0xff;
	/* a batch for a hash we did not sign */
	hs[3][0] ^= 0xff;
	assert_ok(lsn_receipt_sign_batch((const uint8_t (*)[16]) ids,
	    (const uint8_t (*)[32]) hs, 10,
	    LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED, lsn_now_ms(),
	    e->fx->partners[0].id, e->fx->partners[0].sign, &sr, &srlen));
	carrier(e, sr, srlen, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 2, buf, len), LSN_EINVAL);
	free(sr);
	free(buf);
	hs[3][0] ^= 0xff;
	/* oversized: LSN_RECEIPT_BATCH_MAX + 1 of ours, signed by p0 */
	for (size_t i = 0; i <= LSN_RECEIPT_BATCH_MAX; i++) {
		bid[i].data = ids[i];
		bid[i].len = 16;
		bh[i].data = hs[i];
		bh[i].len = 32;
	}
	rc.n_batch_message_ids = rc.n_batch_envelope_hashes =
	    LSN_RECEIPT_BATCH_MAX + 1;
	rc.batch_message_ids = bid;
	rc.batch_envelope_hashes = bh;
	rc.has_stage = 1;
	rc.stage = LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED;
	rc.has_time_ms = 1;
	rc.time_ms = lsn_now_ms();
	rc.recipient = e->fx->partners[0].id;
	rc.key_id = e->fx->partners[0].sign->key_id;
	s.has_receipt = 1;
	s.receipt.len = liaison__v1__receipt__pack(&rc, rb);
	s.receipt.data = rb;
	assert_ok(lsn_sig_sign(LSN_SIG_RECEIPT, e->fx->partners[0].sign, rb,
	    s.receipt.len, sig));
	s.has_signature = 1;
	s.signature.data = sig;
	s.signature.len = 64;
	s.signer = rc.recipient;
	s.key_id = rc.key_id;
	assert_non_null(sr = malloc(
	    liaison__v1__signed_receipt__get_packed_size(&s)));
	srlen = liaison__v1__signed_receipt__pack(&s, sr);
	carrier(e, sr, srlen, &buf, &len);
	assert_int_not_equal(agent_fx_deliver(e, 3, buf, len), LSN_OK);
	free(sr);
	free(buf);
	/* nothing of the refused batches was kept */
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM receipts"), 0);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM events WHERE kind = 'receipt'"), 0);
}


/* Submits one message of type and priority with body (packed) to p0
 * and commits: its message id and envelope hash. */
static void
send_body(struct agent_env *e, int type, int prio, const uint8_t *body,
    size_t blen, uint8_t id[16], uint8_t h[LSN_HASH_BYTES])
{
	Liaison__V1__SubmitRequest	 r =
	    LIAISON__V1__SUBMIT_REQUEST__INIT;
	char				 detail[256], *to[1];

	r.body.len = blen;
	r.body.data = (uint8_t *) (uintptr_t) body;
	r.has_body = 1;
	r.has_type = 1;
	r.type = type;
	r.has_priority = 1;
	r.priority = prio;
	to[0] = e->fx->partners[0].id;
	r.n_to = 1;
	r.to = to;
	detail[0] = '\0';
	assert_ok(agent_tx_begin(e->a));
	assert_ok(outbox_submit(e->a, &r, id, detail, sizeof(detail)));
	assert_ok(agent_tx_commit(e->a));
	assert_ok(astore_outbox_env_hash(e->a, id, h));
}

/* One alert (P3: its deadline a week away) from the agent to p0. */
static void
send_alert(struct agent_env *e, uint8_t id[16], uint8_t h[LSN_HASH_BYTES])
{
	Liaison__V1__Alert	al = LIAISON__V1__ALERT__INIT;
	uint8_t			body[256], aid[16];

	lsn_random(aid, sizeof(aid));
	al.has_alert_id = 1;
	al.alert_id.data = aid;
	al.alert_id.len = 16;
	al.has_kind = 1;
	al.kind = LIAISON__V1__ALERT_KIND__ALERT_MISSING_CHILD;
	al.has_priority = 1;
	al.priority = LIAISON__V1__PRIORITY__PRIORITY_P3;
	al.summary = (char *) (uintptr_t) "Synthetic test alert.";
	send_body(e, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT,
	    LIAISON__V1__PRIORITY__PRIORITY_P3, body,
	    liaison__v1__alert__pack(&al, body), id, h);
}

/* One referral offer of priority prio from the agent to p0. */
static void
send_referral(struct agent_env *e, int prio, uint8_t id[16],
    uint8_t h[LSN_HASH_BYTES])
{
	Liaison__V1__ReferralHandoff	rh =
	    LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction	j = LIAISON__V1__JURISDICTION__INIT;
	uint8_t				body[256], rid[16];

	lsn_random(rid, sizeof(rid));
	rh.has_referral_id = 1;
	rh.referral_id.data = rid;
	rh.referral_id.len = 16;
	rh.has_priority = 1;
	rh.priority = prio;
	rh.has_category = 1;
	rh.category = LIAISON__V1__REFERRAL_CATEGORY__CATEGORY_GROOMING;
	j.country = (char *) (uintptr_t) "NL";
	j.has_basis = 1;
	j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_IP_GEOLOCATION;
	rh.jurisdiction = &j;
	rh.summary = (char *) (uintptr_t) "Synthetic referral.";
	send_body(e, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF,
	    prio, body, liaison__v1__referral_handoff__pack(&rh, body), id, h);
}

/* p0's signed receipt of stage for our message id (hash h), delivered
 * as seq; answered OK. */
static void
receipt_for(struct agent_env *e, uint8_t id[16], uint8_t h[LSN_HASH_BYTES],
    int stage, uint64_t seq)
{
	uint8_t	*sr = NULL, *buf = NULL;
	size_t	 srlen = 0, len = 0;

	assert_ok(lsn_receipt_sign_batch((const uint8_t (*)[16]) id,
	    (const uint8_t (*)[32]) h, 1, stage, lsn_now_ms(),
	    e->fx->partners[0].id, e->fx->partners[0].sign, &sr, &srlen));
	carrier(e, sr, srlen, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, seq, buf, len), LSN_OK);
	free(sr);
	free(buf);
}

/* One workflow tick, whatever the time of the last. */
static void
tick(struct agent_env *e)
{
	e->a->wf_next_tick = 0;
	wf_timers(e->a, 1);
}

/*
 * An UNDELIVERABLE receipt for our alert (its recipient cannot open it):
 * the alert's on_receipt marks it, and the next workflow tick escalates
 * it to the recipient's 24/7 contact at once instead of at its deadline
 * (a week away for P3). A DELIVERED receipt changes nothing.
 */
static void
test_agent_rcpt_undeliverable_alert_escalates(void **state)
{
	struct agent_env	*e = *state;
	uint8_t			 id[16], h[LSN_HASH_BYTES];

	send_alert(e, id, h);
	receipt_for(e, id, h, LIAISON__V1__RECEIPT_STAGE__RECEIPT_DELIVERED,
	    1);
	tick(e);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM "
	    "tracking WHERE kind = 'alert' AND escalated = 1"), 0);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM outbox"),
	    1);
	receipt_for(e, id, h,
	    LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE, 2);
	tick(e);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM "
	    "tracking WHERE kind = 'alert' AND escalated = 1"), 1);
	/* the alert, then the escalation note */
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM outbox"),
	    2);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM events "
	    "WHERE kind = 'alert' AND detail = 'undeliverable'"), 1);
	/* a second tick sends nothing more */
	tick(e);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM outbox"),
	    2);
}

/*
 * The same for referral offers, which escalate at P1 only (DOMAIN.md):
 * an undeliverable P1 offer escalates on the next tick, a P3 one gets its
 * event and no escalation.
 */
static void
test_agent_rcpt_undeliverable_referral_p1_escalates(void **state)
{
	struct agent_env	*e = *state;
	uint8_t			 id[2][16], h[2][LSN_HASH_BYTES];

	send_referral(e, LIAISON__V1__PRIORITY__PRIORITY_P1, id[0], h[0]);
	send_referral(e, LIAISON__V1__PRIORITY__PRIORITY_P3, id[1], h[1]);
	for (size_t i = 0; i < 2; i++)
		receipt_for(e, id[i], h[i],
		    LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE, i + 1);
	tick(e);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM "
	    "tracking WHERE kind = 'referral' AND escalated = 1 AND "
	    "priority = 1"), 1);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM "
	    "tracking WHERE kind = 'referral' AND escalated = 1"), 1);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM events "
	    "WHERE kind = 'referral' AND detail = 'undeliverable'"), 2);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM outbox"),
	    3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_rcpt_one_batch_per_sender_and_turn, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_rcpt_compat_batch_for_older_members, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_rcpt_batch_marks_all_delivered, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_rcpt_forged_batch_refused, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_rcpt_undeliverable_alert_escalates, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_rcpt_undeliverable_referral_p1_escalates, setup,
		    agent_fx_teardown),
	};

	return (cmocka_run_group_tests_name("agent_rcpt", tests, NULL, NULL));
}
