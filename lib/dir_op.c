/*
 * dir_op.c -- directory operations without state: field validation,
 * building, signing and parsing SignedDirOps, op batches, names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/dir.h"
#include "liaison/sig.h"
#include "liaison/util.h"
#include "dir_int.h"

#define NAME_MAX_OFFICIAL	256
#define NAME_MAX_SHORT		64
#define NAME_MAX_LOCAL		256
#define UNIT_NAME_MAX		256
#define UNIT_HOURS_MAX		128
#define CONTACT_NAME_MAX	128
#define CONTACT_ROLE_MAX	128
#define EMAIL_MAX		254
#define PHONE_MAX		32
#define LANG_MAX		35
#define TZ_MAX			64
#define GROUP_DESC_MAX		256

void
dir_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	(void) vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* 1 if m and every sub-message carry no unknown fields. */
int
dir_no_unknown_fields(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*desc;
	const char				*base;

	if (m == NULL)
		return (1);
	if (m->n_unknown_fields != 0)
		return (0);
	desc = m->descriptor;
	base = (const char *) m;
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor	*f = &desc->fields[i];
		const ProtobufCMessage		*sub;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			ProtobufCMessage	**arr;
			size_t			  n;

			memcpy(&n, base + f->quantifier_offset, sizeof(n));
			memcpy(&arr, base + f->offset, sizeof(arr));
			for (size_t j = 0; j < n; j++)
				if (!dir_no_unknown_fields(arr[j]))
					return (0);
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t	which;

			memcpy(&which, base + f->quantifier_offset,
			    sizeof(which));
			if (which != f->id)
				continue;
		}
		memcpy(&sub, base + f->offset, sizeof(sub));
		if (!dir_no_unknown_fields(sub))
			return (0);
	}
	return (1);
}

int
dir_keyrec_valid_at(uint64_t from, uint64_t until, uint64_t at)
{
	if (at < from)
		return (0);
	if (until != 0 && at >= until)
		return (0);
	return (1);
}

static const char *const status_names[] = {
	NULL, "active", "suspended", "revoked"
};
static const char *const kind_names[] = {
	NULL, "law_enforcement", "international_org", "hotline", "ngo",
	"private_sector", "government"
};
static const char *const purpose_names[] = {
	NULL, "sign", "encrypt", "transport"
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
name_of(const char *const *names, size_t n, int v)
{
	if (v <= 0 || (size_t) v >= n)
		return ("unspecified");
	return (names[v]);
}

static int
parse_name(const char *const *names, size_t n, const char *s, int *out)
{
	if (s == NULL)
		return (LSN_EINVAL);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = (int) i;
			return (LSN_OK);
		}
	}
	return (LSN_EINVAL);
}

const char *
dir_status_name(int status)
{
	return (name_of(status_names, NELEM(status_names), status));
}

const char *
dir_kind_name(int kind)
{
	return (name_of(kind_names, NELEM(kind_names), kind));
}

const char *
dir_purpose_name(int purpose)
{
	return (name_of(purpose_names, NELEM(purpose_names), purpose));
}

int
dir_status_parse(const char *s, int *out)
{
	return (parse_name(status_names, NELEM(status_names), s, out));
}

int
dir_kind_parse(const char *s, int *out)
{
	return (parse_name(kind_names, NELEM(kind_names), s, out));
}

int
dir_purpose_parse(const char *s, int *out)
{
	return (parse_name(purpose_names, NELEM(purpose_names), s, out));
}

uint32_t
dir_policy_threshold(const Liaison__V1__RootPolicy *p, int cls)
{
	for (size_t i = 0; i < p->n_thresholds; i++) {
		const Liaison__V1__Threshold *t = p->thresholds[i];

		if (t->has_action_class && (int) t->action_class == cls &&
		    t->has_k)
			return (t->k);
	}
	return (0);
}

/* ---- field validation ---- */

/* Optional text: NULL or "" allowed (when min == 0), else bounded. */
static int
text_ok(const char *s, size_t min, size_t max)
{
	if (s == NULL || s[0] == '\0')
		return (min == 0);
	if (strlen(s) < min)
		return (0);
	return (lsn_text_valid(s, max));
}

static int
slug_opt_ok(const char *s)
{
	return (s == NULL || s[0] == '\0' || lsn_slug_valid(s));
}

static int
email_ok(const char *s)
{
	const char	*at;

	if (s == NULL || s[0] == '\0')
		return (1);
	if (!lsn_text_valid(s, EMAIL_MAX))
		return (0);
	for (const char *p = s; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',' ||
		    *p == '<' || *p == '>')
			return (0);
	if ((at = strchr(s, '@')) == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return (0);
	return (1);
}

static int
phone_ok(const char *s)
{
	int	digits = 0;

	if (s == NULL || s[0] == '\0')
		return (1);
	if (strlen(s) > PHONE_MAX)
		return (0);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (strchr("+ ()-.", *p) == NULL)
			return (0);
	}
	return (digits > 0);
}

static int
lang_ok(const char *s)
{
	size_t	n;

	if (s == NULL)
		return (0);
	n = strlen(s);
	if (n < 2 || n > LANG_MAX)
		return (0);
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return (0);
	for (size_t i = 0; i < n; i++) {
		char	c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return (0);
	}
	return (1);
}

