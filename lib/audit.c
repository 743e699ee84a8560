/* audit.c -- the hash-chained audit log (see include/liaison/audit.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"
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

	lsn_be32(b, (uint32_t) len);
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

/*
 * The entry this thread appended last, valid in the transaction that
 * wrote it only: the store's BEGIN takes the writers' lock (store.h), so
 * within it nobody else appends and the chain's head is the entry
 * appended last. Saves the SELECT per entry (a round trip) when a
 * broker turn appends many. PostgreSQL only: there every savepoint
 * rollback goes through lsn_store_exec, which renews the transaction's
 * serial; the agent's sqlite savepoints do not.
 */
static _Thread_local struct {
	const struct lsn_store	*st;
	uint64_t		 tx;		/* lsn_store_tx_serial */
	uint64_t		 id;
	uint8_t			 hash[LSN_AUDIT_HASH_BYTES];
} audit_tail;

/* id and entry hash of the last entry into *id, prev (none: 0, zeros). */
static int
audit_last(struct lsn_store *st, uint64_t *id,
    uint8_t prev[LSN_AUDIT_HASH_BYTES])
{
	static const char sql_last[] =
	    "SELECT id, entry_hash FROM audit ORDER BY id DESC LIMIT 1";
	struct lsn_q	*q;
	const void	*p;
	size_t		 n;
	uint64_t	 tx = lsn_store_tx_serial(st);
	int		 rv;

	if (tx != 0 && audit_tail.st == st && audit_tail.tx == tx &&
	    lsn_store_backend(st) == LSN_BACKEND_PG) {
		*id = audit_tail.id;
		memcpy(prev, audit_tail.hash, LSN_AUDIT_HASH_BYTES);
		return (LSN_OK);
	}
	*id = 0;
	memset(prev, 0, LSN_AUDIT_HASH_BYTES);
	if ((rv = lsn_store_q(st, sql_last, &q)) != LSN_OK)
		return (rv == LSN_ENOMEM ? rv : LSN_EDB);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		p = lsn_q_col_blob(q, 1, &n);
		if (n != LSN_AUDIT_HASH_BYTES || p == NULL) {
			log_warnx("audit: last entry has a bad hash");
			lsn_q_reset(q);
			return (LSN_EDB);
		}
		*id = (uint64_t) lsn_q_col_i64(q, 0);
		memcpy(prev, p, LSN_AUDIT_HASH_BYTES);
	} else if (rv != LSN_OK) {
		log_warnx("audit: %s", lsn_store_errmsg(st));
		lsn_q_reset(q);
		return (rv == LSN_ECLOSED ? rv : LSN_EDB);
	}
	lsn_q_reset(q);
	return (LSN_OK);
}

int
lsn_audit_append(struct lsn_store *st, uint64_t time_ms, const char *kind,
    const char *subject, const char *detail, const uint8_t *data_hash,
    uint64_t *id_out)
{
	static const char sql_ins[] =
	    "INSERT INTO audit(id, time_ms, kind, subject, detail, data_hash,"
	    " prev_hash, entry_hash) VALUES(?, ?, ?, ?, ?, ?, ?, ?)";
	struct lsn_q	*q;
	uint8_t		 prev[LSN_AUDIT_HASH_BYTES];
	uint8_t		 eh[LSN_AUDIT_HASH_BYTES];
	char		 sb[LSN_AUDIT_TEXT_MAX + 1], db[LSN_AUDIT_TEXT_MAX + 1];
	uint64_t	 id;
	int		 rv;

	if (st == NULL || kind == NULL || subject == NULL || detail == NULL)
		return (LSN_EINVAL);
	subject = clip(subject, sb, sizeof(sb));
	detail = clip(detail, db, sizeof(db));
	if ((rv = audit_last(st, &id, prev)) != LSN_OK)
		return (rv);
	id++;
	lsn_audit_entry_hash(prev, id, time_ms, kind, subject, detail,
	    data_hash, eh);
	if ((rv = lsn_store_q(st, sql_ins, &q)) != LSN_OK)
		return (rv == LSN_ENOMEM ? rv : LSN_EDB);
	lsn_q_i64(q, 1, (int64_t) id);
	lsn_q_i64(q, 2, (int64_t) time_ms);
	lsn_q_text(q, 3, kind);
	lsn_q_text(q, 4, subject);
	lsn_q_text(q, 5, detail);
	if (data_hash != NULL)
		lsn_q_blob(q, 6, data_hash, LSN_AUDIT_HASH_BYTES);
	else
		lsn_q_null(q, 6);
	lsn_q_blob(q, 7, prev, sizeof(prev));
	lsn_q_blob(q, 8, eh, sizeof(eh));
	rv = lsn_q_exec(q);	/* PostgreSQL: pipelined (query.h) */
	lsn_q_reset(q);
	if (rv != LSN_OK) {
		audit_tail.tx = 0;
		log_warnx("audit: insert: %s", lsn_store_errmsg(st));
		return (rv == LSN_ECLOSED ? rv : LSN_EDB);
	}
	if ((audit_tail.tx = lsn_store_tx_serial(st)) != 0) {
		audit_tail.st = st;
		audit_tail.id = id;
		memcpy(audit_tail.hash, eh, sizeof(eh));
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
lsn_audit_verify(struct lsn_store *st, struct lsn_audit_result *res)
{
	static const char sql[] =
	    "SELECT id, time_ms, kind, subject, detail, data_hash, prev_hash,"
	    " entry_hash FROM audit ORDER BY id";
	struct lsn_q	*s;
	uint8_t		 prev[LSN_AUDIT_HASH_BYTES] = { 0 };
	uint8_t		 eh[LSN_AUDIT_HASH_BYTES];
	uint64_t	 expect = 1;
	int		 rc, rv = LSN_OK;

	memset(res, 0, sizeof(*res));
	if (lsn_store_q(st, sql, &s) != LSN_OK) {
		lsn_strlcpy(res->why, lsn_store_errmsg(st), sizeof(res->why));
		return (LSN_EDB);
	}
	while ((rc = lsn_q_step(s)) == LSN_ROW) {
		int64_t		 id = lsn_q_col_i64(s, 0);
		int64_t		 t = lsn_q_col_i64(s, 1);
		const char	*kind = lsn_q_col_text(s, 2);
		const char	*subj = lsn_q_col_text(s, 3);
		const char	*det = lsn_q_col_text(s, 4);
		size_t		 dhlen, phlen, hhlen;
		const uint8_t	*dh = lsn_q_col_blob(s, 5, &dhlen);
		const uint8_t	*ph = lsn_q_col_blob(s, 6, &phlen);
		const uint8_t	*hh = lsn_q_col_blob(s, 7, &hhlen);
		int		 dhnull = lsn_q_col_null(s, 5);

		if (id <= 0 || (uint64_t) id != expect) {
			rv = bad(res, id <= 0 ? expect : (uint64_t) id,
			    "entry missing or out of order");
			goto out;
		}
		if (kind == NULL || subj == NULL || det == NULL || t < 0 ||
		    (!dhnull && (dh == NULL ||
		    dhlen != LSN_AUDIT_HASH_BYTES))) {
			rv = bad(res, expect, "malformed entry");
			goto out;
		}
		if (dhnull)
			dh = NULL;
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
	if (rc != LSN_OK) {
		lsn_strlcpy(res->why, lsn_store_errmsg(st), sizeof(res->why));
		rv = rc == LSN_ECLOSED ? rc : LSN_EDB;
	}
 out:
	lsn_q_reset(s);
	return (rv);
}
