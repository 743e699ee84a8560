/*
 * dir.c -- the partner directory: schema, handle, SQL helpers, hashing,
 * head, state digest and root policy access.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/dir.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/util.h"
#include "dir_int.h"

/*
 * Tables (all dir_*). Text fields absent in an op are stored as "".
 * uint64 values are stored bit-for-bit in INTEGER columns (cast to int64)
 * and compared in C, never in SQL.
 */
const char lsn_dir_schema_v1[] =
    "CREATE TABLE dir_log ("
    " rev INTEGER PRIMARY KEY,"
    " prev_hash BLOB NOT NULL,"
    " signed_op BLOB NOT NULL,"
    " entry_hash BLOB NOT NULL,"
    " op_id BLOB NOT NULL);"
    "CREATE UNIQUE INDEX dir_log_op_id ON dir_log(op_id);"
    "CREATE TABLE dir_root ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version INTEGER NOT NULL,"
    " policy BLOB NOT NULL,"
    " hash BLOB NOT NULL);"
    "CREATE TABLE dir_partner ("
    " id TEXT PRIMARY KEY,"
    " official TEXT NOT NULL,"
    " short_name TEXT NOT NULL,"
    " local_name TEXT NOT NULL,"
    " kind INTEGER NOT NULL,"
    " country TEXT NOT NULL,"
    " status INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE dir_key ("
    " key_id TEXT PRIMARY KEY,"
    " partner TEXT NOT NULL REFERENCES dir_partner(id),"
    " purpose INTEGER NOT NULL,"
    " public_key BLOB NOT NULL,"
    " valid_from_ms INTEGER NOT NULL,"
    " valid_until_ms INTEGER NOT NULL,"
    " revoked_at_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX dir_key_partner ON dir_key(partner, key_id);"
    "CREATE UNIQUE INDEX dir_key_public ON dir_key(public_key);"
    "CREATE TABLE dir_unit ("
    " partner TEXT NOT NULL REFERENCES dir_partner(id),"
    " unit_id TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " hours TEXT NOT NULL,"
    " fallback_unit TEXT NOT NULL,"
    " PRIMARY KEY (partner, unit_id)) WITHOUT ROWID;"
    "CREATE TABLE dir_contact ("
    " partner TEXT NOT NULL REFERENCES dir_partner(id),"
    " contact_id TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " unit_id TEXT NOT NULL,"
    " email TEXT NOT NULL,"
    " phone TEXT NOT NULL,"
    " is_24x7 INTEGER NOT NULL,"
    " languages TEXT NOT NULL,"
    " time_zone TEXT NOT NULL,"
    " verified_at_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY (partner, contact_id)) WITHOUT ROWID;"
    "CREATE TABLE dir_group ("
    " name TEXT PRIMARY KEY,"
    " description TEXT NOT NULL,"
    " version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE dir_member ("
    " grp TEXT NOT NULL REFERENCES dir_group(name),"
    " partner TEXT NOT NULL REFERENCES dir_partner(id),"
    " PRIMARY KEY (grp, partner)) WITHOUT ROWID;"
    "CREATE INDEX dir_member_partner ON dir_member(partner, grp);";

const struct lsn_migration lsn_dir_migrations[] = {
	{ 1, lsn_dir_schema_v1, lsn_dir_schema_pg_v1 },
	{ 0, NULL, NULL },
};

static const char SQL_PROBE[] = "SELECT count(*) FROM dir_log";

int
lsn_dir_open(struct lsn_store *st, struct lsn_dir **out)
{
	struct lsn_dir	*d;
	struct lsn_q	*s;
	int		 rv;

	if (st == NULL || out == NULL)
		return (LSN_EINVAL);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (LSN_ENOMEM);
	d->st = st;
	if ((rv = dir_sql(d, SQL_PROBE, &s)) != LSN_OK) {
		free(d);
		return (rv);
	}
	if ((rv = dir_step(d, s, "open")) != LSN_ROW) {
		if (rv == LSN_OK)
			rv = LSN_EDB;
		free(d);
		return (rv);
	}
	lsn_q_reset(s);
	*out = d;
	return (LSN_OK);
}

void
lsn_dir_close(struct lsn_dir **dp)
{
	if (dp == NULL || *dp == NULL)
		return;
	free(*dp);
	*dp = NULL;
}

