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
 * on; lsn_audit_verify() names the first bad id. Cutting rows off the end,
 * or rewriting a row and every row after it, keeps the chain intact: that
 * is caught against the signed head file the broker writes beside the
 * database (lsn_audit_head_*, lib/audit_head.c; docs/threat-model.md).
 *
 * Functions return LSN_OK or a negative LSN_E*; out-params are written on
 * success only. Not thread-safe (the store's connection).
 */
#ifndef LIAISON_AUDIT_H
#define LIAISON_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"
#include "liaison/keys.h"
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

/*
 * The same on PostgreSQL (lsn_migration.pg_sql); texts compare and sort
 * bytewise (COLLATE "C") as on sqlite.
 */
#define LSN_AUDIT_SCHEMA_PG_V1						\
	"CREATE TABLE audit ("						\
	" id BIGINT PRIMARY KEY,"					\
	" time_ms BIGINT NOT NULL,"					\
	" kind TEXT COLLATE \"C\" NOT NULL,"				\
	" subject TEXT COLLATE \"C\" NOT NULL,"				\
	" detail TEXT COLLATE \"C\" NOT NULL,"				\
	" data_hash BYTEA,"						\
	" prev_hash BYTEA NOT NULL,"					\
	" entry_hash BYTEA NOT NULL);"

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
 * Recomputes the whole chain of the store st (borrowed; either backend, a
 * read-only store too). LSN_OK when every entry
 * is intact; LSN_ECHAIN with res->bad_id and res->why when an id is
 * missing or out of order, a prev_hash does not link, or an entry hash
 * does not match its fields; LSN_EDB (no audit table, database error),
 * LSN_ECLOSED (the connection to the server is lost).
 * res is filled in every case.
 */
int	lsn_audit_verify(struct lsn_store *st, struct lsn_audit_result *res)
	    LSN_MUST_CHECK;

/* ---- the signed head (lib/audit_head.c) ---- */

/*
 * The head of the chain: entries 1..count exist and entry `count` has
 * entry hash `hash` (zeros for count 0), signed at time_ms by the key
 * key_id (the broker's sign key, role LSN_SIG_AUDIT_HEAD). File format,
 * one "name value" per line, the signature over every byte before the
 * "signature" line:
 *   liaison-audit-head v1
 *   count <decimal>
 *   hash <64 hex>
 *   time-ms <decimal>
 *   key-id <16 hex>
 *   signature <128 hex>
 */
struct lsn_audit_head {
	uint64_t	count;
	uint8_t		hash[LSN_AUDIT_HASH_BYTES];
	uint64_t	time_ms;
	char		key_id[17];
};

#define LSN_AUDIT_HEAD_MAX	512	/* bytes of a head file */

/*
 * The table's current head (count = last id, its entry hash; count 0 for
 * an empty table). time_ms and key_id are zeroed. The chain is not
 * verified. LSN_EDB, LSN_ECLOSED.
 */
int	lsn_audit_head_current(struct lsn_store *st, struct lsn_audit_head *h)
	    LSN_MUST_CHECK;

/*
 * The head file's contents for h, signed with kp (a LSN_KEY_SIGN pair;
 * h's key_id is taken from it), into buf (LSN_AUDIT_HEAD_MAX bytes are
 * enough); *lenp its length. LSN_EINVAL.
 */
int	lsn_audit_head_format(const struct lsn_audit_head *h,
	    const struct lsn_keypair *kp, char *buf, size_t bufsz,
	    size_t *lenp) LSN_MUST_CHECK;

/*
 * Signs h (its key_id is taken from kp, a LSN_KEY_SIGN pair) and writes
 * it atomically to path with mode 0600. LSN_EINVAL, LSN_EIO.
 */
int	lsn_audit_head_save(const char *path, const struct lsn_audit_head *h,
	    const struct lsn_keypair *kp) LSN_MUST_CHECK;

/*
 * Reads the head file at path and verifies its signature with pk (the
 * broker's sign public key). *out written on success. LSN_ENOENT (no
 * file), LSN_EIO, LSN_EPROTO (malformed), LSN_EBADSIG (signature or key
 * id does not match pk).
 */
int	lsn_audit_head_load(const char *path, const uint8_t pk[32],
	    struct lsn_audit_head *out) LSN_MUST_CHECK;

/*
 * Checks the table in st against a verified head h: the table must hold
 * at least h->count entries and entry h->count must have h->hash. Checks
 * only that entry: run lsn_audit_verify() first for the chain itself.
 * LSN_OK; LSN_ECHAIN with res->bad_id and res->why ("truncated: ...",
 * "rewritten: ..."); LSN_EDB, LSN_ECLOSED. Only bad_id and why of res
 * are written.
 */
int	lsn_audit_head_check(struct lsn_store *st,
	    const struct lsn_audit_head *h,
	    struct lsn_audit_result *res) LSN_MUST_CHECK;

#endif /* LIAISON_AUDIT_H */
