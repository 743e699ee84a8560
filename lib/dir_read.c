/*
 * dir_read.c -- directory lookups: key lookups for the daemons, whole
 * partner and group records (listing and searching: dir_walk.c).
 *
 * Records handed out as protobuf-c messages are built with malloc/strdup
 * so that liaison__v1__*__free_unpacked(m, NULL) (the system allocator)
 * frees them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/dir.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/util.h"
#include "dir_int.h"

/* A copy of s, or NULL for an empty string (absent optional field). */
static int
dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL || s[0] == '\0')
		return (LSN_OK);
	if ((*out = strdup(s)) == NULL)
		return (LSN_ENOMEM);
	return (LSN_OK);
}

static int
dup_req(const char *s, char **out)
{
	if ((*out = strdup(s == NULL ? "" : s)) == NULL)
		return (LSN_ENOMEM);
	return (LSN_OK);
}

/* Appends p to a growing array of pointers (*arr, *n). */
static int
push(void ***arr, size_t *n, void *p)
{
	void	**na;

	if ((na = realloc(*arr, (*n + 1) * sizeof(*na))) == NULL)
		return (LSN_ENOMEM);
	na[*n] = p;
	*arr = na;
	(*n)++;
	return (LSN_OK);
}

int
dir_contact_from_row(struct lsn_q *s, int c0, Liaison__V1__Contact **out)
{
	Liaison__V1__Contact	*c;
	const char		*langs, *p, *q;
	int			 rv;

	if ((c = malloc(sizeof(*c))) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__contact__init(c);
	if ((rv = dup_req(dir_col_text(s, c0), &c->contact_id)) != LSN_OK ||
	    (rv = dup_req(dir_col_text(s, c0 + 1), &c->name)) != LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, c0 + 2), &c->role)) != LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, c0 + 3), &c->unit_id)) != LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, c0 + 4), &c->email)) != LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, c0 + 5), &c->phone)) != LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, c0 + 8), &c->time_zone)) != LSN_OK)
		goto fail;
	c->has_is_24x7 = 1;
	c->is_24x7 = dir_col_int(s, c0 + 6) != 0;
	langs = dir_col_text(s, c0 + 7);
	for (p = langs; *p != '\0'; p = *q == ',' ? q + 1 : q) {
		char	*l;

		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		if (q == p)
			continue;
		if ((l = strndup(p, (size_t) (q - p))) == NULL) {
			rv = LSN_ENOMEM;
			goto fail;
		}
		if ((rv = push((void ***) &c->languages, &c->n_languages,
		    l)) != LSN_OK) {
			free(l);
			goto fail;
		}
	}
	if (dir_col_u64(s, c0 + 9) != 0) {
		c->has_verified_at_ms = 1;
		c->verified_at_ms = dir_col_u64(s, c0 + 9);
	}
	c->has_updated_ms = 1;
	c->updated_ms = dir_col_u64(s, c0 + 10);
	*out = c;
	return (LSN_OK);
 fail:
	liaison__v1__contact__free_unpacked(c, NULL);
	return (rv);
}

static const char SQL_P_GET[] =
    "SELECT official, short_name, local_name, kind, country, status, "
    "version, created_ms, updated_ms FROM dir_partner WHERE id = ?";
static const char SQL_P_KEYS[] =
    "SELECT key_id, purpose, public_key, valid_from_ms, valid_until_ms, "
    "revoked_at_ms FROM dir_key WHERE partner = ? ORDER BY key_id";
static const char SQL_P_UNITS[] =
    "SELECT unit_id, name, hours, fallback_unit FROM dir_unit "
    "WHERE partner = ? ORDER BY unit_id";
static const char SQL_P_CONTACTS[] =
    "SELECT contact_id, name, role, unit_id, email, phone, is_24x7, "
    "languages, time_zone, verified_at_ms, updated_ms FROM dir_contact "
    "WHERE partner = ? ORDER BY contact_id";
static const char SQL_P_GROUPS[] =
    "SELECT grp FROM dir_member WHERE partner = ? ORDER BY grp";