struct lsn_store *
lsn_dir_store(struct lsn_dir *d)
{
	return (d->st);
}

void
lsn_dir_set_trust_anchor(struct lsn_dir *d,
    const uint8_t hash[LSN_DIR_HASH_BYTES])
{
	if (hash == NULL) {
		d->has_anchor = 0;
		return;
	}
	memcpy(d->anchor, hash, LSN_DIR_HASH_BYTES);
	d->has_anchor = 1;
}

/* ---- SQL helpers ---- */

int
dir_sql(struct lsn_dir *d, const char *sql, struct lsn_q **q)
{
	return (lsn_store_q(d->st, sql, q));
}

/*
 * A failed step (rv from lsn_q_step): logged, the statement reset. A lost
 * connection (LSN_ECLOSED) and a read-only store (LSN_EPERM) keep their
 * codes so that the caller can stop or redirect; anything else, a
 * constraint included, is LSN_EDB as it always was.
 */
int
dir_db_error(struct lsn_dir *d, struct lsn_q *q, int rv, const char *what)
{
	log_warnx("dir: %s: %s", what, lsn_store_errmsg(d->st));
	lsn_q_reset(q);
	if (rv == LSN_ECLOSED || rv == LSN_EPERM || rv == LSN_ENOMEM)
		return (rv);
	return (LSN_EDB);
}

int
dir_step(struct lsn_dir *d, struct lsn_q *q, const char *what)
{
	int	rv;

	if ((rv = lsn_q_step(q)) == LSN_ROW || rv == LSN_OK)
		return (rv);
	return (dir_db_error(d, q, rv, what));
}

int
dir_done(struct lsn_dir *d, struct lsn_q *q)
{
	int	rv;

	if ((rv = lsn_q_step(q)) != LSN_OK)
		return (dir_db_error(d, q, rv == LSN_ROW ? LSN_EDB : rv,
		    "step"));
	lsn_q_reset(q);
	return (LSN_OK);
}

void
dir_bind_text(struct lsn_q *q, int i, const char *v)
{
	lsn_q_text(q, i, v == NULL ? "" : v);
}

void
dir_bind_u64(struct lsn_q *q, int i, uint64_t v)
{
	lsn_q_i64(q, i, (int64_t) v);
}

void
dir_bind_blob(struct lsn_q *q, int i, const void *p, size_t len)
{
	lsn_q_blob(q, i, p, len);
}

uint64_t
dir_col_u64(struct lsn_q *q, int i)
{
	return ((uint64_t) lsn_q_col_i64(q, i));
}

int
dir_col_int(struct lsn_q *q, int i)
{
	return ((int) lsn_q_col_i64(q, i));
}

const char *
dir_col_text(struct lsn_q *q, int i)
{
	const char	*t = lsn_q_col_text(q, i);

	return (t == NULL ? "" : t);
}

const uint8_t *
dir_col_blob(struct lsn_q *q, int i, size_t *len)
{
	return (lsn_q_col_blob(q, i, len));
}

/* ---- hashing ---- */

void
dir_hash_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t	b[8];

	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t) (v & 0xff);
		v >>= 8;
	}
	crypto_generichash_update(h, b, sizeof(b));
}

void
dir_hash_bytes(crypto_generichash_state *h, const void *p, size_t len)
{
	dir_hash_u64(h, len);
	if (len > 0)
		crypto_generichash_update(h, p, len);
}

void
dir_hash_str(crypto_generichash_state *h, const char *s)
{
	dir_hash_bytes(h, s == NULL ? "" : s, s == NULL ? 0 : strlen(s));
}

void
dir_entry_hash(const uint8_t prev[LSN_DIR_HASH_BYTES], uint64_t rev,
    const uint8_t *sop, size_t len, uint8_t out[LSN_DIR_HASH_BYTES])
{
	crypto_generichash_state	h;
	uint8_t				b[8];

	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t) (rev & 0xff);
		rev >>= 8;
	}
	crypto_generichash_init(&h, NULL, 0, LSN_DIR_HASH_BYTES);
	crypto_generichash_update(&h, prev, LSN_DIR_HASH_BYTES);
	crypto_generichash_update(&h, b, sizeof(b));
	crypto_generichash_update(&h, sop, len);
	crypto_generichash_final(&h, out, LSN_DIR_HASH_BYTES);
}

