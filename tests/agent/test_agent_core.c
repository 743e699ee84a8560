/*
 * test_agent_core.c -- the agent's modules in-process, without a broker:
 * replica sync from a genuine log, inbox verification (stored, duplicate,
 * bad signature, unknown sender, suspended sender -> quarantine with the
 * refusal in the DeliverAck), the delivery cursor, outbox validation and
 * PublishAck handling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/seal.h"
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

static void
counts(struct agent_env *e, uint64_t *total, uint64_t *q)
{
	uint64_t	unacked;

	assert_ok(inbox_counts(e->a, total, &unacked, q));
}

static void
test_agent_inbox_stores_once_and_advances_cursor(void **state)
{
	struct agent_env	*e = *state;
	struct lsn_fixture_msg	 m = { 0 };
	uint8_t			*buf = NULL, id[16];
	size_t			 len = 0;
	uint64_t		 total, q;
	Liaison__V1__InboxItem	*it = NULL;

	m.to[0] = e->fx->partners[1].id;
	m.text = "synthetic note";
	assert_ok(lsn_fixture_envelope(e->fx, 0, &m, id, &buf, &len));
	assert_int_equal(agent_fx_deliver(e, 1, buf, len), LSN_OK);
	assert_int_equal(e->a->cursor, 1);
	/* redelivered under another seq: acknowledged, not stored twice */
	assert_int_equal(agent_fx_deliver(e, 2, buf, len), LSN_OK);
	assert_int_equal(e->a->cursor, 2);
	counts(e, &total, &q);
	assert_int_equal(total, 1);
	assert_int_equal(q, 0);
	assert_ok(inbox_fetch(e->a, id, 16, &it));
	assert_string_equal(it->sender, e->fx->partners[0].id);
	assert_non_null(it->envelope);
	inbox_item_free(it);
	/* the cursor is durable */
	e->a->cursor = 0;
	assert_ok(inbox_cursor_load(e->a));
	assert_int_equal(e->a->cursor, 2);
	/* mark: acked; unknown id */
	assert_ok(inbox_mark(e->a, id, 16,
	    LIAISON__V1__MARK_STAGE__MARK_ACKED));
	id[0] ^= 1;
	assert_err(inbox_mark(e->a, id, 16,
	    LIAISON__V1__MARK_STAGE__MARK_ACKED), LSN_ENOENT);
	free(buf);
}

/*
 * A plain body is stored once, inside the stored envelope (the body
 * column stays NULL), and reads back the same through inbox_fetch and
 * astore_inbox_body; a row of the older form (body stored apart) too.
 */
static void
test_agent_inbox_plain_body_stored_once(void **state)
{
	struct agent_env	*e = *state;
	struct lsn_fixture_msg	 m = { 0 };
	Liaison__V1__SignedEnvelope *se;
	Liaison__V1__Envelope	*env;
	Liaison__V1__InboxItem	*it = NULL;
	uint8_t			*buf = NULL, id[16], *body = NULL;
	size_t			 len = 0, blen;
	int			 tlp, type;

	m.to[0] = e->fx->partners[1].id;
	m.text = "synthetic note, stored once";
	assert_ok(lsn_fixture_envelope(e->fx, 0, &m, id, &buf, &len));
	assert_int_equal(agent_fx_deliver(e, 1, buf, len), LSN_OK);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM inbox WHERE body IS NULL"), 1);
	assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL, len,
	    buf));
	assert_non_null(env = liaison__v1__envelope__unpack(NULL,
	    se->envelope.len, se->envelope.data));
	assert_ok(inbox_fetch(e->a, id, 16, &it));
	assert_true(it->has_body);
	assert_int_equal(it->body.len, env->body.len);
	assert_memory_equal(it->body.data, env->body.data, env->body.len);
	inbox_item_free(it);
	assert_ok(astore_inbox_body(e->a, id, &body, &blen, &tlp, &type));
	assert_int_equal(blen, env->body.len);
	assert_memory_equal(body, env->body.data, blen);
	free(body);
	/* the older form: the body column wins */
	assert_int_equal(agent_fx_count_sql(e, "UPDATE inbox SET body = "
	    "X'0a03616263' RETURNING 1"), 1);
	assert_ok(astore_inbox_body(e->a, id, &body, &blen, &tlp, &type));
	assert_int_equal(blen, 5);
	assert_memory_equal(body, "\x0a\x03" "abc", 5);
	free(body);
	liaison__v1__envelope__free_unpacked(env, NULL);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	free(buf);
}

