/*
 * store_int.h -- internals shared by store.c and store_file.c (not part of
 * the library's interface).
 */
#ifndef LIAISON_STORE_INT_H
#define LIAISON_STORE_INT_H

#include <stddef.h>

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
