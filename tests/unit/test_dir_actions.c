/* test_dir_actions.c -- every directory action, applied and refused. */
#include "dir_fixture.h"

#define ACTIVE		LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE
#define SUSPENDED	LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED
#define REVOKED		LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED

static int
set_status(struct dfx *fx, const char *pid, int st, uint64_t exp, size_t n)
{
	Liaison__V1__SetStatus	ss = LIAISON__V1__SET_STATUS__INIT;
	Liaison__V1__DirOp	op = LIAISON__V1__DIR_OP__INIT;

	ss.partner_id = (char *) (uintptr_t) pid;
	ss.has_status = 1;
	ss.status = (Liaison__V1__PartnerStatus) st;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_STATUS;
	op.set_status = &ss;
	return (fx_admin(fx, &op, exp, n));
}

static int
add_key(struct dfx *fx, const char *pid, const uint8_t *pk, int purpose,
    uint64_t exp, size_t n)
{
	Liaison__V1__AddKey	 ak = LIAISON__V1__ADD_KEY__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	int			 rv;

	ak.partner_id = (char *) (uintptr_t) pid;
	ak.key = fx_keyrec(pk, purpose, FX_T0, 0);
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_KEY;
	op.add_key = &ak;
	rv = fx_admin(fx, &op, exp, n);
	liaison__v1__key_record__free_unpacked(ak.key, NULL);
	return (rv);
}

static int
set_unit(struct dfx *fx, const char *pid, const char *uid,
    const char *fallback, uint64_t exp)
{
	Liaison__V1__SetUnit	su = LIAISON__V1__SET_UNIT__INIT;
	Liaison__V1__Unit	u = LIAISON__V1__UNIT__INIT;
	Liaison__V1__DirOp	op = LIAISON__V1__DIR_OP__INIT;

	u.unit_id = (char *) (uintptr_t) uid;
	u.name = "Online Child Sexual Exploitation";
	u.hours = "24/7";
	u.fallback_unit = (char *) (uintptr_t) fallback;
	su.partner_id = (char *) (uintptr_t) pid;
	su.unit = &u;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_UNIT;
	op.set_unit = &su;
	return (fx_admin(fx, &op, exp, 1));
}

static int
id_op(struct dfx *fx, int action, const char *a, const char *b,
    uint64_t exp, size_t n)
{
	Liaison__V1__RemoveUnit		ru = LIAISON__V1__REMOVE_UNIT__INIT;
	Liaison__V1__RemoveContact	rc = LIAISON__V1__REMOVE_CONTACT__INIT;
	Liaison__V1__CreateGroup	cg = LIAISON__V1__CREATE_GROUP__INIT;
	Liaison__V1__DeleteGroup	dg = LIAISON__V1__DELETE_GROUP__INIT;
	Liaison__V1__AddMember		am = LIAISON__V1__ADD_MEMBER__INIT;
	Liaison__V1__RemoveMember	rm = LIAISON__V1__REMOVE_MEMBER__INIT;
	Liaison__V1__DirOp		op = LIAISON__V1__DIR_OP__INIT;
	char				*x = (char *) (uintptr_t) a;
	char				*y = (char *) (uintptr_t) b;

	op.action_case = (Liaison__V1__DirOp__ActionCase) action;
	switch (action) {
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT:
		ru.partner_id = x;
		ru.unit_id = y;
		op.remove_unit = &ru;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT:
		rc.partner_id = x;
		rc.contact_id = y;
		op.remove_contact = &rc;
		break;
	case LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP:
		cg.name = x;
		cg.description = y;
		op.create_group = &cg;
		break;
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
		dg.name = x;
		op.delete_group = &dg;
		break;
	case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER:
		am.group = x;
		am.partner_id = y;
		op.add_member = &am;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER:
		rm.group = x;
		rm.partner_id = y;
		op.remove_member = &rm;
		break;
	default:
		fail();
	}
	return (fx_admin(fx, &op, exp, n));
}

