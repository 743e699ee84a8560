/*
 * test_dir_op_rules.c -- the field rules of every directory action, one
 * row per action and field: a valid op of that action with exactly one
 * rule broken, and the code and `why` lsn_dirop_validate must give. The
 * same op is then packed and submitted as raw signed bytes to a real
 * directory (lsn_dir_submit), which must refuse it the same way: step 6
 * of docs/protocol.md "The order of the checks" comes before the signer
 * checks, so one administrator signature is enough to reach it.
 */
#include "dir_fixture.h"

/* Storage for one op under test; every pointer of op points in here. */
struct scratch {
	Liaison__V1__DirOp		 op;
	uint8_t				 op_id[LSN_DIROP_ID_BYTES];
	Liaison__V1__InitRoot		 ir;
	Liaison__V1__ReplaceRoot	 rr;
	Liaison__V1__AddPartner		 ap;
	Liaison__V1__UpdatePartner	 up;
	Liaison__V1__SetStatus		 ss;
	Liaison__V1__AddKey		 ak;
	Liaison__V1__RetireKey		 rk;
	Liaison__V1__RevokeKey		 vk;
	Liaison__V1__SetUnit		 su;
	Liaison__V1__RemoveUnit		 ru;
	Liaison__V1__SetContact		 sc;
	Liaison__V1__RemoveContact	 rc;
	Liaison__V1__ConfirmContact	 cc;
	Liaison__V1__CreateGroup	 cg;
	Liaison__V1__DeleteGroup	 dg;
	Liaison__V1__AddMember		 am;
	Liaison__V1__RemoveMember	 rm;
	Liaison__V1__Partner		 partner;
	Liaison__V1__PartnerNames	 names;
	Liaison__V1__Unit		 unit;
	Liaison__V1__Contact		 contact;
	Liaison__V1__RootPolicy		*policy;	/* owned */
	Liaison__V1__KeyRecord		*key;		/* owned */
	char				 longtext[300];
};

#define KEYID	"0123456789abcdef"

static void
base_policy(struct dfx *fx, struct scratch *s, uint64_t version)
{
	s->policy = fx_policy(version, fx->admin, FX_NADMINS, 1, 2, 2,
	    fx->seq);
}

static void
base_unit(Liaison__V1__Unit *u)
{
	liaison__v1__unit__init(u);
	u->unit_id = "vid";
	u->name = "Victim Identification";
}

static void
base_contact(Liaison__V1__Contact *c)
{
	liaison__v1__contact__init(c);
	c->contact_id = "desk";
	c->name = "Duty desk";
	c->email = "desk@example.org";
}

/*
 * A valid op of the given action (an admin op, created at FX_T0). Long:
 * one flat case per action, so each base op reads in one place.
 */
