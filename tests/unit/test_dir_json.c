/* test_dir_json.c -- JSON export / import round trip and op batches. */
#include "dir_fixture.h"

#include <jansson.h>

/* A directory with suspended and revoked partners, revoked and retired
 * keys, confirmed contacts, a second unit with a fallback, groups. */
static void
build_rich(struct dfx *fx)
{
	struct lsn_keypair		*k = fx_kp(LSN_KEY_SIGN, "au-afp");
	Liaison__V1__RevokeKey		 rk = LIAISON__V1__REVOKE_KEY__INIT;
	Liaison__V1__RetireKey		 rt = LIAISON__V1__RETIRE_KEY__INIT;
	Liaison__V1__ConfirmContact	 cc =
	    LIAISON__V1__CONFIRM_CONTACT__INIT;
	Liaison__V1__SetUnit		 su = LIAISON__V1__SET_UNIT__INIT;
	Liaison__V1__Unit		 u = LIAISON__V1__UNIT__INIT;
	Liaison__V1__SetStatus		 ss = LIAISON__V1__SET_STATUS__INIT;
	Liaison__V1__CreateGroup	 cg = LIAISON__V1__CREATE_GROUP__INIT;
	Liaison__V1__AddMember		 am = LIAISON__V1__ADD_MEMBER__INIT;
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;

	assert_ok(fx_add_partner(fx, "au-afp", k, NULL));
	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	assert_ok(fx_add_partner(fx, "ie-garda", NULL, NULL));
	/* au-afp: key retired, then revoked; a confirmed contact */
	rt.partner_id = "au-afp";
	rt.key_id = k->key_id;
	rt.has_valid_until_ms = 1;
	rt.valid_until_ms = FX_T0 + 7000;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY;
	op.retire_key = &rt;
	assert_ok(fx_admin(fx, &op, 1, 1));
	liaison__v1__dir_op__init(&op);
	rk.partner_id = "au-afp";
	rk.key_id = k->key_id;
	rk.has_revoked_at_ms = 1;
	rk.revoked_at_ms = FX_T0 + 5;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY;
	op.revoke_key = &rk;
	assert_ok(fx_admin(fx, &op, 2, 2));
	liaison__v1__dir_op__init(&op);
	cc.partner_id = "au-afp";
	cc.contact_id = "desk";
	cc.has_verified_at_ms = 1;
	cc.verified_at_ms = FX_T0 - 86400000;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT;
	op.confirm_contact = &cc;
	assert_ok(fx_admin(fx, &op, 3, 1));
	/* gb-nca: a unit falling back to vid; suspended */
	liaison__v1__dir_op__init(&op);
	u.unit_id = "cyber";
	u.name = "Cyber Crime Unit";
	u.fallback_unit = "vid";
	su.partner_id = "gb-nca";
	su.unit = &u;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_UNIT;
	op.set_unit = &su;
	assert_ok(fx_admin(fx, &op, 1, 1));
	liaison__v1__dir_op__init(&op);
	ss.partner_id = "gb-nca";
	ss.has_status = 1;
	ss.status = LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_STATUS;
	op.set_status = &ss;
	assert_ok(fx_admin(fx, &op, 2, 2));
	/* groups: hotlines with ie-garda and au-afp; an empty group */
	liaison__v1__dir_op__init(&op);
	cg.name = "hotlines";
	cg.description = "INHOPE-style hotlines";
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
	op.create_group = &cg;
	assert_ok(fx_admin(fx, &op, 0, 1));
	cg.name = "working-group";
	cg.description = NULL;
	assert_ok(fx_admin(fx, &op, 0, 1));
	liaison__v1__dir_op__init(&op);
	am.group = "hotlines";
	am.partner_id = "ie-garda";
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER;
	op.add_member = &am;
	assert_ok(fx_admin(fx, &op, 1, 1));
	am.partner_id = "au-afp";
	assert_ok(fx_admin(fx, &op, 2, 1));
	/* ie-garda: revoked (after joining the group) */
	liaison__v1__dir_op__init(&op);
	ss.partner_id = "ie-garda";
	ss.status = LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_STATUS;
	op.set_status = &ss;
	assert_ok(fx_admin(fx, &op, 1, 2));
	lsn_keypair_destroy(&k);
}