static void
test_dir_add_partner_allowed_and_refused(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_keypair	*k = fx_kp(LSN_KEY_SIGN, "gb-nca");
	Liaison__V1__Partner	*p = NULL;
	Liaison__V1__AddPartner	 ap = LIAISON__V1__ADD_PARTNER__INIT;
	Liaison__V1__Partner	 bad = LIAISON__V1__PARTNER__INIT;
	Liaison__V1__PartnerNames n = LIAISON__V1__PARTNER_NAMES__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	uint8_t			*buf;
	size_t			 len;

	assert_ok(fx_add_partner(fx, "gb-nca", k, NULL));
	assert_ok(lsn_dir_partner_get(fx->d, "gb-nca", &p));
	assert_int_equal(p->version, 1);
	assert_int_equal(p->status, ACTIVE);
	assert_int_equal(p->n_keys, 2);
	assert_int_equal(p->n_units, 1);
	assert_int_equal(p->n_contacts, 1);
	assert_int_equal(p->created_ms, FX_T0);
	assert_string_equal(p->names->official, "Agency gb-nca");
	lsn_dir_partner_free(&p);
	assert_null(p);
	/* Same id again: the target exists (version 1, op expects 0). */
	assert_err(fx_add_partner(fx, "gb-nca", NULL, NULL), LSN_ESTALE);
	/* Another partner reusing the signing key: refused. */
	assert_err(fx_add_partner(fx, "ie-garda", k, NULL), LSN_EEXIST);
	/* Invalid fields are refused at build time and at submit. */
	n.official = "Bad";
	bad.id = "Bad_Id";
	bad.names = &n;
	bad.has_kind = 1;
	bad.kind = LIAISON__V1__PARTNER_KIND__KIND_NGO;
	bad.country = "GB";
	ap.partner = &bad;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER;
	op.add_partner = &ap;
	assert_err(lsn_dirop_new(&op, &buf, &len, NULL, 0), LSN_EINVAL);
	buf = fx_raw(fx, &op, "admin", 0, &len);
	assert_err(fx_submit_bytes(fx, buf, len, 1), LSN_EINVAL);
	bad.id = "ie-garda";
	bad.country = "gbr";
	buf = fx_raw(fx, &op, "admin", 0, &len);
	assert_err(fx_submit_bytes(fx, buf, len, 1), LSN_EINVAL);
	assert_non_null(strstr(fx->why, "country"));
	bad.country = "IE";
	bad.id = "admin";
	buf = fx_raw(fx, &op, "admin", 0, &len);
	assert_err(fx_submit_bytes(fx, buf, len, 1), LSN_EINVAL);
	bad.id = "ie-garda";
	bad.has_version = 1;
	bad.version = 7;
	buf = fx_raw(fx, &op, "admin", 0, &len);
	assert_err(fx_submit_bytes(fx, buf, len, 1), LSN_EINVAL);
	bad.has_version = 0;
	assert_ok(fx_admin(fx, &op, 0, 1));
	/* Routine: one admin signature suffices; none is refused. */
	lsn_keypair_destroy(&k);
}

static void
test_dir_update_partner_allowed_and_refused(void **state)
{
	struct dfx			*fx = *state;
	Liaison__V1__UpdatePartner	 up =
	    LIAISON__V1__UPDATE_PARTNER__INIT;
	Liaison__V1__PartnerNames	 n = LIAISON__V1__PARTNER_NAMES__INIT;
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__Partner		*p = NULL;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	n.official = "National Crime Agency";
	n.local = "";
	up.partner_id = "gb-nca";
	up.names = &n;
	up.country = "XX";
	op.action_case = LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER;
	op.update_partner = &up;
	assert_ok(fx_admin(fx, &op, 1, 1));
	assert_ok(lsn_dir_partner_get(fx->d, "gb-nca", &p));
	assert_string_equal(p->names->official, "National Crime Agency");
	assert_string_equal(p->names->short_name, "AG");	/* unchanged */
	assert_string_equal(p->country, "XX");
	assert_int_equal(p->kind,
	    LIAISON__V1__PARTNER_KIND__KIND_LAW_ENFORCEMENT);
	assert_int_equal(p->version, 2);
	lsn_dir_partner_free(&p);
	assert_err(fx_admin(fx, &op, 1, 1), LSN_ESTALE);
	up.partner_id = "zz-none";
	assert_err(fx_admin(fx, &op, 0, 1), LSN_ENOENT);
	assert_err(fx_admin(fx, &op, 1, 0), LSN_EBADSIG);
}