static int
tz_ok(const char *s)
{
	size_t	n;

	if (s == NULL || s[0] == '\0')
		return (1);
	n = strlen(s);
	if (n > TZ_MAX)
		return (0);
	for (size_t i = 0; i < n; i++) {
		char	c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("/_+-", c) != NULL))
			return (0);
	}
	return (1);
}

/*
 * A key record as carried in an op: key id = lsn_key_id(public_key),
 * known purpose, 32-byte key, sane window, not revoked (revocation is its
 * own op). want_purpose 0 = any.
 */
static int
keyrec_ok(const Liaison__V1__KeyRecord *k, int want_purpose, const char *what,
    char *why, size_t whysz)
{
	char	kid[LSN_KEYID_HEXLEN + 1];

	if (k == NULL) {
		dir_why(why, whysz, "%s: key missing", what);
		return (0);
	}
	if (!k->has_public_key || k->public_key.len != LSN_PK_BYTES) {
		dir_why(why, whysz, "%s: public key must be %d bytes", what,
		    LSN_PK_BYTES);
		return (0);
	}
	if (!k->has_purpose ||
	    k->purpose < LIAISON__V1__KEY_PURPOSE__KEY_SIGN ||
	    k->purpose > LIAISON__V1__KEY_PURPOSE__KEY_TRANSPORT) {
		dir_why(why, whysz, "%s: unknown key purpose", what);
		return (0);
	}
	if (want_purpose != 0 && (int) k->purpose != want_purpose) {
		dir_why(why, whysz, "%s: key must be a %s key", what,
		    dir_purpose_name(want_purpose));
		return (0);
	}
	lsn_key_id(k->public_key.data, kid);
	if (k->key_id == NULL || strcmp(k->key_id, kid) != 0) {
		dir_why(why, whysz, "%s: key id does not match the public key "
		    "(expected %s)", what, kid);
		return (0);
	}
	if (k->valid_from_ms > LSN_DIR_TIME_MAX ||
	    k->valid_until_ms > LSN_DIR_TIME_MAX) {
		dir_why(why, whysz, "%s: key %s: time out of range", what,
		    kid);
		return (0);
	}
	if (k->has_valid_until_ms && k->valid_until_ms != 0 &&
	    k->valid_until_ms < k->valid_from_ms) {
		dir_why(why, whysz, "%s: key %s: valid_until before "
		    "valid_from", what, kid);
		return (0);
	}
	if (k->has_revoked_at_ms && k->revoked_at_ms != 0) {
		dir_why(why, whysz, "%s: key %s: a new key cannot be revoked "
		    "(use revoke-key)", what, kid);
		return (0);
	}
	return (1);
}

int
dir_validate_policy(const Liaison__V1__RootPolicy *p, char *why, size_t whysz)
{
	int	seen[4] = { 0, 0, 0, 0 };

	if (p == NULL) {
		dir_why(why, whysz, "root policy missing");
		return (LSN_EINVAL);
	}
	if (!p->has_version || p->version == 0) {
		dir_why(why, whysz, "root policy version must be >= 1");
		return (LSN_EINVAL);
	}
	if (p->n_admins == 0 || p->n_admins > LSN_DIR_ADMINS_MAX) {
		dir_why(why, whysz, "root policy needs 1..%d administrators",
		    LSN_DIR_ADMINS_MAX);
		return (LSN_EINVAL);
	}
	for (size_t i = 0; i < p->n_admins; i++) {
		const Liaison__V1__AdminKey *a = p->admins[i];

		if (a->name == NULL || !lsn_slug_valid(a->name)) {
			dir_why(why, whysz, "administrator %zu: name must be "
			    "a slug", i + 1);
			return (LSN_EINVAL);
		}
		if (!keyrec_ok(a->key, LIAISON__V1__KEY_PURPOSE__KEY_SIGN,
		    a->name, why, whysz))
			return (LSN_EINVAL);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(p->admins[j]->key->key_id,
			    a->key->key_id) == 0) {
				dir_why(why, whysz, "administrator key %s "
				    "listed twice", a->key->key_id);
				return (LSN_EINVAL);
			}
			if (strcmp(p->admins[j]->name, a->name) == 0) {
				dir_why(why, whysz, "administrator name %s "
				    "listed twice", a->name);
				return (LSN_EINVAL);
			}
		}
	}
	if (p->n_thresholds != 3) {
		dir_why(why, whysz, "root policy needs exactly one threshold "
		    "for each of routine, sensitive, root");
		return (LSN_EROOT);
	}
	for (size_t i = 0; i < p->n_thresholds; i++) {
		const Liaison__V1__Threshold *t = p->thresholds[i];

		if (!t->has_action_class ||
		    t->action_class <
		    LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE ||
		    t->action_class > LIAISON__V1__ACTION_CLASS__CLASS_ROOT ||
		    seen[t->action_class]) {
			dir_why(why, whysz, "root policy needs exactly one "
			    "threshold for each of routine, sensitive, root");
			return (LSN_EROOT);
		}
		seen[t->action_class] = 1;
		if (!t->has_k || t->k < 1 || t->k > p->n_admins) {
			dir_why(why, whysz, "threshold for %s must be between "
			    "1 and the number of administrators (%zu)",
			    lsn_dir_class_name((int) t->action_class),
			    p->n_admins);
			return (LSN_EROOT);
		}
	}
	if (!keyrec_ok(p->sequencer_key, LIAISON__V1__KEY_PURPOSE__KEY_SIGN,
	    "sequencer key", why, whysz))
		return (LSN_EINVAL);
	return (LSN_OK);
}

