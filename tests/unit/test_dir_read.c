/* test_dir_read.c -- directory lookups used by the daemons and the CLI. */
#include "dir_fixture.h"

static int
set_status(struct dfx *fx, const char *pid, int st, uint64_t exp)
{
	Liaison__V1__SetStatus	ss = LIAISON__V1__SET_STATUS__INIT;
	Liaison__V1__DirOp	op = LIAISON__V1__DIR_OP__INIT;

	ss.partner_id = (char *) (uintptr_t) pid;
	ss.has_status = 1;
	ss.status = (Liaison__V1__PartnerStatus) st;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_STATUS;
	op.set_status = &ss;
	return (fx_admin(fx, &op, exp, 2));
}

static void
test_dir_sign_key_error_codes(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_keypair	*k = fx_kp(LSN_KEY_SIGN, "au-afp");
	struct lsn_keypair	*k2 = fx_kp(LSN_KEY_SIGN, "gb-nca");
	Liaison__V1__RetireKey	 rt = LIAISON__V1__RETIRE_KEY__INIT;
	Liaison__V1__RevokeKey	 rk = LIAISON__V1__REVOKE_KEY__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__Partner	*p = NULL;
	uint8_t			 pk[32];
	const char		*enc_kid = NULL;

	assert_ok(fx_add_partner(fx, "au-afp", k, NULL));
	assert_ok(fx_add_partner(fx, "gb-nca", k2, NULL));
	assert_ok(lsn_dir_sign_key(fx->d, "au-afp", k->key_id, fx->now, pk));
	assert_memory_equal(pk, k->pk, 32);
	assert_err(lsn_dir_sign_key(fx->d, "zz-none", k->key_id, fx->now, pk),
	    LSN_EUNKNOWNSENDER);
	assert_err(lsn_dir_sign_key(fx->d, "au-afp", k2->key_id, fx->now, pk),
	    LSN_EUNKNOWNKEY);
	assert_err(lsn_dir_sign_key(fx->d, "au-afp", "not-a-key-id", fx->now,
	    pk), LSN_EUNKNOWNKEY);
	assert_ok(lsn_dir_partner_get(fx->d, "au-afp", &p));
	for (size_t i = 0; i < p->n_keys; i++)
		if (p->keys[i]->purpose ==
		    LIAISON__V1__KEY_PURPOSE__KEY_ENCRYPT)
			enc_kid = p->keys[i]->key_id;
	assert_non_null(enc_kid);
	assert_err(lsn_dir_sign_key(fx->d, "au-afp", enc_kid, fx->now, pk),
	    LSN_EUNKNOWNKEY);
	lsn_dir_partner_free(&p);

	/* retired at now+1000: valid before, expired from then on */
	rt.partner_id = "au-afp";
	rt.key_id = k->key_id;
	rt.has_valid_until_ms = 1;
	rt.valid_until_ms = fx->now + 1000;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY;
	op.retire_key = &rt;
	assert_ok(fx_admin(fx, &op, 1, 1));
	assert_ok(lsn_dir_sign_key(fx->d, "au-afp", k->key_id, fx->now + 999,
	    pk));
	assert_err(lsn_dir_sign_key(fx->d, "au-afp", k->key_id,
	    fx->now + 1000, pk), LSN_EKEYEXPIRED);

	/* revoked at now+500: at and after that instant */
	liaison__v1__dir_op__init(&op);
	rk.partner_id = "au-afp";
	rk.key_id = k->key_id;
	rk.has_revoked_at_ms = 1;
	rk.revoked_at_ms = fx->now + 500;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY;
	op.revoke_key = &rk;
	assert_ok(fx_admin(fx, &op, 2, 2));
	assert_ok(lsn_dir_sign_key(fx->d, "au-afp", k->key_id, fx->now + 499,
	    pk));
	assert_err(lsn_dir_sign_key(fx->d, "au-afp", k->key_id, fx->now + 500,
	    pk), LSN_EKEYREVOKED);

	/* partner status */
	assert_ok(set_status(fx, "gb-nca",
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, 1));
	assert_err(lsn_dir_sign_key(fx->d, "gb-nca", k2->key_id, fx->now, pk),
	    LSN_ESUSPENDED);
	assert_ok(set_status(fx, "gb-nca",
	    LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED, 2));
	assert_err(lsn_dir_sign_key(fx->d, "gb-nca", k2->key_id, fx->now, pk),
	    LSN_EPREVOKED);
	{
		int st;

		assert_ok(lsn_dir_partner_status(fx->d, "gb-nca", &st));
		assert_int_equal(st,
		    LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED);
		assert_err(lsn_dir_partner_status(fx->d, "zz-none", &st),
		    LSN_ENOENT);
	}
	lsn_keypair_destroy(&k);
	lsn_keypair_destroy(&k2);
}