/* One row of SQL_P_KEYS: a key of p. */
static int
key_row(struct lsn_q *s, Liaison__V1__Partner *p)
{
	Liaison__V1__KeyRecord	*k;
	const uint8_t		*pk;
	size_t			 pklen;
	int			 rv;

	if ((k = malloc(sizeof(*k))) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__key_record__init(k);
	if ((rv = push((void ***) &p->keys, &p->n_keys, k)) != LSN_OK) {
		free(k);
		return (rv);
	}
	if ((rv = dup_req(dir_col_text(s, 0), &k->key_id)) != LSN_OK)
		return (rv);
	k->has_purpose = 1;
	k->purpose = (Liaison__V1__KeyPurpose) dir_col_int(s, 1);
	if ((pk = dir_col_blob(s, 2, &pklen)) == NULL ||
	    pklen != LSN_PK_BYTES)
		return (LSN_EDB);
	if ((k->public_key.data = malloc(LSN_PK_BYTES)) == NULL)
		return (LSN_ENOMEM);
	memcpy(k->public_key.data, pk, LSN_PK_BYTES);
	k->public_key.len = LSN_PK_BYTES;
	k->has_public_key = 1;
	k->has_valid_from_ms = 1;
	k->valid_from_ms = dir_col_u64(s, 3);
	k->valid_until_ms = dir_col_u64(s, 4);
	k->has_valid_until_ms = k->valid_until_ms != 0;
	k->revoked_at_ms = dir_col_u64(s, 5);
	k->has_revoked_at_ms = k->revoked_at_ms != 0;
	return (LSN_OK);
}

/* One row of SQL_P_UNITS: a unit of p. */
static int
unit_row(struct lsn_q *s, Liaison__V1__Partner *p)
{
	Liaison__V1__Unit	*u;
	int			 rv;

	if ((u = malloc(sizeof(*u))) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__unit__init(u);
	if ((rv = push((void ***) &p->units, &p->n_units, u)) != LSN_OK) {
		free(u);
		return (rv);
	}
	if ((rv = dup_req(dir_col_text(s, 0), &u->unit_id)) != LSN_OK ||
	    (rv = dup_req(dir_col_text(s, 1), &u->name)) != LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, 2), &u->hours)) != LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, 3), &u->fallback_unit)) != LSN_OK)
		return (rv);
	return (LSN_OK);
}

/* One row of SQL_P_CONTACTS: a contact of p (p's verified_at_ms is the
 * latest of its contacts'). */
static int
contact_row(struct lsn_q *s, Liaison__V1__Partner *p)
{
	Liaison__V1__Contact	*c;
	int			 rv;

	if ((rv = dir_contact_from_row(s, 0, &c)) != LSN_OK)
		return (rv);
	if ((rv = push((void ***) &p->contacts, &p->n_contacts, c)) !=
	    LSN_OK) {
		liaison__v1__contact__free_unpacked(c, NULL);
		return (rv);
	}
	if (c->has_verified_at_ms && c->verified_at_ms > p->verified_at_ms) {
		p->has_verified_at_ms = 1;
		p->verified_at_ms = c->verified_at_ms;
	}
	return (LSN_OK);
}

/* One row of SQL_P_GROUPS: a group p is a member of. */
static int
group_row(struct lsn_q *s, Liaison__V1__Partner *p)
{
	char	*g;
	int	 rv;

	if ((rv = dup_req(dir_col_text(s, 0), &g)) != LSN_OK)
		return (rv);
	if ((rv = push((void ***) &p->groups, &p->n_groups, g)) != LSN_OK) {
		free(g);
		return (rv);
	}
	return (LSN_OK);
}

/*
 * Runs sql (one parameter: p's id) and adds each row to p with row(); what
 * names the rows in errors. A row's partial allocations stay in p, which
 * the caller frees on failure.
 */
