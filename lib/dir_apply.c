/*
 * dir_apply.c -- the directory state machine: the state rules of each
 * action (target exists, expected version, references, limits) and, when
 * asked, the writes that apply it. Signatures are checked before this
 * (dir_auth.c); field shapes before that (dir_op.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/dir.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/util.h"
#include "dir_int.h"

#define ULL(x)	((unsigned long long) (x))

/* ---- small queries ---- */

/*
 * Runs a one- or two-parameter query (b may be NULL) up to its first row.
 * On success *sp is the statement (the caller reads it, then resets it)
 * and *row says whether a row came back.
 */
static int
q_first(struct lsn_dir *d, const char *sql, const char *a, const char *b,
    const char *what, struct lsn_q **sp, int *row)
{
	struct lsn_q	*s;
	int		 rv;

	if ((rv = dir_sql(d, sql, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, a);
	if (b != NULL)
		dir_bind_text(s, 2, b);
	if ((rv = dir_step(d, s, what)) != LSN_ROW && rv != LSN_OK)
		return (rv);
	*sp = s;
	*row = rv == LSN_ROW;
	return (LSN_OK);
}

/* One row exists for (a, b)? */
static int
q_exists(struct lsn_dir *d, const char *sql, const char *a, const char *b,
    int *found)
{
	struct lsn_q	*s;
	int		 rv, row;

	if ((rv = q_first(d, sql, a, b, "exists", &s, &row)) != LSN_OK)
		return (rv);
	*found = row;
	lsn_q_reset(s);
	return (LSN_OK);
}

/* First column of the first row as text into out (or "" if no row). */
static int
q_text(struct lsn_dir *d, const char *sql, const char *a, const char *b,
    char *out, size_t outsz)
{
	struct lsn_q	*s;
	int		 rv, row;

	if ((rv = q_first(d, sql, a, b, "text", &s, &row)) != LSN_OK)
		return (rv);
	out[0] = '\0';
	if (row)
		lsn_strlcpy(out, dir_col_text(s, 0), outsz);
	lsn_q_reset(s);
	return (LSN_OK);
}

static int
q_u64(struct lsn_dir *d, const char *sql, const char *a, const char *b,
    int *found, uint64_t *v)
{
	struct lsn_q	*s;
	int		 rv, row;

	if ((rv = q_first(d, sql, a, b, "u64", &s, &row)) != LSN_OK)
		return (rv);
	*found = row;
	*v = row ? dir_col_u64(s, 0) : 0;
	lsn_q_reset(s);
	return (LSN_OK);
}

static const char SQL_UNIT_EXISTS[] =
    "SELECT 1 FROM dir_unit WHERE partner = ? AND unit_id = ?";
static const char SQL_UNIT_COUNT[] =
    "SELECT count(*) FROM dir_unit WHERE partner = ?";
static const char SQL_UNIT_USED_BY_CONTACT[] =
    "SELECT contact_id FROM dir_contact WHERE partner = ? AND unit_id = ? "
    "ORDER BY contact_id LIMIT 1";
static const char SQL_UNIT_USED_AS_FALLBACK[] =
    "SELECT unit_id FROM dir_unit WHERE partner = ? AND fallback_unit = ? "
    "ORDER BY unit_id LIMIT 1";
static const char SQL_CONTACT_VERIFIED[] =
    "SELECT verified_at_ms FROM dir_contact WHERE partner = ? AND "
    "contact_id = ?";
static const char SQL_CONTACT_COUNT[] =
    "SELECT count(*) FROM dir_contact WHERE partner = ?";
static const char SQL_KEY_COUNT[] =
    "SELECT count(*) FROM dir_key WHERE partner = ?";
static const char SQL_GROUP_VERSION[] =
    "SELECT version FROM dir_group WHERE name = ?";
static const char SQL_MEMBER_EXISTS[] =
    "SELECT 1 FROM dir_member WHERE grp = ? AND partner = ?";

/* ---- writes ---- */

static const char SQL_BUMP[] =
    "UPDATE dir_partner SET version = version + 1, updated_ms = ? "
    "WHERE id = ?";
static const char SQL_GROUP_BUMP[] =
    "UPDATE dir_group SET version = version + 1 WHERE name = ?";
static const char SQL_ROOT_PUT[] =
    "INSERT INTO dir_root (id, version, policy, hash) VALUES (1, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET version = excluded.version, "
    "policy = excluded.policy, hash = excluded.hash";
static const char SQL_PARTNER_INS[] =
    "INSERT INTO dir_partner (id, official, short_name, local_name, kind, "
    "country, status, version, created_ms, updated_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)";
static const char SQL_PARTNER_UPD[] =
    "UPDATE dir_partner SET official = coalesce(?, official), "
    "short_name = coalesce(?, short_name), "
    "local_name = coalesce(?, local_name), kind = coalesce(?, kind), "
    "country = coalesce(?, country) WHERE id = ?";
static const char SQL_STATUS_UPD[] =
    "UPDATE dir_partner SET status = ? WHERE id = ?";
static const char SQL_KEY_INS[] =
    "INSERT INTO dir_key (key_id, partner, purpose, public_key, "
    "valid_from_ms, valid_until_ms, revoked_at_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, 0)";
static const char SQL_KEY_RETIRE[] =
    "UPDATE dir_key SET valid_until_ms = ? WHERE key_id = ?";
static const char SQL_KEY_REVOKE[] =
    "UPDATE dir_key SET revoked_at_ms = ? WHERE key_id = ?";
static const char SQL_UNIT_PUT[] =
    "INSERT INTO dir_unit (partner, unit_id, name, hours, fallback_unit) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (partner, unit_id) DO UPDATE "
    "SET name = excluded.name, hours = excluded.hours, "
    "fallback_unit = excluded.fallback_unit";
static const char SQL_UNIT_DEL[] =
    "DELETE FROM dir_unit WHERE partner = ? AND unit_id = ?";
static const char SQL_CONTACT_PUT[] =
    "INSERT INTO dir_contact (partner, contact_id, name, role, unit_id, "
    "email, phone, is_24x7, languages, time_zone, verified_at_ms, "
    "updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) "
    "ON CONFLICT (partner, contact_id) DO UPDATE SET name = excluded.name, "
    "role = excluded.role, unit_id = excluded.unit_id, "
    "email = excluded.email, phone = excluded.phone, "
    "is_24x7 = excluded.is_24x7, languages = excluded.languages, "
    "time_zone = excluded.time_zone, updated_ms = excluded.updated_ms";
static const char SQL_CONTACT_DEL[] =
    "DELETE FROM dir_contact WHERE partner = ? AND contact_id = ?";
static const char SQL_CONTACT_CONFIRM[] =
    "UPDATE dir_contact SET verified_at_ms = ? WHERE partner = ? AND "
    "contact_id = ?";
static const char SQL_GROUP_INS[] =
    "INSERT INTO dir_group (name, description, version) VALUES (?, ?, 1)";
static const char SQL_GROUP_DEL_MEMBERS[] =
    "DELETE FROM dir_member WHERE grp = ?";
static const char SQL_GROUP_DEL[] = "DELETE FROM dir_group WHERE name = ?";
static const char SQL_MEMBER_INS[] =
    "INSERT INTO dir_member (grp, partner) VALUES (?, ?)";
static const char SQL_MEMBER_DEL[] =
    "DELETE FROM dir_member WHERE grp = ? AND partner = ?";

/*
 * Runs a write with up to two text parameters (b may be NULL), after an
 * optional u64 one: with has_c, c is the first `?` and a, b follow.
 */
static int
w_exec(struct lsn_dir *d, const char *sql, const char *a, const char *b,
    int has_c, uint64_t c)
{
	struct lsn_q	*s;
	int		 rv, i = 1;

	if ((rv = dir_sql(d, sql, &s)) != LSN_OK)
		return (rv);
	if (has_c)
		dir_bind_u64(s, i++, c);
	dir_bind_text(s, i++, a);
	if (b != NULL)
		dir_bind_text(s, i, b);
	return (dir_done(d, s));
}

/* Runs a write "SET x = ? WHERE key = ?": the u64 v, then the text a. */
static int
w_u64_text(struct lsn_dir *d, const char *sql, uint64_t v, const char *a)
{
	return (w_exec(d, sql, a, NULL, 1, v));
}

static int
bump(struct lsn_dir *d, const char *partner, uint64_t when)
{
	return (w_u64_text(d, SQL_BUMP, when, partner));
}

static int
root_put(struct lsn_dir *d, const Liaison__V1__RootPolicy *p)
{
	struct lsn_q	*s;
	uint8_t		*buf, h[LSN_DIR_HASH_BYTES];
	size_t		 n;
	int		 rv;

	n = liaison__v1__root_policy__get_packed_size(p);
	if ((buf = malloc(n == 0 ? 1 : n)) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__root_policy__pack(p, buf);
	lsn_dir_policy_hash(p, h);
	if ((rv = dir_sql(d, SQL_ROOT_PUT, &s)) != LSN_OK)
		goto out;
	dir_bind_u64(s, 1, p->version);
	dir_bind_blob(s, 2, buf, n);
	dir_bind_blob(s, 3, h, sizeof(h));
	rv = dir_done(d, s);
 out:
	free(buf);
	return (rv);
}

static int
key_ins(struct lsn_dir *d, const char *partner,
    const Liaison__V1__KeyRecord *k)
{
	struct lsn_q	*s;
	int		 rv;

	if ((rv = dir_sql(d, SQL_KEY_INS, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, k->key_id);
	dir_bind_text(s, 2, partner);
	lsn_q_i64(s, 3, (int64_t) k->purpose);
	dir_bind_blob(s, 4, k->public_key.data, k->public_key.len);
	dir_bind_u64(s, 5, k->valid_from_ms);
	dir_bind_u64(s, 6, k->valid_until_ms);
	return (dir_done(d, s));
}

static int
unit_put(struct lsn_dir *d, const char *partner, const Liaison__V1__Unit *u)
{
	struct lsn_q	*s;
	int		 rv;

	if ((rv = dir_sql(d, SQL_UNIT_PUT, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, partner);
	dir_bind_text(s, 2, u->unit_id);
	dir_bind_text(s, 3, u->name);
	dir_bind_text(s, 4, u->hours);
	dir_bind_text(s, 5, u->fallback_unit);
	return (dir_done(d, s));
}

static int
contact_put(struct lsn_dir *d, const char *partner,
    const Liaison__V1__Contact *c, uint64_t when)
{
	struct lsn_q	*s;
	char		 langs[LSN_DIR_LANGS_MAX * 36 + 1];
	int		 rv;

	langs[0] = '\0';
	for (size_t i = 0; i < c->n_languages; i++) {
		if (i > 0)
			(void) strncat(langs, ",", sizeof(langs) -
			    strlen(langs) - 1);
		(void) strncat(langs, c->languages[i], sizeof(langs) -
		    strlen(langs) - 1);
	}
	if ((rv = dir_sql(d, SQL_CONTACT_PUT, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, partner);
	dir_bind_text(s, 2, c->contact_id);
	dir_bind_text(s, 3, c->name);
	dir_bind_text(s, 4, c->role);
	dir_bind_text(s, 5, c->unit_id);
	dir_bind_text(s, 6, c->email);
	dir_bind_text(s, 7, c->phone);
	lsn_q_i64(s, 8, c->has_is_24x7 && c->is_24x7 ? 1 : 0);
	dir_bind_text(s, 9, langs);
	dir_bind_text(s, 10, c->time_zone);
	dir_bind_u64(s, 11, when);
	return (dir_done(d, s));
}

/* ---- per action ---- */

static int
add_partner(struct lsn_dir *d, const Liaison__V1__DirOp *op, uint64_t exp,
    int apply, char *why, size_t whysz)
{
	const Liaison__V1__Partner	*p = op->add_partner->partner;
	const Liaison__V1__PartnerNames	*n = p->names;
	struct lsn_q			*s;
	struct dir_key			 k;
	uint64_t			 ver;
	int				 found, status, rv;

	if ((rv = dir_partner_row(d, p->id, &found, &status, &ver)) != LSN_OK)
		return (rv);
	if (exp != ver) {
		dir_why(why, whysz, "partner %s is at version %llu, the op "
		    "expects %llu", p->id, ULL(ver), ULL(exp));
		return (LSN_ESTALE);
	}
	if (found) {
		dir_why(why, whysz, "partner %s already exists", p->id);
		return (LSN_EEXIST);
	}
	for (size_t i = 0; i < p->n_keys; i++) {
		if ((rv = dir_key_row(d, p->keys[i]->key_id, &found, &k)) !=
		    LSN_OK)
			return (rv);
		if (found) {
			dir_why(why, whysz, "key %s is already registered "
			    "(partner %s)", k.key_id, k.partner);
			return (LSN_EEXIST);
		}
	}
	if (!apply)
		return (LSN_OK);
	if ((rv = dir_sql(d, SQL_PARTNER_INS, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, p->id);
	dir_bind_text(s, 2, n->official);
	dir_bind_text(s, 3, n->short_name);
	dir_bind_text(s, 4, n->local);
	lsn_q_i64(s, 5, (int64_t) p->kind);
	dir_bind_text(s, 6, p->country);
	lsn_q_i64(s, 7, LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE);
	dir_bind_u64(s, 8, op->created_ms);	/* created_ms */
	dir_bind_u64(s, 9, op->created_ms);	/* updated_ms */
	if ((rv = dir_done(d, s)) != LSN_OK)
		return (rv);
	for (size_t i = 0; i < p->n_keys; i++)
		if ((rv = key_ins(d, p->id, p->keys[i])) != LSN_OK)
			return (rv);
	for (size_t i = 0; i < p->n_units; i++)
		if ((rv = unit_put(d, p->id, p->units[i])) != LSN_OK)
			return (rv);
	for (size_t i = 0; i < p->n_contacts; i++)
		if ((rv = contact_put(d, p->id, p->contacts[i],
		    op->created_ms)) != LSN_OK)
			return (rv);
	return (LSN_OK);
}

static int
update_partner(struct lsn_dir *d, const Liaison__V1__UpdatePartner *u,
    int apply)
{
	const Liaison__V1__PartnerNames	*n = u->names;
	struct lsn_q			*s;
	int				 rv;

	if (!apply)
		return (LSN_OK);
	if ((rv = dir_sql(d, SQL_PARTNER_UPD, &s)) != LSN_OK)
		return (rv);
	/* An absent field binds NULL: coalesce keeps the stored value. */
	if (n != NULL && n->official != NULL)
		dir_bind_text(s, 1, n->official);
	else
		lsn_q_null(s, 1);
	if (n != NULL && n->short_name != NULL)
		dir_bind_text(s, 2, n->short_name);
	else
		lsn_q_null(s, 2);
	if (n != NULL && n->local != NULL)
		dir_bind_text(s, 3, n->local);
	else
		lsn_q_null(s, 3);
	if (u->has_kind)
		lsn_q_i64(s, 4, (int64_t) u->kind);
	else
		lsn_q_null(s, 4);
	if (u->country != NULL)
		dir_bind_text(s, 5, u->country);
	else
		lsn_q_null(s, 5);
	dir_bind_text(s, 6, u->partner_id);
	return (dir_done(d, s));
}

static int
set_status(struct lsn_dir *d, const Liaison__V1__SetStatus *st, int cur,
    int apply, char *why, size_t whysz)
{
	struct lsn_q	*s;
	int		 rv;

	if ((int) st->status == cur) {
		dir_why(why, whysz, "partner %s is already %s",
		    st->partner_id, dir_status_name(cur));
		return (LSN_EINVAL);
	}
	if (!apply)
		return (LSN_OK);
	if ((rv = dir_sql(d, SQL_STATUS_UPD, &s)) != LSN_OK)
		return (rv);
	lsn_q_i64(s, 1, (int64_t) st->status);
	dir_bind_text(s, 2, st->partner_id);
	return (dir_done(d, s));
}

static int
partner_key(struct lsn_dir *d, const char *partner, const char *kid,
    struct dir_key *k, char *why, size_t whysz)
{
	int	found, rv;

	if ((rv = dir_key_row(d, kid, &found, k)) != LSN_OK)
		return (rv);
	if (!found || strcmp(k->partner, partner) != 0) {
		dir_why(why, whysz, "partner %s has no key %s", partner, kid);
		return (LSN_ENOENT);
	}
	return (LSN_OK);
}

static int
add_key(struct lsn_dir *d, const Liaison__V1__AddKey *a, int apply, char *why,
    size_t whysz)
{
	struct dir_key	k;
	uint64_t	n;
	int		found, rv;

	if ((rv = q_u64(d, SQL_KEY_COUNT, a->partner_id, NULL, &found, &n)) !=
	    LSN_OK)
		return (rv);
	if (n >= LSN_DIR_KEYS_MAX) {
		dir_why(why, whysz, "partner %s already has %d keys",
		    a->partner_id, LSN_DIR_KEYS_MAX);
		return (LSN_ETOOBIG);
	}
	if ((rv = dir_key_row(d, a->key->key_id, &found, &k)) != LSN_OK)
		return (rv);
	if (found) {
		dir_why(why, whysz, "key %s is already registered (partner "
		    "%s)", k.key_id, k.partner);
		return (LSN_EEXIST);
	}
	if (!apply)
		return (LSN_OK);
	return (key_ins(d, a->partner_id, a->key));
}

static int
retire_key(struct lsn_dir *d, const Liaison__V1__RetireKey *r, int apply,
    char *why, size_t whysz)
{
	struct dir_key	k;
	int		rv;

	if ((rv = partner_key(d, r->partner_id, r->key_id, &k, why, whysz)) !=
	    LSN_OK)
		return (rv);
	if (k.revoked_at != 0) {
		dir_why(why, whysz, "key %s is revoked", r->key_id);
		return (LSN_EINVAL);
	}
	if (r->valid_until_ms < k.valid_from) {
		dir_why(why, whysz, "key %s: retirement before its "
		    "valid_from", r->key_id);
		return (LSN_EINVAL);
	}
	if (k.valid_until != 0 && r->valid_until_ms > k.valid_until) {
		dir_why(why, whysz, "key %s: a retirement can only be brought "
		    "forward", r->key_id);
		return (LSN_EINVAL);
	}
	if (!apply)
		return (LSN_OK);
	return (w_u64_text(d, SQL_KEY_RETIRE, r->valid_until_ms, r->key_id));
}

static int
revoke_key(struct lsn_dir *d, const Liaison__V1__RevokeKey *r, int apply,
    char *why, size_t whysz)
{
	struct dir_key	k;
	int		rv;

	if ((rv = partner_key(d, r->partner_id, r->key_id, &k, why, whysz)) !=
	    LSN_OK)
		return (rv);
	if (k.revoked_at != 0) {
		dir_why(why, whysz, "key %s is already revoked", r->key_id);
		return (LSN_EINVAL);
	}
	if (!apply)
		return (LSN_OK);
	return (w_u64_text(d, SQL_KEY_REVOKE, r->revoked_at_ms, r->key_id));
}

static int
set_unit(struct lsn_dir *d, const Liaison__V1__SetUnit *su, int apply,
    char *why, size_t whysz)
{
	const Liaison__V1__Unit	*u = su->unit;
	uint64_t		 n;
	int			 found, rv;

	if (u->fallback_unit != NULL && u->fallback_unit[0] != '\0') {
		if ((rv = q_exists(d, SQL_UNIT_EXISTS, su->partner_id,
		    u->fallback_unit, &found)) != LSN_OK)
			return (rv);
		if (!found) {
			dir_why(why, whysz, "partner %s has no unit %s "
			    "(fallback)", su->partner_id, u->fallback_unit);
			return (LSN_ENOENT);
		}
	}
	if ((rv = q_exists(d, SQL_UNIT_EXISTS, su->partner_id, u->unit_id,
	    &found)) != LSN_OK)
		return (rv);
	if (!found) {
		if ((rv = q_u64(d, SQL_UNIT_COUNT, su->partner_id, NULL,
		    &found, &n)) != LSN_OK)
			return (rv);
		if (n >= LSN_DIR_UNITS_MAX) {
			dir_why(why, whysz, "partner %s already has %d units",
			    su->partner_id, LSN_DIR_UNITS_MAX);
			return (LSN_ETOOBIG);
		}
	}
	if (!apply)
		return (LSN_OK);
	return (unit_put(d, su->partner_id, u));
}

static int
remove_unit(struct lsn_dir *d, const Liaison__V1__RemoveUnit *ru, int apply,
    char *why, size_t whysz)
{
	char	user[LSN_DIR_ID_MAX + 1];
	int	found, rv;

	if ((rv = q_exists(d, SQL_UNIT_EXISTS, ru->partner_id, ru->unit_id,
	    &found)) != LSN_OK)
		return (rv);
	if (!found) {
		dir_why(why, whysz, "partner %s has no unit %s",
		    ru->partner_id, ru->unit_id);
		return (LSN_ENOENT);
	}
	if ((rv = q_text(d, SQL_UNIT_USED_BY_CONTACT, ru->partner_id,
	    ru->unit_id, user, sizeof(user))) != LSN_OK)
		return (rv);
	if (user[0] != '\0') {
		dir_why(why, whysz, "unit %s is in use by contact %s",
		    ru->unit_id, user);
		return (LSN_EINVAL);
	}
	if ((rv = q_text(d, SQL_UNIT_USED_AS_FALLBACK, ru->partner_id,
	    ru->unit_id, user, sizeof(user))) != LSN_OK)
		return (rv);
	if (user[0] != '\0') {
		dir_why(why, whysz, "unit %s is the fallback of unit %s",
		    ru->unit_id, user);
		return (LSN_EINVAL);
	}
	if (!apply)
		return (LSN_OK);
	return (w_exec(d, SQL_UNIT_DEL, ru->partner_id, ru->unit_id, 0, 0));
}

static int
set_contact(struct lsn_dir *d, const Liaison__V1__DirOp *op, int apply,
    char *why, size_t whysz)
{
	const Liaison__V1__SetContact	*sc = op->set_contact;
	const Liaison__V1__Contact	*c = sc->contact;
	uint64_t			 n;
	int				 found, rv;

	if (c->unit_id != NULL && c->unit_id[0] != '\0') {
		if ((rv = q_exists(d, SQL_UNIT_EXISTS, sc->partner_id,
		    c->unit_id, &found)) != LSN_OK)
			return (rv);
		if (!found) {
			dir_why(why, whysz, "partner %s has no unit %s",
			    sc->partner_id, c->unit_id);
			return (LSN_ENOENT);
		}
	}
	if ((rv = q_u64(d, SQL_CONTACT_VERIFIED, sc->partner_id,
	    c->contact_id, &found, &n)) != LSN_OK)
		return (rv);
	if (!found) {
		if ((rv = q_u64(d, SQL_CONTACT_COUNT, sc->partner_id, NULL,
		    &found, &n)) != LSN_OK)
			return (rv);
		if (n >= LSN_DIR_CONTACTS_MAX) {
			dir_why(why, whysz, "partner %s already has %d "
			    "contacts", sc->partner_id, LSN_DIR_CONTACTS_MAX);
			return (LSN_ETOOBIG);
		}
	}
	if (!apply)
		return (LSN_OK);
	return (contact_put(d, sc->partner_id, c, op->created_ms));
}

static int
contact_op(struct lsn_dir *d, const Liaison__V1__DirOp *op, int apply,
    char *why, size_t whysz)
{
	const char	*pid, *cid;
	uint64_t	 cur;
	int		 found, rv;

	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT) {
		pid = op->remove_contact->partner_id;
		cid = op->remove_contact->contact_id;
	} else {
		pid = op->confirm_contact->partner_id;
		cid = op->confirm_contact->contact_id;
	}
	if ((rv = q_u64(d, SQL_CONTACT_VERIFIED, pid, cid, &found, &cur)) !=
	    LSN_OK)
		return (rv);
	if (!found) {
		dir_why(why, whysz, "partner %s has no contact %s", pid, cid);
		return (LSN_ENOENT);
	}
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT) {
		if (!apply)
			return (LSN_OK);
		return (w_exec(d, SQL_CONTACT_DEL, pid, cid, 0, 0));
	}
	if (op->confirm_contact->verified_at_ms < cur) {
		dir_why(why, whysz, "contact %s was confirmed later than this "
		    "confirmation", cid);
		return (LSN_EINVAL);
	}
	if (!apply)
		return (LSN_OK);
	return (w_exec(d, SQL_CONTACT_CONFIRM, pid, cid, 1,
	    op->confirm_contact->verified_at_ms));
}

static int
group_op(struct lsn_dir *d, const Liaison__V1__DirOp *op, uint64_t exp,
    int apply, char *why, size_t whysz)
{
	const char	*g, *p;
	uint64_t	 gver, pver;
	int		 gfound, pfound, member, pstatus, rv;

	(void) dir_op_target(op, &p, &g);
	if ((rv = q_u64(d, SQL_GROUP_VERSION, g, NULL, &gfound, &gver)) !=
	    LSN_OK)
		return (rv);
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP) {
		if (exp != gver) {
			dir_why(why, whysz, "group %s is at version %llu, the "
			    "op expects %llu", g, ULL(gver), ULL(exp));
			return (LSN_ESTALE);
		}
		if (gfound) {
			dir_why(why, whysz, "group %s already exists", g);
			return (LSN_EEXIST);
		}
		if (!apply)
			return (LSN_OK);
		return (w_exec(d, SQL_GROUP_INS, g,
		    op->create_group->description == NULL ? "" :
		    op->create_group->description, 0, 0));
	}
	if (!gfound) {
		dir_why(why, whysz, "no group %s", g);
		return (LSN_EUNKNOWNGROUP);
	}
	if (exp != gver) {
		dir_why(why, whysz, "group %s is at version %llu, the op "
		    "expects %llu", g, ULL(gver), ULL(exp));
		return (LSN_ESTALE);
	}
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP) {
		if (!apply)
			return (LSN_OK);
		if ((rv = w_exec(d, SQL_GROUP_DEL_MEMBERS, g, NULL, 0, 0)) !=
		    LSN_OK)
			return (rv);
		return (w_exec(d, SQL_GROUP_DEL, g, NULL, 0, 0));
	}
	if ((rv = dir_partner_row(d, p, &pfound, &pstatus, &pver)) != LSN_OK)
		return (rv);
	if ((rv = q_exists(d, SQL_MEMBER_EXISTS, g, p, &member)) != LSN_OK)
		return (rv);
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER) {
		if (!pfound) {
			dir_why(why, whysz, "no partner %s", p);
			return (LSN_ENOENT);
		}
		if (pstatus == LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED) {
			dir_why(why, whysz, "partner %s is revoked", p);
			return (LSN_EPREVOKED);
		}
		if (member) {
			dir_why(why, whysz, "partner %s is already a member "
			    "of %s", p, g);
			return (LSN_EEXIST);
		}
		if (!apply)
			return (LSN_OK);
		if ((rv = w_exec(d, SQL_MEMBER_INS, g, p, 0, 0)) != LSN_OK)
			return (rv);
	} else {
		if (!member) {
			dir_why(why, whysz, "partner %s is not a member of "
			    "%s", p, g);
			return (LSN_ENOENT);
		}
		if (!apply)
			return (LSN_OK);
		if ((rv = w_exec(d, SQL_MEMBER_DEL, g, p, 0, 0)) != LSN_OK)
			return (rv);
	}
	return (w_exec(d, SQL_GROUP_BUMP, g, NULL, 0, 0));
}

static int
root_op(struct lsn_dir *d, const Liaison__V1__DirOp *op,
    const Liaison__V1__RootPolicy *root, uint64_t exp, int apply, char *why,
    size_t whysz)
{
	const Liaison__V1__RootPolicy	*np = dir_op_policy(op);
	uint64_t			 cur;

	cur = root != NULL ? root->version : 0;
	if (exp != cur) {
		dir_why(why, whysz, "root policy is at version %llu, the op "
		    "expects %llu", ULL(cur), ULL(exp));
		return (LSN_ESTALE);
	}
	if (np->version != cur + 1) {
		dir_why(why, whysz, "the new root policy must have version "
		    "%llu", ULL(cur + 1));
		return (LSN_EROOT);
	}
	if (!apply)
		return (LSN_OK);
	return (root_put(d, np));
}

int
dir_exec(struct lsn_dir *d, const Liaison__V1__DirOp *op,
    const Liaison__V1__RootPolicy *root, int apply, char *why, size_t whysz)
{
	const char	*p, *g;
	uint64_t	 exp, ver;
	int		 found, status, rv;

	exp = op->has_expected_version ? op->expected_version : 0;
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION_INIT_ROOT:
	case LIAISON__V1__DIR_OP__ACTION_REPLACE_ROOT:
		return (root_op(d, op, root, exp, apply, why, whysz));
	case LIAISON__V1__DIR_OP__ACTION_ADD_PARTNER:
		return (add_partner(d, op, exp, apply, why, whysz));
	case LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP:
	case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
	case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER:
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER:
		return (group_op(d, op, exp, apply, why, whysz));
	case LIAISON__V1__DIR_OP__ACTION__NOT_SET:
		dir_why(why, whysz, "op has no action");
		return (LSN_EINVAL);
	default:
		break;
	}

	/* Ops on an existing partner. */
	(void) dir_op_target(op, &p, &g);
	if ((rv = dir_partner_row(d, p, &found, &status, &ver)) != LSN_OK)
		return (rv);
	if (!found) {
		dir_why(why, whysz, "no partner %s", p);
		return (LSN_ENOENT);
	}
	if (status == LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED &&
	    op->action_case != LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT &&
	    op->action_case != LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT) {
		dir_why(why, whysz, "partner %s is revoked (final)", p);
		return (LSN_EPREVOKED);
	}
	if (exp != ver) {
		dir_why(why, whysz, "partner %s is at version %llu, the op "
		    "expects %llu", p, ULL(ver), ULL(exp));
		return (LSN_ESTALE);
	}
	switch (op->action_case) {
	case LIAISON__V1__DIR_OP__ACTION_UPDATE_PARTNER:
		rv = update_partner(d, op->update_partner, apply);
		break;
	case LIAISON__V1__DIR_OP__ACTION_SET_STATUS:
		rv = set_status(d, op->set_status, status, apply, why, whysz);
		break;
	case LIAISON__V1__DIR_OP__ACTION_ADD_KEY:
		rv = add_key(d, op->add_key, apply, why, whysz);
		break;
	case LIAISON__V1__DIR_OP__ACTION_RETIRE_KEY:
		rv = retire_key(d, op->retire_key, apply, why, whysz);
		break;
	case LIAISON__V1__DIR_OP__ACTION_REVOKE_KEY:
		rv = revoke_key(d, op->revoke_key, apply, why, whysz);
		break;
	case LIAISON__V1__DIR_OP__ACTION_SET_UNIT:
		rv = set_unit(d, op->set_unit, apply, why, whysz);
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_UNIT:
		rv = remove_unit(d, op->remove_unit, apply, why, whysz);
		break;
	case LIAISON__V1__DIR_OP__ACTION_SET_CONTACT:
		rv = set_contact(d, op, apply, why, whysz);
		break;
	case LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT:
	case LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT:
		rv = contact_op(d, op, apply, why, whysz);
		break;
	default:
		dir_why(why, whysz, "unknown action");
		return (LSN_EINVAL);
	}
	if (rv != LSN_OK || !apply)
		return (rv);
	return (bump(d, p, op->created_ms));
}
