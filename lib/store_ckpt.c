/*
 * store_ckpt.c -- the write-ahead log's checkpoint, off the owner's
 * commit path: a thread with its own connection copies the log back
 * into the database file (store_int.h: store_ckpt_start/_stop).
 *
 * sqlite's auto-checkpoint runs inside the COMMIT that crosses its
 * threshold: that turn then waits for ~1,000 pages to be written and the
 * database file to be synced, and every message behind it with it (the
 * p99 of docs/performance.md). An owner's store turns it off and
 * installs a WAL hook (it runs in the committing thread after each
 * commit, outside its sync) that tells the thread how long the log is;
 * the thread runs PASSIVE checkpoints, which never block the writer.
 *
 * Durability is unchanged: the COMMIT's sync of the log
 * (synchronous=FULL) is what acknowledges; a checkpoint copies only
 * committed frames and syncs the database file before it marks them
 * copied, so a cut at any point leaves the log as the authority and the
 * next open replays it. A failed checkpoint is logged and retried; the
 * frames stay in the log (sqlite's error log marks the store for a check
 * at the next start, store.c).
 *
 * Restart: the log goes back to its head only when a write transaction
 * begins with every frame copied, which never happens while commits keep
 * coming during the thread's checkpoints. Past CKPT_RESTART frames, once
 * the thread has copied all but a few, the committing thread copies the
 * rest itself (a few hundred frames at most, instead of the ~1,000 of
 * sqlite's auto-checkpoint) so that its next transaction restarts the
 * log (past twice that, up to 1,000 frames: big turns). The log file is
 * cut back to CKPT_WAL_LIMIT bytes when it restarts. Bound: past
 * CKPT_HARD frames (the thread cannot keep up, or a reader kept the log
 * from restarting) the committing thread runs a PASSIVE checkpoint
 * itself, as sqlite's auto-checkpoint would.
 *
 * Ownership: st->ckpt and its connection belong to the store;
 * store_ckpt_stop (lsn_store_close) joins the thread and frees both.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>

#include "liaison/log.h"
#include "liaison/thread.h"
#include "liaison/store.h"

#include "store_int.h"

#define CKPT_SOFT	1000	/* frames: sqlite's own default threshold */
#define CKPT_RESTART	2000	/* frames: let the log restart (below) */
#define CKPT_HARD	8000	/* frames: the committer checkpoints itself */
#define CKPT_WAL_LIMIT	"8388608" /* bytes the log file keeps on a restart */
#define CKPT_IDLE_MS	1000	/* no commit for this long: copy the rest */

struct store_ckpt {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	sqlite3		*db;		/* the thread's own connection */
	int		 frames;	/* the log's length after the last commit */
	int		 done;		/* frames the last checkpoint copied */
	int		 hard_at;	/* frames at the committer's last one */
	uint64_t	 commits;	/* commits seen by the hook */
	int		 stop;
	int		 failed;	/* the last checkpoint failed (logged) */
};

/* sqlite3_wal_hook: runs in the committing thread after each commit. */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
	struct store_ckpt	*c = arg;
	int			 wake, hard;

	(void) name;
	pthread_mutex_lock(&c->mu);
	/* Fewer frames than were copied: the log restarted from its head. */
	if (nframes < c->done)
		c->done = 0;
	if (nframes < c->hard_at)
		c->hard_at = 0;
	c->frames = nframes;
	c->commits++;
	wake = nframes - c->done >= CKPT_SOFT;
	/* The restart's copy: a few frames at light load; under heavy load
	 * (big turns) up to the auto-checkpoint's 1,000 once the log is
	 * twice its usual length. */
	hard = (nframes >= CKPT_HARD && nframes - c->hard_at >= CKPT_SOFT) ||
	    (nframes >= CKPT_RESTART && c->done > 0 &&
	    (nframes - c->done < CKPT_SOFT / 4 ||
	    (nframes >= 2 * CKPT_RESTART && nframes - c->done < CKPT_SOFT)));
	if (hard)
		c->hard_at = nframes;
	pthread_mutex_unlock(&c->mu);
	if (wake)
		pthread_cond_signal(&c->cv);
	if (hard)
		(void) sqlite3_wal_checkpoint_v2(db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return (SQLITE_OK);
}