static int
names_ok(const Liaison__V1__PartnerNames *n, int require_official, char *why,
    size_t whysz)
{
	if (n == NULL) {
		if (!require_official)
			return (1);
		dir_why(why, whysz, "partner names missing");
		return (0);
	}
	if (require_official && (n->official == NULL || n->official[0] == 0)) {
		dir_why(why, whysz, "official name required");
		return (0);
	}
	if (n->official != NULL &&
	    !text_ok(n->official, 1, NAME_MAX_OFFICIAL)) {
		dir_why(why, whysz, "official name: 1..%d characters of text",
		    NAME_MAX_OFFICIAL);
		return (0);
	}
	if (!text_ok(n->short_name, 0, NAME_MAX_SHORT)) {
		dir_why(why, whysz, "short name: up to %d characters of text",
		    NAME_MAX_SHORT);
		return (0);
	}
	if (!text_ok(n->local, 0, NAME_MAX_LOCAL)) {
		dir_why(why, whysz, "local name: up to %d characters of text",
		    NAME_MAX_LOCAL);
		return (0);
	}
	return (1);
}

static int
kind_ok(int has, int kind)
{
	return (has &&
	    kind >= LIAISON__V1__PARTNER_KIND__KIND_LAW_ENFORCEMENT &&
	    kind <= LIAISON__V1__PARTNER_KIND__KIND_GOVERNMENT);
}

static int
unit_ok(const Liaison__V1__Unit *u, char *why, size_t whysz)
{
	if (u == NULL) {
		dir_why(why, whysz, "unit missing");
		return (0);
	}
	if (!lsn_slug_valid(u->unit_id)) {
		dir_why(why, whysz, "unit id must be a slug");
		return (0);
	}
	if (!text_ok(u->name, 1, UNIT_NAME_MAX)) {
		dir_why(why, whysz, "unit %s: name: 1..%d characters of text",
		    u->unit_id, UNIT_NAME_MAX);
		return (0);
	}
	if (!text_ok(u->hours, 0, UNIT_HOURS_MAX)) {
		dir_why(why, whysz, "unit %s: hours: up to %d characters",
		    u->unit_id, UNIT_HOURS_MAX);
		return (0);
	}
	if (!slug_opt_ok(u->fallback_unit)) {
		dir_why(why, whysz, "unit %s: fallback unit must be a slug",
		    u->unit_id);
		return (0);
	}
	if (u->fallback_unit != NULL && strcmp(u->fallback_unit,
	    u->unit_id) == 0) {
		dir_why(why, whysz, "unit %s: a unit cannot be its own "
		    "fallback", u->unit_id);
		return (0);
	}
	return (1);
}

static int
contact_ok(const Liaison__V1__Contact *c, char *why, size_t whysz)
{
	if (c == NULL) {
		dir_why(why, whysz, "contact missing");
		return (0);
	}
	if (!lsn_slug_valid(c->contact_id)) {
		dir_why(why, whysz, "contact id must be a slug");
		return (0);
	}
	if (!text_ok(c->name, 1, CONTACT_NAME_MAX)) {
		dir_why(why, whysz, "contact %s: name: 1..%d characters of "
		    "text", c->contact_id, CONTACT_NAME_MAX);
		return (0);
	}
	if (!text_ok(c->role, 0, CONTACT_ROLE_MAX)) {
		dir_why(why, whysz, "contact %s: role: up to %d characters",
		    c->contact_id, CONTACT_ROLE_MAX);
		return (0);
	}
	if (!slug_opt_ok(c->unit_id)) {
		dir_why(why, whysz, "contact %s: unit id must be a slug",
		    c->contact_id);
		return (0);
	}
	if (!email_ok(c->email)) {
		dir_why(why, whysz, "contact %s: email is not an address "
		    "(local@domain, up to %d characters)", c->contact_id,
		    EMAIL_MAX);
		return (0);
	}
	if (!phone_ok(c->phone)) {
		dir_why(why, whysz, "contact %s: phone: digits, spaces and "
		    "+()-. only, up to %d characters", c->contact_id,
		    PHONE_MAX);
		return (0);
	}
	if ((c->email == NULL || c->email[0] == '\0') &&
	    (c->phone == NULL || c->phone[0] == '\0')) {
		dir_why(why, whysz, "contact %s: needs an email or a phone",
		    c->contact_id);
		return (0);
	}
	if (c->n_languages > LSN_DIR_LANGS_MAX) {
		dir_why(why, whysz, "contact %s: at most %d languages",
		    c->contact_id, LSN_DIR_LANGS_MAX);
		return (0);
	}
	for (size_t i = 0; i < c->n_languages; i++) {
		if (!lang_ok(c->languages[i])) {
			dir_why(why, whysz, "contact %s: language %zu is not "
			    "a language tag (e.g. en, pt-BR)", c->contact_id,
			    i + 1);
			return (0);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->languages[i], c->languages[j]) == 0) {
				dir_why(why, whysz, "contact %s: language %s "
				    "listed twice", c->contact_id,
				    c->languages[i]);
				return (0);
			}
	}
	if (!tz_ok(c->time_zone)) {
		dir_why(why, whysz, "contact %s: time zone must be an IANA "
		    "name (e.g. Europe/London), up to %d characters",
		    c->contact_id, TZ_MAX);
		return (0);
	}
	if ((c->has_verified_at_ms && c->verified_at_ms != 0) ||
	    (c->has_updated_ms && c->updated_ms != 0)) {
		dir_why(why, whysz, "contact %s: verified_at_ms and "
		    "updated_ms are set by the directory, not by an op",
		    c->contact_id);
		return (0);
	}
	return (1);
}

