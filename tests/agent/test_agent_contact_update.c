/*
 * test_agent_contact_update.c -- a ContactUpdate message carries the
 * self-signed directory op of the change it announces (agent/
 * wf_contact_update.c, lib/dir_auth.c lsn_dir_contact_op_check): the
 * agent accepts one whose op is the sender's own, on the contact the body
 * names, with the change the body says, signed by the sender's key; it
 * quarantines one carrying another member's op, an op signed by another
 * member's key, or an op on another contact, and refuses to send one
 * that is not its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/util.h"

#include "agent.h"
#include "agent_fixture.h"
#include "lsn_test.h"

static int
setup(void **state)
{
	return (agent_fx_setup(state, 3));
}

/*
 * A SetContact (or RemoveContact) op authored by `author` on partner
 * `target`'s contact cid, signed by partner `signer`: *out (malloc'd).
 */
static void
contact_op(struct agent_env *e, size_t author, size_t target, size_t signer,
    const char *cid, int remove, uint8_t **out, size_t *outlen)
{
	Liaison__V1__DirOp		op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__SetContact		sc = LIAISON__V1__SET_CONTACT__INIT;
	Liaison__V1__RemoveContact	rc = LIAISON__V1__REMOVE_CONTACT__INIT;
	Liaison__V1__Contact		c = LIAISON__V1__CONTACT__INIT;
	uint8_t				*raw = NULL;
	size_t				 rawlen = 0;
	char				 why[256];

	op.author = e->fx->partners[author].id;
	if (remove) {
		rc.partner_id = e->fx->partners[target].id;
		rc.contact_id = (char *) (uintptr_t) cid;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT;
		op.remove_contact = &rc;
	} else {
		c.contact_id = (char *) (uintptr_t) cid;
		c.name = (char *) (uintptr_t) "Duty desk (synthetic)";
		c.email = (char *) (uintptr_t) "desk@example.org";
		c.has_is_24x7 = 1;
		c.is_24x7 = 1;
		sc.partner_id = e->fx->partners[target].id;
		sc.contact = &c;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_CONTACT;
		op.set_contact = &sc;
	}
	assert_ok(lsn_dirop_new(&op, &raw, &rawlen, why, sizeof(why)));
	assert_ok(lsn_dirop_sign(raw, rawlen, e->fx->partners[signer].sign,
	    out, outlen));
	free(raw);
}

/* A ContactUpdate body for cid with change and op: *out (malloc'd). */
static void
update_body(const char *cid, int change, const uint8_t *op, size_t oplen,
    uint8_t **out, size_t *outlen)
{
	Liaison__V1__ContactUpdate	cu = LIAISON__V1__CONTACT_UPDATE__INIT;

	cu.has_change = 1;
	cu.change = change;
	cu.contact_id = (char *) (uintptr_t) cid;
	cu.has_signed_dir_op = 1;
	cu.signed_dir_op.data = (uint8_t *) (uintptr_t) op;
	cu.signed_dir_op.len = oplen;
	*outlen = liaison__v1__contact_update__get_packed_size(&cu);
	assert_non_null(*out = malloc(*outlen));
	liaison__v1__contact_update__pack(&cu, *out);
}

/* Delivers a ContactUpdate from partner 0 as seq: the DeliverAck code. */
static int
deliver_update(struct agent_env *e, uint64_t seq, const char *cid,
    int change, const uint8_t *op, size_t oplen)
{
	uint8_t	*body = NULL, *env = NULL;
	size_t	 blen = 0, elen = 0;
	int	 code;

	update_body(cid, change, op, oplen, &body, &blen);
	agent_fx_envelope(e, 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_UPDATE,
	    LIAISON__V1__PRIORITY__PRIORITY_P3, body, blen, &env, &elen);
	code = agent_fx_deliver(e, seq, env, elen);
	free(body);
	free(env);
	return (code);
}