static void
base(struct dfx *fx, struct scratch *s, int action)
{
	uint8_t	pk[LSN_PK_BYTES];

	memset(s, 0, sizeof(*s));
	liaison__v1__dir_op__init(&s->op);
	lsn_random(s->op_id, sizeof(s->op_id));
	s->op.has_op_id = 1;
	s->op.op_id.data = s->op_id;
	s->op.op_id.len = sizeof(s->op_id);
	s->op.author = LSN_DIR_AUTHOR_ADMIN;
	s->op.has_created_ms = 1;
	s->op.created_ms = FX_T0;
	s->op.action_case = (Liaison__V1__DirOp__ActionCase) action;
	liaison__v1__partner_names__init(&s->names);
	s->names.official = "Agency X";
	base_unit(&s->unit);
	base_contact(&s->contact);
	switch (action) {
	case LIAISON__V1__DIR_OP__ACTION_INIT_ROOT:
		liaison__v1__init_root__init(&s->ir);
		base_policy(fx, s, 1);
		s->ir.policy = s->policy;
		s->op.init_root = &s->ir;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT:
		liaison__v1__replace_root__init(&s->rr);
		base_policy(fx, s, 2);
		s->rr.policy = s->policy;
		s->op.replace_root = &s->rr;
		break;
	case LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER:
		liaison__v1__add_partner__init(&s->ap);
		liaison__v1__partner__init(&s->partner);
		s->partner.id = "agency-x";
		s->partner.names = &s->names;
		s->partner.has_kind = 1;
		s->partner.kind = LIAISON__V1__PARTNER_KIND__KIND_HOTLINE;
		s->partner.country = "GB";
		s->ap.partner = &s->partner;
		s->op.add_partner = &s->ap;
		break;
	case LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER:
		liaison__v1__update_partner__init(&s->up);
		s->up.partner_id = "agency-x";
		s->up.country = "FR";
		s->op.update_partner = &s->up;
		break;
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS:
		liaison__v1__set_status__init(&s->ss);
		s->ss.partner_id = "agency-x";
		s->ss.has_status = 1;
		s->ss.status = LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED;
		s->op.set_status = &s->ss;
		break;
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY:
		liaison__v1__add_key__init(&s->ak);
		lsn_random(pk, sizeof(pk));
		s->key = fx_keyrec(pk, LSN_KEY_ENCRYPT, FX_T0, 0);
		s->ak.partner_id = "agency-x";
		s->ak.key = s->key;
		s->op.add_key = &s->ak;
		break;
	case LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY:
		liaison__v1__retire_key__init(&s->rk);
		s->rk.partner_id = "agency-x";
		s->rk.key_id = KEYID;
		s->rk.has_valid_until_ms = 1;
		s->rk.valid_until_ms = FX_T0;
		s->op.retire_key = &s->rk;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY:
		liaison__v1__revoke_key__init(&s->vk);
		s->vk.partner_id = "agency-x";
		s->vk.key_id = KEYID;
		s->vk.has_revoked_at_ms = 1;
		s->vk.revoked_at_ms = FX_T0;
		s->op.revoke_key = &s->vk;
		break;
	case LIAISON__V1__DIR_OP__ACTION_SET_UNIT:
		liaison__v1__set_unit__init(&s->su);
		s->su.partner_id = "agency-x";
		s->su.unit = &s->unit;
		s->op.set_unit = &s->su;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT:
		liaison__v1__remove_unit__init(&s->ru);
		s->ru.partner_id = "agency-x";
		s->ru.unit_id = "vid";
		s->op.remove_unit = &s->ru;
		break;
	case LIAISON__V1__DIR_OP__ACTION_SET_CONTACT:
		liaison__v1__set_contact__init(&s->sc);
		s->sc.partner_id = "agency-x";
		s->sc.contact = &s->contact;
		s->op.set_contact = &s->sc;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT:
		liaison__v1__remove_contact__init(&s->rc);
		s->rc.partner_id = "agency-x";
		s->rc.contact_id = "desk";
		s->op.remove_contact = &s->rc;
		break;
	case LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT:
		liaison__v1__confirm_contact__init(&s->cc);
		s->cc.partner_id = "agency-x";
		s->cc.contact_id = "desk";
		s->cc.has_verified_at_ms = 1;
		s->cc.verified_at_ms = FX_T0;
		s->op.confirm_contact = &s->cc;
		break;
	case LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP:
		liaison__v1__create_group__init(&s->cg);
		s->cg.name = "europe";
		s->cg.description = "European partners";
		s->op.create_group = &s->cg;
		break;
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
		liaison__v1__delete_group__init(&s->dg);
		s->dg.name = "europe";
		s->op.delete_group = &s->dg;
		break;
	case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER:
		liaison__v1__add_member__init(&s->am);
		s->am.group = "europe";
		s->am.partner_id = "agency-x";
		s->op.add_member = &s->am;
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER:
		liaison__v1__remove_member__init(&s->rm);
		s->rm.group = "europe";
		s->rm.partner_id = "agency-x";
		s->op.remove_member = &s->rm;
		break;
	default:
		break;
	}
}

static void
scratch_free(struct scratch *s)
{
	if (s->policy != NULL)
		liaison__v1__root_policy__free_unpacked(s->policy, NULL);
	if (s->key != NULL)
		liaison__v1__key_record__free_unpacked(s->key, NULL);
	s->policy = NULL;
	s->key = NULL;
}

/* Each breaks exactly one rule of the op base() built. */
typedef void brk_fn(struct scratch *);
#define BRK(name, stmt)	static void name(struct scratch *s) { stmt }

static char *
long_text(struct scratch *s, size_t n)
{
	memset(s->longtext, 'a', n);
	s->longtext[n] = '\0';
	return (s->longtext);
}

/* No action at all, and an action whose message is absent. */
BRK(brk_no_action, s->op.action_case = LIAISON__V1__DIR_OP__ACTION__NOT_SET;)
BRK(brk_no_msg,
    s->op.init_root = NULL; /* one union: clears every action's message */)