static int
partner_new_ok(const Liaison__V1__Partner *p, char *why, size_t whysz)
{
	if (p == NULL) {
		dir_why(why, whysz, "partner missing");
		return (0);
	}
	if (!lsn_slug_valid(p->id) || strcmp(p->id,
	    LSN_DIR_AUTHOR_ADMIN) == 0) {
		dir_why(why, whysz, "partner id must be a slug "
		    "[a-z0-9][a-z0-9-]{1,62} other than \"admin\"");
		return (0);
	}
	if (!names_ok(p->names, 1, why, whysz))
		return (0);
	if (!kind_ok(p->has_kind, (int) p->kind)) {
		dir_why(why, whysz, "partner %s: kind missing or unknown",
		    p->id);
		return (0);
	}
	if (!lsn_country_valid(p->country)) {
		dir_why(why, whysz, "partner %s: country must be an ISO "
		    "3166-1 alpha-2 code (XX for international)", p->id);
		return (0);
	}
	if (p->has_status &&
	    p->status != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE) {
		dir_why(why, whysz, "partner %s: a new partner is active "
		    "(use set-status afterwards)", p->id);
		return (0);
	}
	if (p->n_groups != 0 || (p->has_version && p->version != 0) ||
	    (p->has_created_ms && p->created_ms != 0) ||
	    (p->has_updated_ms && p->updated_ms != 0) ||
	    (p->has_verified_at_ms && p->verified_at_ms != 0)) {
		dir_why(why, whysz, "partner %s: groups, version and "
		    "timestamps are set by the directory, not by an op",
		    p->id);
		return (0);
	}
	if (p->n_keys > LSN_DIR_KEYS_MAX || p->n_units > LSN_DIR_UNITS_MAX ||
	    p->n_contacts > LSN_DIR_CONTACTS_MAX) {
		dir_why(why, whysz, "partner %s: at most %d keys, %d units, "
		    "%d contacts", p->id, LSN_DIR_KEYS_MAX, LSN_DIR_UNITS_MAX,
		    LSN_DIR_CONTACTS_MAX);
		return (0);
	}
	for (size_t i = 0; i < p->n_keys; i++) {
		if (!keyrec_ok(p->keys[i], 0, p->id, why, whysz))
			return (0);
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->keys[i]->key_id, p->keys[j]->key_id) ==
			    0) {
				dir_why(why, whysz, "partner %s: key %s "
				    "listed twice", p->id, p->keys[i]->key_id);
				return (0);
			}
	}
	for (size_t i = 0; i < p->n_units; i++) {
		if (!unit_ok(p->units[i], why, whysz))
			return (0);
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->units[i]->unit_id,
			    p->units[j]->unit_id) == 0) {
				dir_why(why, whysz, "partner %s: unit %s "
				    "listed twice", p->id,
				    p->units[i]->unit_id);
				return (0);
			}
	}
	for (size_t i = 0; i < p->n_units; i++) {
		const char	*fb = p->units[i]->fallback_unit;
		int		 found = 0;

		if (fb == NULL || fb[0] == '\0')
			continue;
		for (size_t j = 0; j < p->n_units; j++)
			if (strcmp(p->units[j]->unit_id, fb) == 0)
				found = 1;
		if (!found) {
			dir_why(why, whysz, "partner %s: unit %s: no fallback "
			    "unit %s", p->id, p->units[i]->unit_id, fb);
			return (0);
		}
	}
	for (size_t i = 0; i < p->n_contacts; i++) {
		const char	*u = p->contacts[i]->unit_id;
		int		 found = 0;

		if (!contact_ok(p->contacts[i], why, whysz))
			return (0);
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->contacts[i]->contact_id,
			    p->contacts[j]->contact_id) == 0) {
				dir_why(why, whysz, "partner %s: contact %s "
				    "listed twice", p->id,
				    p->contacts[i]->contact_id);
				return (0);
			}
		if (u == NULL || u[0] == '\0')
			continue;
		for (size_t j = 0; j < p->n_units; j++)
			if (strcmp(p->units[j]->unit_id, u) == 0)
				found = 1;
		if (!found) {
			dir_why(why, whysz, "partner %s: contact %s: no unit "
			    "%s", p->id, p->contacts[i]->contact_id, u);
			return (0);
		}
	}
	return (1);
}

static int
pid_ok(const char *id, char *why, size_t whysz)
{
	if (!lsn_slug_valid(id) || strcmp(id, LSN_DIR_AUTHOR_ADMIN) == 0) {
		dir_why(why, whysz, "partner id missing or not a slug");
		return (0);
	}
	return (1);
}