static void
test_dir_export_import_round_trip_same_content_digest(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_dirop_batch	*b = NULL, *b2 = NULL;
	struct lsn_store	*st2 = NULL;
	struct lsn_dir		*d2 = NULL;
	json_t			*j = NULL, *j2;
	json_error_t		 jerr;
	uint8_t			 c1[32], c2[32], s1[32], s2[32], *file, *e;
	size_t			 flen, elen;
	char			*text, why[LSN_DIR_WHY_MAX];
	void			*out = NULL;

	build_rich(fx);
	assert_ok(lsn_dir_export_json(fx->d, &out));
	j = out;
	assert_string_equal(json_string_value(json_object_get(j, "format")),
	    "liaison-directory-v1");
	assert_int_equal(json_array_size(json_object_get(j, "partners")), 3);
	/* Through text, as a file would be. */
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	assert_non_null(text);
	json_decref(j);
	j2 = json_loads(text, 0, &jerr);
	assert_non_null(j2);
	free(text);

	assert_ok(lsn_dir_import_json(j2, FX_T0 + 60000, &b, why,
	    sizeof(why)));
	json_decref(j2);
	/* 3 add-partner, revoke-key, confirm (x1), 2 create-group,
	 * 2 add-member, 2 set-status. */
	assert_int_equal(b->n, 11);
	/* Admins sign the whole batch; it passes through a file. */
	assert_ok(lsn_dirop_batch_sign(b, fx->admin[0]));
	assert_ok(lsn_dirop_batch_sign(b, fx->admin[1]));
	assert_ok(lsn_dirop_batch_save(b, 1, &file, &flen));
	assert_ok(lsn_dirop_batch_load(file, flen, &b2));
	free(file);
	assert_int_equal(b2->n, b->n);

	/* A fresh directory with the same genesis. */
	fx_open_dir(&st2, &d2);
	assert_ok(lsn_dir_entry_get(fx->d, 1, &e, &elen));
	assert_ok(lsn_dir_apply_entry(d2, e, elen, NULL, 0));
	free(e);
	assert_ok(lsn_store_begin(st2));
	for (size_t i = 0; i < b2->n; i++) {
		int rv = lsn_dir_submit(d2, b2->ops[i], b2->lens[i],
		    FX_T0 + 60000, NULL, why, sizeof(why));

		if (rv != LSN_OK)
			fail_msg("op %zu: %s: %s", i, lsn_errname(rv), why);
	}
	assert_ok(lsn_store_commit(st2));
	assert_ok(lsn_dir_content_digest(fx->d, c1));
	assert_ok(lsn_dir_content_digest(d2, c2));
	assert_memory_equal(c1, c2, 32);
	/* The full digest differs: versions and timestamps are the op's. */
	fx_digest(fx->d, s1);
	fx_digest(d2, s2);
	assert_memory_not_equal(s1, s2, 32);
	lsn_dirop_batch_free(&b);
	lsn_dirop_batch_free(&b2);
	lsn_dir_close(&d2);
	lsn_store_close(&st2);
}

static void
test_dir_import_refuses_bad_documents(void **state)
{
	struct lsn_dirop_batch	*b = NULL;
	json_t			*j;
	json_error_t		 jerr;
	char			 why[LSN_DIR_WHY_MAX];

	(void) state;
	assert_ok(lsn_init());
	j = json_loads("{\"partners\": [{\"id\": \"gb-nca\", \"kind\": "
	    "\"police\", \"country\": \"GB\", \"names\": {\"official\": "
	    "\"NCA\"}}]}", 0, &jerr);
	assert_non_null(j);
	assert_err(lsn_dir_import_json(j, FX_T0, &b, why, sizeof(why)),
	    LSN_EINVAL);
	assert_non_null(strstr(why, "partner gb-nca"));
	assert_non_null(strstr(why, "kind"));
	json_decref(j);

	j = json_loads("{\"partners\": [{\"id\": \"gb-nca\", \"kind\": "
	    "\"law_enforcement\", \"country\": \"GB\", \"names\": "
	    "{\"official\": \"NCA\"}, \"keys\": [{\"purpose\": \"sign\", "
	    "\"public_key\": \"00ff\"}]}]}", 0, &jerr);
	assert_non_null(j);
	assert_err(lsn_dir_import_json(j, FX_T0, &b, why, sizeof(why)),
	    LSN_EINVAL);
	assert_non_null(strstr(why, "public_key"));
	json_decref(j);

	j = json_loads("{\"partners\": [{\"id\": \"gb-nca\", \"kind\": "
	    "\"law_enforcement\", \"country\": \"Britain\", \"names\": "
	    "{\"official\": \"NCA\"}}]}", 0, &jerr);
	assert_err(lsn_dir_import_json(j, FX_T0, &b, why, sizeof(why)),
	    LSN_EINVAL);
	assert_non_null(strstr(why, "country"));
	json_decref(j);

	j = json_loads("[1, 2]", 0, &jerr);
	assert_err(lsn_dir_import_json(j, FX_T0, &b, why, sizeof(why)),
	    LSN_EINVAL);
	json_decref(j);

	/* A minimal spreadsheet-style document is fine; groups named only
	 * on partners are created. */
	j = json_loads("{\"partners\": [{\"id\": \"gb-nca\", \"kind\": "
	    "\"law_enforcement\", \"country\": \"GB\", \"names\": "
	    "{\"official\": \"NCA\"}, \"groups\": [\"all-members\"]}]}", 0,
	    &jerr);
	assert_ok(lsn_dir_import_json(j, FX_T0, &b, why, sizeof(why)));
	assert_int_equal(b->n, 3);
	lsn_dirop_batch_free(&b);
	json_decref(j);
}

