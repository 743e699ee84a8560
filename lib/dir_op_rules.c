/*
 * dir_op_rules.c -- the field rules of every directory action as one
 * table, a row per action and field, and the interpreter that walks it
 * (lsn_dirop_validate, step 5 to 7 of "The order of the checks" in
 * docs/protocol.md). A row names the field, its rule, and the code and
 * why it fails with; the rows of an action are checked in table order
 * and the first failure answers. Messages carried whole (a policy, a
 * partner, a key record, a unit, a contact, names) are checked by
 * dir_op_fields.c; rules across fields are small named functions.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "liaison/dir.h"
#include "liaison/util.h"
#include "dir_int.h"

#define GROUP_DESC_MAX		256
#define STR_(x)			#x
#define STR(x)			STR_(x)

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct rule;

/*
 * A rule's check: msg is the action's message (never NULL), op the whole
 * op. Returns LSN_OK, or an error code with why written.
 */
typedef int rule_fn(const struct rule *r, const void *msg,
    const Liaison__V1__DirOp *op, char *why, size_t whysz);

enum need {
	OPTIONAL,	/* checked only when present */
	REQUIRED	/* absent fails */
};

struct rule {
	int		 action;	/* LIAISON__V1__DIR_OP__ACTION_* */
	const char	*field;		/* the field's proto name */
	rule_fn		*check;
	int		(*str_ok)(const char *);	/* for ck_str */
	enum need	 need;
	size_t		 off;		/* offset of the field in msg */
	size_t		 has;		/* offset of its has_ flag (scalars) */
	size_t		 size;		/* its size (ck_range) */
	uint64_t	 lo, hi;	/* bounds: enum values, ms, bytes */
	int		 rv;		/* the code on failure */
	const char	*why;		/* the why on failure; NULL: the
					 * check writes its own */
};

/* ---- reading a field of the action's message ---- */

_Static_assert(sizeof(Liaison__V1__PartnerStatus) == sizeof(int) &&
    sizeof(Liaison__V1__PartnerKind) == sizeof(int),
    "protobuf-c enums are int-sized");

static const void *
field_ptr(const void *msg, size_t off)
{
	const void	*v;

	memcpy(&v, (const char *) msg + off, sizeof(v));
	return (v);
}

static int
field_int(const void *msg, size_t off)
{
	int	v;

	memcpy(&v, (const char *) msg + off, sizeof(v));
	return (v);
}

static uint64_t
field_u64(const void *msg, size_t off)
{
	uint64_t	v;

	memcpy(&v, (const char *) msg + off, sizeof(v));
	return (v);
}

static int
field_has(const struct rule *r, const void *msg)
{
	protobuf_c_boolean	v;

	memcpy(&v, (const char *) msg + r->has, sizeof(v));
	return (v != 0);
}

static int
fail(const struct rule *r, char *why, size_t whysz)
{
	if (r->why != NULL)
		dir_why(why, whysz, "%s", r->why);
	return (r->rv);
}

/* LSN_OK if ok, else the row's failure. */
static int
verdict(const struct rule *r, int ok, char *why, size_t whysz)
{
	return (ok ? LSN_OK : fail(r, why, whysz));
}

/* ---- the kinds of rule ---- */

/* A partner id: a slug other than "admin". */
static int
partner_id_ok(const char *s)
{
	return (lsn_slug_valid(s) && strcmp(s, LSN_DIR_AUTHOR_ADMIN) != 0);
}

/* A string of the shape r->str_ok accepts; absent passes if optional. */
static int
ck_str(const struct rule *r, const void *msg, const Liaison__V1__DirOp *op,
    char *why, size_t whysz)
{
	const char	*s = field_ptr(msg, r->off);

	(void) op;
	if (s == NULL && r->need == OPTIONAL)
		return (LSN_OK);
	return (verdict(r, r->str_ok(s), why, whysz));
}

/* Text of lo..hi bytes; absent or empty passes when lo is 0. */
static int
ck_text(const struct rule *r, const void *msg, const Liaison__V1__DirOp *op,
    char *why, size_t whysz)
{
	(void) op;
	return (verdict(r, dir_text_ok(field_ptr(msg, r->off), r->lo, r->hi),
	    why, whysz));
}

