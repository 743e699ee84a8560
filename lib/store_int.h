/*
 * store_int.h -- internals shared by store.c, store_stmt.c, store_file.c
 * and metrics_vfs.c
 * (not part of the library's interface).
 */
#ifndef LIAISON_STORE_INT_H
#define LIAISON_STORE_INT_H

#include <stddef.h>

#include <stdint.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#define STORE_CACHE_MIN		32	/* initial slots; a power of two */
#define STORE_ERR_MAX		320	/* a composed error message */

struct lsn_migration;

/* A bound parameter of a PostgreSQL statement (store_pg_q.c). */
struct pgq_param {
	Oid		 type;	/* 0 (NULL/unbound), INT8, BYTEA or TEXT */
	const char	*p;	/* borrowed blob or text */
	int		 len;
	int64_t		 i;
};

/* A statement of query.h: the sqlite one, or the PostgreSQL backend's. */
struct lsn_q {
	struct lsn_store	*st;
	sqlite3_stmt		*stmt;	/* sqlite backend */
	/* PostgreSQL backend (store_pg_q.c) */
	const char		*sql;	/* the caller's text (logs) */
	char			*pgsql;	/* with $1..$n; NULL until prepared */
	unsigned int		 id;	/* statement name "lsn_q<id>" */
	int			 prepared; /* on this connection */
	int			 nparams;
	struct pgq_param	*par;	/* nparams */
	Oid			*ptypes; /* the server's parameter types */
	PGresult		*res;	/* rows of the current use */
	int			 row;	/* current row, -1 before the first */
	char			 tbuf[48]; /* a number read as text */
};

struct stmt_slot {
	const char	*sql;		/* key: address of the caller's text */
	sqlite3_stmt	*stmt;
	struct lsn_q	*q;		/* query.h's wrapper, made on demand */
};

struct lsn_store {
	int			 backend;	/* LSN_BACKEND_* (query.h) */
	sqlite3			*db;		/* sqlite backend */
	PGconn			*pg;		/* PostgreSQL backend */
	unsigned int		 pg_nq;		/* statements prepared */
	int64_t			 pg_changes;	/* rows of the last DML */
	/* lsn_q_exec inside a transaction: libpq pipeline mode */
	int			 pg_pipe;	/* in pipeline mode */
	int			 pg_pending;	/* statements sent, unread */
	int			 pg_deferr;	/* a sent one failed: sticky
						 * until the rollback */
	int			 pg_commit_sent; /* the last pg_commit sent
						  * its COMMIT */
	struct stmt_slot	*slots;	/* open addressing, linear probing */
	size_t			 nslots;	/* 0 or a power of two */
	size_t			 nused;
	int			 in_tx;
	uint64_t		 tx_serial;	/* lsn_store_tx_serial */
	int			 flags;
	int			 indoubt; /* a COMMIT failed at sync */
	struct store_ckpt	*ckpt;	/* the owner's checkpoint thread */
	char			 errbuf[STORE_ERR_MAX];	/* errmsg's answer */
	char			 lasterr[STORE_ERR_MAX]; /* last failure */
};

/* The cache's slot for sql, preparing it if new (store_stmt.c). */
int	store_slot(struct lsn_store *st, const char *sql,
	    struct stmt_slot **out);

/* The cache's slot for sql or NULL; a new empty slot for sql. */
struct stmt_slot *store_slot_lookup(struct lsn_store *st, const char *sql);
int	store_slot_add(struct lsn_store *st, const char *sql,
	    struct stmt_slot **out);

/*
 * The owner's checkpoint thread (store_ckpt.c): turns sqlite's
 * auto-checkpoint off and copies the log back from a thread with its own
 * connection. LSN_OK also for :memory: (nothing to do); on failure the
 * auto-checkpoint stays on. store_ckpt_stop joins and frees it
 * (idempotent).
 */
