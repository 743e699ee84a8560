/*
 * store.h -- the database store shared by the broker, the agent and the
 * CLI: sqlite3 (a file; the default) or PostgreSQL (a libpq connection
 * URI; the broker's highly available store, see "PostgreSQL" below).
 *
 * lsn_store_open() opens (or creates) a database in WAL mode with a busy
 * timeout, foreign keys on and synchronous=FULL (a commit is durable when it
 * returns), then brings the schema up to date by running the caller's
 * migrations in order inside one transaction each, tracking the version in
 * PRAGMA user_version. A database whose user_version is newer than the
 * highest migration known is refused (LSN_EVERSION): never downgrade.
 *
 * Statements: lsn_store_stmt() returns a prepared statement cached by the
 * address of its SQL text (pass string literals / static const strings), reset
 * and with bindings cleared, ready to bind. The store owns it; do not
 * finalize it. All SQL with data goes through sqlite3_bind_*.
 *
 * Transactions: lsn_store_begin / commit / rollback (BEGIN IMMEDIATE).
 * Nested use is an error (LSN_EINTERNAL).
 *
 * Creation: a missing file becomes a new database, built under
 * "<path>.new" and renamed into place once whole, so the file at path is
 * never a half-created database. An empty (0-byte) file is refused unless
 * LSN_STORE_INIT is given (the daemons' --init), which creates a new
 * database in its place; a non-empty file is never replaced.
 *
 * Checks at open (a file, not ":memory:"): an existing file must carry a
 * valid SQLite header, be as long as the header says (when no write-ahead
 * log holds newer pages) and not be another program's database
 * (application id, schema version); an empty, truncated, foreign or
 * corrupt file is refused (LSN_EDB, logged with the file's name and what
 * to do), never used. PRAGMA quick_check runs only when the database was
 * not closed cleanly by its owner (a marker in the table lsn_store_state,
 * cleared at every owner's open and set by lsn_store_close unless sqlite
 * reported an I/O error or corruption meanwhile), or predates the marker. A database that can only be opened read-only (file,
 * directory or file system read-only) is refused for a read-write open
 * (LSN_EPERM) instead of failing at the first write.
 *
 * Errors are logged with their cause: sqlite's message, the extended code
 * and, for I/O failures, the errno ("database or disk is full
 * (SQLITE_FULL, errno 28: No space left on device)"). After a failed
 * COMMIT nothing of the transaction is stored (it is rolled back).
 *
 * One struct lsn_store owns one connection and its cached statements; it is
 * not thread-safe (use one per thread).
 *
 * PostgreSQL: a path starting with "postgresql://" or "postgres://" is a
 * libpq connection URI (several hosts and target_session_attrs=read-write
 * for a Patroni cluster; connect_timeout defaults to 10 s, TCP
 * keepalives to 30 s idle + 3 x 10 s and tcp_user_timeout to 60 s, so a
 * vanished primary is noticed within about a minute). No password
 * belongs in it: libpq reads PGPASSFILE or ~/.pgpass. The store's tables
 * live in the connection's current schema (search_path), beside a table
 * lsn_schema whose one row marks a Liaison database (LSN_STORE_APP_ID),
 * holds the schema version and the database's epoch. Differences:
 *  - Open refuses: an unreachable server (LSN_EDB), a refused login
 *    (wrong password, pg_hba: LSN_EPERM), a read-only server (a standby,
 *    default_transaction_read_only) for a read-write open (LSN_EPERM), a
 *    database with tables but no marker (another program's: LSN_EDB; an
 *    empty database becomes a new store), a newer schema (LSN_EVERSION),
 *    a migration table without pg_sql (LSN_ECONFIG). Log lines name the
 *    host, port, database and user, never the password.
 *  - Migrations: one transaction per step, under the store's lock below.
 *  - lsn_store_begin is BEGIN (READ COMMITTED) plus the transaction-level
 *    advisory lock (LSN_STORE_APP_ID, 1): writers run one at a time as
 *    with sqlite's BEGIN IMMEDIATE, so read-then-write code written for
 *    sqlite stays correct. A commit is as durable as the server's
 *    synchronous_commit (and, under Patroni's synchronous_mode_strict,
 *    replicated to a synchronous standby) says; LSN_STORE_NOSYNC sets
 *    synchronous_commit = off for the session. A connection lost during
 *    COMMIT (LSN_ECLOSED) leaves the outcome unknown.
 *  - query.h statements are prepared at their first lsn_q_step, with
 *    the parameter types of that use (int8, bytea, text; NULL lets the
 *    server choose): an SQL error shows at the step, not at lsn_store_q.
 *    Texts must be valid UTF-8 (the server checks; sqlite does not).
 *  - A statement that fails inside a transaction aborts it (PostgreSQL
 *    semantics): after any error, only lsn_store_rollback helps. Use
 *    INSERT ... ON CONFLICT DO NOTHING and lsn_store_changes rather than
 *    catching LSN_EEXIST inside a transaction.
 *  - LSN_STORE_OWNER and LSN_STORE_INIT have no effect (the server does
 *    its own crash recovery); LSN_STORE_READONLY sets the session
 *    read-only and never migrates.
 */