/* Waits (c->mu held) until there is a checkpoint to run; 0 to stop. */
static int
ckpt_wait(struct store_ckpt *c)
{
	struct timespec	ts;
	uint64_t	seen;

	for (;;) {
		if (c->stop)
			return (0);
		if (c->frames - c->done >= CKPT_SOFT && !c->failed)
			return (1);
		/* Idle (or after a failure): look again in a while. */
		seen = c->commits;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += CKPT_IDLE_MS / 1000;
		if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT &&
		    !c->stop && c->frames > c->done && c->commits == seen)
			return (1);	/* idle with frames left: copy them */
		if (c->failed && c->commits != seen)
			c->failed = 0;	/* retry with the next commits */
	}
}

static void *
ckpt_main(void *arg)
{
	struct store_ckpt	*c = arg;
	int			 nlog, nckpt, rc;

	pthread_mutex_lock(&c->mu);
	while (ckpt_wait(c)) {
		pthread_mutex_unlock(&c->mu);
		nlog = nckpt = 0;
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
		pthread_mutex_lock(&c->mu);
		if (rc == SQLITE_OK || rc == SQLITE_BUSY) {
			if (c->failed)
				log_info("store: checkpoints succeed again");
			c->failed = 0;
			/* A log restarted meanwhile is shorter: keep 0. */
			if (nckpt > c->done && nckpt <= c->frames)
				c->done = nckpt;
			if (rc == SQLITE_BUSY || nckpt < nlog)
				c->failed = 1;	/* a reader: wait, not spin */
		} else {
			if (!c->failed)
				log_warnx("store: checkpoint: %s (the log "
				    "keeps what was committed; retried)",
				    sqlite3_errmsg(c->db));
			c->failed = 1;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return (NULL);
}

int
store_ckpt_start(struct lsn_store *st)
{
	struct store_ckpt	*c;
	const char		*path;
	int			 rv = LSN_EDB;

	path = sqlite3_db_filename(st->db, "main");
	if (path == NULL || path[0] == '\0')
		return (LSN_OK);	/* :memory: or temporary: no log */
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (LSN_ENOMEM);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK || sqlite3_exec(c->db, (st->flags & LSN_STORE_NOSYNC) ?
	    "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", NULL,
	    NULL, NULL) != SQLITE_OK) {
		log_warnx("store: checkpoint connection: %s",
		    c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory");
		goto out;
	}
	if (lsn_thread_start(&c->th, ckpt_main, c) != 0) {
		log_warnx("store: cannot start the checkpoint thread");
		rv = LSN_EINTERNAL;
		goto out;
	}
	/* A log that grew under load is cut back when it restarts. */
	(void) sqlite3_exec(st->db, "PRAGMA journal_size_limit = "
	    CKPT_WAL_LIMIT, NULL, NULL, NULL);
	/* wal_autocheckpoint installs its own hook: turn it off first. */
	(void) sqlite3_wal_autocheckpoint(st->db, 0);
	(void) sqlite3_wal_hook(st->db, ckpt_hook, c);
	st->ckpt = c;
	rv = LSN_OK;
 out:
	if (rv != LSN_OK) {
		(void) sqlite3_close_v2(c->db);
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		free(c);
	}
	return (rv);
}

void
store_ckpt_stop(struct lsn_store *st)
{
	struct store_ckpt	*c = st->ckpt;

	if (c == NULL)
		return;
	st->ckpt = NULL;
	(void) sqlite3_wal_hook(st->db, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_mutex_unlock(&c->mu);
	pthread_cond_signal(&c->cv);
	pthread_join(c->th, NULL);
	if (sqlite3_close_v2(c->db) != SQLITE_OK)
		log_warnx("store: checkpoint connection: close failed");
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
