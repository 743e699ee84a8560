/*
 * store_ckpt.c -- the write-ahead log's checkpoint, run by the owning
 * daemon's loop between turns instead of inside the COMMIT that crossed
 * sqlite's auto-checkpoint threshold (lsn_store_checkpoint, store.h).
 *
 * For an owner's store, store_ckpt_init turns sqlite's auto-checkpoint
 * off and installs a WAL hook that keeps, after each commit, the number
 * of frames in the log; st->wal_done is what the last checkpoint copied
 * back. A checkpoint changes nothing of what a commit made durable: the
 * COMMIT's sync of the log (synchronous=FULL) is what acknowledges; a
 * checkpoint copies synced frames into the database file and syncs that
 * before it marks them copied, so a cut at any point leaves the log as
 * the authority and the recovery at the next open replays it.
 */
#include <sqlite3.h>

#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "store_int.h"

/* sqlite3_wal_hook: runs after each commit, outside its sync. */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
	struct lsn_store	*st = arg;

	(void) db;
	(void) name;
	/* Fewer frames than were copied: the log restarted from its head
	 * (everything was copied, no reader held the old frames). */
	if (nframes < st->wal_done)
		st->wal_done = 0;
	st->wal_frames = nframes;
	st->wal_commit_ms = lsn_mono_ms();
	return (SQLITE_OK);
}

int
store_ckpt_init(struct lsn_store *st)
{
	if (sqlite3_wal_autocheckpoint(st->db, 0) != SQLITE_OK)
		return (LSN_EDB);
	/* After wal_autocheckpoint: that one replaces the hook. */
	(void) sqlite3_wal_hook(st->db, store_wal_hook, st);
	st->wal_manual = 1;
	return (LSN_OK);
}

int
lsn_store_checkpoint(struct lsn_store *st, int mode)
{
	int	smode, nlog = 0, nckpt = 0, rc, rv = LSN_OK;

	if (st == NULL || st->backend == LSN_BACKEND_PG || st->in_tx ||
	    (st->flags & LSN_STORE_READONLY))
		goto out;
	switch (mode) {
	case LSN_STORE_CKPT_IDLE:
	case LSN_STORE_CKPT_BUSY:
		if (!st->wal_manual)
			goto out;	/* sqlite's own auto-checkpoint runs */
		if (st->wal_frames >= LSN_STORE_WAL_HARD)
			smode = SQLITE_CHECKPOINT_TRUNCATE;
		else if (st->wal_frames - st->wal_done >= LSN_STORE_WAL_SOFT ||
		    (mode == LSN_STORE_CKPT_IDLE &&
		    st->wal_frames > st->wal_done &&
		    lsn_mono_ms() - st->wal_commit_ms >= LSN_STORE_IDLE_MS))
			smode = SQLITE_CHECKPOINT_PASSIVE;
		else
			goto out;
		break;
	case LSN_STORE_CKPT_TRUNCATE:
		smode = SQLITE_CHECKPOINT_TRUNCATE;
		break;
	default:
		rv = LSN_EINVAL;
		goto out;
	}
	/* TRUNCATE would wait for readers up to the busy timeout: in a
	 * daemon's loop, try once and come back at the next call. */
	if (smode == SQLITE_CHECKPOINT_TRUNCATE)
		(void) sqlite3_busy_timeout(st->db, 0);
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, smode, &nlog, &nckpt);
	if (smode == SQLITE_CHECKPOINT_TRUNCATE)
		(void) sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	if (rc == SQLITE_BUSY)
		goto out;	/* readers or another checkpointer: later */
	if (rc != SQLITE_OK) {
		if (!st->ckpt_failed)
			log_warnx("store: checkpoint: %s (the log keeps what "
			    "was committed; retried later)",
			    lsn_store_errmsg(st));
		st->ckpt_failed = 1;
		rv = LSN_EDB;
		goto out;
	}
	if (st->ckpt_failed)
		log_info("store: checkpoints succeed again");
	st->ckpt_failed = 0;
	/* -1 -1: not in WAL mode (:memory:); 0 0 after a TRUNCATE */
	st->wal_frames = nlog > 0 ? nlog : 0;
	st->wal_done = nckpt > 0 ? nckpt : 0;
 out:
	return (rv);
}