/* init-root, replace-root: policy */
BRK(brk_policy_null, s->ir.policy = NULL;)
BRK(brk_policy_version, s->policy->version = 0;)
BRK(brk_policy_k, s->policy->thresholds[2]->k = 9;)
BRK(brk_policy_admin_name, s->policy->admins[1]->name[0] = 'A';)
/* add-partner: partner */
BRK(brk_partner_null, s->ap.partner = NULL;)
BRK(brk_partner_id, s->partner.id = "admin";)
BRK(brk_partner_names, s->partner.names = NULL;)
BRK(brk_partner_kind, s->partner.kind = 99;)
BRK(brk_partner_country, s->partner.country = "gb";)
static void
brk_partner_status(struct scratch *s)
{
	s->partner.has_status = 1;
	s->partner.status = LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED;
}
/* update-partner */
BRK(brk_up_pid, s->up.partner_id = "Agency X";)
BRK(brk_up_nothing, s->up.country = NULL;)
static void
brk_up_names(struct scratch *s)
{
	s->names.short_name = long_text(s, 65);
	s->up.names = &s->names;
}
static void
brk_up_kind(struct scratch *s)
{
	s->up.has_kind = 1;
	s->up.kind = 0;
}
BRK(brk_up_country, s->up.country = "GBR";)
/* set-status */
BRK(brk_ss_pid, s->ss.partner_id = NULL;)
BRK(brk_ss_status_absent, s->ss.has_status = 0;)
BRK(brk_ss_status_range, s->ss.status = 4;)
/* add-key */
BRK(brk_ak_pid, s->ak.partner_id = "admin";)
BRK(brk_ak_key_null, s->ak.key = NULL;)
BRK(brk_ak_key_len, s->key->public_key.len = 31;)
static void
brk_ak_key_revoked(struct scratch *s)
{
	s->key->has_revoked_at_ms = 1;
	s->key->revoked_at_ms = FX_T0;
}
/* retire-key */
BRK(brk_rk_pid, s->rk.partner_id = "";)
BRK(brk_rk_keyid, s->rk.key_id = "0123456789ABCDEF";)
BRK(brk_rk_until_absent, s->rk.has_valid_until_ms = 0;)
BRK(brk_rk_until_zero, s->rk.valid_until_ms = 0;)
BRK(brk_rk_until_range, s->rk.valid_until_ms = LSN_DIR_TIME_MAX + 1;)
/* revoke-key */
BRK(brk_vk_pid, s->vk.partner_id = "-x";)
BRK(brk_vk_keyid, s->vk.key_id = "0123";)
BRK(brk_vk_at_zero, s->vk.revoked_at_ms = 0;)
/* set-unit */
BRK(brk_su_pid, s->su.partner_id = NULL;)
BRK(brk_su_unit_null, s->su.unit = NULL;)
BRK(brk_su_unit_fallback, s->unit.fallback_unit = "vid";)
BRK(brk_su_unit_name, s->unit.name = NULL;)
/* remove-unit */
BRK(brk_ru_pid, s->ru.partner_id = "admin";)
BRK(brk_ru_uid, s->ru.unit_id = "V";)
/* set-contact */
BRK(brk_sc_pid, s->sc.partner_id = "a b";)
BRK(brk_sc_contact_null, s->sc.contact = NULL;)
BRK(brk_sc_contact_reach, s->contact.email = NULL;)
BRK(brk_sc_contact_email, s->contact.email = "desk";)
/* remove-contact */
BRK(brk_rc_pid, s->rc.partner_id = NULL;)
BRK(brk_rc_cid, s->rc.contact_id = NULL;)
/* confirm-contact */
BRK(brk_cc_pid, s->cc.partner_id = "admin";)
BRK(brk_cc_cid, s->cc.contact_id = "Desk";)
BRK(brk_cc_at_absent, s->cc.has_verified_at_ms = 0;)
BRK(brk_cc_at_future, s->cc.verified_at_ms = FX_T0 + 1;)
/* create-group */
BRK(brk_cg_name, s->cg.name = "Europe";)
BRK(brk_cg_desc, s->cg.description = long_text(s, 257);)
/* delete-group */
BRK(brk_dg_name, s->dg.name = NULL;)
/* add-member, remove-member */
BRK(brk_am_group, s->am.group = "e";)
BRK(brk_am_pid, s->am.partner_id = "admin";)
BRK(brk_rm_group, s->rm.group = NULL;)
BRK(brk_rm_pid, s->rm.partner_id = "x";)
/* order: two rules broken, the earlier row answers */
BRK(brk_rk_pid_and_keyid, brk_rk_pid(s); brk_rk_keyid(s);)
BRK(brk_am_group_and_pid, brk_am_group(s); brk_am_pid(s);)
BRK(brk_up_pid_and_nothing, brk_up_pid(s); brk_up_nothing(s);)
BRK(brk_cg_name_and_desc, brk_cg_name(s); brk_cg_desc(s);)

