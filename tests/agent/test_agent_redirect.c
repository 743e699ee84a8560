/*
 * test_agent_redirect.c -- a REDIRECT response and its linked offer,
 * in-process without a broker (agent/wf_referral.c, agent/outbox.c): the
 * linked offer is a follow-up of the response, composed and stored after
 * it in the same savepoint, so both are stored or neither. Here the
 * linked offer's compose is refused (its derived referral id is already
 * used with the third partner): the response is refused with the reason,
 * nothing of either is stored, the referral stays ACCEPTED, and the same
 * redirect to another partner then stores both, response first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent.h"
#include "lsn_fixture.h"
#include "lsn_test.h"

struct env {
	struct lsn_fixture	*fx;
	struct agent		*a;	/* partner index 1 */
};

struct collect {
	Liaison__V1__LogEntry	**v;
	size_t			  n;
};

static int
collect_entry(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct collect	*c = arg;

	(void) rev;
	if ((c->v[c->n] = liaison__v1__log_entry__unpack(NULL, len, entry)) ==
	    NULL)
		return (LSN_EPROTO);
	c->n++;
	return (0);
}

/* Feeds the broker DB's log into the agent's replica. */
static void
sync_replica(struct env *e)
{
	struct lsn_store		*st = NULL;
	struct lsn_dir			*d = NULL;
	Liaison__V1__DirOps		 ops = LIAISON__V1__DIR_OPS__INIT;
	Liaison__V1__SignedCheckpoint	*scp;
	struct collect			 c;
	uint8_t				*cp = NULL;
	size_t				 cplen = 0;

	assert_ok(lsn_store_open(e->fx->broker_db, lsn_dir_migrations, 0,
	    &st));
	assert_ok(lsn_dir_open(st, &d));
	assert_non_null(c.v = calloc(1000, sizeof(*c.v)));
	c.n = 0;
	assert_ok(lsn_dir_entries_after(d, 0, 1000, collect_entry, &c));
	assert_ok(lsn_dir_checkpoint_make(d, e->fx->seq, lsn_now_ms(), &cp,
	    &cplen));
	assert_non_null(scp = liaison__v1__signed_checkpoint__unpack(NULL,
	    cplen, cp));
	ops.n_entries = c.n;
	ops.entries = c.v;
	ops.checkpoint = scp;
	assert_ok(agent_tx_begin(e->a));
	assert_ok(replica_on_ops(e->a, &ops));
	agent_tx_end(e->a);
	assert_false(e->a->halted);
	for (size_t i = 0; i < c.n; i++)
		liaison__v1__log_entry__free_unpacked(c.v[i], NULL);
	free(c.v);
	liaison__v1__signed_checkpoint__free_unpacked(scp, NULL);
	free(cp);
	lsn_dir_close(&d);
	lsn_store_close(&st);
}

static int
setup(void **state)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct agent_conf	 c;
	struct env		*e;
	char			 err[256];

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 4;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_agent_conf(e->fx, 1, "tcp://127.0.0.1:9",
	    NULL));
	assert_ok(aconf_load(e->fx->partners[1].agent_conf, &c, err,
	    sizeof(err)));
	assert_ok(agent_open(NULL, &c, &e->a));
	sync_replica(e);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env	*e = *state;

	agent_close(&e->a);
	lsn_fixture_destroy(&e->fx);
	free(e);
	return (0);
}

static uint64_t
count_sql(struct env *e, const char *sql)
{
	sqlite3_stmt	*s;
	uint64_t	 n = 0;

	assert_ok(lsn_store_stmt(e->a->st, sql, &s));
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (uint64_t) sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (n);
}

/* Partner `from` offers the agent (partner 1) referral rid, TLP:GREEN,
 * delivered in a turn of its own; the DeliverAck must be OK. */