static void
test_dir_status_transitions(void **state)
{
	struct dfx	*fx = *state;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	assert_ok(fx_add_partner(fx, "ie-garda", NULL, NULL));
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP,
	    "all-members", "Everyone", 0, 1));
	/* suspend (sensitive), then again: already suspended */
	assert_err(set_status(fx, "gb-nca", SUSPENDED, 1, 1), LSN_ETHRESHOLD);
	assert_ok(set_status(fx, "gb-nca", SUSPENDED, 1, 2));
	assert_err(set_status(fx, "gb-nca", SUSPENDED, 2, 2), LSN_EINVAL);
	/* reinstate is sensitive too */
	assert_err(set_status(fx, "gb-nca", ACTIVE, 2, 1), LSN_ETHRESHOLD);
	assert_ok(set_status(fx, "gb-nca", ACTIVE, 2, 2));
	/* revoke: final */
	assert_ok(set_status(fx, "gb-nca", REVOKED, 3, 2));
	assert_err(set_status(fx, "gb-nca", ACTIVE, 4, 2), LSN_EPREVOKED);
	assert_err(fx_set_contact(fx, "admin", "gb-nca", "new-desk", 4,
	    fx->admin, 1), LSN_EPREVOKED);
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER,
	    "all-members", "gb-nca", 1, 1), LSN_EPREVOKED);
	/* data minimisation: its contacts can still be removed */
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT,
	    "gb-nca", "desk", 4, 1));
	assert_err(set_status(fx, "zz-none", SUSPENDED, 1, 2), LSN_ENOENT);
}

static void
test_dir_keys_add_retire_revoke(void **state)
{
	struct dfx		*fx = *state;
	struct lsn_keypair	*s2 = fx_kp(LSN_KEY_SIGN, "gb-nca");
	uint8_t			 epk[32];
	char			 ekid[17];
	Liaison__V1__RetireKey	 rt = LIAISON__V1__RETIRE_KEY__INIT;
	Liaison__V1__RevokeKey	 rk = LIAISON__V1__REVOKE_KEY__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	lsn_random(epk, sizeof(epk));
	lsn_key_id(epk, ekid);
	/* encrypt key: routine */
	assert_ok(add_key(fx, "gb-nca", epk, LSN_KEY_ENCRYPT, 1, 1));
	assert_err(add_key(fx, "gb-nca", epk, LSN_KEY_ENCRYPT, 2, 1),
	    LSN_EEXIST);
	/* sign key: sensitive */
	assert_err(add_key(fx, "gb-nca", s2->pk, LSN_KEY_SIGN, 2, 1),
	    LSN_ETHRESHOLD);
	assert_ok(add_key(fx, "gb-nca", s2->pk, LSN_KEY_SIGN, 2, 2));
	assert_err(add_key(fx, "zz-none", epk, LSN_KEY_ENCRYPT, 0, 1),
	    LSN_ENOENT);

	rt.partner_id = "gb-nca";
	rt.key_id = ekid;
	rt.has_valid_until_ms = 1;
	rt.valid_until_ms = FX_T0 + 1000;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY;
	op.retire_key = &rt;
	assert_ok(fx_admin(fx, &op, 3, 1));
	rt.valid_until_ms = FX_T0 + 2000;	/* cannot be pushed back */
	assert_err(fx_admin(fx, &op, 4, 1), LSN_EINVAL);
	rt.valid_until_ms = FX_T0 - 1;		/* before valid_from */
	assert_err(fx_admin(fx, &op, 4, 1), LSN_EINVAL);
	rt.key_id = "0000000000000000";
	rt.valid_until_ms = FX_T0 + 500;
	assert_err(fx_admin(fx, &op, 4, 1), LSN_ENOENT);

	liaison__v1__dir_op__init(&op);
	rk.partner_id = "gb-nca";
	rk.key_id = ekid;
	rk.has_revoked_at_ms = 1;
	rk.revoked_at_ms = FX_T0;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY;
	op.revoke_key = &rk;
	assert_err(fx_admin(fx, &op, 4, 1), LSN_ETHRESHOLD);
	assert_ok(fx_admin(fx, &op, 4, 2));
	assert_err(fx_admin(fx, &op, 5, 2), LSN_EINVAL);	/* again */
	/* a revoked key cannot be retired */
	liaison__v1__dir_op__init(&op);
	op.action_case = LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY;
	op.retire_key = &rt;
	rt.key_id = ekid;
	assert_err(fx_admin(fx, &op, 5, 1), LSN_EINVAL);
	lsn_keypair_destroy(&s2);
}