int
dir_keyid_shape(const char *kid)
{
	if (kid == NULL || strlen(kid) != LSN_KEYID_HEXLEN)
		return (0);
	for (const char *p = kid; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return (0);
	return (1);
}

static int
keyid_ok(const char *kid, char *why, size_t whysz)
{
	if (!dir_keyid_shape(kid)) {
		dir_why(why, whysz, "key id must be 16 lower-case hex "
		    "characters");
		return (0);
	}
	return (1);
}

static int
validate_action(const Liaison__V1__DirOp *op, char *why, size_t whysz)
{
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION_INIT_ROOT:
		if (op->init_root == NULL)
			break;
		return (dir_validate_policy(op->init_root->policy, why,
		    whysz));
	case LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT:
		if (op->replace_root == NULL)
			break;
		return (dir_validate_policy(op->replace_root->policy, why,
		    whysz));
	case LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER:
		if (op->add_partner == NULL ||
		    !partner_new_ok(op->add_partner->partner, why, whysz))
			break;
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER: {
		const Liaison__V1__UpdatePartner *u = op->update_partner;

		if (u == NULL || !pid_ok(u->partner_id, why, whysz))
			break;
		if (u->names == NULL && !u->has_kind && u->country == NULL) {
			dir_why(why, whysz, "update-partner changes nothing");
			break;
		}
		if (!names_ok(u->names, 0, why, whysz))
			break;
		if (u->has_kind && !kind_ok(1, (int) u->kind)) {
			dir_why(why, whysz, "unknown partner kind");
			break;
		}
		if (u->country != NULL && !lsn_country_valid(u->country)) {
			dir_why(why, whysz, "country must be an ISO 3166-1 "
			    "alpha-2 code");
			break;
		}
		return (LSN_OK);
	}
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS: {
		const Liaison__V1__SetStatus *s = op->set_status;

		if (s == NULL || !pid_ok(s->partner_id, why, whysz))
			break;
		if (!s->has_status ||
		    s->status < LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE ||
		    s->status > LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED) {
			dir_why(why, whysz, "status must be active, suspended "
			    "or revoked");
			break;
		}
		return (LSN_OK);
	}
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY:
		if (op->add_key == NULL ||
		    !pid_ok(op->add_key->partner_id, why, whysz) ||
		    !keyrec_ok(op->add_key->key, 0, "add-key", why, whysz))
			break;
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY:
		if (op->retire_key == NULL ||
		    !pid_ok(op->retire_key->partner_id, why, whysz) ||
		    !keyid_ok(op->retire_key->key_id, why, whysz))
			break;
		if (!op->retire_key->has_valid_until_ms ||
		    op->retire_key->valid_until_ms == 0 ||
		    op->retire_key->valid_until_ms > LSN_DIR_TIME_MAX) {
			dir_why(why, whysz, "retire-key needs valid_until_ms");
			break;
		}
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY:
		if (op->revoke_key == NULL ||
		    !pid_ok(op->revoke_key->partner_id, why, whysz) ||
		    !keyid_ok(op->revoke_key->key_id, why, whysz))
			break;
		if (!op->revoke_key->has_revoked_at_ms ||
		    op->revoke_key->revoked_at_ms == 0 ||
		    op->revoke_key->revoked_at_ms > LSN_DIR_TIME_MAX) {
			dir_why(why, whysz, "revoke-key needs revoked_at_ms");
			break;
		}
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_SET_UNIT:
		if (op->set_unit == NULL ||
		    !pid_ok(op->set_unit->partner_id, why, whysz) ||
		    !unit_ok(op->set_unit->unit, why, whysz))
			break;
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT:
		if (op->remove_unit == NULL ||
		    !pid_ok(op->remove_unit->partner_id, why, whysz))
			break;
		if (!lsn_slug_valid(op->remove_unit->unit_id)) {
			dir_why(why, whysz, "unit id must be a slug");
			break;
		}
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_SET_CONTACT:
		if (op->set_contact == NULL ||
		    !pid_ok(op->set_contact->partner_id, why, whysz) ||
		    !contact_ok(op->set_contact->contact, why, whysz))
			break;
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT:
		if (op->remove_contact == NULL ||
		    !pid_ok(op->remove_contact->partner_id, why, whysz))
			break;
		if (!lsn_slug_valid(op->remove_contact->contact_id)) {
			dir_why(why, whysz, "contact id must be a slug");
			break;
		}
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT: {
		const Liaison__V1__ConfirmContact *c = op->confirm_contact;

		if (c == NULL || !pid_ok(c->partner_id, why, whysz))
			break;
		if (!lsn_slug_valid(c->contact_id)) {
			dir_why(why, whysz, "contact id must be a slug");
			break;
		}
		if (!c->has_verified_at_ms || c->verified_at_ms == 0 ||
		    c->verified_at_ms > op->created_ms) {
			dir_why(why, whysz, "confirm-contact: verified_at_ms "
			    "must be set and not after the op's created_ms");
			break;
		}
		return (LSN_OK);
	}
	case LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP:
		if (op->create_group == NULL)
			break;
		if (!lsn_slug_valid(op->create_group->name)) {
			dir_why(why, whysz, "group name must be a slug");
			break;
		}
		if (!text_ok(op->create_group->description, 0,
		    GROUP_DESC_MAX)) {
			dir_why(why, whysz, "group description: up to %d "
			    "characters of text", GROUP_DESC_MAX);
			break;
		}
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
		if (op->delete_group == NULL)
			break;
		if (!lsn_slug_valid(op->delete_group->name)) {
			dir_why(why, whysz, "group name must be a slug");
			break;
		}
		return (LSN_OK);
	case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER:
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER: {
		const char *g, *p;

		if (op->action_case ==
		    LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER) {
			if (op->add_member == NULL)
				break;
			g = op->add_member->group;
			p = op->add_member->partner_id;
		} else {
			if (op->remove_member == NULL)
				break;
			g = op->remove_member->group;
			p = op->remove_member->partner_id;
		}
		if (!lsn_slug_valid(g)) {
			dir_why(why, whysz, "group name must be a slug");
			break;
		}
		if (!pid_ok(p, why, whysz))
			break;
		return (LSN_OK);
	}
	default:
		dir_why(why, whysz, "op has no action");
		return (LSN_EINVAL);
	}
	if (why != NULL && whysz > 0 && why[0] == '\0')
		dir_why(why, whysz, "%s: required field missing",
		    lsn_dirop_action_name(op));
	return (LSN_EINVAL);
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

/* ---- names and classes ---- */

const char *
lsn_dirop_action_name(const Liaison__V1__DirOp *op)
{
	if (op == NULL)
		return ("none");
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION_INIT_ROOT: return ("init-root");
	case LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT: return ("replace-root");
	case LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER: return ("add-partner");
	case LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER:
		return ("update-partner");
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS: return ("set-status");
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY: return ("add-key");
	case LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY: return ("retire-key");
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY: return ("revoke-key");
	case LIAISON__V1__DIR_OP__ACTION_SET_UNIT: return ("set-unit");
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT: return ("remove-unit");
	case LIAISON__V1__DIR_OP__ACTION_SET_CONTACT: return ("set-contact");
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT:
		return ("remove-contact");
	case LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT:
		return ("confirm-contact");
	case LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP: return ("create-group");
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP: return ("delete-group");
	case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER: return ("add-member");
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER:
		return ("remove-member");
	default:
		return ("none");
	}
}

