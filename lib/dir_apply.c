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

/* ---- state queries (the helpers are in dir_write.c) ---- */

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

static const char SQL_GROUP_BUMP[] =
    "UPDATE dir_group SET version = version + 1 WHERE name = ?";
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
static const char SQL_KEY_RETIRE[] =
    "UPDATE dir_key SET valid_until_ms = ? WHERE key_id = ?";
static const char SQL_KEY_REVOKE[] =
    "UPDATE dir_key SET revoked_at_ms = ? WHERE key_id = ?";
static const char SQL_UNIT_DEL[] =
    "DELETE FROM dir_unit WHERE partner = ? AND unit_id = ?";
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

/* ---- per action ---- */

/* LSN_ESTALE unless the op expects version cur of what (name may be NULL). */
static int
version_check(const char *what, const char *name, uint64_t cur,
    uint64_t exp, char *why, size_t whysz)
{
	if (exp == cur)
		return (LSN_OK);
	if (name != NULL)
		dir_why(why, whysz, "%s %s is at version %llu, the op expects "
		    "%llu", what, name, ULL(cur), ULL(exp));
	else
		dir_why(why, whysz, "%s is at version %llu, the op expects "
		    "%llu", what, ULL(cur), ULL(exp));
	return (LSN_ESTALE);
}

/* LSN_EEXIST if key kid is registered already (to any partner). */
static int
key_unused(struct lsn_dir *d, const char *kid, char *why, size_t whysz)
{
	struct dir_key	k;
	int		found, rv;

	if ((rv = dir_key_row(d, kid, &found, &k)) != LSN_OK)
		return (rv);
	if (found) {
		dir_why(why, whysz, "key %s is already registered (partner "
		    "%s)", k.key_id, k.partner);
		return (LSN_EEXIST);
	}
	return (LSN_OK);
}

/*
 * LSN_ETOOBIG if partner already has max rows of what (count_sql counts
 * them), for an op that adds one.
 */
static int
room_for(struct lsn_dir *d, const char *count_sql, const char *partner,
    int max, const char *what, char *why, size_t whysz)
{
	uint64_t	n;
	int		found, rv;

	if ((rv = dir_q_u64(d, count_sql, partner, NULL, &found, &n)) !=
	    LSN_OK)
		return (rv);
	if (n >= (uint64_t) max) {
		dir_why(why, whysz, "partner %s already has %d %s", partner,
		    max, what);
		return (LSN_ETOOBIG);
	}
	return (LSN_OK);
}

/* LSN_ENOENT if partner has no unit unit (note ends the message). */
static int
unit_exists(struct lsn_dir *d, const char *partner, const char *unit,
    const char *note, char *why, size_t whysz)
{
	int	found, rv;

	if ((rv = dir_q_exists(d, SQL_UNIT_EXISTS, partner, unit, &found)) !=
	    LSN_OK)
		return (rv);
	if (!found) {
		dir_why(why, whysz, "partner %s has no unit %s%s", partner,
		    unit, note);
		return (LSN_ENOENT);
	}
	return (LSN_OK);
}