static void
test_agent_inbox_quarantines_bad_signature(void **state)
{
	struct agent_env	*e = *state;
	struct lsn_fixture_msg	 m = { 0 };
	Liaison__V1__SignedEnvelope *se;
	uint8_t			*buf = NULL, *bad;
	size_t			 len = 0;
	uint64_t		 total, q;

	m.to[0] = e->fx->partners[1].id;
	assert_ok(lsn_fixture_envelope(e->fx, 0, &m, NULL, &buf, &len));
	assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL, len,
	    buf));
	se->signature.data[3] ^= 0x10;
	assert_non_null(bad = malloc(len));
	liaison__v1__signed_envelope__pack(se, bad);
	liaison__v1__signed_envelope__free_unpacked(se, NULL);
	assert_int_equal(agent_fx_deliver(e, 7, bad, len), LSN_EBADSIG);
	counts(e, &total, &q);
	assert_int_equal(total, 0);
	assert_int_equal(q, 1);
	/* quarantined deliveries still move the cursor (the broker drops
	 * them from the queue on the refusal ack) */
	assert_int_equal(e->a->cursor, 7);
	free(bad);
	free(buf);
}

static void
test_agent_inbox_quarantines_unknown_sender(void **state)
{
	struct agent_env	*e = *state;
	struct lsn_keypair	*kp = NULL;
	Liaison__V1__Envelope	 env = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	uint8_t			 id[16], body[4] = { 0x0a, 0x02, 'h', 'i' };
	uint8_t			*buf = NULL;
	size_t			 len = 0;
	char			*to[1];
	uint64_t		 total, q;

	assert_ok(lsn_keypair_generate(LSN_KEY_SIGN, "zz-impostor", &kp));
	lsn_random(id, sizeof(id));
	to[0] = e->fx->partners[1].id;
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_GREEN;
	env.has_version = 1;
	env.version = 1;
	env.has_message_id = 1;
	env.message_id.data = id;
	env.message_id.len = 16;
	env.n_to = 1;
	env.to = to;
	env.has_created_ms = 1;
	env.created_ms = lsn_now_ms();
	env.has_type = 1;
	env.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	env.handling = &h;
	env.has_body = 1;
	env.body.data = body;
	env.body.len = sizeof(body);
	assert_ok(lsn_envelope_sign(&env, kp, &buf, &len, NULL));
	assert_int_equal(agent_fx_deliver(e, 3, buf, len), LSN_EUNKNOWNSENDER);
	counts(e, &total, &q);
	assert_int_equal(total, 0);
	assert_int_equal(q, 1);
	free(buf);
	lsn_keypair_destroy(&kp);
}

static void
test_agent_inbox_quarantines_suspended_sender(void **state)
{
	struct agent_env	*e = *state;
	struct lsn_fixture_msg	 m = { 0 };
	uint8_t			*op = NULL, *buf = NULL;
	size_t			 oplen = 0, len = 0;
	uint64_t		 version = 0, total, q;
	Liaison__V1__Partner	*p = NULL;

	assert_ok(lsn_dir_partner_get(e->a->dir, e->fx->partners[0].id, &p));
	version = p->version;
	lsn_dir_partner_free(&p);
	assert_ok(lsn_fixture_op_set_status(e->fx, e->fx->partners[0].id,
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, version, 2, &op,
	    &oplen));
	assert_ok(lsn_dir_submit(e->a->dir, op, oplen, 0, NULL, NULL, 0));
	m.to[0] = e->fx->partners[1].id;
	assert_ok(lsn_fixture_envelope(e->fx, 0, &m, NULL, &buf, &len));
	assert_int_equal(agent_fx_deliver(e, 4, buf, len), LSN_ESUSPENDED);
	counts(e, &total, &q);
	assert_int_equal(total, 0);
	assert_int_equal(q, 1);
	free(buf);
	free(op);
}

