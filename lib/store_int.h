/*
 * store_int.h -- internals shared by store.c, store_stmt.c and store_file.c
 * (not part of the library's interface).
 */
#ifndef LIAISON_STORE_INT_H
#define LIAISON_STORE_INT_H

#include <stddef.h>

#include <sqlite3.h>

#define STORE_CACHE_MIN		32	/* initial slots; a power of two */
#define STORE_ERR_MAX		320	/* a composed error message */

/* A statement of query.h: the sqlite one, or the PostgreSQL backend's. */
struct lsn_q {
	struct lsn_store	*st;
	sqlite3_stmt		*stmt;	/* sqlite backend */
};

struct stmt_slot {
	const char	*sql;		/* key: address of the caller's text */
	sqlite3_stmt	*stmt;
	struct lsn_q	*q;		/* query.h's wrapper, made on demand */
};

struct lsn_store {
	sqlite3			*db;
	struct stmt_slot	*slots;	/* open addressing, linear probing */
	size_t			 nslots;	/* 0 or a power of two */
	size_t			 nused;
	int			 in_tx;
	int			 flags;
	int			 indoubt; /* a COMMIT failed at sync */
	char			 errbuf[STORE_ERR_MAX];	/* errmsg's answer */
	char			 lasterr[STORE_ERR_MAX]; /* last failure */
};

/* The cache's slot for sql, preparing it if new (store_stmt.c). */
int	store_slot(struct lsn_store *st, const char *sql,
	    struct stmt_slot **out);

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

#endif