int
lsn_dirop_class(const Liaison__V1__DirOp *op)
{
	if (op == NULL)
		return (0);
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION__NOT_SET:
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_INIT_ROOT:
	case LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT:
		return (LIAISON__V1__ACTION_CLASS__CLASS_ROOT);
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS:
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY:
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
		return (LIAISON__V1__ACTION_CLASS__CLASS_SENSITIVE);
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY:
		if (op->add_key == NULL || op->add_key->key == NULL ||
		    op->add_key->key->purpose ==
		    LIAISON__V1__KEY_PURPOSE__KEY_SIGN)
			return (LIAISON__V1__ACTION_CLASS__CLASS_SENSITIVE);
		return (LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE);
	default:
		return (LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE);
	}
}

const char *
lsn_dir_class_name(int action_class)
{
	switch (action_class) {
	case LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE: return ("routine");
	case LIAISON__V1__ACTION_CLASS__CLASS_SENSITIVE: return ("sensitive");
	case LIAISON__V1__ACTION_CLASS__CLASS_ROOT: return ("root");
	default: return ("unspecified");
	}
}

const Liaison__V1__RootPolicy *
dir_op_policy(const Liaison__V1__DirOp *op)
{
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_INIT_ROOT &&
	    op->init_root != NULL)
		return (op->init_root->policy);
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT &&
	    op->replace_root != NULL)
		return (op->replace_root->policy);
	return (NULL);
}

/*
 * The partner or group an op targets (either may be NULL): *partner for
 * partner ops (and the member of a group op), *group for group ops.
 * Returns 1 if the op is one a partner may sign for itself (set / remove
 * unit, set / remove / confirm contact).
 */
int
dir_op_target(const Liaison__V1__DirOp *op, const char **partner,
    const char **group)
{
	*partner = NULL;
	*group = NULL;
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER:
		*partner = op->add_partner->partner->id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER:
		*partner = op->update_partner->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS:
		*partner = op->set_status->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY:
		*partner = op->add_key->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY:
		*partner = op->retire_key->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY:
		*partner = op->revoke_key->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_SET_UNIT:
		*partner = op->set_unit->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT:
		*partner = op->remove_unit->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_SET_CONTACT:
		*partner = op->set_contact->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT:
		*partner = op->remove_contact->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT:
		*partner = op->confirm_contact->partner_id;
		return (1);
	case LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP:
		*group = op->create_group->name;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
		*group = op->delete_group->name;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER:
		*group = op->add_member->group;
		*partner = op->add_member->partner_id;
		return (0);
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER:
		*group = op->remove_member->group;
		*partner = op->remove_member->partner_id;
		return (0);
	default:
		return (0);
	}
}

/* ---- building, signing, parsing ---- */

static int
pack_signed(const ProtobufCBinaryData *opb, Liaison__V1__OpSignature **sigs,
    size_t nsigs, uint8_t **out, size_t *outlen)
{
	Liaison__V1__SignedDirOp	 s = LIAISON__V1__SIGNED_DIR_OP__INIT;
	uint8_t				*buf;
	size_t				 n;

	s.has_op = 1;
	s.op = *opb;
	s.n_signatures = nsigs;
	s.signatures = sigs;
	n = liaison__v1__signed_dir_op__get_packed_size(&s);
	if (n > LSN_DIROP_MAX)
		return (LSN_ETOOBIG);
	if ((buf = malloc(n == 0 ? 1 : n)) == NULL)
		return (LSN_ENOMEM);
	if (liaison__v1__signed_dir_op__pack(&s, buf) != n) {
		free(buf);
		return (LSN_EINTERNAL);
	}
	*out = buf;
	*outlen = n;
	return (LSN_OK);
}