struct store_ckpt;
int	store_ckpt_start(struct lsn_store *st);
void	store_ckpt_stop(struct lsn_store *st);

/* 1 when path is a PostgreSQL connection URI. */
int	store_is_pg(const char *path);

/* ---- the PostgreSQL backend (store_pg.c, store_pg_q.c) ---- */

/* Connects st (calloc'd, flags set) to uri and migrates (store.h). */
int	pg_open(struct lsn_store *st, const char *uri,
	    const struct lsn_migration *migs, int max);
void	pg_close(struct lsn_store *st);
int	pg_exec(struct lsn_store *st, const char *sql, const char *what);
int	pg_version(struct lsn_store *st, int *version);
int	pg_begin(struct lsn_store *st);
int	pg_commit(struct lsn_store *st);
void	pg_rollback(struct lsn_store *st);
const char *pg_errmsg(struct lsn_store *st);

/*
 * The lsn_err of a failed call whose result is res (may be NULL): see
 * query.h; with what, logs it (server text and SQLSTATE only) and keeps
 * it in st->lasterr. LSN_EEXIST is never logged.
 */
int	pg_fail(struct lsn_store *st, const PGresult *res, const char *what);

/* query.h on PostgreSQL. */
int	pgq_get(struct lsn_store *st, const char *sql, struct lsn_q **out);
void	pgq_bind(struct lsn_q *q, int i, Oid type, const void *p, size_t n,
	    int64_t v);
int	pgq_step(struct lsn_q *q);
int	pgq_exec(struct lsn_q *q);
/*
 * Reads the results of the statements lsn_q_exec sent and leaves
 * pipeline mode. LSN_OK, or the error that fails the transaction (also
 * when an earlier sync found it): every synchronous call on the
 * connection (pg_exec, pg_commit, statements) makes it first.
 */
int	pgq_sync(struct lsn_store *st);
int64_t	pgq_col_i64(struct lsn_q *q, int c);
const void *pgq_col_blob(struct lsn_q *q, int c, size_t *n);
const char *pgq_col_text(struct lsn_q *q, int c);
int	pgq_col_null(struct lsn_q *q, int c);
void	pgq_reset(struct lsn_q *q);
void	pgq_free(struct lsn_q *q);

/* sqlite's last error of st, with its code, into buf (store.c). */
void	store_describe(struct lsn_store *st, char *buf, size_t bufsz);

/* What store_file_check found at the database's path. */
enum store_file_state {
	STORE_FILE_MISSING,	/* no file: a new database may be created */
	STORE_FILE_EMPTY_INIT,	/* 0 bytes and LSN_STORE_INIT: recreate it */
	STORE_FILE_DATABASE,	/* a plausible SQLite database: open it */
	STORE_FILE_MEMORY	/* :memory: or a URI: sqlite decides */
};

/*
 * Checks the file at path before sqlite reads a byte of it: a missing
 * file, or (with LSN_STORE_INIT in flags) an empty one, may become a new
 * database; an empty, truncated or foreign file is refused (LSN_EDB) with
 * a log line naming the file and what to do; an unreadable one LSN_EIO.
 */
int	store_file_check(const char *path, int flags,
	    enum store_file_state *state);

/* 1 for a real file name (not :memory:, "" or a file: URI). */
int	store_is_file(const char *path);

/* "<path><suffix>" into buf; LSN_ETOOBIG if it does not fit. */
int	store_path_with(char *buf, size_t bufsz, const char *path,
	    const char *suffix);

/* fsync of the directory holding path (a rename or unlink in it lasts). */
int	store_sync_dir(const char *path);

/* fsync of the file at path. */
int	store_sync_file(const char *path);

/*
 * The process's sqlite settings (error log, no memory statistics), once;
 * before anything initialises sqlite: the first open, or the fsync-timing
 * VFS's install (metrics_vfs.c), whichever comes first.
 */
void	store_sqlite_setup(void);

#endif