static void
test_dir_transport_owner_and_encrypt_key(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_keypair	*t = fx_kp(LSN_KEY_TRANSPORT, "au-afp");
	struct lsn_keypair	*s = fx_kp(LSN_KEY_SIGN, "au-afp");
	Liaison__V1__AddKey	 ak = LIAISON__V1__ADD_KEY__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	char			 owner[64], kid[17], kid2[17];
	uint8_t			 pk[32], epk[32];

	assert_ok(fx_add_partner(fx, "au-afp", s, t));
	assert_ok(lsn_dir_transport_owner(fx->d, t->pk, fx->now, owner));
	assert_string_equal(owner, "au-afp");
	/* a sign key is not a transport key */
	assert_err(lsn_dir_transport_owner(fx->d, s->pk, fx->now, owner),
	    LSN_ENOENT);
	lsn_random(pk, sizeof(pk));
	assert_err(lsn_dir_transport_owner(fx->d, pk, fx->now, owner),
	    LSN_ENOENT);

	/* encryption key: the latest valid one wins */
	assert_ok(lsn_dir_encrypt_key(fx->d, "au-afp", fx->now, kid, pk));
	lsn_random(epk, sizeof(epk));
	ak.partner_id = "au-afp";
	ak.key = fx_keyrec(epk, LSN_KEY_ENCRYPT, fx->now + 100, 0);
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_KEY;
	op.add_key = &ak;
	assert_ok(fx_admin(fx, &op, 1, 1));
	liaison__v1__key_record__free_unpacked(ak.key, NULL);
	assert_ok(lsn_dir_encrypt_key(fx->d, "au-afp", fx->now, kid2, pk));
	assert_string_equal(kid, kid2);		/* new one not valid yet */
	assert_ok(lsn_dir_encrypt_key(fx->d, "au-afp", fx->now + 100, kid2,
	    pk));
	assert_string_not_equal(kid, kid2);
	assert_memory_equal(pk, epk, 32);
	assert_err(lsn_dir_encrypt_key(fx->d, "zz-none", fx->now, kid, pk),
	    LSN_EUNKNOWNRCPT);

	assert_ok(set_status(fx, "au-afp",
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, 2));
	assert_err(lsn_dir_transport_owner(fx->d, t->pk, fx->now, owner),
	    LSN_ESUSPENDED);
	assert_err(lsn_dir_encrypt_key(fx->d, "au-afp", fx->now, kid, pk),
	    LSN_ESUSPENDED);
	assert_ok(set_status(fx, "au-afp",
	    LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED, 3));
	assert_err(lsn_dir_transport_owner(fx->d, t->pk, fx->now, owner),
	    LSN_EPREVOKED);
	lsn_keypair_destroy(&t);
	lsn_keypair_destroy(&s);
}

static int
count_partner(void *arg, const Liaison__V1__Partner *p)
{
	char	*buf = arg;

	strcat(buf, p->id);
	strcat(buf, " ");
	return (0);
}

static int
stop_at_first(void *arg, const Liaison__V1__Partner *p)
{
	(void) arg;
	(void) p;
	return (42);
}

static int
collect_id(void *arg, const char *id)
{
	strcat(arg, id);
	strcat(arg, " ");
	return (0);
}

static int
collect_contact(void *arg, const Liaison__V1__Contact *c)
{
	strcat(arg, c->contact_id);
	strcat(arg, " ");
	return (0);
}