int
lsn_dirop_new(const Liaison__V1__DirOp *op, uint8_t **out, size_t *outlen,
    char *why, size_t whysz)
{
	Liaison__V1__DirOp	 tmp;
	ProtobufCBinaryData	 opb = { 0, NULL };
	uint8_t			 id[LSN_DIROP_ID_BYTES];
	int			 rv;

	if (op == NULL || out == NULL || outlen == NULL)
		return (LSN_EINVAL);
	tmp = *op;
	if (!tmp.has_op_id) {
		lsn_random(id, sizeof(id));
		tmp.has_op_id = 1;
		tmp.op_id.data = id;
		tmp.op_id.len = sizeof(id);
	}
	if (!tmp.has_created_ms || tmp.created_ms == 0) {
		tmp.has_created_ms = 1;
		tmp.created_ms = lsn_now_ms();
	}
	if ((rv = lsn_dirop_validate(&tmp, why, whysz)) != LSN_OK)
		return (rv);
	opb.len = liaison__v1__dir_op__get_packed_size(&tmp);
	if (opb.len > LSN_DIROP_MAX - 64) {
		dir_why(why, whysz, "op too big (%zu bytes)", opb.len);
		return (LSN_ETOOBIG);
	}
	if ((opb.data = malloc(opb.len)) == NULL)
		return (LSN_ENOMEM);
	if (liaison__v1__dir_op__pack(&tmp, opb.data) != opb.len) {
		rv = LSN_EINTERNAL;
		goto out;
	}
	rv = pack_signed(&opb, NULL, 0, out, outlen);
 out:
	free(opb.data);
	return (rv);
}

int
lsn_dirop_parse(const uint8_t *signed_op, size_t len,
    Liaison__V1__SignedDirOp **sopp, Liaison__V1__DirOp **opp)
{
	Liaison__V1__SignedDirOp	*sop = NULL;
	Liaison__V1__DirOp		*op = NULL;

	if (signed_op == NULL || len == 0)
		return (LSN_EPROTO);
	if (len > LSN_DIROP_MAX)
		return (LSN_ETOOBIG);
	sop = liaison__v1__signed_dir_op__unpack(NULL, len, signed_op);
	if (sop == NULL)
		return (LSN_EPROTO);
	if (!sop->has_op || sop->op.len == 0 ||
	    (op = liaison__v1__dir_op__unpack(NULL, sop->op.len,
	    sop->op.data)) == NULL) {
		liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
		return (LSN_EPROTO);
	}
	if (sopp != NULL)
		*sopp = sop;
	else
		liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	if (opp != NULL)
		*opp = op;
	else
		liaison__v1__dir_op__free_unpacked(op, NULL);
	return (LSN_OK);
}

int
lsn_dirop_sign(const uint8_t *signed_op, size_t len,
    const struct lsn_keypair *kp, uint8_t **out, size_t *outlen)
{
	Liaison__V1__SignedDirOp	 *sop = NULL;
	Liaison__V1__OpSignature	**sigs = NULL;
	Liaison__V1__OpSignature	  mine =
	    LIAISON__V1__OP_SIGNATURE__INIT;
	uint8_t				  sig[LSN_SIG_BYTES];
	size_t				  n = 0;
	int				  rv;

	if (kp == NULL || kp->kind != LSN_KEY_SIGN || out == NULL ||
	    outlen == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_dirop_parse(signed_op, len, &sop, NULL)) != LSN_OK)
		return (rv);
	if ((rv = lsn_sig_sign(LSN_SIG_DIROP, kp, sop->op.data, sop->op.len,
	    sig)) != LSN_OK)
		goto out;
	if ((sigs = calloc(sop->n_signatures + 1, sizeof(*sigs))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < sop->n_signatures; i++) {
		const char *kid = sop->signatures[i]->key_id;

		if (kid != NULL && strcmp(kid, kp->key_id) == 0)
			continue;
		sigs[n++] = sop->signatures[i];
	}
	if (n + 1 > LSN_DIROP_SIGS_MAX) {
		rv = LSN_ETOOBIG;
		goto out;
	}
	mine.key_id = (char *) (uintptr_t) kp->key_id;
	mine.has_signature = 1;
	mine.signature.data = sig;
	mine.signature.len = sizeof(sig);
	sigs[n++] = &mine;
	rv = pack_signed(&sop->op, sigs, n, out, outlen);
 out:
	free(sigs);
	liaison__v1__signed_dir_op__free_unpacked(sop, NULL);
	return (rv);
}

/* ---- batches ---- */

int
lsn_dirop_batch_new(struct lsn_dirop_batch **out)
{
	struct lsn_dirop_batch	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (LSN_ENOMEM);
	*out = b;
	return (LSN_OK);
}

void
lsn_dirop_batch_free(struct lsn_dirop_batch **bp)
{
	struct lsn_dirop_batch	*b;

	if (bp == NULL || (b = *bp) == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->ops[i]);
	free(b->ops);
	free(b->lens);
	free(b);
	*bp = NULL;
}