static void
test_agent_contact_update_received(void **state)
{
	struct agent_env	*e = *state;
	uint8_t			*op = NULL;
	size_t			 oplen = 0;
	const int		 add = LIAISON__V1__CONTACT_CHANGE__CONTACT_ADD;
	const int		 rm = LIAISON__V1__CONTACT_CHANGE__CONTACT_REMOVE;

	/* the sender's own op on its own contact: an inbox item */
	contact_op(e, 0, 0, 0, "duty-desk", 0, &op, &oplen);
	assert_int_equal(deliver_update(e, 1, "duty-desk", add, op, oplen),
	    LSN_OK);
	/* the same op under another contact id, or as a removal */
	assert_int_equal(deliver_update(e, 2, "other-desk", add, op, oplen),
	    LSN_EINVAL);
	assert_int_equal(deliver_update(e, 3, "duty-desk", rm, op, oplen),
	    LSN_EINVAL);
	free(op);
	/* another member's own op, forwarded as if it were the sender's */
	contact_op(e, 2, 2, 2, "duty-desk", 0, &op, &oplen);
	assert_int_equal(deliver_update(e, 4, "duty-desk", add, op, oplen),
	    LSN_ENOTAUTH);
	free(op);
	/* the sender named as author, signed with another member's key */
	contact_op(e, 0, 0, 2, "duty-desk", 0, &op, &oplen);
	assert_int_equal(deliver_update(e, 5, "duty-desk", add, op, oplen),
	    LSN_ENOTAUTH);
	free(op);
	/* the sender's op on another member's contact */
	contact_op(e, 0, 2, 0, "duty-desk", 0, &op, &oplen);
	assert_int_equal(deliver_update(e, 6, "duty-desk", add, op, oplen),
	    LSN_ENOTAUTH);
	free(op);
	/* a removal, done right */
	contact_op(e, 0, 0, 0, "duty-desk", 1, &op, &oplen);
	assert_int_equal(deliver_update(e, 7, "duty-desk", rm, op, oplen),
	    LSN_OK);
	free(op);
	/* not a directory op at all */
	assert_int_equal(deliver_update(e, 8, "duty-desk", add,
	    (const uint8_t *) "garbage", 7), LSN_EPROTO);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM inbox"),
	    2);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM "
	    "quarantine"), 6);
}

/* Submits a ContactUpdate carrying op to partner 0. */
static int
submit_update(struct agent_env *e, const uint8_t *op, size_t oplen,
    char *detail, size_t detailsz)
{
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	uint8_t				*body = NULL, id[16];
	size_t				 blen = 0;
	char				*to[1];
	int				 rv;

	update_body("duty-desk", LIAISON__V1__CONTACT_CHANGE__CONTACT_ADD, op,
	    oplen, &body, &blen);
	r.body.data = body;
	r.body.len = blen;
	r.has_body = 1;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_UPDATE;
	to[0] = e->fx->partners[0].id;
	r.n_to = 1;
	r.to = to;
	detail[0] = '\0';
	assert_ok(agent_tx_begin(e->a));
	rv = outbox_submit(e->a, &r, id, detail, detailsz);
	assert_ok(agent_tx_commit(e->a));
	free(body);
	return (rv);
}

static void
test_agent_contact_update_sent(void **state)
{
	struct agent_env	*e = *state;
	uint8_t			*op = NULL;
	size_t			 oplen = 0;
	char			 detail[256];

	/* the agent is partner 1: its own op goes out */
	contact_op(e, 1, 1, 1, "duty-desk", 0, &op, &oplen);
	assert_ok(submit_update(e, op, oplen, detail, sizeof(detail)));
	free(op);
	/* partner 0's op is not ours to announce */
	contact_op(e, 0, 0, 0, "duty-desk", 0, &op, &oplen);
	assert_int_equal(submit_update(e, op, oplen, detail, sizeof(detail)),
	    LSN_ENOTAUTH);
	assert_non_null(strstr(detail, "contact update"));
	free(op);
	assert_int_equal(agent_fx_count_sql(e, "SELECT count(*) FROM outbox"),
	    1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_agent_contact_update_received, setup,
		    agent_fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_agent_contact_update_sent, setup, agent_fx_teardown),
	};
	return (cmocka_run_group_tests_name("agent_contact_update", tests,
	    NULL, NULL));
}
