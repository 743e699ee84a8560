/*
 * thread.h -- the daemons' background threads (lib/filew.c): starting one
 * with the signals left to the loop's thread, and a file kept up to date
 * by a thread. Not part of the client library's interface.
 *
 * Ownership: lsn_filew_open returns a writer the caller closes with
 * lsn_filew_close; put copies its data.
 */
#ifndef LIAISON_THREAD_H
#define LIAISON_THREAD_H

#include <pthread.h>
#include <stddef.h>

#include "liaison/err.h"

/*
 * pthread_create with every signal blocked in the new thread, so that a
 * daemon's signals reach its loop's thread (and interrupt its poll).
 * Returns pthread_create's result (0 on success).
 */
int	lsn_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

/*
 * A file kept up to date by a thread (lib/filew.c), so that a daemon's
 * loop does not wait for the syncs of lsn_file_write_atomic. put copies
 * data as the file's newest contents (replacing any not yet written) and
 * returns the last write's result (LSN_OK, or its error, logged once by
 * the thread). close writes what is pending, joins the thread, frees the
 * writer and returns the last write's result. The writer is used by one
 * thread at a time.
 */
struct lsn_filew;
int	lsn_filew_open(const char *path, unsigned mode,
	    struct lsn_filew **out) LSN_MUST_CHECK;
int	lsn_filew_put(struct lsn_filew *w, const void *data, size_t len);
int	lsn_filew_close(struct lsn_filew **wp);

#endif