struct rule_case {
	int		 action;	/* LIAISON__V1__DIR_OP__ACTION_* */
	const char	*field;		/* the field (for failure messages) */
	brk_fn		*brk;		/* NULL: the valid base op */
	int		 wire;		/* 0: cannot be packed as it is */
	int		 rv;
	const char	*why;		/* exact; NULL for LSN_OK */
};

#define A(x)	LIAISON__V1__DIR_OP__ACTION_##x
#define PID	"partner id missing or not a slug"
#define KID	"key id must be 16 lower-case hex characters"

static const struct rule_case cases[] = {
	{ 0, "action", brk_no_action, 1, LSN_EINVAL, "op has no action" },
	{ A(INIT_ROOT), "-", NULL, 1, LSN_OK, NULL },
	{ A(INIT_ROOT), "init_root", brk_no_msg, 0, LSN_EINVAL,
	    "init-root: required field missing" },
	{ A(INIT_ROOT), "policy", brk_policy_null, 1, LSN_EINVAL,
	    "root policy missing" },
	{ A(INIT_ROOT), "policy.version", brk_policy_version, 1, LSN_EINVAL,
	    "root policy version must be >= 1" },
	{ A(INIT_ROOT), "policy.thresholds", brk_policy_k, 1, LSN_EROOT,
	    "threshold for root must be between 1 and the number of "
	    "administrators (3)" },
	{ A(REPLACE_ROOT), "-", NULL, 1, LSN_OK, NULL },
	{ A(REPLACE_ROOT), "replace_root", brk_no_msg, 0, LSN_EINVAL,
	    "replace-root: required field missing" },
	{ A(REPLACE_ROOT), "policy.admins", brk_policy_admin_name, 1,
	    LSN_EINVAL, "administrator 2: name must be a slug" },
	{ A(REPLACE_ROOT), "policy.thresholds", brk_policy_k, 1, LSN_EROOT,
	    "threshold for root must be between 1 and the number of "
	    "administrators (3)" },
	{ A(ADD_PARTNER), "-", NULL, 1, LSN_OK, NULL },
	{ A(ADD_PARTNER), "add_partner", brk_no_msg, 0, LSN_EINVAL,
	    "add-partner: required field missing" },
	{ A(ADD_PARTNER), "partner", brk_partner_null, 1, LSN_EINVAL,
	    "partner missing" },
	{ A(ADD_PARTNER), "partner.id", brk_partner_id, 1, LSN_EINVAL,
	    "partner id must be a slug [a-z0-9][a-z0-9-]{1,62} other than "
	    "\"admin\"" },
	{ A(ADD_PARTNER), "partner.names", brk_partner_names, 1, LSN_EINVAL,
	    "partner names missing" },
	{ A(ADD_PARTNER), "partner.kind", brk_partner_kind, 1, LSN_EINVAL,
	    "partner agency-x: kind missing or unknown" },
	{ A(ADD_PARTNER), "partner.country", brk_partner_country, 1,
	    LSN_EINVAL, "partner agency-x: country must be an ISO 3166-1 "
	    "alpha-2 code (XX for international)" },
	{ A(ADD_PARTNER), "partner.status", brk_partner_status, 1, LSN_EINVAL,
	    "partner agency-x: a new partner is active (use set-status "
	    "afterwards)" },
	{ A(UPDATE_PARTNER), "-", NULL, 1, LSN_OK, NULL },
	{ A(UPDATE_PARTNER), "update_partner", brk_no_msg, 0, LSN_EINVAL,
	    "update-partner: required field missing" },
	{ A(UPDATE_PARTNER), "partner_id", brk_up_pid, 1, LSN_EINVAL, PID },
	{ A(UPDATE_PARTNER), "names|kind|country", brk_up_nothing, 1,
	    LSN_EINVAL, "update-partner changes nothing" },
	{ A(UPDATE_PARTNER), "names", brk_up_names, 1, LSN_EINVAL,
	    "short name: up to 64 characters of text" },
	{ A(UPDATE_PARTNER), "kind", brk_up_kind, 1, LSN_EINVAL,
	    "unknown partner kind" },
	{ A(UPDATE_PARTNER), "country", brk_up_country, 1, LSN_EINVAL,
	    "country must be an ISO 3166-1 alpha-2 code" },
	{ A(UPDATE_PARTNER), "order: partner_id first",
	    brk_up_pid_and_nothing, 1, LSN_EINVAL, PID },
	{ A(SET_STATUS), "-", NULL, 1, LSN_OK, NULL },
	{ A(SET_STATUS), "set_status", brk_no_msg, 0, LSN_EINVAL,
	    "set-status: required field missing" },
	{ A(SET_STATUS), "partner_id", brk_ss_pid, 1, LSN_EINVAL, PID },
	{ A(SET_STATUS), "status (absent)", brk_ss_status_absent, 1,
	    LSN_EINVAL, "status must be active, suspended or revoked" },
	{ A(SET_STATUS), "status (range)", brk_ss_status_range, 1,
	    LSN_EINVAL, "status must be active, suspended or revoked" },
	{ A(ADD_KEY), "-", NULL, 1, LSN_OK, NULL },
	{ A(ADD_KEY), "add_key", brk_no_msg, 0, LSN_EINVAL,
	    "add-key: required field missing" },
	{ A(ADD_KEY), "partner_id", brk_ak_pid, 1, LSN_EINVAL, PID },
	{ A(ADD_KEY), "key", brk_ak_key_null, 1, LSN_EINVAL,
	    "add-key: key missing" },
	{ A(ADD_KEY), "key.public_key", brk_ak_key_len, 1, LSN_EINVAL,
	    "add-key: public key must be 32 bytes" },
	{ A(ADD_KEY), "key.revoked_at_ms", brk_ak_key_revoked, 1, LSN_EINVAL,
	    NULL /* names the key id: checked by prefix below */ },
	{ A(RETIRE_KEY), "-", NULL, 1, LSN_OK, NULL },
	{ A(RETIRE_KEY), "retire_key", brk_no_msg, 0, LSN_EINVAL,
	    "retire-key: required field missing" },
	{ A(RETIRE_KEY), "partner_id", brk_rk_pid, 1, LSN_EINVAL, PID },
	{ A(RETIRE_KEY), "key_id", brk_rk_keyid, 1, LSN_EINVAL, KID },
	{ A(RETIRE_KEY), "valid_until_ms (absent)", brk_rk_until_absent, 1,
	    LSN_EINVAL, "retire-key needs valid_until_ms" },
	{ A(RETIRE_KEY), "valid_until_ms (zero)", brk_rk_until_zero, 1,
	    LSN_EINVAL, "retire-key needs valid_until_ms" },
	{ A(RETIRE_KEY), "valid_until_ms (range)", brk_rk_until_range, 1,
	    LSN_EINVAL, "retire-key needs valid_until_ms" },
	{ A(RETIRE_KEY), "order: partner_id first", brk_rk_pid_and_keyid, 1,
	    LSN_EINVAL, PID },
	{ A(REVOKE_KEY), "-", NULL, 1, LSN_OK, NULL },
	{ A(REVOKE_KEY), "revoke_key", brk_no_msg, 0, LSN_EINVAL,
	    "revoke-key: required field missing" },
	{ A(REVOKE_KEY), "partner_id", brk_vk_pid, 1, LSN_EINVAL, PID },
	{ A(REVOKE_KEY), "key_id", brk_vk_keyid, 1, LSN_EINVAL, KID },
	{ A(REVOKE_KEY), "revoked_at_ms", brk_vk_at_zero, 1, LSN_EINVAL,
	    "revoke-key needs revoked_at_ms" },
	{ A(SET_UNIT), "-", NULL, 1, LSN_OK, NULL },
	{ A(SET_UNIT), "set_unit", brk_no_msg, 0, LSN_EINVAL,
	    "set-unit: required field missing" },
	{ A(SET_UNIT), "partner_id", brk_su_pid, 1, LSN_EINVAL, PID },
	{ A(SET_UNIT), "unit", brk_su_unit_null, 1, LSN_EINVAL,
	    "unit missing" },
	{ A(SET_UNIT), "unit.name", brk_su_unit_name, 1, LSN_EINVAL,
	    "unit vid: name: 1..256 characters of text" },
	{ A(SET_UNIT), "unit.fallback_unit", brk_su_unit_fallback, 1,
	    LSN_EINVAL, "unit vid: a unit cannot be its own fallback" },
	{ A(REMOVE_UNIT), "-", NULL, 1, LSN_OK, NULL },
	{ A(REMOVE_UNIT), "remove_unit", brk_no_msg, 0, LSN_EINVAL,
	    "remove-unit: required field missing" },
	{ A(REMOVE_UNIT), "partner_id", brk_ru_pid, 1, LSN_EINVAL, PID },
	{ A(REMOVE_UNIT), "unit_id", brk_ru_uid, 1, LSN_EINVAL,
	    "unit id must be a slug" },
	{ A(SET_CONTACT), "-", NULL, 1, LSN_OK, NULL },
	{ A(SET_CONTACT), "set_contact", brk_no_msg, 0, LSN_EINVAL,
	    "set-contact: required field missing" },
	{ A(SET_CONTACT), "partner_id", brk_sc_pid, 1, LSN_EINVAL, PID },
	{ A(SET_CONTACT), "contact", brk_sc_contact_null, 1, LSN_EINVAL,
	    "contact missing" },
	{ A(SET_CONTACT), "contact.email", brk_sc_contact_email, 1,
	    LSN_EINVAL, "contact desk: email is not an address "
	    "(local@domain, up to 254 characters)" },
	{ A(SET_CONTACT), "contact.email|phone", brk_sc_contact_reach, 1,
	    LSN_EINVAL, "contact desk: needs an email or a phone" },
	{ A(REMOVE_CONTACT), "-", NULL, 1, LSN_OK, NULL },
	{ A(REMOVE_CONTACT), "remove_contact", brk_no_msg, 0, LSN_EINVAL,
	    "remove-contact: required field missing" },
	{ A(REMOVE_CONTACT), "partner_id", brk_rc_pid, 1, LSN_EINVAL, PID },
	{ A(REMOVE_CONTACT), "contact_id", brk_rc_cid, 1, LSN_EINVAL,
	    "contact id must be a slug" },
	{ A(CONFIRM_CONTACT), "-", NULL, 1, LSN_OK, NULL },
	{ A(CONFIRM_CONTACT), "confirm_contact", brk_no_msg, 0, LSN_EINVAL,
	    "confirm-contact: required field missing" },
	{ A(CONFIRM_CONTACT), "partner_id", brk_cc_pid, 1, LSN_EINVAL, PID },
	{ A(CONFIRM_CONTACT), "contact_id", brk_cc_cid, 1, LSN_EINVAL,
	    "contact id must be a slug" },
	{ A(CONFIRM_CONTACT), "verified_at_ms (absent)", brk_cc_at_absent, 1,
	    LSN_EINVAL, "confirm-contact: verified_at_ms must be set and not "
	    "after the op's created_ms" },
	{ A(CONFIRM_CONTACT), "verified_at_ms (after created_ms)",
	    brk_cc_at_future, 1, LSN_EINVAL, "confirm-contact: verified_at_ms "
	    "must be set and not after the op's created_ms" },
	{ A(CREATE_GROUP), "-", NULL, 1, LSN_OK, NULL },
	{ A(CREATE_GROUP), "create_group", brk_no_msg, 0, LSN_EINVAL,
	    "create-group: required field missing" },
	{ A(CREATE_GROUP), "name", brk_cg_name, 1, LSN_EINVAL,
	    "group name must be a slug" },
	{ A(CREATE_GROUP), "description", brk_cg_desc, 1, LSN_EINVAL,
	    "group description: up to 256 characters of text" },
	{ A(CREATE_GROUP), "order: name first", brk_cg_name_and_desc, 1,
	    LSN_EINVAL, "group name must be a slug" },
	{ A(DELETE_GROUP), "-", NULL, 1, LSN_OK, NULL },
	{ A(DELETE_GROUP), "delete_group", brk_no_msg, 0, LSN_EINVAL,
	    "delete-group: required field missing" },
	{ A(DELETE_GROUP), "name", brk_dg_name, 1, LSN_EINVAL,
	    "group name must be a slug" },
	{ A(ADD_MEMBER), "-", NULL, 1, LSN_OK, NULL },
	{ A(ADD_MEMBER), "add_member", brk_no_msg, 0, LSN_EINVAL,
	    "add-member: required field missing" },
	{ A(ADD_MEMBER), "group", brk_am_group, 1, LSN_EINVAL,
	    "group name must be a slug" },
	{ A(ADD_MEMBER), "partner_id", brk_am_pid, 1, LSN_EINVAL, PID },
	{ A(ADD_MEMBER), "order: group first", brk_am_group_and_pid, 1,
	    LSN_EINVAL, "group name must be a slug" },
	{ A(REMOVE_MEMBER), "-", NULL, 1, LSN_OK, NULL },
	{ A(REMOVE_MEMBER), "remove_member", brk_no_msg, 0, LSN_EINVAL,
	    "remove-member: required field missing" },
	{ A(REMOVE_MEMBER), "group", brk_rm_group, 1, LSN_EINVAL,
	    "group name must be a slug" },
	{ A(REMOVE_MEMBER), "partner_id", brk_rm_pid, 1, LSN_EINVAL, PID },
};