static void
test_agent_inbox_sender_on_other_history_raises_alert(void **state)
{
	struct agent_env	*e = *state;
	Liaison__V1__Envelope	 env = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__DirHead	 dh = LIAISON__V1__DIR_HEAD__INIT;
	uint8_t			 id[16], hash[32];
	uint8_t			 body[4] = { 0x0a, 0x02, 'h', 'i' };
	uint8_t			*buf = NULL;
	size_t			 len = 0, n = 0;
	char			*to[1], **alerts = NULL;
	uint64_t		 total, q;

	lsn_random(id, sizeof(id));
	lsn_random(hash, sizeof(hash));
	to[0] = e->fx->partners[1].id;
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_GREEN;
	dh.has_rev = 1;
	dh.rev = 2;
	dh.has_hash = 1;
	dh.hash.data = hash;
	dh.hash.len = 32;
	env.has_version = 1;
	env.version = 1;
	env.has_message_id = 1;
	env.message_id.data = id;
	env.message_id.len = 16;
	env.n_to = 1;
	env.to = to;
	env.has_created_ms = 1;
	env.created_ms = lsn_now_ms();
	env.has_type = 1;
	env.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	env.handling = &h;
	env.dir_head = &dh;
	env.has_body = 1;
	env.body.data = body;
	env.body.len = sizeof(body);
	assert_ok(lsn_envelope_sign(&env, e->fx->partners[0].sign, &buf, &len,
	    NULL));
	assert_int_equal(agent_fx_deliver(e, 9, buf, len), LSN_OK);
	counts(e, &total, &q);
	assert_int_equal(total, 1);
	assert_ok(replica_alerts(e->a, &alerts, &n));
	assert_int_equal(n, 1);
	assert_non_null(strstr(alerts[0], "directory fork"));
	replica_alerts_free(alerts, n);
	free(buf);
}

static void
submit_note(struct agent_env *e, const char *to, int tlp, int type, int *rv,
    uint8_t id[16])
{
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 n = LIAISON__V1__NOTE__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	uint8_t				 body[256];
	char				*tov[1], detail[256];

	n.text = (char *) (uintptr_t) "coordination";
	r.body.len = liaison__v1__note__pack(&n, body);
	r.body.data = body;
	r.has_body = 1;
	r.has_type = 1;
	r.type = type;
	if (to != NULL) {
		tov[0] = (char *) (uintptr_t) to;
		r.n_to = 1;
		r.to = tov;
	}
	if (tlp != 0) {
		h.has_tlp = 1;
		h.tlp = tlp;
		r.handling = &h;
	}
	*rv = outbox_submit(e->a, &r, id, detail, sizeof(detail));
}

static void
ack(struct agent_env *e, const uint8_t id[16], int code)
{
	Liaison__V1__PublishAck	k = LIAISON__V1__PUBLISH_ACK__INIT;

	k.has_message_id = 1;
	k.message_id.data = (uint8_t *) (uintptr_t) id;
	k.message_id.len = 16;
	k.has_code = 1;
	k.code = lsn_err_to_wire(code);
	k.detail = (char *) (uintptr_t) "synthetic detail";
	assert_ok(agent_tx_begin(e->a));
	assert_ok(outbox_on_ack(e->a, &k));
	agent_tx_end(e->a);
}

static void
test_agent_outbox_validates_and_records_acks(void **state)
{
	struct agent_env		*e = *state;
	Liaison__V1__OutboxStatusResponse s =
	    LIAISON__V1__OUTBOX_STATUS_RESPONSE__INIT;
	uint8_t				 id[16], id2[16], id3[16];
	char				 detail[256];
	uint64_t			 pend, rej;
	int				 rv;
	const char			*to = e->fx->partners[0].id;

	/* AMBER is sealed: a recipient without an encryption key in the
	 * replica cannot be sealed to */
	submit_note(e, "zz-nobody", LIAISON__V1__TLP__TLP_AMBER,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE, &rv, id);
	assert_int_equal(rv, LSN_EUNKNOWNRCPT);
	submit_note(e, NULL, 0, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE,
	    &rv, id);
	assert_int_equal(rv, LSN_EINVAL);
	submit_note(e, to, 0, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT,
	    &rv, id);
	assert_int_equal(rv, LSN_EINVAL);
	submit_note(e, "Not A Slug", 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE, &rv, id);
	assert_int_equal(rv, LSN_EINVAL);

	submit_note(e, to, 0, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE,
	    &rv, id);
	assert_ok(rv);
	submit_note(e, to, 0, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE,
	    &rv, id2);
	assert_ok(rv);
	submit_note(e, to, 0, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE,
	    &rv, id3);
	assert_ok(rv);
	assert_ok(outbox_counts(e->a, &pend, &rej));
	assert_int_equal(pend, 3);
	ack(e, id, LSN_OK);
	ack(e, id2, LSN_EUNKNOWNRCPT);
	ack(e, id3, LSN_EDB);		/* transient: stays pending */
	assert_ok(outbox_counts(e->a, &pend, &rej));
	assert_int_equal(pend, 1);
	assert_int_equal(rej, 1);
	assert_ok(outbox_status(e->a, id2, 16, &s, detail, sizeof(detail)));
	assert_int_equal(s.state, LIAISON__V1__OUTBOX_STATE__OUTBOX_REJECTED);
	assert_int_equal(lsn_err_from_wire((int) s.publish_code),
	    LSN_EUNKNOWNRCPT);
	assert_string_equal(detail, "synthetic detail");
	/* a late OK does not change a final verdict */
	ack(e, id2, LSN_OK);
	assert_ok(outbox_status(e->a, id2, 16, &s, detail, sizeof(detail)));
	assert_int_equal(s.state, LIAISON__V1__OUTBOX_STATE__OUTBOX_REJECTED);
	ack(e, id3, LSN_OK);
	assert_ok(outbox_status(e->a, id3, 16, &s, detail, sizeof(detail)));
	assert_int_equal(s.state, LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED);
}