static void
hash_keyrec(crypto_generichash_state *h, const Liaison__V1__KeyRecord *k)
{
	if (k == NULL) {
		dir_hash_str(h, "");
		return;
	}
	dir_hash_str(h, k->key_id);
	dir_hash_u64(h, k->purpose);
	dir_hash_bytes(h, k->public_key.data, k->public_key.len);
	dir_hash_u64(h, k->valid_from_ms);
	dir_hash_u64(h, k->valid_until_ms);
	dir_hash_u64(h, k->revoked_at_ms);
}

static int
admin_cmp(const void *a, const void *b)
{
	const Liaison__V1__AdminKey *const *x = a, *const *y = b;
	const char *kx = (*x)->key != NULL && (*x)->key->key_id != NULL ?
	    (*x)->key->key_id : "";
	const char *ky = (*y)->key != NULL && (*y)->key->key_id != NULL ?
	    (*y)->key->key_id : "";

	return (strcmp(kx, ky));
}

void
lsn_dir_policy_hash(const Liaison__V1__RootPolicy *p,
    uint8_t out[LSN_DIR_HASH_BYTES])
{
	crypto_generichash_state	  h;
	const Liaison__V1__AdminKey	**sorted = NULL;

	crypto_generichash_init(&h, NULL, 0, LSN_DIR_HASH_BYTES);
	dir_hash_str(&h, "liaison/root-policy/v1");
	dir_hash_u64(&h, p->version);
	hash_keyrec(&h, p->sequencer_key);
	dir_hash_u64(&h, p->n_admins);
	if (p->n_admins > 0 &&
	    (sorted = calloc(p->n_admins, sizeof(*sorted))) != NULL) {
		memcpy(sorted, p->admins, p->n_admins * sizeof(*sorted));
		qsort(sorted, p->n_admins, sizeof(*sorted), admin_cmp);
		for (size_t i = 0; i < p->n_admins; i++) {
			dir_hash_str(&h, sorted[i]->name);
			hash_keyrec(&h, sorted[i]->key);
		}
		free(sorted);
	} else {
		/* Out of memory: hash in the given order (still a hash of
		 * the policy; equal policies in equal order match). */
		for (size_t i = 0; i < p->n_admins; i++) {
			dir_hash_str(&h, p->admins[i]->name);
			hash_keyrec(&h, p->admins[i]->key);
		}
	}
	for (int c = LIAISON__V1__ACTION_CLASS__CLASS_ROUTINE;
	    c <= LIAISON__V1__ACTION_CLASS__CLASS_ROOT; c++)
		dir_hash_u64(&h, dir_policy_threshold(p, c));
	crypto_generichash_final(&h, out, LSN_DIR_HASH_BYTES);
}

/* ---- head ---- */

static const char SQL_HEAD[] =
    "SELECT rev, entry_hash FROM dir_log ORDER BY rev DESC LIMIT 1";
static const char SQL_HASH_AT[] =
    "SELECT entry_hash FROM dir_log WHERE rev = ?";

int
lsn_dir_head(struct lsn_dir *d, uint64_t *rev,
    uint8_t hash[LSN_DIR_HASH_BYTES])
{
	struct lsn_q	*s;
	const uint8_t	*p;
	uint64_t	 r = 0;
	uint8_t		 h[LSN_DIR_HASH_BYTES];
	size_t		 n;
	int		 rv;

	memset(h, 0, sizeof(h));
	if ((rv = dir_sql(d, SQL_HEAD, &s)) != LSN_OK)
		return (rv);
	if ((rv = dir_step(d, s, "head")) == LSN_ROW) {
		r = dir_col_u64(s, 0);
		p = dir_col_blob(s, 1, &n);
		if (p == NULL || n != LSN_DIR_HASH_BYTES) {
			lsn_q_reset(s);
			log_warnx("dir: head entry hash has a wrong size");
			return (LSN_ECHAIN);
		}
		memcpy(h, p, LSN_DIR_HASH_BYTES);
	} else if (rv != LSN_OK)
		return (rv);
	lsn_q_reset(s);
	if (rev != NULL)
		*rev = r;
	if (hash != NULL)
		memcpy(hash, h, LSN_DIR_HASH_BYTES);
	return (LSN_OK);
}

