/*
 * snap.h -- a text snapshot handed from a daemon's main loop to another
 * thread (the HTTP listener).
 *
 * The main loop owns all state (sqlite handles included); a reader thread
 * must never touch it. Instead the reader asks for a fresh copy
 * (lsn_snap_fetch sets a "wanted" flag and waits a bounded time), the
 * main loop sees lsn_snap_wanted() on its next turn, renders the text
 * from its own state and publishes it (lsn_snap_publish copies it under
 * the mutex). If the main loop is busy the reader gets the previous copy
 * after the wait, so a reader never blocks the main loop and the main
 * loop never waits for a reader.
 *
 * Thread-safety: every function is safe from any thread.
 */
#ifndef LIAISON_SNAP_H
#define LIAISON_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"

struct lsn_snap;

/* *out caller-owned (lsn_snap_destroy). LSN_ENOMEM. */
int	lsn_snap_new(struct lsn_snap **out) LSN_MUST_CHECK;
/* NULL-safe; sets *sp = NULL. No reader may be inside lsn_snap_fetch. */
void	lsn_snap_destroy(struct lsn_snap **sp);

/*
 * Reader: asks for a copy newer than the one held, waits up to wait_ms
 * for it, and returns a malloc'd copy (NUL-terminated; *len without the
 * NUL) of the newest text. LSN_ETIMEDOUT if nothing was ever published,
 * LSN_ENOMEM. *stale is set to 1 when the copy is the older one.
 */
int	lsn_snap_fetch(struct lsn_snap *s, int wait_ms, char **buf,
	    size_t *len, int *stale) LSN_MUST_CHECK;

/* Owner: 1 if a reader is waiting for a fresh copy. */
int	lsn_snap_wanted(struct lsn_snap *s);

/* Owner: publishes a copy of buf (len bytes) and wakes the readers.
 * LSN_ENOMEM (the old copy stays). */
int	lsn_snap_publish(struct lsn_snap *s, const char *buf, size_t len);

#endif /* LIAISON_SNAP_H */
