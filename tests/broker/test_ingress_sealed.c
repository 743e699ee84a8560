/*
 * test_ingress_sealed.c -- a sealed (TLP AMBER and stronger) envelope is
 * queued only for the partners it is sealed for: a group member the
 * sender's replica did not list yet (added at the broker since) is not
 * delivered a body it could not open; a named recipient without a sealed
 * key is refused (E_NOT_SEALED).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/envelope.h"
#include "liaison/seal.h"
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

/*
 * An AMBER note from partner 0, sealed to partners[sealed_to[0..n)],
 * addressed to `to` (NULL: none) and `group` (NULL: none). *envp malloc'd.
 */
static void
sealed_note(struct btest *t, const size_t *sealed_to, size_t n,
    const char *to, const char *group, uint8_t **envp, size_t *lenp)
{
	Liaison__V1__Envelope	 e = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__Handling	 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__Note	 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__SealedBody	*sb = NULL;
	struct lsn_seal_rcpt	 rc[4];
	struct lsn_fixture_partner *from = &t->fx->partners[0];
	uint8_t			 id[16], body[128], ad[LSN_SEAL_AD_MAX];
	size_t			 blen, adlen;
	const char		*field = NULL;
	char			*tov[1], *gv[1];

	assert_true(n <= 4);
	note.text = (char *) (uintptr_t) "synthetic amber note";
	blen = liaison__v1__note__pack(&note, body);
	lsn_random(id, sizeof(id));
	for (size_t i = 0; i < n; i++) {
		rc[i].partner = t->fx->partners[sealed_to[i]].id;
		rc[i].pk = t->fx->partners[sealed_to[i]].encrypt->pk;
	}
	assert_ok(lsn_seal_ad(id, from->id,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE, ad, &adlen));
	assert_ok(lsn_seal(body, blen, ad, adlen, rc, n, &sb));
	e.has_version = 1;
	e.version = LSN_ENVELOPE_VERSION;
	e.has_message_id = 1;
	e.message_id.data = id;
	e.message_id.len = sizeof(id);
	e.sender = from->id;
	e.sender_key_id = from->sign->key_id;
	if (to != NULL) {
		tov[0] = (char *) (uintptr_t) to;
		e.n_to = 1;
		e.to = tov;
	}
	if (group != NULL) {
		gv[0] = (char *) (uintptr_t) group;
		e.n_to_groups = 1;
		e.to_groups = gv;
	}
	e.has_created_ms = 1;
	e.created_ms = t->now;
	e.has_type = 1;
	e.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	h.has_tlp = 1;
	h.tlp = LIAISON__V1__TLP__TLP_AMBER;
	e.handling = &h;
	e.has_priority = 1;
	e.priority = LIAISON__V1__PRIORITY__PRIORITY_P4;
	e.sealed = sb;
	assert_ok(lsn_envelope_sign(&e, from->sign, envp, lenp, &field));
	lsn_sealed_free(&sb);
}

static void
test_ingress_sealed_group_message_only_to_sealed_members(void **state)
{
	struct btest		*t = *state;
	struct ingress_result	 r;
	const size_t		 known[] = { 0, 1, 2 };	/* p04 "added later" */
	uint8_t			*env = NULL;
	size_t			 len = 0;

	sealed_note(t, known, 3, NULL, "all-members", &env, &len);
	memset(&r, 0, sizeof(r));
	assert_int_equal(ingress_publish(&t->b, t->fx->partners[0].id, env,
	    len, &r), LSN_OK);
	free(env);
	assert_int_equal(r.nrcpts, 2);
	assert_string_equal(r.rcpts[0], t->fx->partners[1].id);
	assert_string_equal(r.rcpts[1], t->fx->partners[2].id);
	ingress_result_free(&r);
	assert_ok(broker_tx_end(&t->b));
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM queue WHERE "
	    "recipient = 'p04'"), 0);
	assert_int_equal(btest_count(t, "SELECT COUNT(*) FROM queue WHERE "
	    "recipient = 'p02'"), 1);
}

static void
test_ingress_sealed_named_recipient_without_key_refused(void **state)
{
	struct btest		*t = *state;
	struct ingress_result	 r;
	const size_t		 only[] = { 0, 1 };
	uint8_t			*env = NULL;
	size_t			 len = 0;

	sealed_note(t, only, 2, t->fx->partners[2].id, NULL, &env, &len);
	memset(&r, 0, sizeof(r));
	assert_int_equal(ingress_publish(&t->b, t->fx->partners[0].id, env,
	    len, &r), LSN_ENOTSEALED);
	free(env);
	assert_non_null(strstr(r.detail, t->fx->partners[2].id));
	ingress_result_free(&r);
	/* a group that reaches nobody sealed for: nothing to deliver */
	sealed_note(t, only, 1, NULL, "all-members", &env, &len);
	memset(&r, 0, sizeof(r));
	assert_int_equal(ingress_publish(&t->b, t->fx->partners[0].id, env,
	    len, &r), LSN_EUNKNOWNRCPT);
	free(env);
	ingress_result_free(&r);
	assert_ok(broker_tx_end(&t->b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_ingress_sealed_group_message_only_to_sealed_members,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ingress_sealed_named_recipient_without_key_refused,
		    setup, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