static int
add_partner(struct lsn_dir *d, const Liaison__V1__DirOp *op, uint64_t exp,
    int apply, char *why, size_t whysz)
{
	const Liaison__V1__Partner	*p = op->add_partner->partner;
	const Liaison__V1__PartnerNames	*n = p->names;
	struct lsn_q			*s;
	uint64_t			 ver;
	int				 found, status, rv;

	if ((rv = dir_partner_row(d, p->id, &found, &status, &ver)) != LSN_OK)
		return (rv);
	if ((rv = version_check("partner", p->id, ver, exp, why, whysz)) !=
	    LSN_OK)
		return (rv);
	if (found) {
		dir_why(why, whysz, "partner %s already exists", p->id);
		return (LSN_EEXIST);
	}
	for (size_t i = 0; i < p->n_keys; i++)
		if ((rv = key_unused(d, p->keys[i]->key_id, why, whysz)) !=
		    LSN_OK)
			return (rv);
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
		if ((rv = dir_key_ins(d, p->id, p->keys[i])) != LSN_OK)
			return (rv);
	for (size_t i = 0; i < p->n_units; i++)
		if ((rv = dir_unit_put(d, p->id, p->units[i])) != LSN_OK)
			return (rv);
	for (size_t i = 0; i < p->n_contacts; i++)
		if ((rv = dir_contact_put(d, p->id, p->contacts[i],
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

/*
 * Key kid of partner into *k: LSN_ENOENT if it has none, LSN_EINVAL if the
 * key is revoked ("key <kid> is <revoked>").
 */
static int
partner_key(struct lsn_dir *d, const char *partner, const char *kid,
    struct dir_key *k, const char *revoked, char *why, size_t whysz)
{
	int	found, rv;

	if ((rv = dir_key_row(d, kid, &found, k)) != LSN_OK)
		return (rv);
	if (!found || strcmp(k->partner, partner) != 0) {
		dir_why(why, whysz, "partner %s has no key %s", partner, kid);
		return (LSN_ENOENT);
	}
	if (k->revoked_at != 0) {
		dir_why(why, whysz, "key %s is %s", kid, revoked);
		return (LSN_EINVAL);
	}
	return (LSN_OK);
}

static int
add_key(struct lsn_dir *d, const Liaison__V1__AddKey *a, int apply, char *why,
    size_t whysz)
{
	int	rv;

	if ((rv = room_for(d, SQL_KEY_COUNT, a->partner_id, LSN_DIR_KEYS_MAX,
	    "keys", why, whysz)) != LSN_OK ||
	    (rv = key_unused(d, a->key->key_id, why, whysz)) != LSN_OK)
		return (rv);
	if (!apply)
		return (LSN_OK);
	return (dir_key_ins(d, a->partner_id, a->key));
}

static int
retire_key(struct lsn_dir *d, const Liaison__V1__RetireKey *r, int apply,
    char *why, size_t whysz)
{
	struct dir_key	k;
	int		rv;

	if ((rv = partner_key(d, r->partner_id, r->key_id, &k, "revoked", why,
	    whysz)) != LSN_OK)
		return (rv);
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
	return (dir_w_u64_text(d, SQL_KEY_RETIRE, r->valid_until_ms,
	    r->key_id));
}

static int
revoke_key(struct lsn_dir *d, const Liaison__V1__RevokeKey *r, int apply,
    char *why, size_t whysz)
{
	struct dir_key	k;
	int		rv;

	if ((rv = partner_key(d, r->partner_id, r->key_id, &k,
	    "already revoked", why, whysz)) != LSN_OK)
		return (rv);
	if (!apply)
		return (LSN_OK);
	return (dir_w_u64_text(d, SQL_KEY_REVOKE, r->revoked_at_ms, r->key_id));
}

static int
set_unit(struct lsn_dir *d, const Liaison__V1__SetUnit *su, int apply,
    char *why, size_t whysz)
{
	const Liaison__V1__Unit	*u = su->unit;
	int			 found, rv;

	if (u->fallback_unit != NULL && u->fallback_unit[0] != '\0' &&
	    (rv = unit_exists(d, su->partner_id, u->fallback_unit,
	    " (fallback)", why, whysz)) != LSN_OK)
		return (rv);
	if ((rv = dir_q_exists(d, SQL_UNIT_EXISTS, su->partner_id, u->unit_id,
	    &found)) != LSN_OK)
		return (rv);
	if (!found && (rv = room_for(d, SQL_UNIT_COUNT, su->partner_id,
	    LSN_DIR_UNITS_MAX, "units", why, whysz)) != LSN_OK)
		return (rv);
	if (!apply)
		return (LSN_OK);
	return (dir_unit_put(d, su->partner_id, u));
}

static int
remove_unit(struct lsn_dir *d, const Liaison__V1__RemoveUnit *ru, int apply,
    char *why, size_t whysz)
{
	char	user[LSN_DIR_ID_MAX + 1];
	int	rv;

	if ((rv = unit_exists(d, ru->partner_id, ru->unit_id, "", why,
	    whysz)) != LSN_OK)
		return (rv);
	if ((rv = dir_q_text(d, SQL_UNIT_USED_BY_CONTACT, ru->partner_id,
	    ru->unit_id, user, sizeof(user))) != LSN_OK)
		return (rv);
	if (user[0] != '\0') {
		dir_why(why, whysz, "unit %s is in use by contact %s",
		    ru->unit_id, user);
		return (LSN_EINVAL);
	}
	if ((rv = dir_q_text(d, SQL_UNIT_USED_AS_FALLBACK, ru->partner_id,
	    ru->unit_id, user, sizeof(user))) != LSN_OK)
		return (rv);
	if (user[0] != '\0') {
		dir_why(why, whysz, "unit %s is the fallback of unit %s",
		    ru->unit_id, user);
		return (LSN_EINVAL);
	}
	if (!apply)
		return (LSN_OK);
	return (dir_w_exec(d, SQL_UNIT_DEL, ru->partner_id, ru->unit_id, 0, 0));
}

static int
set_contact(struct lsn_dir *d, const Liaison__V1__DirOp *op, int apply,
    char *why, size_t whysz)
{
	const Liaison__V1__SetContact	*sc = op->set_contact;
	const Liaison__V1__Contact	*c = sc->contact;
	uint64_t			 n;
	int				 found, rv;

	if (c->unit_id != NULL && c->unit_id[0] != '\0' &&
	    (rv = unit_exists(d, sc->partner_id, c->unit_id, "", why,
	    whysz)) != LSN_OK)
		return (rv);
	if ((rv = dir_q_u64(d, SQL_CONTACT_VERIFIED, sc->partner_id,
	    c->contact_id, &found, &n)) != LSN_OK)
		return (rv);
	if (!found && (rv = room_for(d, SQL_CONTACT_COUNT, sc->partner_id,
	    LSN_DIR_CONTACTS_MAX, "contacts", why, whysz)) != LSN_OK)
		return (rv);
	if (!apply)
		return (LSN_OK);
	return (dir_contact_put(d, sc->partner_id, c, op->created_ms));
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
	if ((rv = dir_q_u64(d, SQL_CONTACT_VERIFIED, pid, cid, &found, &cur)) !=
	    LSN_OK)
		return (rv);
	if (!found) {
		dir_why(why, whysz, "partner %s has no contact %s", pid, cid);
		return (LSN_ENOENT);
	}
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT) {
		if (!apply)
			return (LSN_OK);
		return (dir_w_exec(d, SQL_CONTACT_DEL, pid, cid, 0, 0));
	}
	if (op->confirm_contact->verified_at_ms < cur) {
		dir_why(why, whysz, "contact %s was confirmed later than this "
		    "confirmation", cid);
		return (LSN_EINVAL);
	}
	if (!apply)
		return (LSN_OK);
	return (dir_w_exec(d, SQL_CONTACT_CONFIRM, pid, cid, 1,
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
	if ((rv = dir_q_u64(d, SQL_GROUP_VERSION, g, NULL, &gfound, &gver)) !=
	    LSN_OK)
		return (rv);
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_CREATE_GROUP) {
		if ((rv = version_check("group", g, gver, exp, why,
		    whysz)) != LSN_OK)
			return (rv);
		if (gfound) {
			dir_why(why, whysz, "group %s already exists", g);
			return (LSN_EEXIST);
		}
		if (!apply)
			return (LSN_OK);
		return (dir_w_exec(d, SQL_GROUP_INS, g,
		    op->create_group->description == NULL ? "" :
		    op->create_group->description, 0, 0));
	}
	if (!gfound) {
		dir_why(why, whysz, "no group %s", g);
		return (LSN_EUNKNOWNGROUP);
	}
	if ((rv = version_check("group", g, gver, exp, why, whysz)) != LSN_OK)
		return (rv);
	if (op->action_case == LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP) {
		if (!apply)
			return (LSN_OK);
		if ((rv = dir_w_exec(d, SQL_GROUP_DEL_MEMBERS, g, NULL, 0,
		    0)) != LSN_OK)
			return (rv);
		return (dir_w_exec(d, SQL_GROUP_DEL, g, NULL, 0, 0));
	}
	if ((rv = dir_partner_row(d, p, &pfound, &pstatus, &pver)) != LSN_OK)
		return (rv);
	if ((rv = dir_q_exists(d, SQL_MEMBER_EXISTS, g, p, &member)) != LSN_OK)
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
		if ((rv = dir_w_exec(d, SQL_MEMBER_INS, g, p, 0, 0)) != LSN_OK)
			return (rv);
	} else {
		if (!member) {
			dir_why(why, whysz, "partner %s is not a member of "
			    "%s", p, g);
			return (LSN_ENOENT);
		}
		if (!apply)
			return (LSN_OK);
		if ((rv = dir_w_exec(d, SQL_MEMBER_DEL, g, p, 0, 0)) != LSN_OK)
			return (rv);
	}
	return (dir_w_exec(d, SQL_GROUP_BUMP, g, NULL, 0, 0));
}

static int
root_op(struct lsn_dir *d, const Liaison__V1__DirOp *op,
    const Liaison__V1__RootPolicy *root, uint64_t exp, int apply, char *why,
    size_t whysz)
{
	const Liaison__V1__RootPolicy	*np = dir_op_policy(op);
	uint64_t			 cur;
	int				 rv;

	cur = root != NULL ? root->version : 0;
	if ((rv = version_check("root policy", NULL, cur, exp, why, whysz)) !=
	    LSN_OK)
		return (rv);
	if (np->version != cur + 1) {
		dir_why(why, whysz, "the new root policy must have version "
		    "%llu", ULL(cur + 1));
		return (LSN_EROOT);
	}
	if (!apply)
		return (LSN_OK);
	return (dir_root_put(d, np));
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
	if ((rv = version_check("partner", p, ver, exp, why, whysz)) != LSN_OK)
		return (rv);
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
	return (dir_bump(d, p, op->created_ms));
}
