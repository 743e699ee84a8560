/*
 * dir_write.c -- the directory state machine's SQL access (query.h): the
 * one-row reads its rules ask (exists, a text, a number) and the writes
 * that apply an action (root policy, partner version bump, key, unit and
 * contact rows, and one-statement writes). Used by dir_apply.c; declared
 * in dir_int.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/dir.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/util.h"
#include "dir_int.h"

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
int
dir_q_exists(struct lsn_dir *d, const char *sql, const char *a,
    const char *b, int *found)
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
int
dir_q_text(struct lsn_dir *d, const char *sql, const char *a, const char *b,
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

/* First column of the first row as a u64 into *v (0 if no row). */
int
dir_q_u64(struct lsn_dir *d, const char *sql, const char *a, const char *b,
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

/* ---- writes ---- */

static const char SQL_BUMP[] =
    "UPDATE dir_partner SET version = version + 1, updated_ms = ? "
    "WHERE id = ?";
static const char SQL_ROOT_PUT[] =
    "INSERT INTO dir_root (id, version, policy, hash) VALUES (1, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET version = excluded.version, "
    "policy = excluded.policy, hash = excluded.hash";
static const char SQL_KEY_INS[] =
    "INSERT INTO dir_key (key_id, partner, purpose, public_key, "
    "valid_from_ms, valid_until_ms, revoked_at_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, 0)";
static const char SQL_UNIT_PUT[] =
    "INSERT INTO dir_unit (partner, unit_id, name, hours, fallback_unit) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (partner, unit_id) DO UPDATE "
    "SET name = excluded.name, hours = excluded.hours, "
    "fallback_unit = excluded.fallback_unit";
static const char SQL_CONTACT_PUT[] =
    "INSERT INTO dir_contact (partner, contact_id, name, role, unit_id, "
    "email, phone, is_24x7, languages, time_zone, verified_at_ms, "
    "updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) "
    "ON CONFLICT (partner, contact_id) DO UPDATE SET name = excluded.name, "
    "role = excluded.role, unit_id = excluded.unit_id, "
    "email = excluded.email, phone = excluded.phone, "
    "is_24x7 = excluded.is_24x7, languages = excluded.languages, "
    "time_zone = excluded.time_zone, updated_ms = excluded.updated_ms";

/*
 * Runs a write with up to two text parameters (b may be NULL), after an
 * optional u64 one: with has_c, c is the first `?` and a, b follow.
 */
int
dir_w_exec(struct lsn_dir *d, const char *sql, const char *a, const char *b,
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
int
dir_w_u64_text(struct lsn_dir *d, const char *sql, uint64_t v, const char *a)
{
	return (dir_w_exec(d, sql, a, NULL, 1, v));
}

int
dir_bump(struct lsn_dir *d, const char *partner, uint64_t when)
{
	return (dir_w_u64_text(d, SQL_BUMP, when, partner));
}

int
dir_root_put(struct lsn_dir *d, const Liaison__V1__RootPolicy *p)
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

int
dir_key_ins(struct lsn_dir *d, const char *partner,
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

int
dir_unit_put(struct lsn_dir *d, const char *partner, const Liaison__V1__Unit *u)
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

int
dir_contact_put(struct lsn_dir *d, const char *partner,
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