int
lsn_dir_hash_at(struct lsn_dir *d, uint64_t rev,
    uint8_t hash[LSN_DIR_HASH_BYTES])
{
	struct lsn_q	*s;
	const uint8_t	*p;
	size_t		 n;
	int		 rv;

	if ((rv = dir_sql(d, SQL_HASH_AT, &s)) != LSN_OK)
		return (rv);
	dir_bind_u64(s, 1, rev);
	if ((rv = dir_step(d, s, "hash_at")) == LSN_OK) {
		lsn_q_reset(s);
		return (LSN_ENOENT);
	}
	if (rv != LSN_ROW)
		return (rv);
	p = dir_col_blob(s, 0, &n);
	if (p == NULL || n != LSN_DIR_HASH_BYTES) {
		lsn_q_reset(s);
		return (LSN_ECHAIN);
	}
	memcpy(hash, p, LSN_DIR_HASH_BYTES);
	lsn_q_reset(s);
	return (LSN_OK);
}

/* ---- state access ---- */

static const char SQL_ROOT[] =
    "SELECT policy, hash FROM dir_root WHERE id = 1";

/* *out NULL (and LSN_OK) before genesis. */
int
dir_root_load(struct lsn_dir *d, Liaison__V1__RootPolicy **out)
{
	struct lsn_q			*s;
	Liaison__V1__RootPolicy		*p = NULL;
	const uint8_t			*b;
	size_t				 n;
	int				 rv;

	if ((rv = dir_sql(d, SQL_ROOT, &s)) != LSN_OK)
		return (rv);
	if ((rv = dir_step(d, s, "root")) == LSN_ROW) {
		b = dir_col_blob(s, 0, &n);
		p = liaison__v1__root_policy__unpack(NULL, n, b);
		if (p == NULL) {
			lsn_q_reset(s);
			log_warnx("dir: stored root policy does not parse");
			return (LSN_EDB);
		}
	} else if (rv != LSN_OK)
		return (rv);
	lsn_q_reset(s);
	*out = p;
	return (LSN_OK);
}

int
lsn_dir_root_get(struct lsn_dir *d, Liaison__V1__RootPolicy **out)
{
	Liaison__V1__RootPolicy	*p;
	int			 rv;

	if ((rv = dir_root_load(d, &p)) != LSN_OK)
		return (rv);
	if (p == NULL)
		return (LSN_ENOENT);
	*out = p;
	return (LSN_OK);
}

int
lsn_dir_root_hash(struct lsn_dir *d, uint8_t out[LSN_DIR_HASH_BYTES])
{
	Liaison__V1__RootPolicy	*p;
	int			 rv;

	if ((rv = lsn_dir_root_get(d, &p)) != LSN_OK)
		return (rv);
	lsn_dir_policy_hash(p, out);
	liaison__v1__root_policy__free_unpacked(p, NULL);
	return (LSN_OK);
}

int
lsn_dir_genesis_hash(struct lsn_dir *d, uint8_t out[LSN_DIR_HASH_BYTES])
{
	Liaison__V1__LogEntry	*e = NULL;
	Liaison__V1__DirOp	*op = NULL;
	uint8_t			*buf = NULL;
	size_t			 len;
	int			 rv;

	if ((rv = lsn_dir_entry_get(d, 1, &buf, &len)) != LSN_OK)
		return (rv);
	if ((e = liaison__v1__log_entry__unpack(NULL, len, buf)) == NULL ||
	    !e->has_signed_op) {
		rv = LSN_EPROTO;
		goto out;
	}
	if ((rv = lsn_dirop_parse(e->signed_op.data, e->signed_op.len, NULL,
	    &op)) != LSN_OK)
		goto out;
	if (op->action_case != LIAISON__V1__DIR_OP__ACTION_INIT_ROOT ||
	    op->init_root == NULL || op->init_root->policy == NULL) {
		rv = LSN_EROOT;
		goto out;
	}
	lsn_dir_policy_hash(op->init_root->policy, out);
	rv = LSN_OK;
 out:
	if (op != NULL)
		liaison__v1__dir_op__free_unpacked(op, NULL);
	if (e != NULL)
		liaison__v1__log_entry__free_unpacked(e, NULL);
	free(buf);
	return (rv);
}