/*
 * A typed envelope from partners[from] to partners[1] (the agent under
 * test) with body m; sealed to partners[seal_to] when seal_to >= 0 (TLP
 * AMBER). *buf is the SignedEnvelope (caller frees).
 */
static void
typed_env(struct agent_env *e, size_t from, int type, const ProtobufCMessage *m,
    int seal_to, uint8_t **buf, size_t *len)
{
	Liaison__V1__Envelope	 env = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 rc;
	uint8_t			 id[16], body[4096], ad[LSN_SEAL_AD_MAX];
	size_t			 blen, adlen;
	char			*to[1];
	const char		*field = NULL;

	lsn_random(id, sizeof(id));
	blen = protobuf_c_message_pack(m, body);
	env.has_version = 1;
	env.version = LSN_ENVELOPE_VERSION;
	env.has_message_id = 1;
	env.message_id.data = id;
	env.message_id.len = 16;
	env.sender = e->fx->partners[from].id;
	env.sender_key_id = e->fx->partners[from].sign->key_id;
	to[0] = e->fx->partners[1].id;
	env.n_to = 1;
	env.to = to;
	env.has_created_ms = 1;
	env.created_ms = lsn_now_ms();
	env.has_type = 1;
	env.type = type;
	env.has_priority = 1;
	env.priority = LIAISON__V1__PRIORITY__PRIORITY_P3;
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_GREEN;
	env.handling = &h;
	if (seal_to >= 0) {
		h.tlp = LIAISON__V1__TLP__TLP_AMBER;
		rc.partner = e->fx->partners[seal_to].id;
		rc.pk = e->fx->partners[seal_to].encrypt->pk;
		assert_ok(lsn_seal_ad(id, env.sender, type, ad, &adlen));
		assert_ok(lsn_seal(body, blen, ad, adlen, &rc, 1, &sb));
		env.sealed = sb;
	} else {
		env.has_body = 1;
		env.body.data = body;
		env.body.len = blen;
	}
	assert_ok(lsn_envelope_sign(&env, e->fx->partners[from].sign, buf,
	    len, &field));
	lsn_sealed_free(&sb);
}

static void
test_agent_inbox_quarantines_bad_body_unseal_and_transition(void **state)
{
	struct agent_env		*e = *state;
	Liaison__V1__Note		 n = LIAISON__V1__NOTE__INIT;
	Liaison__V1__ReferralHandoff	 h = LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction	 j = LIAISON__V1__JURISDICTION__INIT;
	Liaison__V1__ReferralResponse	 r =
	    LIAISON__V1__REFERRAL_RESPONSE__INIT;
	uint8_t				*buf = NULL, rid[16];
	size_t				 len = 0;
	uint64_t			 total, q;

	/* a body that does not validate (empty note text) */
	n.text = (char *) (uintptr_t) "";
	typed_env(e, 0, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE, &n.base,
	    -1, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 1, buf, len), LSN_EINVAL);
	free(buf);
	/* sealed to someone else: cannot be opened here */
	n.text = (char *) (uintptr_t) "synthetic sealed note";
	typed_env(e, 0, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE, &n.base,
	    2, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 2, buf, len), LSN_EUNSEAL);
	free(buf);
	/* sealed to us: opened and stored */
	typed_env(e, 0, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE, &n.base,
	    1, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 3, buf, len), LSN_OK);
	free(buf);
	/* a response about a referral we never had */
	lsn_random(rid, sizeof(rid));
	r.has_referral_id = 1;
	r.referral_id.data = rid;
	r.referral_id.len = 16;
	r.has_action = 1;
	r.action = LIAISON__V1__REFERRAL_ACTION__REFERRAL_WITHDRAW;
	typed_env(e, 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE,
	    &r.base, -1, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 4, buf, len), LSN_ETRANSITION);
	free(buf);
	/* the handoff, then an ack from its own sender: illegal */
	h.has_referral_id = 1;
	h.referral_id.data = rid;
	h.referral_id.len = 16;
	h.has_priority = 1;
	h.priority = LIAISON__V1__PRIORITY__PRIORITY_P3;
	h.has_category = 1;
	h.category = LIAISON__V1__REFERRAL_CATEGORY__CATEGORY_OTHER;
	j.country = (char *) (uintptr_t) "FR";
	j.has_basis = 1;
	j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_OTHER;
	h.jurisdiction = &j;
	h.summary = (char *) (uintptr_t) "synthetic referral";
	typed_env(e, 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF, &h.base,
	    -1, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 5, buf, len), LSN_OK);
	free(buf);
	r.action = LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK;
	typed_env(e, 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE,
	    &r.base, -1, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 6, buf, len), LSN_ETRANSITION);
	free(buf);
	/* withdrawing it is the sender's right */
	r.action = LIAISON__V1__REFERRAL_ACTION__REFERRAL_WITHDRAW;
	typed_env(e, 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE,
	    &r.base, -1, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, 7, buf, len), LSN_OK);
	free(buf);
	counts(e, &total, &q);
	assert_int_equal(total, 3);
	assert_int_equal(q, 4);
}

