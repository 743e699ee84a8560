/*
 * store_err.c -- the store's error texts: sqlite's last error with its
 * extended code and errno (store_describe, store_int.h) and
 * lsn_store_errmsg (include/liaison/store.h) on either backend.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "liaison/query.h"
#include "liaison/store.h"

#include "store_int.h"

/* Extended result codes a storage fault produces, by name. */
static const struct {
	int		 code;
	const char	*name;
} store_codes[] = {
	{ SQLITE_FULL,			"SQLITE_FULL" },
	{ SQLITE_IOERR,			"SQLITE_IOERR" },
	{ SQLITE_IOERR_READ,		"SQLITE_IOERR_READ" },
	{ SQLITE_IOERR_SHORT_READ,	"SQLITE_IOERR_SHORT_READ" },
	{ SQLITE_IOERR_WRITE,		"SQLITE_IOERR_WRITE" },
	{ SQLITE_IOERR_FSYNC,		"SQLITE_IOERR_FSYNC" },
	{ SQLITE_IOERR_DIR_FSYNC,	"SQLITE_IOERR_DIR_FSYNC" },
	{ SQLITE_IOERR_TRUNCATE,	"SQLITE_IOERR_TRUNCATE" },
	{ SQLITE_IOERR_FSTAT,		"SQLITE_IOERR_FSTAT" },
	{ SQLITE_IOERR_DELETE,		"SQLITE_IOERR_DELETE" },
	{ SQLITE_IOERR_LOCK,		"SQLITE_IOERR_LOCK" },
	{ SQLITE_IOERR_SHMOPEN,		"SQLITE_IOERR_SHMOPEN" },
	{ SQLITE_IOERR_SHMSIZE,		"SQLITE_IOERR_SHMSIZE" },
	{ SQLITE_IOERR_SHMMAP,		"SQLITE_IOERR_SHMMAP" },
	{ SQLITE_IOERR_NOMEM,		"SQLITE_IOERR_NOMEM" },
	{ SQLITE_READONLY,		"SQLITE_READONLY" },
	{ SQLITE_READONLY_RECOVERY,	"SQLITE_READONLY_RECOVERY" },
	{ SQLITE_READONLY_CANTINIT,	"SQLITE_READONLY_CANTINIT" },
	{ SQLITE_READONLY_ROLLBACK,	"SQLITE_READONLY_ROLLBACK" },
	{ SQLITE_READONLY_DBMOVED,	"SQLITE_READONLY_DBMOVED" },
	{ SQLITE_READONLY_DIRECTORY,	"SQLITE_READONLY_DIRECTORY" },
	{ SQLITE_CANTOPEN,		"SQLITE_CANTOPEN" },
	{ SQLITE_CORRUPT,		"SQLITE_CORRUPT" },
	{ SQLITE_NOTADB,		"SQLITE_NOTADB" },
	{ SQLITE_BUSY,			"SQLITE_BUSY" },
	{ SQLITE_LOCKED,		"SQLITE_LOCKED" },
	{ SQLITE_NOMEM,			"SQLITE_NOMEM" },
	{ SQLITE_PERM,			"SQLITE_PERM" },
	{ SQLITE_CONSTRAINT,		"SQLITE_CONSTRAINT" },
	{ SQLITE_ERROR,			"SQLITE_ERROR" },
};

/*
 * The connection's last error in words a reader can act on: sqlite's
 * message, the extended code and, for I/O failures, the errno of the
 * failed system call ("database or disk is full (SQLITE_FULL, errno 28:
 * No space left on device)"). Call it right after the failed sqlite call:
 * sqlite records the errno only for some failures (not for a failed
 * COMMIT), so errno itself is the fallback (successful system calls
 * leave it alone).
 */
void
store_describe(struct lsn_store *st, char *buf, size_t bufsz)
{
	const char	*name = NULL;
	char		 num[32];
	int		 ext, prim, e, sys = errno;

	ext = sqlite3_extended_errcode(st->db);
	prim = ext & 0xff;
	for (size_t i = 0; i < sizeof(store_codes) / sizeof(store_codes[0]);
	    i++)
		if (store_codes[i].code == ext)
			name = store_codes[i].name;
	if (name == NULL) {
		snprintf(num, sizeof(num), "sqlite code %d", ext);
		name = num;
	}
	if ((e = sqlite3_system_errno(st->db)) == 0)
		e = sys;
	if (e != 0 && (prim == SQLITE_IOERR || prim == SQLITE_FULL ||
	    prim == SQLITE_CANTOPEN || prim == SQLITE_READONLY))
		snprintf(buf, bufsz, "%s (%s, errno %d: %s)",
		    sqlite3_errmsg(st->db), name, e, strerror(e));
	else
		snprintf(buf, bufsz, "%s (%s)", sqlite3_errmsg(st->db), name);
}

const char *
lsn_store_errmsg(struct lsn_store *st)
{
	int	rc;

	if (st->backend == LSN_BACKEND_PG)
		return (pg_errmsg(st));
	rc = sqlite3_errcode(st->db);

	if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_describe(st, st->errbuf, sizeof(st->errbuf));
		return (st->errbuf);
	}
	/* The failure was already rolled back (COMMIT): its cause. */
	if (st->lasterr[0] != '\0')
		return (st->lasterr);
	return (sqlite3_errmsg(st->db));
}
