/*
 * audit.h -- the broker's hash-chained audit log.
 *
 * One table, `audit`, appended to in the broker's transactions:
 *   id INTEGER PRIMARY KEY (1, 2, ... without gaps), time_ms, kind
 *   ('envelope', 'dirop', 'authfail', 'expired', 'quarantined'), subject
 *   (a message id in hex, a partner id, a CURVE key id, ...), detail (one
 *   line, never a message body), data_hash (32 bytes or NULL: the envelope
 *   hash, the op hash), prev_hash (the previous entry's entry_hash; 32 zero
 *   bytes for id 1) and
 *     entry_hash = BLAKE2b-256(prev_hash || u64be(id) || u64be(time_ms) ||
 *                  str(kind) || str(subject) || str(detail) || bin(data_hash))
 *   where str(s) = u32be(len) || bytes and bin(h) = u32be(len) || bytes
 *   (len 0 for NULL).
 * Changing, removing or inserting any row breaks the chain from that row
 * on; lsn_audit_verify() names the first bad id. (Cutting rows off the end
 * is only visible against a copy of an earlier head.)
 *
 * Functions return LSN_OK or a negative LSN_E*; out-params are written on
 * success only. Not thread-safe (the store's connection).
 */
#ifndef LIAISON_AUDIT_H
#define LIAISON_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "liaison/err.h"
#include "liaison/store.h"

#define LSN_AUDIT_HASH_BYTES	32
#define LSN_AUDIT_TEXT_MAX	1024	/* subject / detail bytes kept */

/* SQL creating the audit table; daemons concatenate it into a migration. */
#define LSN_AUDIT_SCHEMA_V1						\
	"CREATE TABLE audit ("						\
	" id INTEGER PRIMARY KEY,"					\
	" time_ms INTEGER NOT NULL,"					\
	" kind TEXT NOT NULL,"						\
	" subject TEXT NOT NULL,"					\
	" detail TEXT NOT NULL,"					\
	" data_hash BLOB,"						\
	" prev_hash BLOB NOT NULL,"					\
	" entry_hash BLOB NOT NULL);"

/* Entry kinds. */
#define LSN_AUDIT_ENVELOPE	"envelope"
#define LSN_AUDIT_DIROP		"dirop"
#define LSN_AUDIT_AUTHFAIL	"authfail"
#define LSN_AUDIT_EXPIRED	"expired"
#define LSN_AUDIT_QUARANTINED	"quarantined"

/*
 * Computes an entry hash (see above). data_hash may be NULL. subject and
 * detail must not be NULL.
 */
void	lsn_audit_entry_hash(const uint8_t prev[LSN_AUDIT_HASH_BYTES],
	    uint64_t id, uint64_t time_ms, const char *kind,
	    const char *subject, const char *detail, const uint8_t *data_hash,
	    uint8_t out[LSN_AUDIT_HASH_BYTES]);

/*
 * Appends one entry in st (inside the caller's transaction, if any).
 * subject and detail are truncated to LSN_AUDIT_TEXT_MAX bytes (at a
 * UTF-8 boundary is not guaranteed: pass ASCII). data_hash may be NULL.
 * *id_out (may be NULL) receives the new id. LSN_EDB, LSN_EINVAL.
 */
int	lsn_audit_append(struct lsn_store *st, uint64_t time_ms,
	    const char *kind, const char *subject, const char *detail,
	    const uint8_t *data_hash, uint64_t *id_out) LSN_MUST_CHECK;

struct lsn_audit_result {
	uint64_t	count;		/* entries checked */
	uint64_t	last_id;	/* id of the last good entry */
	uint8_t		head[LSN_AUDIT_HASH_BYTES];	/* its entry hash */
	uint64_t	bad_id;		/* first bad entry, 0 = none */
	char		why[128];	/* what was wrong with it */
};

/*
 * Recomputes the whole chain of the database db (borrowed; a plain
 * sqlite3 handle so read-only tools can use it). LSN_OK when every entry
 * is intact; LSN_ECHAIN with res->bad_id and res->why when an id is
 * missing or out of order, a prev_hash does not link, or an entry hash
 * does not match its fields; LSN_EDB (no audit table, sqlite error).
 * res is filled in every case.
 */
int	lsn_audit_verify(sqlite3 *db, struct lsn_audit_result *res)
	    LSN_MUST_CHECK;

#endif /* LIAISON_AUDIT_H */