static void
deliver_handoff(struct env *e, size_t from, const uint8_t rid[16],
    uint64_t seq)
{
	Liaison__V1__ReferralHandoff	 h = LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction	 j = LIAISON__V1__JURISDICTION__INIT;
	Liaison__V1__Envelope		 env = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling		 hd = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Deliver		 d = LIAISON__V1__DELIVER__INIT;
	uint8_t				 id[16], body[512], *buf = NULL;
	size_t				 len = 0;
	const char			*field = NULL;
	char				*to[1];

	h.has_referral_id = 1;
	h.referral_id.data = (uint8_t *) (uintptr_t) rid;
	h.referral_id.len = 16;
	h.has_priority = 1;
	h.priority = LIAISON__V1__PRIORITY__PRIORITY_P3;
	h.has_category = 1;
	h.category = LIAISON__V1__REFERRAL_CATEGORY__CATEGORY_GROOMING;
	j.country = (char *) (uintptr_t) "NL";
	j.has_basis = 1;
	j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_IP_GEOLOCATION;
	h.jurisdiction = &j;
	h.summary = (char *) (uintptr_t) "synthetic referral to redirect";
	assert_true(liaison__v1__referral_handoff__get_packed_size(&h) <=
	    sizeof(body));
	lsn_random(id, sizeof(id));
	hd.has_tlp = 1;
	hd.tlp = LIAISON__V1__TLP__TLP_GREEN;
	env.has_version = 1;
	env.version = LSN_ENVELOPE_VERSION;
	env.has_message_id = 1;
	env.message_id.data = id;
	env.message_id.len = 16;
	to[0] = e->fx->partners[1].id;
	env.n_to = 1;
	env.to = to;
	env.has_created_ms = 1;
	env.created_ms = lsn_now_ms();
	env.has_type = 1;
	env.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF;
	env.has_priority = 1;
	env.priority = LIAISON__V1__PRIORITY__PRIORITY_P3;
	env.handling = &hd;
	env.has_body = 1;
	env.body.data = body;
	env.body.len = liaison__v1__referral_handoff__pack(&h, body);
	assert_ok(lsn_envelope_sign(&env, e->fx->partners[from].sign, &buf,
	    &len, &field));
	d.has_seq = 1;
	d.seq = seq;
	assert_non_null(d.envelope = liaison__v1__signed_envelope__unpack(
	    NULL, len, buf));
	assert_ok(agent_tx_begin(e->a));
	e->a->nacks = 0;
	assert_ok(inbox_on_deliver(e->a, &d));
	assert_int_equal(e->a->nacks, 1);
	assert_int_equal(e->a->acks[0].code, LSN_OK);
	agent_tx_end(e->a);
	liaison__v1__signed_envelope__free_unpacked(d.envelope, NULL);
	free(buf);
}

/* The agent answers partner 0 on referral rid (redirect_to: REDIRECT). */
static int
respond(struct env *e, const uint8_t rid[16], int action,
    const char *redirect_to, char *detail, size_t detailsz)
{
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__ReferralResponse	 rr =
	    LIAISON__V1__REFERRAL_RESPONSE__INIT;
	uint8_t				 body[256], id[16];
	char				*to[1];

	rr.has_referral_id = 1;
	rr.referral_id.data = (uint8_t *) (uintptr_t) rid;
	rr.referral_id.len = 16;
	rr.has_action = 1;
	rr.action = action;
	rr.redirect_to = (char *) (uintptr_t) redirect_to;
	rr.recipient_case_ref = (char *) (uintptr_t) "B-2026-0042";
	r.body.len = liaison__v1__referral_response__pack(&rr, body);
	r.body.data = body;
	r.has_body = 1;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE;
	to[0] = e->fx->partners[0].id;
	r.n_to = 1;
	r.to = to;
	detail[0] = '\0';
	return (outbox_submit(e->a, &r, id, detail, detailsz));
}