static int
build_rows(struct lsn_dir *d, const char *sql, const char *what,
    Liaison__V1__Partner *p, int (*row)(struct lsn_q *, Liaison__V1__Partner *))
{
	struct lsn_q	*s;
	int		 rv;

	if ((rv = dir_sql(d, sql, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, p->id);
	while ((rv = dir_step(d, s, what)) == LSN_ROW)
		if ((rv = row(s, p)) != LSN_OK)
			goto out;
	if (rv != LSN_OK)
		return (rv);
 out:
	lsn_q_reset(s);
	return (rv);
}

int
dir_partner_build(struct lsn_dir *d, const char *id,
    Liaison__V1__Partner **out)
{
	Liaison__V1__Partner	*p = NULL;
	struct lsn_q		*s;
	int			 rv;

	if ((rv = dir_sql(d, SQL_P_GET, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, id);
	if ((rv = dir_step(d, s, "partner")) == LSN_OK) {
		lsn_q_reset(s);
		return (LSN_ENOENT);
	}
	if (rv != LSN_ROW)
		return (rv);
	if ((p = malloc(sizeof(*p))) == NULL) {
		lsn_q_reset(s);
		return (LSN_ENOMEM);
	}
	liaison__v1__partner__init(p);
	if ((p->names = malloc(sizeof(*p->names))) == NULL) {
		lsn_q_reset(s);
		liaison__v1__partner__free_unpacked(p, NULL);
		return (LSN_ENOMEM);
	}
	liaison__v1__partner_names__init(p->names);
	if ((rv = dup_req(id, &p->id)) != LSN_OK ||
	    (rv = dup_req(dir_col_text(s, 0), &p->names->official)) !=
	    LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, 1), &p->names->short_name)) !=
	    LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, 2), &p->names->local)) != LSN_OK ||
	    (rv = dup_req(dir_col_text(s, 4), &p->country)) != LSN_OK) {
		lsn_q_reset(s);
		goto fail;
	}
	p->has_kind = 1;
	p->kind = (Liaison__V1__PartnerKind) dir_col_int(s, 3);
	p->has_status = 1;
	p->status = (Liaison__V1__PartnerStatus) dir_col_int(s, 5);
	p->has_version = 1;
	p->version = dir_col_u64(s, 6);
	p->has_created_ms = 1;
	p->created_ms = dir_col_u64(s, 7);
	p->has_updated_ms = 1;
	p->updated_ms = dir_col_u64(s, 8);
	lsn_q_reset(s);
	if ((rv = build_rows(d, SQL_P_KEYS, "keys", p, key_row)) != LSN_OK ||
	    (rv = build_rows(d, SQL_P_UNITS, "units", p, unit_row)) !=
	    LSN_OK ||
	    (rv = build_rows(d, SQL_P_CONTACTS, "contacts", p,
	    contact_row)) != LSN_OK ||
	    (rv = build_rows(d, SQL_P_GROUPS, "groups", p, group_row)) !=
	    LSN_OK)
		goto fail;
	*out = p;
	return (LSN_OK);
 fail:
	liaison__v1__partner__free_unpacked(p, NULL);
	return (rv);
}

int
lsn_dir_partner_get(struct lsn_dir *d, const char *partner_id,
    Liaison__V1__Partner **out)
{
	if (d == NULL || partner_id == NULL || out == NULL)
		return (LSN_EINVAL);
	return (dir_partner_build(d, partner_id, out));
}

int
lsn_dir_partner_pack(struct lsn_dir *d, const char *partner_id,
    uint8_t **out, size_t *len)
{
	Liaison__V1__Partner	*p;
	uint8_t			*buf;
	size_t			 n;
	int			 rv;

	if (out == NULL || len == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_dir_partner_get(d, partner_id, &p)) != LSN_OK)
		return (rv);
	n = liaison__v1__partner__get_packed_size(p);
	if ((buf = malloc(n == 0 ? 1 : n)) == NULL) {
		liaison__v1__partner__free_unpacked(p, NULL);
		return (LSN_ENOMEM);
	}
	liaison__v1__partner__pack(p, buf);
	liaison__v1__partner__free_unpacked(p, NULL);
	*out = buf;
	*len = n;
	return (LSN_OK);
}

void
lsn_dir_partner_free(Liaison__V1__Partner **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	liaison__v1__partner__free_unpacked(*pp, NULL);
	*pp = NULL;
}

static const char SQL_G_GET[] =
    "SELECT description, version FROM dir_group WHERE name = ?";
static const char SQL_G_MEMBERS[] =
    "SELECT partner FROM dir_member WHERE grp = ? ORDER BY partner";