/* The why of the one row whose detail names a random key id. */
static int
why_matches(const struct rule_case *c, const char *why)
{
	if (c->why != NULL)
		return (strcmp(why, c->why) == 0);
	if (c->rv == LSN_OK)
		return (why[0] == '\0');
	return (strncmp(why, "add-key: key ", 13) == 0 &&
	    strstr(why, ": a new key cannot be revoked (use revoke-key)") !=
	    NULL);
}

/* The op of one case, packed as an unsigned SignedDirOp. */
static uint8_t *
pack_case(const Liaison__V1__DirOp *op, size_t *len)
{
	Liaison__V1__SignedDirOp	 s = LIAISON__V1__SIGNED_DIR_OP__INIT;
	uint8_t				*ob, *buf;

	s.has_op = 1;
	s.op.len = liaison__v1__dir_op__get_packed_size(op);
	assert_non_null(ob = malloc(s.op.len + 1));
	assert_int_equal(liaison__v1__dir_op__pack(op, ob), s.op.len);
	s.op.data = ob;
	*len = liaison__v1__signed_dir_op__get_packed_size(&s);
	assert_non_null(buf = malloc(*len));
	liaison__v1__signed_dir_op__pack(&s, buf);
	free(ob);
	return (buf);
}

static void
test_dir_op_rules_table(void **state)
{
	struct dfx	*fx = *state;
	struct scratch	 s;
	char		 why[LSN_DIR_WHY_MAX];
	size_t		 nfail = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rule_case	*c = &cases[i];
		const char		*name;
		int			 rv;

		base(fx, &s, c->action);
		if (c->brk != NULL)
			c->brk(&s);
		name = lsn_dirop_action_name(&s.op);
		memset(why, 'x', sizeof(why));
		rv = lsn_dirop_validate(&s.op, why, sizeof(why));
		if (rv != c->rv || !why_matches(c, why)) {
			print_error("%s %s: validate gave %s \"%s\", want %s "
			    "\"%s\"\n", name, c->field, lsn_errname(rv), why,
			    lsn_errname(c->rv), c->why ? c->why : "");
			nfail++;
		}
		if (c->wire && c->rv != LSN_OK) {
			uint8_t	*buf;
			size_t	 len;

			buf = pack_case(&s.op, &len);
			rv = fx_submit_bytes(fx, buf, len, 1);
			if (rv != c->rv || !why_matches(c, fx->why)) {
				print_error("%s %s: submit gave %s \"%s\", "
				    "want %s\n", name, c->field,
				    lsn_errname(rv), fx->why,
				    lsn_errname(c->rv));
				nfail++;
			}
		}
		scratch_free(&s);
	}
	assert_int_equal(nfail, 0);
}

/* Every action has its valid row and its absent-message row above. */
static void
test_dir_op_rules_cover_every_action(void **state)
{
	(void) state;
	for (int a = A(INIT_ROOT); a <= A(REMOVE_MEMBER); a++) {
		int	ok = 0, missing = 0;

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (cases[i].action != a)
				continue;
			ok |= cases[i].brk == NULL;
			missing |= cases[i].brk == brk_no_msg;
		}
		if (!ok || !missing)
			fail_msg("action %d: no valid or no missing row", a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_op_rules_table,
		    fx_setup, fx_teardown),
		cmocka_unit_test(test_dir_op_rules_cover_every_action),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