#ifndef LIAISON_STORE_H
#define LIAISON_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "liaison/err.h"

struct lsn_store;

/*
 * A migration: SQL run to go from version (to - 1) to `to`. The array given
 * to lsn_store_open is ordered by `to`, starting at 1, without gaps, and
 * ends with an entry whose sql is NULL. pg_sql is the same step for
 * PostgreSQL (BIGINT for INTEGER, BYTEA for BLOB, plpgsql triggers; may
 * hold several statements); NULL when the schema does not exist on
 * PostgreSQL: opening such a store on a postgresql:// URI is refused
 * (LSN_ECONFIG). Use designated or three-field initializers.
 */
struct lsn_migration {
	int		 to;
	const char	*sql;
	const char	*pg_sql;
};

/* Flags for lsn_store_open. */
#define LSN_STORE_READONLY	0x01	/* open read-only, do not migrate */
#define LSN_STORE_NOSYNC	0x02	/* synchronous=NORMAL (tests, benches) */
#define LSN_STORE_OWNER		0x04	/* the daemon owning the file: keeps
					 * the clean-shutdown marker */
#define LSN_STORE_INIT		0x08	/* an empty file may become a new
					 * database (--init) */

/* PRAGMA application_id of Liaison's databases ("LSN1"). */
#define LSN_STORE_APP_ID	0x4c534e31u

/*
 * Opens path (":memory:" allowed) and migrates it. On success *out is a new
 * store the caller closes with lsn_store_close(). Errors: LSN_EDB (open,
 * pragma or migration failure, or a corrupt database; logged with the
 * cause), LSN_EPERM (cannot be opened for writing), LSN_EIO (the header
 * cannot be read), LSN_EVERSION (database from the future), LSN_EINVAL
 * (bad migration table).
 */
int	lsn_store_open(const char *path, const struct lsn_migration *migs,
	    int flags, struct lsn_store **out) LSN_MUST_CHECK;

/* 1 when path is a PostgreSQL connection URI (postgresql://, postgres://). */
int	lsn_store_is_uri(const char *path);

/*
 * For configuration checks: LSN_OK when path is not a URI, or is a URI
 * libpq can parse that holds no password; else LSN_ECONFIG with the
 * reason in why (never the URI's text).
 */
int	lsn_store_uri_check(const char *path, char *why, size_t whylen);

/* Finalizes cached statements and closes; accepts NULL; sets *stp = NULL. */
void	lsn_store_close(struct lsn_store **stp);

/*
 * The underlying sqlite connection (borrowed, valid until close); NULL on
 * PostgreSQL: code that may run there uses query.h instead.
 */
sqlite3	*lsn_store_db(struct lsn_store *st);

/* The schema version: PRAGMA user_version, lsn_schema.version on PG. */
int	lsn_store_version(struct lsn_store *st, int *version) LSN_MUST_CHECK;

/* Runs SQL without parameters (schema, pragmas). */
int	lsn_store_exec(struct lsn_store *st, const char *sql) LSN_MUST_CHECK;

/*
 * Returns in *out the cached, reset statement for sql (see above).
 * LSN_EDB if preparing fails. The statement is borrowed.
 */
int	lsn_store_stmt(struct lsn_store *st, const char *sql,
	    sqlite3_stmt **out) LSN_MUST_CHECK;

int	lsn_store_begin(struct lsn_store *st) LSN_MUST_CHECK;
int	lsn_store_commit(struct lsn_store *st) LSN_MUST_CHECK;
/* Rolls back if a transaction is open; safe to call on any path. */
void	lsn_store_rollback(struct lsn_store *st);
/* 1 if a transaction is open. */
int	lsn_store_in_tx(const struct lsn_store *st);
/*
 * A number that names the open transaction, unique in this process
 * (0: none open). For caches valid for one transaction only. A ROLLBACK
 * TO run with lsn_store_exec gives the transaction a new number; one run
 * otherwise (lsn_store_stmt, the agent's savepoints) does not.
 */
uint64_t lsn_store_tx_serial(const struct lsn_store *st);

/*
 * 1 once a COMMIT of st failed at the sync after its log frames were
 * written (SQLITE_IOERR_FSYNC): that transaction may be found whole by
 * the recovery at the next open, so its outcome is unknown, and what the
 * kernel kept of earlier writes is unknown too. The caller must answer
 * "outcome unknown" (LSN_EINDOUBT), never "not stored", and stop: the
 * next open decides (docs/reliability.md, "Nth-operation I/O sweep").
 * Stays set for the life of st.
 */
int	lsn_store_in_doubt(const struct lsn_store *st);

/*
 * The connection's last error with its cause (see above); after a failed
 * lsn_store_commit, that failure's. Borrowed, valid until the next call.
 */
const char *lsn_store_errmsg(struct lsn_store *st);

#endif /* LIAISON_STORE_H */