int
lsn_dir_group_get(struct lsn_dir *d, const char *name,
    Liaison__V1__Group **out)
{
	Liaison__V1__Group	*g = NULL;
	struct lsn_q		*s;
	int			 rv;

	if (d == NULL || name == NULL || out == NULL)
		return (LSN_EINVAL);
	if ((rv = dir_sql(d, SQL_G_GET, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, name);
	if ((rv = dir_step(d, s, "group")) == LSN_OK) {
		lsn_q_reset(s);
		return (LSN_EUNKNOWNGROUP);
	}
	if (rv != LSN_ROW)
		return (rv);
	if ((g = malloc(sizeof(*g))) == NULL) {
		lsn_q_reset(s);
		return (LSN_ENOMEM);
	}
	liaison__v1__group__init(g);
	g->has_version = 1;
	g->version = dir_col_u64(s, 1);
	if ((rv = dup_req(name, &g->name)) != LSN_OK ||
	    (rv = dup_opt(dir_col_text(s, 0), &g->description)) != LSN_OK) {
		lsn_q_reset(s);
		goto fail;
	}
	lsn_q_reset(s);
	if ((rv = dir_sql(d, SQL_G_MEMBERS, &s)) != LSN_OK)
		goto fail;
	dir_bind_text(s, 1, name);
	while ((rv = dir_step(d, s, "group")) == LSN_ROW) {
		char	*m;

		if ((rv = dup_req(dir_col_text(s, 0), &m)) != LSN_OK) {
			lsn_q_reset(s);
			goto fail;
		}
		if ((rv = push((void ***) &g->members, &g->n_members, m)) !=
		    LSN_OK) {
			free(m);
			lsn_q_reset(s);
			goto fail;
		}
	}
	if (rv != LSN_OK)
		goto fail;
	lsn_q_reset(s);
	*out = g;
	return (LSN_OK);
 fail:
	liaison__v1__group__free_unpacked(g, NULL);
	return (rv);
}

void
lsn_dir_group_free(Liaison__V1__Group **gp)
{
	if (gp == NULL || *gp == NULL)
		return;
	liaison__v1__group__free_unpacked(*gp, NULL);
	*gp = NULL;
}

/* ---- key lookups ---- */

int
lsn_dir_partner_status(struct lsn_dir *d, const char *partner_id,
    int *status)
{
	uint64_t	ver;
	int		found, st, rv;

	if (d == NULL || partner_id == NULL || status == NULL)
		return (LSN_EINVAL);
	if ((rv = dir_partner_row(d, partner_id, &found, &st, &ver)) != LSN_OK)
		return (rv);
	if (!found)
		return (LSN_ENOENT);
	*status = st;
	return (LSN_OK);
}

static int
status_err(int status)
{
	if (status == LIAISON__V1__PARTNER_STATUS__STATUS_REVOKED)
		return (LSN_EPREVOKED);
	if (status != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)
		return (LSN_ESUSPENDED);
	return (LSN_OK);
}

int
lsn_dir_sign_keyrec(struct lsn_dir *d, const char *partner_id,
    const char *key_id, struct lsn_dir_keyrec *r)
{
	struct dir_key	k;
	uint64_t	ver;
	int		found, status, rv;

	if (d == NULL || partner_id == NULL || key_id == NULL || r == NULL)
		return (LSN_EINVAL);
	if ((rv = dir_partner_row(d, partner_id, &found, &status, &ver)) !=
	    LSN_OK)
		return (rv);
	if (!found)
		return (LSN_EUNKNOWNSENDER);
	if ((rv = status_err(status)) != LSN_OK)
		return (rv);
	if (!dir_keyid_shape(key_id))
		return (LSN_EUNKNOWNKEY);
	if ((rv = dir_key_row(d, key_id, &found, &k)) != LSN_OK)
		return (rv);
	if (!found || strcmp(k.partner, partner_id) != 0 ||
	    k.purpose != LIAISON__V1__KEY_PURPOSE__KEY_SIGN)
		return (LSN_EUNKNOWNKEY);
	memset(r, 0, sizeof(*r));
	lsn_strlcpy(r->partner, k.partner, sizeof(r->partner));
	memcpy(r->pk, k.pk, LSN_PK_BYTES);
	r->valid_from = k.valid_from;
	r->valid_until = k.valid_until;
	r->revoked_at = k.revoked_at;
	return (LSN_OK);
}

int
lsn_dir_sign_keyrec_at(const struct lsn_dir_keyrec *r, uint64_t at_ms,
    uint8_t pk[LSN_PK_BYTES])
{
	if (r == NULL || pk == NULL)
		return (LSN_EINVAL);
	if (r->revoked_at != 0 && r->revoked_at <= at_ms)
		return (LSN_EKEYREVOKED);
	if (!dir_keyrec_valid_at(r->valid_from, r->valid_until, at_ms))
		return (LSN_EKEYEXPIRED);
	memcpy(pk, r->pk, LSN_PK_BYTES);
	return (LSN_OK);
}

int
lsn_dir_sign_key(struct lsn_dir *d, const char *partner_id,
    const char *key_id, uint64_t at_ms, uint8_t pk[LSN_PK_BYTES])
{
	struct lsn_dir_keyrec	r;
	int			rv;

	memset(&r, 0, sizeof(r));
	if (pk == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_dir_sign_keyrec(d, partner_id, key_id, &r)) != LSN_OK)
		return (rv);
	return (lsn_dir_sign_keyrec_at(&r, at_ms, pk));
}

static const char SQL_KEY_BY_PK[] =
    "SELECT partner, purpose, valid_from_ms, valid_until_ms, revoked_at_ms "
    "FROM dir_key WHERE public_key = ?";

int
lsn_dir_transport_keyrec(struct lsn_dir *d,
    const uint8_t curve_pk[LSN_PK_BYTES], struct lsn_dir_keyrec *r)
{
	struct lsn_q	*s;
	char		 owner[LSN_DIR_ID_MAX + 1];
	uint64_t	 from, until, revoked, ver;
	int		 purpose, rv, found, status;

	if (d == NULL || curve_pk == NULL || r == NULL)
		return (LSN_EINVAL);
	if ((rv = dir_sql(d, SQL_KEY_BY_PK, &s)) != LSN_OK)
		return (rv);
	dir_bind_blob(s, 1, curve_pk, LSN_PK_BYTES);
	if ((rv = dir_step(d, s, "transport")) == LSN_OK) {
		lsn_q_reset(s);
		return (LSN_ENOENT);
	}
	if (rv != LSN_ROW)
		return (rv);
	lsn_strlcpy(owner, dir_col_text(s, 0), sizeof(owner));
	purpose = dir_col_int(s, 1);
	from = dir_col_u64(s, 2);
	until = dir_col_u64(s, 3);
	revoked = dir_col_u64(s, 4);
	lsn_q_reset(s);
	if (purpose != LIAISON__V1__KEY_PURPOSE__KEY_TRANSPORT)
		return (LSN_ENOENT);
	if ((rv = dir_partner_row(d, owner, &found, &status, &ver)) != LSN_OK)
		return (rv);
	memset(r, 0, sizeof(*r));
	memcpy(r->partner, owner, sizeof(owner));
	memcpy(r->pk, curve_pk, LSN_PK_BYTES);
	r->valid_from = from;
	r->valid_until = until;
	r->revoked_at = revoked;
	r->status_rv = found ? status_err(status) : LSN_ENOENT;
	return (LSN_OK);
}

int
lsn_dir_transport_keyrec_at(const struct lsn_dir_keyrec *r, uint64_t now_ms,
    char partner[LSN_DIR_ID_MAX + 1])
{
	if (r == NULL || partner == NULL)
		return (LSN_EINVAL);
	if ((r->revoked_at != 0 && r->revoked_at <= now_ms) ||
	    !dir_keyrec_valid_at(r->valid_from, r->valid_until, now_ms))
		return (LSN_ENOENT);
	if (r->status_rv != LSN_OK)
		return (r->status_rv);
	memcpy(partner, r->partner, LSN_DIR_ID_MAX + 1);
	return (LSN_OK);
}

int
lsn_dir_transport_owner(struct lsn_dir *d,
    const uint8_t curve_pk[LSN_PK_BYTES], uint64_t now_ms,
    char partner[LSN_DIR_ID_MAX + 1])
{
	struct lsn_dir_keyrec	r;
	int			rv;

	memset(&r, 0, sizeof(r));
	if (partner == NULL)
		return (LSN_EINVAL);
	if ((rv = lsn_dir_transport_keyrec(d, curve_pk, &r)) != LSN_OK)
		return (rv);
	return (lsn_dir_transport_keyrec_at(&r, now_ms, partner));
}

static const char SQL_ENC_KEYS[] =
    "SELECT key_id, public_key, valid_from_ms, valid_until_ms, revoked_at_ms "
    "FROM dir_key WHERE partner = ? AND purpose = 2 ORDER BY key_id";

int
lsn_dir_encrypt_key(struct lsn_dir *d, const char *partner_id,
    uint64_t now_ms, char key_id[LSN_KEYID_HEXLEN + 1],
    uint8_t pk[LSN_PK_BYTES])
{
	struct lsn_q	*s;
	char		 best_id[LSN_KEYID_HEXLEN + 1];
	uint8_t		 best_pk[LSN_PK_BYTES];
	const uint8_t	*kp;
	uint64_t	 best_from = 0, ver;
	size_t		 kplen;
	int		 have = 0, found, status, rv;

	if (d == NULL || partner_id == NULL || key_id == NULL || pk == NULL)
		return (LSN_EINVAL);
	if ((rv = dir_partner_row(d, partner_id, &found, &status, &ver)) !=
	    LSN_OK)
		return (rv);
	if (!found)
		return (LSN_EUNKNOWNRCPT);
	if ((rv = status_err(status)) != LSN_OK)
		return (rv);
	if ((rv = dir_sql(d, SQL_ENC_KEYS, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, partner_id);
	while ((rv = dir_step(d, s, "encrypt key")) == LSN_ROW) {
		uint64_t from = dir_col_u64(s, 2), until = dir_col_u64(s, 3);
		uint64_t revoked = dir_col_u64(s, 4);

		if ((kp = dir_col_blob(s, 1, &kplen)) == NULL ||
		    kplen != LSN_PK_BYTES)
			continue;
		if ((revoked != 0 && revoked <= now_ms) ||
		    !dir_keyrec_valid_at(from, until, now_ms))
			continue;
		/* Rows come in key id order: strictly later wins. */
		if (have && from <= best_from)
			continue;
		have = 1;
		best_from = from;
		lsn_strlcpy(best_id, dir_col_text(s, 0), sizeof(best_id));
		memcpy(best_pk, kp, LSN_PK_BYTES);
	}
	if (rv != LSN_OK)
		return (rv);
	lsn_q_reset(s);
	if (!have)
		return (LSN_EUNKNOWNKEY);
	memcpy(key_id, best_id, sizeof(best_id));
	memcpy(pk, best_pk, LSN_PK_BYTES);
	return (LSN_OK);
}

struct member_walk {
	const char	*group;
	const char	*partner;
	uint64_t	 since;
	int		 member;
};

static int
same(const char *a, const char *b)
{
	return (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
member_cb(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	struct member_walk	*w = arg;
	Liaison__V1__LogEntry	*e;
	Liaison__V1__DirOp	*op = NULL;

	if ((e = liaison__v1__log_entry__unpack(NULL, len, entry)) == NULL)
		return (LSN_ENOMEM);
	if (e->has_signed_op && lsn_dirop_parse(e->signed_op.data,
	    e->signed_op.len, NULL, &op) == LSN_OK) {
		switch (op->action_case) {
		case LIAISON__V1__DIR_OP__ACTION_ADD_MEMBER:
			if (op->add_member != NULL &&
			    same(op->add_member->group, w->group) &&
			    same(op->add_member->partner_id, w->partner))
				w->member = 1;
			break;
		case LIAISON__V1__DIR_OP__ACTION_REMOVE_MEMBER:
			if (op->remove_member != NULL &&
			    same(op->remove_member->group, w->group) &&
			    same(op->remove_member->partner_id, w->partner))
				w->member = 0;
			break;
		case LIAISON__V1__DIR_OP__ACTION_DELETE_GROUP:
			if (op->delete_group != NULL &&
			    same(op->delete_group->name, w->group))
				w->member = 0;
			break;
		default:
			break;
		}
		liaison__v1__dir_op__free_unpacked(op, NULL);
	}
	liaison__v1__log_entry__free_unpacked(e, NULL);
	/* every rev has an entry: this is the membership at rev */
	return (rev >= w->since && w->member ? 1 : 0);
}

int
lsn_dir_member_since(struct lsn_dir *d, const char *group,
    const char *partner, uint64_t since_rev, int *member)
{
	struct member_walk	w;
	int			rv;

	if (d == NULL || group == NULL || partner == NULL || member == NULL)
		return (LSN_EINVAL);
	w.group = group;
	w.partner = partner;
	w.since = since_rev;
	w.member = 0;
	rv = lsn_dir_entries_after(d, 0, 0, member_cb, &w);
	if (rv != LSN_OK && rv != 1)
		return (rv);
	*member = rv == 1;
	return (LSN_OK);
}
