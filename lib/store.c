/*
 * store.c -- sqlite3 helpers: open in WAL mode, forward migrations tracked in
 * PRAGMA user_version and explicit transactions; the statement cache is in
 * store_stmt.c, error texts in store_err.c. A postgresql:// path goes to
 * the PostgreSQL backend (store_pg.c): the public functions here dispatch
 * on st->backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdatomic.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"

#include "store_int.h"

/* lsn_store_tx_serial: transactions begun in this process */
static _Atomic uint64_t	store_tx_serial;

#define STORE_BUSY_MS		5000
#define STORE_CHECK_ROWS	8	/* quick_check problems logged */

/* Checks a migration table; on success *maxp is the highest version. */
static int
migs_check(const struct lsn_migration *migs, int *maxp)
{
	int	n = 0;

	if (migs == NULL)
		return (LSN_EINVAL);
	for (; migs[n].sql != NULL; n++) {
		/* to must be n + 1: starts at 1, consecutive, no gaps */
		if (n == INT_MAX || migs[n].to != n + 1)
			return (LSN_EINVAL);
	}
	*maxp = n;
	return (LSN_OK);
}

/* Logs the connection's last error after what; remembers it. */
static void
store_warn(struct lsn_store *st, const char *what)
{
	store_describe(st, st->lasterr, sizeof(st->lasterr));
	log_warnx("store: %s: %s", what, st->lasterr);
}

/* Runs a statement returning one integer column (pragmas). */
static int
query_int(struct lsn_store *st, const char *sql, int *out)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rv = LSN_EDB;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(stmt) != SQLITE_ROW)
		goto out;
	*out = sqlite3_column_int(stmt, 0);
	rv = LSN_OK;
 out:
	if (rv != LSN_OK)
		store_warn(st, sql);
	sqlite3_finalize(stmt);
	return (rv);
}

/* Runs a statement returning one text column and compares it to want. */
static int
query_text_is(struct lsn_store *st, const char *sql, const char *want)
{
	sqlite3_stmt		*stmt = NULL;
	const unsigned char	*t;
	int			 rv = LSN_EDB;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_warn(st, sql);
		goto out;
	}
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		store_warn(st, sql);
		goto out;
	}
	t = sqlite3_column_text(stmt, 0);
	if (t == NULL || strcmp((const char *) t, want) != 0) {
		log_warnx("store: %s: got '%s', want '%s'", sql,
		    t == NULL ? "" : (const char *) t, want);
		goto out;
	}
	rv = LSN_OK;
 out:
	sqlite3_finalize(stmt);
	return (rv);
}

static int
exec_sql(struct lsn_store *st, const char *sql, const char *what)
{
	char	*msg = NULL;

	errno = 0;	/* see store_describe */
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int	saved = errno;

		sqlite3_free(msg);	/* the same text as errmsg's */
		errno = saved;
		store_warn(st, what);
		return (LSN_EDB);
	}
	return (LSN_OK);
}

/*
 * PRAGMA quick_check: reads and checks every page of every b-tree (not
 * the agreement of indexes with their tables, integrity_check's extra
 * work). A database with problems is refused: using it would spread the
 * damage and could acknowledge what cannot be read back.
 */
static int
store_check(struct lsn_store *st, const char *path)
{
	sqlite3_stmt		*stmt = NULL;
	const unsigned char	*t;
	int			 rc, prim, nbad = 0, rv = LSN_EDB;

	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check(8)", -1, &stmt,
	    NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		t = sqlite3_column_text(stmt, 0);
		if (t != NULL && strcmp((const char *) t, "ok") == 0)
			continue;
		if (nbad++ < STORE_CHECK_ROWS)
			log_warnx("store: %s: quick_check: %s", path,
			    t != NULL ? (const char *) t : "(null)");
	}
	if (rc != SQLITE_DONE)
		goto fail;
	if (nbad == 0)
		rv = LSN_OK;
	else
		log_warnx("store: database %s is corrupt (quick_check found "
		    "%d problem(s)); refusing to use it: restore it from a "
		    "backup", path, nbad);
	goto out;
 fail:
	store_describe(st, st->lasterr, sizeof(st->lasterr));
	prim = sqlite3_extended_errcode(st->db) & 0xff;
	if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
		log_warnx("store: database %s is corrupt: %s; refusing to use "
		    "it: restore it from a backup", path, st->lasterr);
	else
		log_warnx("store: database %s cannot be checked: %s", path,
		    st->lasterr);
 out:
	sqlite3_finalize(stmt);
	return (rv);
}