/* An enum value or a time in ms, lo..hi; absent passes if optional. */
static int
ck_range(const struct rule *r, const void *msg, const Liaison__V1__DirOp *op,
    char *why, size_t whysz)
{
	uint64_t	v;

	(void) op;
	if (!field_has(r, msg))
		return (r->need == OPTIONAL ? LSN_OK : fail(r, why, whysz));
	if (r->size == sizeof(int))	/* an enum; negative is out of range */
		v = (uint64_t) (int64_t) field_int(msg, r->off);
	else
		v = field_u64(msg, r->off);
	return (verdict(r, v >= r->lo && v <= r->hi, why, whysz));
}

/* A root policy (its own code: E_ROOT for the thresholds). */
static int
ck_policy(const struct rule *r, const void *msg,
    const Liaison__V1__DirOp *op, char *why, size_t whysz)
{
	(void) op;
	return (dir_validate_policy(field_ptr(msg, r->off), why, whysz));
}

/* A new partner, whole. */
static int
ck_partner(const struct rule *r, const void *msg,
    const Liaison__V1__DirOp *op, char *why, size_t whysz)
{
	(void) op;
	return (verdict(r, dir_partner_new_ok(field_ptr(msg, r->off), why,
	    whysz), why, whysz));
}

/* Partner names; official may be absent (an update). */
static int
ck_names(const struct rule *r, const void *msg, const Liaison__V1__DirOp *op,
    char *why, size_t whysz)
{
	(void) op;
	return (verdict(r, dir_names_ok(field_ptr(msg, r->off), 0, why,
	    whysz), why, whysz));
}

/* A new key record of any purpose; the why names the action. */
static int
ck_key(const struct rule *r, const void *msg, const Liaison__V1__DirOp *op,
    char *why, size_t whysz)
{
	return (verdict(r, dir_keyrec_ok(field_ptr(msg, r->off), 0,
	    lsn_dirop_action_name(op), why, whysz), why, whysz));
}

static int
ck_unit(const struct rule *r, const void *msg, const Liaison__V1__DirOp *op,
    char *why, size_t whysz)
{
	(void) op;
	return (verdict(r, dir_unit_ok(field_ptr(msg, r->off), why, whysz),
	    why, whysz));
}

static int
ck_contact(const struct rule *r, const void *msg,
    const Liaison__V1__DirOp *op, char *why, size_t whysz)
{
	(void) op;
	return (verdict(r, dir_contact_ok(field_ptr(msg, r->off), why,
	    whysz), why, whysz));
}

/* ---- rules across fields ---- */

/* update-partner: at least one of names, kind, country. */
static int
ck_update_changes(const struct rule *r, const void *msg,
    const Liaison__V1__DirOp *op, char *why, size_t whysz)
{
	const Liaison__V1__UpdatePartner	*u = msg;

	(void) op;
	return (verdict(r, u->names != NULL || u->has_kind ||
	    u->country != NULL, why, whysz));
}

/* confirm-contact: verified_at_ms in 1..the op's created_ms. */
static int
ck_verified_at(const struct rule *r, const void *msg,
    const Liaison__V1__DirOp *op, char *why, size_t whysz)
{
	const Liaison__V1__ConfirmContact	*c = msg;

	return (verdict(r, c->has_verified_at_ms && c->verified_at_ms != 0 &&
	    c->verified_at_ms <= op->created_ms, why, whysz));
}

/* ---- the table ---- */

/*
 * Offsets checked against the field's C type at compile time, so a row
 * cannot read a field as what it is not.
 */