static const char SQL_PARTNER_ROW[] =
    "SELECT status, version FROM dir_partner WHERE id = ?";

int
dir_partner_row(struct lsn_dir *d, const char *id, int *found, int *status,
    uint64_t *version)
{
	struct lsn_q	*s;
	int		 rv;

	if ((rv = dir_sql(d, SQL_PARTNER_ROW, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, id);
	rv = dir_step(d, s, "partner");
	if (rv == LSN_ROW) {
		*found = 1;
		*status = dir_col_int(s, 0);
		*version = dir_col_u64(s, 1);
	} else if (rv == LSN_OK) {
		*found = 0;
		*status = 0;
		*version = 0;
	} else
		return (rv);
	lsn_q_reset(s);
	return (LSN_OK);
}

static const char SQL_KEY_ROW[] =
    "SELECT partner, purpose, public_key, valid_from_ms, valid_until_ms, "
    "revoked_at_ms FROM dir_key WHERE key_id = ?";

int
dir_key_row(struct lsn_dir *d, const char *key_id, int *found,
    struct dir_key *out)
{
	struct lsn_q	*s;
	const uint8_t	*pk;
	size_t		 n;
	int		 rv;

	*found = 0;
	if ((rv = dir_sql(d, SQL_KEY_ROW, &s)) != LSN_OK)
		return (rv);
	dir_bind_text(s, 1, key_id);
	if ((rv = dir_step(d, s, "key")) == LSN_ROW) {
		pk = dir_col_blob(s, 2, &n);
		if (pk == NULL || n != LSN_PK_BYTES) {
			lsn_q_reset(s);
			return (LSN_EDB);
		}
		memset(out, 0, sizeof(*out));
		lsn_strlcpy(out->key_id, key_id, sizeof(out->key_id));
		lsn_strlcpy(out->partner, dir_col_text(s, 0),
		    sizeof(out->partner));
		out->purpose = dir_col_int(s, 1);
		memcpy(out->pk, pk, LSN_PK_BYTES);
		out->valid_from = dir_col_u64(s, 3);
		out->valid_until = dir_col_u64(s, 4);
		out->revoked_at = dir_col_u64(s, 5);
		*found = 1;
	} else if (rv != LSN_OK)
		return (rv);
	lsn_q_reset(s);
	return (LSN_OK);
}

static const char SQL_OP_SEEN[] = "SELECT 1 FROM dir_log WHERE op_id = ?";

int
dir_op_seen(struct lsn_dir *d, const uint8_t *op_id, size_t len, int *seen)
{
	struct lsn_q	*s;
	int		 rv;

	if ((rv = dir_sql(d, SQL_OP_SEEN, &s)) != LSN_OK)
		return (rv);
	dir_bind_blob(s, 1, op_id, len);
	if ((rv = dir_step(d, s, "op_seen")) != LSN_ROW && rv != LSN_OK)
		return (rv);
	*seen = rv == LSN_ROW;
	lsn_q_reset(s);
	return (LSN_OK);
}

/* ---- state digest ---- */

static const char SQL_DG_PARTNERS[] =
    "SELECT id, official, short_name, local_name, kind, country, status, "
    "version, created_ms, updated_ms FROM dir_partner ORDER BY id";
static const char SQL_DG_KEYS[] =
    "SELECT partner, key_id, purpose, public_key, valid_from_ms, "
    "valid_until_ms, revoked_at_ms FROM dir_key ORDER BY partner, key_id";
static const char SQL_DG_UNITS[] =
    "SELECT partner, unit_id, name, hours, fallback_unit FROM dir_unit "
    "ORDER BY partner, unit_id";
static const char SQL_DG_CONTACTS[] =
    "SELECT partner, contact_id, name, role, unit_id, email, phone, "
    "is_24x7, languages, time_zone, verified_at_ms, updated_ms "
    "FROM dir_contact ORDER BY partner, contact_id";
static const char SQL_DG_GROUPS[] =
    "SELECT name, description, version FROM dir_group ORDER BY name";
static const char SQL_DG_MEMBERS[] =
    "SELECT grp, partner FROM dir_member ORDER BY grp, partner";

/*
 * Hashes every row of one query: a section tag, then per row a marker and
 * each column, skipping the columns whose bit is set in skip. Then the row
 * count. types has one letter per column, as the schema declares it: 'i'
 * (an integer, hashed as u64), 't' (text) or 'b' (a blob; both hashed
 * length-prefixed). A NULL (never stored) hashes as "".
 */
static int
digest_table(struct lsn_dir *d, crypto_generichash_state *h, const char *tag,
    const char *sql, const char *types, unsigned skip)
{
	struct lsn_q	*s;
	const uint8_t	*b;
	uint64_t	 rows = 0;
	size_t		 n;
	int		 rv, ncol = (int) strlen(types);

	if ((rv = dir_sql(d, sql, &s)) != LSN_OK)
		return (rv);
	dir_hash_str(h, tag);
	while ((rv = dir_step(d, s, "digest")) == LSN_ROW) {
		dir_hash_u64(h, 0x524f57);	/* "ROW" */
		for (int i = 0; i < ncol; i++) {
			if (i < 32 && (skip & (1u << i)))
				continue;
			if (lsn_q_col_null(s, i))
				dir_hash_str(h, "");
			else if (types[i] == 'i')
				dir_hash_u64(h, dir_col_u64(s, i));
			else if (types[i] == 't')
				dir_hash_str(h, dir_col_text(s, i));
			else {
				b = dir_col_blob(s, i, &n);
				dir_hash_bytes(h, b, b == NULL ? 0 : n);
			}
		}
		rows++;
	}
	if (rv != LSN_OK)
		return (rv);
	lsn_q_reset(s);
	dir_hash_u64(h, rows);
	return (LSN_OK);
}

static int
digest(struct lsn_dir *d, int content, uint8_t out[LSN_DIR_HASH_BYTES])
{
	crypto_generichash_state	 h;
	Liaison__V1__RootPolicy		*root = NULL;
	uint8_t				 rh[LSN_DIR_HASH_BYTES];
	int				 rv;

	if ((rv = dir_root_load(d, &root)) != LSN_OK)
		return (rv);
	crypto_generichash_init(&h, NULL, 0, LSN_DIR_HASH_BYTES);
	dir_hash_str(&h, content ? "liaison/dir-content/v1" :
	    "liaison/dir-state/v1");
	if (root != NULL) {
		lsn_dir_policy_hash(root, rh);
		dir_hash_bytes(&h, rh, sizeof(rh));
		liaison__v1__root_policy__free_unpacked(root, NULL);
	} else
		dir_hash_str(&h, "");
	/* content: skip partner version/created/updated (cols 7-9), contact
	 * updated_ms (col 11), group version (col 2). */
	if ((rv = digest_table(d, &h, "partners", SQL_DG_PARTNERS,
	    "ttttitiiii", content ? (1u << 7) | (1u << 8) | (1u << 9) : 0)) !=
	    LSN_OK ||
	    (rv = digest_table(d, &h, "keys", SQL_DG_KEYS, "ttibiii", 0)) !=
	    LSN_OK ||
	    (rv = digest_table(d, &h, "units", SQL_DG_UNITS, "ttttt", 0)) !=
	    LSN_OK ||
	    (rv = digest_table(d, &h, "contacts", SQL_DG_CONTACTS,
	    "tttttttittii", content ? (1u << 11) : 0)) != LSN_OK ||
	    (rv = digest_table(d, &h, "groups", SQL_DG_GROUPS, "tti",
	    content ? (1u << 2) : 0)) != LSN_OK ||
	    (rv = digest_table(d, &h, "members", SQL_DG_MEMBERS, "tt", 0)) !=
	    LSN_OK)
		return (rv);
	crypto_generichash_final(&h, out, LSN_DIR_HASH_BYTES);
	return (LSN_OK);
}

int
lsn_dir_digest(struct lsn_dir *d, uint8_t out[LSN_DIR_HASH_BYTES])
{
	return (digest(d, 0, out));
}

int
lsn_dir_content_digest(struct lsn_dir *d, uint8_t out[LSN_DIR_HASH_BYTES])
{
	return (digest(d, 1, out));
}