int
lsn_dirop_batch_add(struct lsn_dirop_batch *b, const uint8_t *op, size_t len)
{
	uint8_t	**nops, *copy;
	size_t	 *nlens;

	if (b == NULL || op == NULL || len == 0)
		return (LSN_EINVAL);
	if (len > LSN_DIROP_MAX || b->n >= LSN_DIROP_BATCH_OPS_MAX)
		return (LSN_ETOOBIG);
	if ((nops = realloc(b->ops, (b->n + 1) * sizeof(*nops))) == NULL)
		return (LSN_ENOMEM);
	b->ops = nops;
	if ((nlens = realloc(b->lens, (b->n + 1) * sizeof(*nlens))) == NULL)
		return (LSN_ENOMEM);
	b->lens = nlens;
	if ((copy = malloc(len)) == NULL)
		return (LSN_ENOMEM);
	memcpy(copy, op, len);
	b->ops[b->n] = copy;
	b->lens[b->n] = len;
	b->n++;
	return (LSN_OK);
}

int
lsn_dirop_batch_load(const uint8_t *buf, size_t len,
    struct lsn_dirop_batch **out)
{
	Liaison__V1__SignedDirOpBatch	*pb = NULL;
	struct lsn_dirop_batch		*b = NULL;
	size_t				 mlen = strlen(LSN_DIROP_BATCH_MAGIC);
	int				 rv;

	if (buf == NULL || len == 0)
		return (LSN_EPROTO);
	if (len > LSN_DIROP_BATCH_MAX)
		return (LSN_ETOOBIG);
	if ((rv = lsn_dirop_batch_new(&b)) != LSN_OK)
		return (rv);
	if (len >= mlen && memcmp(buf, LSN_DIROP_BATCH_MAGIC, mlen) == 0) {
		pb = liaison__v1__signed_dir_op_batch__unpack(NULL, len - mlen,
		    buf + mlen);
		if (pb == NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		for (size_t i = 0; i < pb->n_ops; i++) {
			if ((rv = lsn_dirop_parse(pb->ops[i].data,
			    pb->ops[i].len, NULL, NULL)) != LSN_OK)
				goto out;
			if ((rv = lsn_dirop_batch_add(b, pb->ops[i].data,
			    pb->ops[i].len)) != LSN_OK)
				goto out;
		}
	} else {
		if ((rv = lsn_dirop_parse(buf, len, NULL, NULL)) != LSN_OK)
			goto out;
		if ((rv = lsn_dirop_batch_add(b, buf, len)) != LSN_OK)
			goto out;
	}
	*out = b;
	b = NULL;
	rv = LSN_OK;
 out:
	if (pb != NULL)
		liaison__v1__signed_dir_op_batch__free_unpacked(pb, NULL);
	lsn_dirop_batch_free(&b);
	return (rv);
}

int
lsn_dirop_batch_save(const struct lsn_dirop_batch *b, int single,
    uint8_t **out, size_t *outlen)
{
	Liaison__V1__SignedDirOpBatch	 pb =
	    LIAISON__V1__SIGNED_DIR_OP_BATCH__INIT;
	ProtobufCBinaryData		*arr = NULL;
	uint8_t				*buf = NULL;
	size_t				 mlen = strlen(LSN_DIROP_BATCH_MAGIC);
	size_t				 n;
	int				 rv;

	if (b == NULL || out == NULL || outlen == NULL)
		return (LSN_EINVAL);
	if (single && b->n == 1) {
		if ((buf = malloc(b->lens[0])) == NULL)
			return (LSN_ENOMEM);
		memcpy(buf, b->ops[0], b->lens[0]);
		*out = buf;
		*outlen = b->lens[0];
		return (LSN_OK);
	}
	if (b->n > 0 && (arr = calloc(b->n, sizeof(*arr))) == NULL)
		return (LSN_ENOMEM);
	for (size_t i = 0; i < b->n; i++) {
		arr[i].data = b->ops[i];
		arr[i].len = b->lens[i];
	}
	pb.n_ops = b->n;
	pb.ops = arr;
	n = liaison__v1__signed_dir_op_batch__get_packed_size(&pb);
	if (n > LSN_DIROP_BATCH_MAX - mlen) {
		rv = LSN_ETOOBIG;
		goto out;
	}
	if ((buf = malloc(mlen + n)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	memcpy(buf, LSN_DIROP_BATCH_MAGIC, mlen);
	if (liaison__v1__signed_dir_op_batch__pack(&pb, buf + mlen) != n) {
		free(buf);
		rv = LSN_EINTERNAL;
		goto out;
	}
	*out = buf;
	*outlen = mlen + n;
	rv = LSN_OK;
 out:
	free(arr);
	return (rv);
}

int
lsn_dirop_batch_sign(struct lsn_dirop_batch *b, const struct lsn_keypair *kp)
{
	uint8_t	*nb;
	size_t	 nlen;
	int	 rv;

	if (b == NULL)
		return (LSN_EINVAL);
	for (size_t i = 0; i < b->n; i++) {
		if ((rv = lsn_dirop_sign(b->ops[i], b->lens[i], kp, &nb,
		    &nlen)) != LSN_OK)
			return (rv);
		free(b->ops[i]);
		b->ops[i] = nb;
		b->lens[i] = nlen;
	}
	return (LSN_OK);
}