#define OFF(T, f, type)	_Generic(((Liaison__V1__##T *) 0)->f,	\
	type: offsetof(Liaison__V1__##T, f))
#define HAS(T, f)	OFF(T, has_##f, protobuf_c_boolean)
#define ACT(a)		LIAISON__V1__DIR_OP__ACTION_##a
#define STATUS(s)	LIAISON__V1__PARTNER_STATUS__STATUS_##s
#define KIND(k)		LIAISON__V1__PARTNER_KIND__KIND_##k

#define PID_WHY		"partner id missing or not a slug"
#define KID_WHY		"key id must be 16 lower-case hex characters"
#define GROUP_WHY	"group name must be a slug"

/* A row of each kind: action a, message type T, field f, why w. */
#define R_STR(a, T, f, need, ok, w)					\
	{ ACT(a), #f, ck_str, ok, need, OFF(T, f, char *), 0, 0, 0, 0,	\
	  LSN_EINVAL, w }
#define R_PARTNER_ID(a, T)						\
	R_STR(a, T, partner_id, REQUIRED, partner_id_ok, PID_WHY)
#define R_SLUG(a, T, f, w)						\
	R_STR(a, T, f, REQUIRED, lsn_slug_valid, w)
#define R_KEY_ID(a, T)							\
	R_STR(a, T, key_id, REQUIRED, dir_keyid_shape, KID_WHY)
#define R_TEXT(a, T, f, lo, hi, w)					\
	{ ACT(a), #f, ck_text, NULL, (lo) > 0 ? REQUIRED : OPTIONAL,	\
	  OFF(T, f, char *), 0, 0, lo, hi, LSN_EINVAL, w }
#define R_ENUM(a, T, f, E, need, lo, hi, w)				\
	{ ACT(a), #f, ck_range, NULL, need,				\
	  OFF(T, f, Liaison__V1__##E),					\
	  HAS(T, f), sizeof(int), lo, hi, LSN_EINVAL, w }
#define R_TIME(a, T, f, w)						\
	{ ACT(a), #f, ck_range, NULL, REQUIRED, OFF(T, f, uint64_t),	\
	  HAS(T, f), sizeof(uint64_t), 1, LSN_DIR_TIME_MAX, LSN_EINVAL, w }
#define R_MSG(a, T, f, FT, need, ck)					\
	{ ACT(a), #f, ck, NULL, need,					\
	  OFF(T, f, Liaison__V1__##FT *), 0, 0, 0, 0, LSN_EINVAL, NULL }
#define R_ACROSS(a, fields, ck, w)					\
	{ ACT(a), fields, ck, NULL, REQUIRED, 0, 0, 0, 0, 0, LSN_EINVAL, \
	  w }

static const struct rule rules[] = {
	R_MSG(INIT_ROOT, InitRoot, policy, RootPolicy, REQUIRED, ck_policy),
	R_MSG(REPLACE_ROOT, ReplaceRoot, policy, RootPolicy, REQUIRED,
	    ck_policy),
	R_MSG(ADD_PARTNER, AddPartner, partner, Partner, REQUIRED, ck_partner),

	R_PARTNER_ID(UPDATE_PARTNER, UpdatePartner),
	R_ACROSS(UPDATE_PARTNER, "names|kind|country", ck_update_changes,
	    "update-partner changes nothing"),
	R_MSG(UPDATE_PARTNER, UpdatePartner, names, PartnerNames, OPTIONAL,
	    ck_names),
	R_ENUM(UPDATE_PARTNER, UpdatePartner, kind, PartnerKind, OPTIONAL,
	    KIND(LAW_ENFORCEMENT), KIND(GOVERNMENT), "unknown partner kind"),
	R_STR(UPDATE_PARTNER, UpdatePartner, country, OPTIONAL,
	    lsn_country_valid, "country must be an ISO 3166-1 alpha-2 code"),

	R_PARTNER_ID(SET_STATUS, SetStatus),
	R_ENUM(SET_STATUS, SetStatus, status, PartnerStatus, REQUIRED,
	    STATUS(ACTIVE), STATUS(REVOKED),
	    "status must be active, suspended or revoked"),

	R_PARTNER_ID(ADD_KEY, AddKey),
	R_MSG(ADD_KEY, AddKey, key, KeyRecord, REQUIRED, ck_key),

	R_PARTNER_ID(RETIRE_KEY, RetireKey),
	R_KEY_ID(RETIRE_KEY, RetireKey),
	R_TIME(RETIRE_KEY, RetireKey, valid_until_ms,
	    "retire-key needs valid_until_ms"),

	R_PARTNER_ID(REVOKE_KEY, RevokeKey),
	R_KEY_ID(REVOKE_KEY, RevokeKey),
	R_TIME(REVOKE_KEY, RevokeKey, revoked_at_ms,
	    "revoke-key needs revoked_at_ms"),

	R_PARTNER_ID(SET_UNIT, SetUnit),
	R_MSG(SET_UNIT, SetUnit, unit, Unit, REQUIRED, ck_unit),

	R_PARTNER_ID(REMOVE_UNIT, RemoveUnit),
	R_SLUG(REMOVE_UNIT, RemoveUnit, unit_id, "unit id must be a slug"),

	R_PARTNER_ID(SET_CONTACT, SetContact),
	R_MSG(SET_CONTACT, SetContact, contact, Contact, REQUIRED, ck_contact),

	R_PARTNER_ID(REMOVE_CONTACT, RemoveContact),
	R_SLUG(REMOVE_CONTACT, RemoveContact, contact_id,
	    "contact id must be a slug"),

	R_PARTNER_ID(CONFIRM_CONTACT, ConfirmContact),
	R_SLUG(CONFIRM_CONTACT, ConfirmContact, contact_id,
	    "contact id must be a slug"),
	R_ACROSS(CONFIRM_CONTACT, "verified_at_ms", ck_verified_at,
	    "confirm-contact: verified_at_ms must be set and not after the "
	    "op's created_ms"),

	R_SLUG(CREATE_GROUP, CreateGroup, name, GROUP_WHY),
	R_TEXT(CREATE_GROUP, CreateGroup, description, 0, GROUP_DESC_MAX,
	    "group description: up to " STR(GROUP_DESC_MAX)
	    " characters of text"),

	R_SLUG(DELETE_GROUP, DeleteGroup, name, GROUP_WHY),

	R_SLUG(ADD_MEMBER, AddMember, group, GROUP_WHY),
	R_PARTNER_ID(ADD_MEMBER, AddMember),

	R_SLUG(REMOVE_MEMBER, RemoveMember, group, GROUP_WHY),
	R_PARTNER_ID(REMOVE_MEMBER, RemoveMember),
};

/* ---- the interpreter ---- */

/* The message of the op's action (a oneof member), or NULL. */
static const void *
action_msg(const Liaison__V1__DirOp *op)
{
	const ProtobufCFieldDescriptor	*f;

	f = protobuf_c_message_descriptor_get_field(
	    &liaison__v1__dir_op__descriptor, (unsigned) op->action_case);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return (NULL);
	return (field_ptr(op, f->offset));
}

static int
validate_action(const Liaison__V1__DirOp *op, char *why, size_t whysz)
{
	const void	*msg = action_msg(op);
	int		 known = 0, rv = LSN_OK;

	for (size_t i = 0; i < NELEM(rules) && rv == LSN_OK; i++) {
		if (rules[i].action != (int) op->action_case)
			continue;
		known = 1;
		if (msg == NULL)
			rv = LSN_EINVAL;
		else
			rv = rules[i].check(&rules[i], msg, op, why, whysz);
	}
	if (!known) {
		dir_why(why, whysz, "op has no action");
		return (LSN_EINVAL);
	}
	if (rv != LSN_OK && why != NULL && whysz > 0 && why[0] == '\0')
		dir_why(why, whysz, "%s: required field missing",
		    lsn_dirop_action_name(op));
	return (rv);
}

int
lsn_dirop_validate(const Liaison__V1__DirOp *op, char *why, size_t whysz)
{
	int	rv;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (op == NULL)
		return (LSN_EINVAL);
	if (!op->has_op_id || op->op_id.len != LSN_DIROP_ID_BYTES) {
		dir_why(why, whysz, "op_id must be %d bytes",
		    LSN_DIROP_ID_BYTES);
		return (LSN_EINVAL);
	}
	if (op->author == NULL || (strcmp(op->author,
	    LSN_DIR_AUTHOR_ADMIN) != 0 && !lsn_slug_valid(op->author))) {
		dir_why(why, whysz,
		    "author must be \"admin\" or a partner id");
		return (LSN_EINVAL);
	}
	if (!op->has_created_ms || op->created_ms == 0 ||
	    op->created_ms > LSN_DIR_TIME_MAX) {
		dir_why(why, whysz, "created_ms missing or out of range");
		return (LSN_EINVAL);
	}
	if ((rv = validate_action(op, why, whysz)) != LSN_OK)
		return (rv);
	if (!dir_no_unknown_fields(&op->base)) {
		dir_why(why, whysz, "op carries fields this version does not "
		    "know");
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}
