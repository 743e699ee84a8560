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
#include "agent_fixture.h"
#include "lsn_fixture.h"
#include "lsn_test.h"

static int
setup(void **state)
{
	return (agent_fx_setup(state, 4));
}

/* Partner `from` offers the agent (partner 1) referral rid, TLP:GREEN,
 * delivered in a turn of its own; the DeliverAck must be OK. */
static void
deliver_handoff(struct agent_env *e, size_t from, const uint8_t rid[16],
    uint64_t seq)
{
	Liaison__V1__ReferralHandoff	 h = LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction	 j = LIAISON__V1__JURISDICTION__INIT;
	uint8_t				 body[512], *buf = NULL;
	size_t				 blen, len = 0;

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
	blen = liaison__v1__referral_handoff__pack(&h, body);
	agent_fx_envelope(e, from,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF,
	    LIAISON__V1__PRIORITY__PRIORITY_P3, body, blen, &buf, &len);
	assert_int_equal(agent_fx_deliver(e, seq, buf, len), LSN_OK);
	free(buf);
}

/* The agent answers partner 0 on referral rid (redirect_to: REDIRECT). */
static int
respond(struct agent_env *e, const uint8_t rid[16], int action,
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
ref_state(struct agent_env *e, const uint8_t rid[16], size_t i)
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
outbox_types(struct agent_env *e, int64_t after, int *types, size_t max)
{
	sqlite3_stmt	*s;
	size_t		 n = 0;

	assert_ok(lsn_store_stmt(e->a->st, "SELECT signed FROM outbox_env "
	    "WHERE oid > ? ORDER BY oid", &s));
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
	struct agent_env	*e = *state;
	uint8_t			 rid[16], taken[16];
	char			 detail[AGENT_DETAIL_MAX];
	char			 want[AGENT_DETAIL_MAX];
	int			 types[8];
	uint64_t		 rows;
	int64_t			 last;

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
	rows = agent_fx_count_sql(e, "SELECT count(*) FROM outbox");

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
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM outbox"), rows);
	assert_int_equal(ref_state(e, rid, 0), LSN_REF_ACCEPTED);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM events WHERE kind = 'redirect'"), 0);
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM tracking WHERE role = 'sender'"), 0);

	/* to D: the response, then the linked offer, both stored */
	last = (int64_t) agent_fx_count_sql(e, "SELECT max(oid) FROM outbox");
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
	assert_int_equal(agent_fx_count_sql(e,
	    "SELECT count(*) FROM events WHERE kind = 'redirect'"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_redirect_response_and_linked_offer_together,
		    setup, agent_fx_teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
