/*
 * dir_op_fields.c -- the field checks of the messages a directory op
 * carries whole: a root policy, a new partner, its names, a key record, a
 * unit, a contact. Each writes a why naming the field and returns 0 (or
 * an lsn_err for the policy). The per-action table that calls them is in
 * dir_op_rules.c.
 */
#include <stdio.h>
#include <string.h>

#include "liaison/dir.h"
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

/* Optional text: NULL or "" allowed (when min == 0), else bounded. */
int
dir_text_ok(const char *s, size_t min, size_t max)
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
int
dir_keyrec_ok(const Liaison__V1__KeyRecord *k, int want_purpose,
    const char *what, char *why, size_t whysz)
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
dir_validate_policy(const Liaison__V1__RootPolicy *p, char *why,
    size_t whysz)
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
		if (!dir_keyrec_ok(a->key, LIAISON__V1__KEY_PURPOSE__KEY_SIGN,
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
	if (!dir_keyrec_ok(p->sequencer_key,
	    LIAISON__V1__KEY_PURPOSE__KEY_SIGN, "sequencer key", why, whysz))
		return (LSN_EINVAL);
	return (LSN_OK);
}

int
dir_names_ok(const Liaison__V1__PartnerNames *n, int require_official,
    char *why, size_t whysz)
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
	    !dir_text_ok(n->official, 1, NAME_MAX_OFFICIAL)) {
		dir_why(why, whysz, "official name: 1..%d characters of text",
		    NAME_MAX_OFFICIAL);
		return (0);
	}
	if (!dir_text_ok(n->short_name, 0, NAME_MAX_SHORT)) {
		dir_why(why, whysz, "short name: up to %d characters of text",
		    NAME_MAX_SHORT);
		return (0);
	}
	if (!dir_text_ok(n->local, 0, NAME_MAX_LOCAL)) {
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

int
dir_unit_ok(const Liaison__V1__Unit *u, char *why, size_t whysz)
{
	if (u == NULL) {
		dir_why(why, whysz, "unit missing");
		return (0);
	}
	if (!lsn_slug_valid(u->unit_id)) {
		dir_why(why, whysz, "unit id must be a slug");
		return (0);
	}
	if (!dir_text_ok(u->name, 1, UNIT_NAME_MAX)) {
		dir_why(why, whysz, "unit %s: name: 1..%d characters of text",
		    u->unit_id, UNIT_NAME_MAX);
		return (0);
	}
	if (!dir_text_ok(u->hours, 0, UNIT_HOURS_MAX)) {
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

int
dir_contact_ok(const Liaison__V1__Contact *c, char *why, size_t whysz)
{
	if (c == NULL) {
		dir_why(why, whysz, "contact missing");
		return (0);
	}
	if (!lsn_slug_valid(c->contact_id)) {
		dir_why(why, whysz, "contact id must be a slug");
		return (0);
	}
	if (!dir_text_ok(c->name, 1, CONTACT_NAME_MAX)) {
		dir_why(why, whysz, "contact %s: name: 1..%d characters of "
		    "text", c->contact_id, CONTACT_NAME_MAX);
		return (0);
	}
	if (!dir_text_ok(c->role, 0, CONTACT_ROLE_MAX)) {
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

/* A new partner's keys: each valid, no key id twice. */
static int
partner_keys_ok(const Liaison__V1__Partner *p, char *why, size_t whysz)
{
	for (size_t i = 0; i < p->n_keys; i++) {
		if (!dir_keyrec_ok(p->keys[i], 0, p->id, why, whysz))
			return (0);
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->keys[i]->key_id, p->keys[j]->key_id) ==
			    0) {
				dir_why(why, whysz, "partner %s: key %s "
				    "listed twice", p->id, p->keys[i]->key_id);
				return (0);
			}
	}
	return (1);
}

/* A new partner's units: each valid, no id twice, fallbacks among them. */
static int
partner_units_ok(const Liaison__V1__Partner *p, char *why, size_t whysz)
{
	for (size_t i = 0; i < p->n_units; i++) {
		if (!dir_unit_ok(p->units[i], why, whysz))
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
	return (1);
}

/* A new partner's contacts: each valid, no id twice, units among its own. */
static int
partner_contacts_ok(const Liaison__V1__Partner *p, char *why, size_t whysz)
{
	for (size_t i = 0; i < p->n_contacts; i++) {
		const char	*u = p->contacts[i]->unit_id;
		int		 found = 0;

		if (!dir_contact_ok(p->contacts[i], why, whysz))
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

int
dir_partner_new_ok(const Liaison__V1__Partner *p, char *why, size_t whysz)
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
	if (!dir_names_ok(p->names, 1, why, whysz))
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
	return (partner_keys_ok(p, why, whysz) &&
	    partner_units_ok(p, why, whysz) &&
	    partner_contacts_ok(p, why, whysz));
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