/*
 * Brings the schema to version max. Each step runs in its own BEGIN
 * IMMEDIATE transaction and re-reads user_version under the write lock, so
 * two processes opening the same new database cannot both run a step.
 */
static int
migrate(struct lsn_store *st, const struct lsn_migration *migs, int max)
{
	char	pragma[64];
	int	cur, to = 0, rv = LSN_OK;

	for (int i = 0; i < max; i++) {
		const struct lsn_migration *m = &migs[i];
		int n;

		to = m->to;
		rv = exec_sql(st, "BEGIN IMMEDIATE", "migrate");
		if (rv != LSN_OK)
			return (rv);
		rv = query_int(st, "PRAGMA user_version", &cur);
		if (rv != LSN_OK)
			goto fail;
		if (cur > max) {
			log_warnx("store: database version %d is newer than "
			    "this program's %d", cur, max);
			rv = LSN_EVERSION;
			goto fail;
		}
		if (cur >= m->to) {
			/* Already there (perhaps another process did it). */
			if ((rv = exec_sql(st, "COMMIT", "migrate")) != LSN_OK)
				goto fail;
			continue;
		}
		if ((rv = exec_sql(st, m->sql, "migration")) != LSN_OK)
			goto fail;
		/* Pragmas cannot take bound parameters: format an int. */
		n = snprintf(pragma, sizeof(pragma),
		    "PRAGMA user_version = %d", m->to);
		if (n < 0 || (size_t) n >= sizeof(pragma)) {
			rv = LSN_EINTERNAL;
			goto fail;
		}
		if ((rv = exec_sql(st, pragma, "migrate")) != LSN_OK)
			goto fail;
		if ((rv = exec_sql(st, "COMMIT", "migrate")) != LSN_OK)
			goto fail;
		log_debug("store: schema migrated to version %d", m->to);
	}
	return (LSN_OK);
 fail:
	if (!sqlite3_get_autocommit(st->db))
		(void) exec_sql(st, "ROLLBACK", "migrate");
	log_warnx("store: migration to version %d failed", to);
	return (rv);
}

/*
 * The store's own row: whether the owner closed the database cleanly (an
 * integrity check follows an unclean stop, not every start) and the
 * database's epoch, 16 random bytes chosen when it was created (a
 * database restored from a backup keeps its epoch; a new one has another).
 */
static const char SQL_STATE_TABLE[] =
    "CREATE TABLE IF NOT EXISTS lsn_store_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " clean INTEGER NOT NULL,"
    " epoch BLOB NOT NULL)";
static const char SQL_STATE_NEW[] =
    "INSERT OR REPLACE INTO lsn_store_state (id, clean, epoch) "
    "VALUES (1, 1, randomblob(16))";
static const char SQL_STATE_OPEN[] =
    "INSERT INTO lsn_store_state (id, clean, epoch) "
    "VALUES (1, 0, randomblob(16)) "
    "ON CONFLICT (id) DO UPDATE SET clean = 0";
/*
 * 1 when the database was closed cleanly by its owner; 0 when it was not,
 * when it predates the marker or when the marker cannot be read (the
 * check that follows says why).
 */
static int
store_was_clean(struct lsn_store *st)
{
	sqlite3_stmt	*stmt = NULL;
	int		 clean = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT clean FROM lsn_store_state "
	    "WHERE id = 1", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		clean = sqlite3_column_int(stmt, 0) == 1;
	sqlite3_finalize(stmt);
	return (clean);
}

/*
 * A database of another program: a foreign application id, or tables
 * without a schema version of ours. Ours carry LSN_STORE_APP_ID (older
 * ones 0 with a user_version of at least 1).
 */