static void
test_dir_list_search_groups_contacts(void **state)
{
	struct dfx			*fx = *state;
	Liaison__V1__CreateGroup	 cg = LIAISON__V1__CREATE_GROUP__INIT;
	Liaison__V1__AddMember		 am = LIAISON__V1__ADD_MEMBER__INIT;
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__Partner		*p = NULL;
	char				 buf[512];
	uint8_t				*packed;
	size_t				 len;

	assert_ok(fx_add_partner(fx, "ie-garda", NULL, NULL));
	assert_ok(fx_add_partner(fx, "au-afp", NULL, NULL));
	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	assert_ok(fx_set_contact(fx, "admin", "gb-nca", "oncall", 1,
	    fx->admin, 1));
	buf[0] = '\0';
	assert_ok(lsn_dir_list(fx->d, NULL, count_partner, buf));
	assert_string_equal(buf, "au-afp gb-nca ie-garda ");
	buf[0] = '\0';
	assert_ok(lsn_dir_list(fx->d, "GARDA", count_partner, buf));
	assert_string_equal(buf, "ie-garda ");
	buf[0] = '\0';
	assert_ok(lsn_dir_list(fx->d, "analyst on", count_partner, buf));
	assert_string_equal(buf, "gb-nca ");
	buf[0] = '\0';
	assert_ok(lsn_dir_list(fx->d, "victim ident", count_partner, buf));
	assert_string_equal(buf, "au-afp gb-nca ie-garda ");
	buf[0] = '\0';
	assert_ok(lsn_dir_list(fx->d, "nothing-like-this", count_partner,
	    buf));
	assert_string_equal(buf, "");
	assert_int_equal(lsn_dir_list(fx->d, NULL, stop_at_first, NULL), 42);

	/* group members, active only */
	cg.name = "all-members";
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
	op.create_group = &cg;
	assert_ok(fx_admin(fx, &op, 0, 1));
	for (int i = 0; i < 3; i++) {
		static const char *const ids[] = { "gb-nca", "au-afp",
		    "ie-garda" };

		liaison__v1__dir_op__init(&op);
		am.group = "all-members";
		am.partner_id = (char *) (uintptr_t) ids[i];
		op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER;
		op.add_member = &am;
		assert_ok(fx_admin(fx, &op, (uint64_t) i + 1, 1));
	}
	assert_ok(set_status(fx, "au-afp",
	    LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED, 1));
	buf[0] = '\0';
	assert_ok(lsn_dir_group_members(fx->d, "all-members", 1, collect_id,
	    buf));
	assert_string_equal(buf, "gb-nca ie-garda ");
	buf[0] = '\0';
	assert_ok(lsn_dir_group_members(fx->d, "all-members", 0, collect_id,
	    buf));
	assert_string_equal(buf, "au-afp gb-nca ie-garda ");
	assert_err(lsn_dir_group_members(fx->d, "nope", 0, collect_id, buf),
	    LSN_EUNKNOWNGROUP);
	buf[0] = '\0';
	assert_ok(lsn_dir_groups(fx->d, collect_id, buf));
	assert_string_equal(buf, "all-members ");

	/* 24/7 contacts */
	buf[0] = '\0';
	assert_ok(lsn_dir_contacts_24x7(fx->d, "gb-nca", collect_contact,
	    buf));
	assert_string_equal(buf, "desk ");
	assert_err(lsn_dir_contacts_24x7(fx->d, "zz-none", collect_contact,
	    buf), LSN_ENOENT);

	/* the whole record, and packed */
	assert_ok(lsn_dir_partner_get(fx->d, "gb-nca", &p));
	assert_int_equal(p->n_groups, 1);
	assert_string_equal(p->groups[0], "all-members");
	assert_int_equal(p->n_contacts, 2);
	assert_string_equal(p->contacts[0]->contact_id, "desk");
	assert_int_equal(p->contacts[0]->n_languages, 2);
	assert_string_equal(p->contacts[0]->languages[1], "fr");
	assert_string_equal(p->contacts[0]->time_zone, "Europe/London");
	assert_true(p->contacts[0]->is_24x7);
	assert_string_equal(p->units[0]->unit_id, "vid");
	lsn_dir_partner_free(&p);
	assert_ok(lsn_dir_partner_pack(fx->d, "gb-nca", &packed, &len));
	p = liaison__v1__partner__unpack(NULL, len, packed);
	assert_non_null(p);
	assert_string_equal(p->id, "gb-nca");
	liaison__v1__partner__free_unpacked(p, NULL);
	free(packed);
	assert_err(lsn_dir_partner_get(fx->d, "zz-none", &p), LSN_ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_sign_key_error_codes,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_transport_owner_and_encrypt_key, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_list_search_groups_contacts, fx_setup,
		    fx_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