static void
test_agent_conf_api_endpoint_default(void **state)
{
	struct agent_conf	c;
	char			ep[256];

	(void) state;
	memset(&c, 0, sizeof(c));
	lsn_strlcpy(c.db, "/var/lib/liaison/agent.db", sizeof(c.db));
	assert_ok(aconf_api_endpoint(&c, ep, sizeof(ep)));
	assert_string_equal(ep, "ipc:///var/lib/liaison/api.sock");
	lsn_strlcpy(c.db, "agent.db", sizeof(c.db));
	assert_ok(aconf_api_endpoint(&c, ep, sizeof(ep)));
	assert_string_equal(ep, "ipc://./api.sock");
	lsn_strlcpy(c.api, "tcp://127.0.0.1:7401", sizeof(c.api));
	assert_ok(aconf_api_endpoint(&c, ep, sizeof(ep)));
	assert_string_equal(ep, "tcp://127.0.0.1:7401");
}

/* [agent] broker: one endpoint, or a list split on commas and spaces. */
static void
test_agent_conf_broker_list(void **state)
{
	struct agent_env	*e = *state;
	struct agent_conf	 c;
	char			 err[256], many[1024];
	static const char	*bad[] = {
		"", " , ", "tcp://a:1,tcp://a:1", "tcp://a:1,udp://b:2",
		"tcp://a:1;tcp://b:2", "tcp://a:1,tcp://b",
	};

	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, "tcp://a:1", NULL));
	assert_ok(aconf_load(e->fx->partners[0].agent_conf, &c, err,
	    sizeof(err)));
	assert_int_equal(c.nbrokers, 1);
	assert_string_equal(c.brokers[0], "tcp://a:1");
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0,
	    " tcp://a:1, tcp://b:2\tipc:///run/c.sock,tcp://[::1]:4 ", NULL));
	assert_ok(aconf_load(e->fx->partners[0].agent_conf, &c, err,
	    sizeof(err)));
	assert_int_equal(c.nbrokers, 4);
	assert_string_equal(c.brokers[0], "tcp://a:1");
	assert_string_equal(c.brokers[1], "tcp://b:2");
	assert_string_equal(c.brokers[2], "ipc:///run/c.sock");
	assert_string_equal(c.brokers[3], "tcp://[::1]:4");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, bad[i],
		    NULL));
		if (aconf_load(e->fx->partners[0].agent_conf, &c, err,
		    sizeof(err)) != LSN_ECONFIG)
			fail_msg("broker = '%s' accepted", bad[i]);
		assert_non_null(strstr(err, "broker"));
	}
	many[0] = '\0';
	for (int i = 0; i <= AGENT_BROKERS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "tcp://h%d:1,", i);
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 0, many, NULL));
	assert_int_equal(aconf_load(e->fx->partners[0].agent_conf, &c, err,
	    sizeof(err)), LSN_ECONFIG);
	assert_non_null(strstr(err, "more than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_inbox_stores_once_and_advances_cursor, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_inbox_plain_body_stored_once, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_inbox_quarantines_bad_signature, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_inbox_quarantines_unknown_sender, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_inbox_quarantines_suspended_sender, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_inbox_sender_on_other_history_raises_alert,
		    setup, agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_outbox_validates_and_records_acks, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_inbox_quarantines_bad_body_unseal_and_transition,
		    setup, agent_fx_teardown),
		cmocka_unit_test(test_agent_conf_api_endpoint_default),
		cmocka_unit_test_setup_teardown(test_agent_conf_broker_list,
		    setup, agent_fx_teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