static int
store_foreign_check(struct lsn_store *st, const char *path)
{
	int	appid, ver, nobj;

	if (query_int(st, "PRAGMA application_id", &appid) != LSN_OK ||
	    query_int(st, "PRAGMA user_version", &ver) != LSN_OK ||
	    query_int(st, "SELECT count(*) FROM sqlite_schema", &nobj) !=
	    LSN_OK)
		return (LSN_EDB);
	if ((uint32_t) appid == LSN_STORE_APP_ID ||
	    (appid == 0 && (ver > 0 || nobj == 0)))
		return (LSN_OK);
	log_warnx("store: database %s is another program's SQLite database "
	    "(application id %#x, schema version %d, %d objects); refusing "
	    "to use it: check the path in the configuration", path,
	    (unsigned int) appid, ver, nobj);
	return (LSN_EDB);
}

/* The store's row and application id, written after the migrations. */
static int
store_mark_open(struct lsn_store *st, int creating)
{
	char	pragma[64];
	int	rv;

	snprintf(pragma, sizeof(pragma), "PRAGMA application_id = %d",
	    (int) LSN_STORE_APP_ID);
	if ((rv = exec_sql(st, "BEGIN IMMEDIATE", "mark open")) != LSN_OK)
		return (rv);
	if ((rv = exec_sql(st, SQL_STATE_TABLE, "mark open")) != LSN_OK ||
	    (rv = exec_sql(st, pragma, "mark open")) != LSN_OK ||
	    (rv = exec_sql(st, creating ? SQL_STATE_NEW :
	    SQL_STATE_OPEN,
	    "mark open")) != LSN_OK ||
	    (rv = exec_sql(st, "COMMIT", "mark open")) != LSN_OK) {
		if (!sqlite3_get_autocommit(st->db))
			(void) exec_sql(st, "ROLLBACK", "mark open");
		return (rv);
	}
	return (LSN_OK);
}

/*
 * sqlite's error log: an I/O error or corruption seen at any time means
 * the next start checks the database, whatever the close said.
 */
static _Atomic int	store_io_failed;

static void
store_sqlite_log(void *arg, int code, const char *msg)
{
	(void) arg;
	if ((code & 0xff) == SQLITE_IOERR || (code & 0xff) == SQLITE_CORRUPT)
		atomic_store(&store_io_failed, 1);
	else if (code == SQLITE_NOTICE_RECOVER_WAL)
		log_info("store: %s", msg);
}

/*
 * Opens the connection on an existing (or, creating, new) file, checks
 * it after an unclean stop, sets the pragmas and migrates. Long: the
 * steps of an open in the order sqlite needs them.
 */