static void
test_dir_batch_file_forms(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__CreateGroup cg = LIAISON__V1__CREATE_GROUP__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__SignedDirOp *s = NULL;
	struct lsn_dirop_batch	*b = NULL, *b2 = NULL;
	uint8_t			*one, *file;
	size_t			 len, flen;

	cg.name = "hotlines";
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
	op.create_group = &cg;
	one = fx_op(fx, &op, "admin", 0, &len);
	assert_ok(lsn_dirop_batch_new(&b));
	assert_ok(lsn_dirop_batch_add(b, one, len));
	/* single: the file is the op itself */
	assert_ok(lsn_dirop_batch_save(b, 1, &file, &flen));
	assert_int_equal(flen, len);
	assert_memory_equal(file, one, len);
	free(file);
	/* batch form: magic + message, also for one op */
	assert_ok(lsn_dirop_batch_save(b, 0, &file, &flen));
	assert_memory_equal(file, LSN_DIROP_BATCH_MAGIC, 8);
	assert_ok(lsn_dirop_batch_load(file, flen, &b2));
	assert_int_equal(b2->n, 1);
	assert_memory_equal(b2->ops[0], one, len);
	/* signing twice with one key keeps one signature */
	assert_ok(lsn_dirop_batch_sign(b2, fx->admin[0]));
	assert_ok(lsn_dirop_batch_sign(b2, fx->admin[0]));
	assert_ok(lsn_dirop_batch_sign(b2, fx->admin[1]));
	assert_ok(lsn_dirop_parse(b2->ops[0], b2->lens[0], &s, NULL));
	assert_int_equal(s->n_signatures, 2);
	liaison__v1__signed_dir_op__free_unpacked(s, NULL);
	/* corrupt inputs */
	file[9] ^= 0xff;
	lsn_dirop_batch_free(&b2);
	assert_true(lsn_dirop_batch_load(file, flen, &b2) != LSN_OK);
	assert_null(b2);
	assert_err(lsn_dirop_batch_load((const uint8_t *) "junk", 4, &b2),
	    LSN_EPROTO);
	free(file);
	free(one);
	lsn_dirop_batch_free(&b);
}

static void
test_dir_op_names_and_classes(void **state)
{
	Liaison__V1__DirOp	op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__AddKey	ak = LIAISON__V1__ADD_KEY__INIT;
	Liaison__V1__KeyRecord	k = LIAISON__V1__KEY_RECORD__INIT;

	(void) state;
	assert_string_equal(lsn_dirop_action_name(&op), "none");
	assert_int_equal(lsn_dirop_class(&op), 0);
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_KEY;
	op.add_key = &ak;
	ak.key = &k;
	k.purpose = LIAISON__V1__KEY_PURPOSE__KEY_ENCRYPT;
	assert_int_equal(lsn_dirop_class(&op),
	    LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE);
	k.purpose = LIAISON__V1__KEY_PURPOSE__KEY_SIGN;
	assert_int_equal(lsn_dirop_class(&op),
	    LIAISON__V1__ACTION_CLASS__CLASS_SENSITIVE);
	assert_string_equal(lsn_dirop_action_name(&op), "add-key");
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT;
	assert_string_equal(lsn_dir_class_name(lsn_dirop_class(&op)), "root");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_dir_export_import_round_trip_same_content_digest,
		    fx_setup, fx_teardown),
		cmocka_unit_test(test_dir_import_refuses_bad_documents),
		cmocka_unit_test_setup_teardown(test_dir_batch_file_forms,
		    fx_setup, fx_teardown),
		cmocka_unit_test(test_dir_op_names_and_classes),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