static void
test_dir_units_allowed_and_refused(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__Partner	*p = NULL;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	assert_ok(set_unit(fx, "gb-nca", "ocse", "vid", 1));
	assert_err(set_unit(fx, "gb-nca", "cyber", "nope", 2), LSN_ENOENT);
	assert_err(set_unit(fx, "gb-nca", "cyber", NULL, 1), LSN_ESTALE);
	/* vid is the fallback of ocse and used by no contact */
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT,
	    "gb-nca", "vid", 2, 1), LSN_EINVAL);
	assert_non_null(strstr(fx->why, "fallback of unit ocse"));
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT,
	    "gb-nca", "ocse", 2, 1));
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT,
	    "gb-nca", "vid", 3, 1));
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT,
	    "gb-nca", "vid", 4, 1), LSN_ENOENT);
	assert_ok(lsn_dir_partner_get(fx->d, "gb-nca", &p));
	assert_int_equal(p->n_units, 0);
	assert_int_equal(p->version, 4);
	lsn_dir_partner_free(&p);
}

static void
test_dir_contacts_allowed_and_refused(void **state)
{
	struct dfx			*fx = *state;
	Liaison__V1__ConfirmContact	 cc =
	    LIAISON__V1__CONFIRM_CONTACT__INIT;
	Liaison__V1__SetContact		 sc = LIAISON__V1__SET_CONTACT__INIT;
	Liaison__V1__Contact		 c = LIAISON__V1__CONTACT__INIT;
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__Partner		*p = NULL;
	uint8_t				*buf;
	size_t				 len;

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	/* A contact in a unit that does not exist. */
	c.contact_id = "analyst";
	c.name = "Analyst";
	c.email = "analyst@example.org";
	c.unit_id = "nope";
	sc.partner_id = "gb-nca";
	sc.contact = &c;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_CONTACT;
	op.set_contact = &sc;
	assert_err(fx_admin(fx, &op, 1, 1), LSN_ENOENT);
	c.unit_id = "vid";
	assert_ok(fx_admin(fx, &op, 1, 1));
	/* Bad fields. */
	c.email = "not an address";
	assert_err(lsn_dirop_new(&op, &buf, &len, NULL, 0), LSN_EINVAL);
	c.email = NULL;
	c.phone = NULL;
	buf = fx_raw(fx, &op, "admin", 2, &len);
	assert_err(fx_submit_bytes(fx, buf, len, 1), LSN_EINVAL);
	assert_non_null(strstr(fx->why, "email or a phone"));
	c.phone = "+44 1";
	c.time_zone = "Europe/London; DROP";
	buf = fx_raw(fx, &op, "admin", 2, &len);
	assert_err(fx_submit_bytes(fx, buf, len, 1), LSN_EINVAL);
	c.time_zone = NULL;
	c.has_verified_at_ms = 1;
	c.verified_at_ms = FX_T0;
	buf = fx_raw(fx, &op, "admin", 2, &len);
	assert_err(fx_submit_bytes(fx, buf, len, 1), LSN_EINVAL);

	/* confirm */
	liaison__v1__dir_op__init(&op);
	cc.partner_id = "gb-nca";
	cc.contact_id = "analyst";
	cc.has_verified_at_ms = 1;
	cc.verified_at_ms = FX_T0 - 10;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT;
	op.confirm_contact = &cc;
	assert_ok(fx_admin(fx, &op, 2, 1));
	cc.verified_at_ms = FX_T0 - 20;		/* older than the last one */
	assert_err(fx_admin(fx, &op, 3, 1), LSN_EINVAL);
	cc.verified_at_ms = FX_T0 + 10;		/* after the op's creation */
	buf = fx_raw(fx, &op, "admin", 3, &len);
	assert_err(fx_submit_bytes(fx, buf, len, 1), LSN_EINVAL);
	cc.contact_id = "nobody";
	cc.verified_at_ms = FX_T0;
	assert_err(fx_admin(fx, &op, 3, 1), LSN_ENOENT);
	assert_ok(lsn_dir_partner_get(fx->d, "gb-nca", &p));
	assert_int_equal(p->n_contacts, 2);
	assert_int_equal(p->verified_at_ms, FX_T0 - 10);
	assert_string_equal(p->contacts[0]->contact_id, "analyst");
	assert_int_equal(p->contacts[0]->verified_at_ms, FX_T0 - 10);
	lsn_dir_partner_free(&p);
	/* set-contact keeps the confirmation time */
	assert_ok(fx_set_contact(fx, "admin", "gb-nca", "analyst", 3,
	    fx->admin, 1));
	assert_ok(lsn_dir_partner_get(fx->d, "gb-nca", &p));
	assert_int_equal(p->contacts[0]->verified_at_ms, FX_T0 - 10);
	assert_null(p->contacts[0]->unit_id);
	lsn_dir_partner_free(&p);
	/* remove */
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT,
	    "gb-nca", "analyst", 4, 1));
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT,
	    "gb-nca", "analyst", 5, 1), LSN_ENOENT);
}