static int
store_connect(struct lsn_store *st, const char *path,
    const struct lsn_migration *migs, int max, int creating)
{
	const char	*sync;
	int		 flags = st->flags, ver, oflags, rc, rv = LSN_EDB;
	int		 unclean = 0;

	/* No per-call locking: a store is used by one thread at a time (its
	 * owner's loop; the checkpoint thread has its own connection), and
	 * sqlite's serialized mode cost the agents ~12 % of their
	 * instructions in mutex calls (docs/performance.md). */
	oflags = SQLITE_OPEN_NOMUTEX;
	if (flags & LSN_STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if ((rc = sqlite3_open_v2(path, &st->db, oflags, NULL)) != SQLITE_OK) {
		if (st->db != NULL) {
			store_describe(st, st->lasterr, sizeof(st->lasterr));
			log_warnx("store: open %s: %s", path,
			    st->lasterr);
		} else
			log_warnx("store: open %s: %s", path,
			    sqlite3_errstr(rc));
		goto out;
	}
	/* sqlite falls back to read-only when it cannot open for writing:
	 * every later write would fail. Say why now instead. */
	if (!(flags & LSN_STORE_READONLY) &&
	    sqlite3_db_readonly(st->db, "main") == 1) {
		log_warnx("store: database %s cannot be opened for writing "
		    "(read-only file, directory or file system); refusing to "
		    "use it read-only", path);
		rv = LSN_EPERM;
		goto out;
	}
	if (sqlite3_busy_timeout(st->db, STORE_BUSY_MS) != SQLITE_OK) {
		store_warn(st, "busy_timeout");
		goto out;
	}
	if (!creating && !store_was_clean(st)) {
		unclean = 1;
		log_info("store: database %s was not closed cleanly: checking "
		    "it", path);
		if ((rv = store_check(st, path)) != LSN_OK)
			goto out;
		rv = LSN_EDB;
	}
	if (!creating && (rv = store_foreign_check(st, path)) != LSN_OK)
		goto out;
	rv = LSN_EDB;
	if (!(flags & LSN_STORE_READONLY)) {
		/* WAL: readers do not block the writer. :memory: cannot. */
		const char *want = strcmp(path, ":memory:") == 0 ?
		    "memory" : "wal";

		if (query_text_is(st, "PRAGMA journal_mode = WAL", want) !=
		    LSN_OK)
			goto out;
	}
	if (exec_sql(st, "PRAGMA foreign_keys = ON", "foreign_keys") != LSN_OK)
		goto out;
	/* The pragma is a silent no-op in some builds: check it took. */
	if (query_int(st, "PRAGMA foreign_keys", &ver) != LSN_OK)
		goto out;
	if (ver != 1) {
		log_warnx("store: foreign keys unavailable");
		goto out;
	}
	/* FULL: a commit is durable when it returns (acks depend on it). */
	sync = (flags & LSN_STORE_NOSYNC) ? "PRAGMA synchronous = NORMAL" :
	    "PRAGMA synchronous = FULL";
	if (exec_sql(st, sync, "synchronous") != LSN_OK)
		goto out;
	/*
	 * After an unclean stop the log may hold transactions whose sync
	 * failed (lsn_store_in_doubt) or never ran: sqlite's recovery counts
	 * them as committed, so make them durable before anything is
	 * answered from them (a checkpoint syncs the log, then the file).
	 */
	if (unclean && !(flags & LSN_STORE_READONLY) && !(flags &
	    LSN_STORE_NOSYNC) && exec_sql(st, "PRAGMA wal_checkpoint(FULL)",
	    "checkpoint after an unclean stop") != LSN_OK) {
		log_warnx("store: database %s: cannot make what the recovery "
		    "found durable; refusing to start", path);
		goto out;
	}

	if (query_int(st, "PRAGMA user_version", &ver) != LSN_OK)
		goto out;
	if (ver < 0 || ver > max) {
		log_warnx("store: database version %d is newer than this "
		    "program's %d; refusing to open it", ver, max);
		rv = LSN_EVERSION;
		goto out;
	}
	if (!(flags & LSN_STORE_READONLY) && ver < max) {
		if ((rv = migrate(st, migs, max)) != LSN_OK)
			goto out;
	}
	if (!(flags & LSN_STORE_READONLY) &&
	    (rv = store_mark_open(st, creating)) != LSN_OK)
		goto out;
	rv = LSN_OK;
 out:
	return (rv);
}

/*
 * A new database is built under "<path>.new", closed (checkpointed,
 * synced) and renamed into place: a database file at path is always a
 * whole one, so an empty or truncated file there is damage, never a
 * database being created.
 */
static int
store_create(const char *path, const struct lsn_migration *migs, int max,
    int flags)
{
	struct lsn_store	*tmp = NULL;
	char			 np[PATH_MAX], aux[PATH_MAX];
	int			 rv;

	if ((rv = store_path_with(np, sizeof(np), path, ".new")) != LSN_OK) {
		log_warnx("store: database path %s too long", path);
		return (rv);
	}
	/* Leftovers of a creation that crashed. */
	(void) unlink(np);
	if (store_path_with(aux, sizeof(aux), np, "-wal") == LSN_OK)
		(void) unlink(aux);
	if (store_path_with(aux, sizeof(aux), np, "-shm") == LSN_OK)
		(void) unlink(aux);
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL)
		return (LSN_ENOMEM);
	tmp->flags = flags & ~LSN_STORE_OWNER;
	rv = store_connect(tmp, np, migs, max, 1);
	lsn_store_close(&tmp);	/* checkpoints, removes the log */
	if (rv != LSN_OK)
		goto out;
	rv = LSN_EIO;
	if (store_sync_file(np) != LSN_OK)
		goto out;
	if (rename(np, path) == -1) {
		log_warnx("store: rename %s to %s: %s", np, path,
		    strerror(errno));
		goto out;
	}
	if (store_sync_dir(path) != LSN_OK)
		goto out;
	log_info("store: created a new database %s", path);
	rv = LSN_OK;
 out:
	if (rv != LSN_OK)
		(void) unlink(np);
	return (rv);
}

int
store_is_pg(const char *path)
{
	return (strncmp(path, "postgresql://", 13) == 0 ||
	    strncmp(path, "postgres://", 11) == 0);
}

