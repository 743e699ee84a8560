/* audit.c -- the hash-chained audit log (see include/liaison/audit.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/util.h"

static void
h_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t	b[8];

	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t) (v & 0xff);
		v >>= 8;
	}
	crypto_generichash_update(h, b, sizeof(b));
}

static void
h_bytes(crypto_generichash_state *h, const void *p, size_t len)
{
	uint8_t	b[4];

	b[0] = (uint8_t) (len >> 24);
	b[1] = (uint8_t) (len >> 16);
	b[2] = (uint8_t) (len >> 8);
	b[3] = (uint8_t) len;
	crypto_generichash_update(h, b, sizeof(b));
	if (len > 0)
		crypto_generichash_update(h, p, len);
}

void
lsn_audit_entry_hash(const uint8_t prev[LSN_AUDIT_HASH_BYTES], uint64_t id,
    uint64_t time_ms, const char *kind, const char *subject,
    const char *detail, const uint8_t *data_hash,
    uint8_t out[LSN_AUDIT_HASH_BYTES])
{
	crypto_generichash_state	h;

	crypto_generichash_init(&h, NULL, 0, LSN_AUDIT_HASH_BYTES);
	crypto_generichash_update(&h, prev, LSN_AUDIT_HASH_BYTES);
	h_u64(&h, id);
	h_u64(&h, time_ms);
	h_bytes(&h, kind, strlen(kind));
	h_bytes(&h, subject, strlen(subject));
	h_bytes(&h, detail, strlen(detail));
	h_bytes(&h, data_hash, data_hash != NULL ? LSN_AUDIT_HASH_BYTES : 0);
	crypto_generichash_final(&h, out, LSN_AUDIT_HASH_BYTES);
}

static const char *
clip(const char *s, char *buf, size_t bufsz)
{
	if (strlen(s) < bufsz)
		return (s);
	lsn_strlcpy(buf, s, bufsz);
	return (buf);
}

int
lsn_audit_append(struct lsn_store *st, uint64_t time_ms, const char *kind,
    const char *subject, const char *detail, const uint8_t *data_hash,
    uint64_t *id_out)
{
	static const char sql_last[] =
	    "SELECT id, entry_hash FROM audit ORDER BY id DESC LIMIT 1";
	static const char sql_ins[] =
	    "INSERT INTO audit(id, time_ms, kind, subject, detail, data_hash,"
	    " prev_hash, entry_hash) VALUES(?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt	*s;
	uint8_t		 prev[LSN_AUDIT_HASH_BYTES] = { 0 };
	uint8_t		 eh[LSN_AUDIT_HASH_BYTES];
	char		 sb[LSN_AUDIT_TEXT_MAX + 1], db[LSN_AUDIT_TEXT_MAX + 1];
	uint64_t	 id = 1;
	int		 rc;

	if (st == NULL || kind == NULL || subject == NULL || detail == NULL)
		return (LSN_EINVAL);
	subject = clip(subject, sb, sizeof(sb));
	detail = clip(detail, db, sizeof(db));
	if (lsn_store_stmt(st, sql_last, &s) != LSN_OK)
		return (LSN_EDB);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void	*p = sqlite3_column_blob(s, 1);

		if (sqlite3_column_bytes(s, 1) != LSN_AUDIT_HASH_BYTES ||
		    p == NULL) {
			log_warnx("audit: last entry has a bad hash");
			sqlite3_reset(s);
			return (LSN_EDB);
		}
		id = (uint64_t) sqlite3_column_int64(s, 0) + 1;
		memcpy(prev, p, sizeof(prev));
	} else if (rc != SQLITE_DONE) {
		log_warnx("audit: %s", lsn_store_errmsg(st));
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	sqlite3_reset(s);
	lsn_audit_entry_hash(prev, id, time_ms, kind, subject, detail,
	    data_hash, eh);
	if (lsn_store_stmt(st, sql_ins, &s) != LSN_OK)
		return (LSN_EDB);
	sqlite3_bind_int64(s, 1, (sqlite3_int64) id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64) time_ms);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, detail, -1, SQLITE_STATIC);
	if (data_hash != NULL)
		sqlite3_bind_blob(s, 6, data_hash, LSN_AUDIT_HASH_BYTES,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_blob(s, 7, prev, sizeof(prev), SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, eh, sizeof(eh), SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warnx("audit: insert: %s", lsn_store_errmsg(st));
		return (LSN_EDB);
	}
	if (id_out != NULL)
		*id_out = id;
	return (LSN_OK);
}

static int
bad(struct lsn_audit_result *res, uint64_t id, const char *why)
{
	res->bad_id = id;
	lsn_strlcpy(res->why, why, sizeof(res->why));
	return (LSN_ECHAIN);
}

int
lsn_audit_verify(sqlite3 *db, struct lsn_audit_result *res)
{
	static const char sql[] =
	    "SELECT id, time_ms, kind, subject, detail, data_hash, prev_hash,"
	    " entry_hash FROM audit ORDER BY id";
	sqlite3_stmt	*s = NULL;
	uint8_t		 prev[LSN_AUDIT_HASH_BYTES] = { 0 };
	uint8_t		 eh[LSN_AUDIT_HASH_BYTES];
	uint64_t	 expect = 1;
	int		 rc, rv = LSN_OK;

	memset(res, 0, sizeof(*res));
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		lsn_strlcpy(res->why, sqlite3_errmsg(db), sizeof(res->why));
		sqlite3_finalize(s);
		return (LSN_EDB);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_int64	 id = sqlite3_column_int64(s, 0);
		sqlite3_int64	 t = sqlite3_column_int64(s, 1);
		const char	*kind = (const char *)
				    sqlite3_column_text(s, 2);
		const char	*subj = (const char *)
				    sqlite3_column_text(s, 3);
		const char	*det = (const char *) sqlite3_column_text(s, 4);
		const uint8_t	*dh = sqlite3_column_blob(s, 5);
		int		 dhlen = sqlite3_column_bytes(s, 5);
		const uint8_t	*ph = sqlite3_column_blob(s, 6);
		int		 phlen = sqlite3_column_bytes(s, 6);
		const uint8_t	*hh = sqlite3_column_blob(s, 7);
		int		 hhlen = sqlite3_column_bytes(s, 7);

		if (id <= 0 || (uint64_t) id != expect) {
			rv = bad(res, id <= 0 ? expect : (uint64_t) id,
			    "entry missing or out of order");
			goto out;
		}
		if (kind == NULL || subj == NULL || det == NULL || t < 0 ||
		    (dh != NULL && dhlen != LSN_AUDIT_HASH_BYTES) ||
		    (dh == NULL && sqlite3_column_type(s, 5) != SQLITE_NULL)) {
			rv = bad(res, expect, "malformed entry");
			goto out;
		}
		if (ph == NULL || phlen != LSN_AUDIT_HASH_BYTES ||
		    sodium_memcmp(ph, prev, sizeof(prev)) != 0) {
			rv = bad(res, expect, "prev_hash does not link");
			goto out;
		}
		lsn_audit_entry_hash(prev, expect, (uint64_t) t, kind, subj,
		    det, dh, eh);
		if (hh == NULL || hhlen != LSN_AUDIT_HASH_BYTES ||
		    sodium_memcmp(hh, eh, sizeof(eh)) != 0) {
			rv = bad(res, expect, "entry hash does not match");
			goto out;
		}
		memcpy(prev, eh, sizeof(prev));
		res->count++;
		res->last_id = expect;
		memcpy(res->head, eh, sizeof(eh));
		expect++;
	}
	if (rc != SQLITE_DONE) {
		lsn_strlcpy(res->why, sqlite3_errmsg(db), sizeof(res->why));
		rv = LSN_EDB;
	}
 out:
	sqlite3_finalize(s);
	return (rv);
}