static int
collect(void *arg, const char *id)
{
	char	*buf = arg;

	strcat(buf, id);
	strcat(buf, " ");
	return (0);
}

static void
test_dir_groups_allowed_and_refused(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__Group	*g = NULL;
	char			 list[256];

	assert_ok(fx_add_partner(fx, "gb-nca", NULL, NULL));
	assert_ok(fx_add_partner(fx, "ie-garda", NULL, NULL));
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP,
	    "24x7-network", "24/7 points of contact", 0, 1));
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP,
	    "24x7-network", NULL, 0, 1), LSN_ESTALE);
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP,
	    "24x7-network", NULL, 1, 1), LSN_EEXIST);
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER,
	    "24x7-network", "ie-garda", 1, 1));
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER,
	    "24x7-network", "gb-nca", 2, 1));
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER,
	    "24x7-network", "gb-nca", 3, 1), LSN_EEXIST);
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER,
	    "24x7-network", "zz-none", 3, 1), LSN_ENOENT);
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER,
	    "nope", "gb-nca", 1, 1), LSN_EUNKNOWNGROUP);
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER,
	    "24x7-network", "ie-garda", 1, 1), LSN_ESTALE);
	assert_ok(lsn_dir_group_get(fx->d, "24x7-network", &g));
	assert_int_equal(g->version, 3);
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[0], "gb-nca");
	assert_string_equal(g->description, "24/7 points of contact");
	lsn_dir_group_free(&g);
	/* partner record lists its groups; its version is unchanged */
	assert_int_equal(fx_version(fx, "gb-nca"), 1);
	list[0] = '\0';
	assert_ok(lsn_dir_group_members(fx->d, "24x7-network", 0, collect,
	    list));
	assert_string_equal(list, "gb-nca ie-garda ");
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER,
	    "24x7-network", "gb-nca", 3, 1));
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER,
	    "24x7-network", "gb-nca", 4, 1), LSN_ENOENT);
	/* delete: sensitive */
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP,
	    "24x7-network", NULL, 4, 1), LSN_ETHRESHOLD);
	assert_ok(id_op(fx, LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP,
	    "24x7-network", NULL, 4, 2));
	assert_err(lsn_dir_group_get(fx->d, "24x7-network", &g),
	    LSN_EUNKNOWNGROUP);
	assert_err(id_op(fx, LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP,
	    "24x7-network", NULL, 4, 2), LSN_EUNKNOWNGROUP);
}

static void
test_dir_unknown_fields_refused(void **state)
{
	struct dfx		*fx = *state;
	Liaison__V1__CreateGroup cg = LIAISON__V1__CREATE_GROUP__INIT;
	Liaison__V1__DirOp	 op = LIAISON__V1__DIR_OP__INIT;
	uint8_t			*buf, *nb;
	size_t			 len;
	Liaison__V1__SignedDirOp *s;

	cg.name = "hotlines";
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP;
	op.create_group = &cg;
	buf = fx_raw(fx, &op, "admin", 0, &len);
	/* Append field 99 (varint 1) to the DirOp bytes. */
	s = liaison__v1__signed_dir_op__unpack(NULL, len, buf);
	assert_non_null(s);
	nb = malloc(s->op.len + 3);
	memcpy(nb, s->op.data, s->op.len);
	nb[s->op.len] = 0x98;	/* (99 << 3) | 0 = 792 = 0x98 0x06 */
	nb[s->op.len + 1] = 0x06;
	nb[s->op.len + 2] = 0x01;
	free(buf);
	{
		Liaison__V1__SignedDirOp t = LIAISON__V1__SIGNED_DIR_OP__INIT;

		t.has_op = 1;
		t.op.data = nb;
		t.op.len = s->op.len + 3;
		len = liaison__v1__signed_dir_op__get_packed_size(&t);
		buf = malloc(len);
		liaison__v1__signed_dir_op__pack(&t, buf);
	}
	free(nb);
	liaison__v1__signed_dir_op__free_unpacked(s, NULL);
	assert_err(fx_submit_bytes(fx, buf, len, 1), LSN_EINVAL);
	assert_non_null(strstr(fx->why, "fields"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_dir_add_partner_allowed_and_refused, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_update_partner_allowed_and_refused, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_dir_status_transitions,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_keys_add_retire_revoke, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_units_allowed_and_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_contacts_allowed_and_refused, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_groups_allowed_and_refused, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_unknown_fields_refused, fx_setup, fx_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