/* lsn_store_open of a PostgreSQL URI (store_pg.c). */
static int
store_open_pg(const char *uri, const struct lsn_migration *migs, int max,
    int flags, struct lsn_store **out)
{
	struct lsn_store	*st;
	int			 rv;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return (LSN_ENOMEM);
	st->flags = flags;
	if ((rv = pg_open(st, uri, migs, max)) != LSN_OK) {
		pg_close(st);
		free(st);
		return (rv);
	}
	*out = st;
	return (LSN_OK);
}

static void
sqlite_config_once(void)
{
	(void) sqlite3_config(SQLITE_CONFIG_LOG, store_sqlite_log, NULL);
	/* Nothing reads sqlite's memory statistics: without them an
	 * allocation takes no process-wide lock. */
	(void) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

void
store_sqlite_setup(void)
{
	static pthread_once_t	once = PTHREAD_ONCE_INIT;

	(void) pthread_once(&once, sqlite_config_once);
}

int
lsn_store_open(const char *path, const struct lsn_migration *migs,
    int flags, struct lsn_store **out)
{
	struct lsn_store	*st = NULL;
	enum store_file_state	 fstate;
	int			 max = 0, rv;

	if (path == NULL || out == NULL ||
	    (flags & ~(LSN_STORE_READONLY | LSN_STORE_NOSYNC |
	    LSN_STORE_OWNER | LSN_STORE_INIT)) != 0)
		return (LSN_EINVAL);
	if ((rv = migs_check(migs, &max)) != LSN_OK) {
		log_warnx("store: bad migration table");
		return (rv);
	}
	if (store_is_pg(path))
		return (store_open_pg(path, migs, max, flags, out));
	store_sqlite_setup();
	/* Before sqlite reads a byte of it: is it a database at all? */
	if ((rv = store_file_check(path, flags, &fstate)) != LSN_OK)
		return (rv);
	if (fstate == STORE_FILE_EMPTY_INIT)
		log_warnx("store: database %s is empty: creating a new "
		    "database in its place (--init)", path);
	if ((fstate == STORE_FILE_MISSING && !(flags & LSN_STORE_READONLY)) ||
	    fstate == STORE_FILE_EMPTY_INIT) {
		if ((rv = store_create(path, migs, max, flags)) != LSN_OK)
			return (rv);
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return (LSN_ENOMEM);
	st->backend = LSN_BACKEND_SQLITE;
	st->flags = flags;
	/* :memory: is always new: nothing to check. */
	rv = store_connect(st, path, migs, max, strcmp(path, ":memory:") ==
	    0);
	if (rv != LSN_OK) {
		/* close_v2 also after a failed open: it frees the handle. */
		(void) sqlite3_close_v2(st->db);
		free(st);
		return (rv);
	}
	/* Failures counted from here on (the owner is one per process). */
	if (flags & LSN_STORE_OWNER)
		atomic_store(&store_io_failed, 0);
	/* The owner's checkpoints run off its commits; if the thread
	 * cannot start, sqlite's auto-checkpoint stays (slower tail only). */
	if ((flags & LSN_STORE_OWNER) && !(flags & LSN_STORE_READONLY))
		(void) store_ckpt_start(st);
	*out = st;
	return (LSN_OK);
}

void
lsn_store_close(struct lsn_store **stp)
{
	struct lsn_store	*st;

	if (stp == NULL || (st = *stp) == NULL)
		return;
	*stp = NULL;
	if (st->backend == LSN_BACKEND_PG) {
		pg_close(st);
		free(st);
		return;
	}
	lsn_store_rollback(st);
	store_ckpt_stop(st);
	for (size_t i = 0; i < st->nslots; i++) {
		sqlite3_finalize(st->slots[i].stmt);
		free(st->slots[i].q);
	}
	free(st->slots);
	/* A clean close: the next start need not check the database. */
	if ((st->flags & LSN_STORE_OWNER) &&
	    !(st->flags & LSN_STORE_READONLY) &&
	    !atomic_load(&store_io_failed) && !st->indoubt &&
	    exec_sql(st, "UPDATE lsn_store_state SET clean = 1 WHERE id = 1",
	    "mark clean") != LSN_OK)
		log_warnx("store: the next start will check the database");
	if (sqlite3_close_v2(st->db) != SQLITE_OK)
		store_warn(st, "close");
	free(st);
}

sqlite3 *
lsn_store_db(struct lsn_store *st)
{
	return (st->db);	/* NULL on PostgreSQL */
}

int
lsn_store_version(struct lsn_store *st, int *version)
{
	int	v, rv;

	if (st->backend == LSN_BACKEND_PG)
		return (pg_version(st, version));
	if ((rv = query_int(st, "PRAGMA user_version", &v)) != LSN_OK)
		return (rv);
	*version = v;
	return (LSN_OK);
}

int
lsn_store_exec(struct lsn_store *st, const char *sql)
{
	/* ROLLBACK TO a savepoint: what was cached for this transaction
	 * may be undone (lsn_store_tx_serial) */
	if (st->in_tx && strncasecmp(sql, "ROLLBACK", 8) == 0)
		st->tx_serial = atomic_fetch_add(&store_tx_serial, 1) + 1;
	if (st->backend == LSN_BACKEND_PG)
		return (pg_exec(st, sql, "exec"));
	return (exec_sql(st, sql, "exec"));
}

int
lsn_store_begin(struct lsn_store *st)
{
	int	rv;

	if (st->in_tx) {
		log_warnx("store: begin: a transaction is already open");
		return (LSN_EINTERNAL);
	}
	if (st->backend == LSN_BACKEND_PG)
		rv = pg_begin(st);
	else
		rv = exec_sql(st, "BEGIN IMMEDIATE", "begin");
	if (rv != LSN_OK)
		return (rv);
	st->in_tx = 1;
	st->tx_serial = atomic_fetch_add(&store_tx_serial, 1) + 1;
	return (LSN_OK);
}

int
lsn_store_commit(struct lsn_store *st)
{
	int	rv;

	if (!st->in_tx) {
		log_warnx("store: commit: no transaction is open");
		return (LSN_EINTERNAL);
	}
	if (st->backend == LSN_BACKEND_PG) {
		rv = pg_commit(st);
		/* The server may have committed before the link broke
		 * (not when the COMMIT was never sent: store_pg.c). */
		if (rv == LSN_ECLOSED && st->pg_commit_sent) {
			st->indoubt = 1;
			log_warnx("store: commit: the connection was lost: the "
			    "outcome of this transaction is unknown");
		}
	} else
		rv = exec_sql(st, "COMMIT", "commit");
	if (st->backend != LSN_BACKEND_PG && rv != LSN_OK &&
	    (sqlite3_extended_errcode(st->db) == SQLITE_IOERR_FSYNC ||
	    sqlite3_extended_errcode(st->db) == SQLITE_IOERR_DIR_FSYNC)) {
		/*
		 * The log's frames were written, their sync failed: after a
		 * restart sqlite's recovery may find the transaction whole.
		 * Its outcome is unknown (lsn_store_in_doubt).
		 */
		st->indoubt = 1;
		log_warnx("store: commit: the sync failed after the write: "
		    "the outcome of this transaction is unknown until the "
		    "database is opened again");
	}
	if (rv == LSN_OK) {
		if (st->lasterr[0] != '\0')
			log_info("store: commits succeed again (last failure: "
			    "%s)", st->lasterr);
		st->lasterr[0] = '\0';
	} else {
		/*
		 * A failed COMMIT may leave the transaction open (BUSY):
		 * roll it back so the caller sees "nothing was stored".
		 */
		lsn_store_rollback(st);
	}
	st->in_tx = 0;
	return (rv);
}

int
lsn_store_in_doubt(const struct lsn_store *st)
{
	return (st != NULL && st->indoubt);
}

void
lsn_store_rollback(struct lsn_store *st)
{
	if (st == NULL)
		return;
	if (st->backend == LSN_BACKEND_PG) {
		pg_rollback(st);
		st->in_tx = 0;
		return;
	}
	/* sqlite may already have rolled back itself (e.g. SQLITE_FULL). */
	if (!sqlite3_get_autocommit(st->db))
		(void) exec_sql(st, "ROLLBACK", "rollback");
	st->in_tx = 0;
}

int
lsn_store_in_tx(const struct lsn_store *st)
{
	return (st->in_tx);
}

uint64_t
lsn_store_tx_serial(const struct lsn_store *st)
{
	return (st != NULL && st->in_tx ? st->tx_serial : 0);
}