/* The tracking state of referral rid with partner i; -1 if none. */
static int
ref_state(struct env *e, const uint8_t rid[16], size_t i)
{
	sqlite3_stmt	*s;
	int		 st = -1;

	assert_ok(lsn_store_stmt(e->a->st, "SELECT state FROM tracking WHERE "
	    "kind = 'referral' AND item_id = ? AND peer = ?", &s));
	assert_int_equal(sqlite3_bind_blob(s, 1, rid, 16, SQLITE_STATIC),
	    SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(s, 2, e->fx->partners[i].id, -1,
	    SQLITE_STATIC), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		st = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return (st);
}

/* The types of the outbox rows after oid `after`, in oid order. */
static size_t
outbox_types(struct env *e, int64_t after, int *types, size_t max)
{
	sqlite3_stmt	*s;
	size_t		 n = 0;

	assert_ok(lsn_store_stmt(e->a->st, "SELECT signed FROM outbox WHERE "
	    "oid > ? ORDER BY oid", &s));
	assert_int_equal(sqlite3_bind_int64(s, 1, after), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && n < max) {
		Liaison__V1__SignedEnvelope	*se;
		Liaison__V1__Envelope		*env;

		assert_non_null(se = liaison__v1__signed_envelope__unpack(NULL,
		    (size_t) sqlite3_column_bytes(s, 0),
		    sqlite3_column_blob(s, 0)));
		assert_non_null(env = liaison__v1__envelope__unpack(NULL,
		    se->envelope.len, se->envelope.data));
		types[n++] = (int) env->type;
		liaison__v1__envelope__free_unpacked(env, NULL);
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	}
	sqlite3_reset(s);
	return (n);
}

static void
test_agent_redirect_response_and_linked_offer_together(void **state)
{
	struct env	*e = *state;
	uint8_t		 rid[16], taken[16];
	char		 detail[AGENT_DETAIL_MAX], want[AGENT_DETAIL_MAX];
	int		 types[8];
	uint64_t	 rows;
	int64_t		 last;

	/* A offers B referral rid; B acknowledges and accepts it */
	lsn_random(rid, sizeof(rid));
	deliver_handoff(e, 0, rid, 1);
	assert_ok(respond(e, rid, LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK,
	    NULL, detail, sizeof(detail)));
	assert_ok(respond(e, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACCEPT, NULL, detail,
	    sizeof(detail)));
	assert_int_equal(ref_state(e, rid, 0), LSN_REF_ACCEPTED);
	/* C already uses with B the id a redirect of rid to C derives */
	assert_ok(lsn_referral_redirect_id(rid, e->fx->partners[2].id,
	    taken));
	deliver_handoff(e, 2, taken, 2);
	rows = count_sql(e, "SELECT count(*) FROM outbox");

	/* the response passes its own checks, its linked offer's compose
	 * is refused: the response is refused with it, nothing stored;
	 * alone and inside a turn's transaction */
	assert_int_equal(respond(e, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT,
	    e->fx->partners[2].id, detail, sizeof(detail)), LSN_ETRANSITION);
	snprintf(want, sizeof(want), "redirect to %s: referral id already "
	    "used with %s", e->fx->partners[2].id, e->fx->partners[2].id);
	assert_string_equal(detail, want);
	assert_ok(agent_tx_begin(e->a));
	assert_int_equal(respond(e, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT,
	    e->fx->partners[2].id, detail, sizeof(detail)), LSN_ETRANSITION);
	assert_ok(agent_tx_commit(e->a));
	assert_int_equal(count_sql(e, "SELECT count(*) FROM outbox"), rows);
	assert_int_equal(ref_state(e, rid, 0), LSN_REF_ACCEPTED);
	assert_int_equal(count_sql(e, "SELECT count(*) FROM events WHERE "
	    "kind = 'redirect'"), 0);
	assert_int_equal(count_sql(e, "SELECT count(*) FROM tracking WHERE "
	    "role = 'sender'"), 0);

	/* to D: the response, then the linked offer, both stored */
	last = (int64_t) count_sql(e, "SELECT max(oid) FROM outbox");
	assert_ok(respond(e, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT,
	    e->fx->partners[3].id, detail, sizeof(detail)));
	assert_int_equal(outbox_types(e, last, types, 8), 2);
	assert_int_equal(types[0],
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE);
	assert_int_equal(types[1],
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF);
	assert_int_equal(ref_state(e, rid, 0), LSN_REF_REDIRECTED);
	assert_ok(lsn_referral_redirect_id(rid, e->fx->partners[3].id,
	    taken));
	assert_int_equal(ref_state(e, taken, 3), LSN_REF_OFFERED);
	assert_int_equal(count_sql(e, "SELECT count(*) FROM events WHERE "
	    "kind = 'redirect'"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_redirect_response_and_linked_offer_together,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
