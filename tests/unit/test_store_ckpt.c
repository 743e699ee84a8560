/*
 * test_store_ckpt.c -- an owner's store copies its write-ahead log back
 * from its own thread (lib/store_ckpt.c), never inside a COMMIT: a
 * wrapper VFS records which thread syncs the database file (only a
 * checkpoint does); none of those syncs may come from the thread that
 * commits, and the log is copied back (bounded) while commits go on and
 * once they stop. What was committed is all there after close and
 * reopen, and the close was clean (no check at the next open).
 *
 * Before store_ckpt.c, sqlite's auto-checkpoint ran inside the COMMIT
 * that crossed 1,000 frames: every database-file sync came from the
 * committing thread and the first assertion failed.
 */
#include "lsn_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"

/* ---- a VFS that records who syncs the main database file ---- */

static sqlite3_vfs		 rec_vfs;
static sqlite3_vfs		*real_vfs;
static struct sqlite3_io_methods rec_io;
static pthread_t		 committer;
static atomic_int		 db_writes_committer, db_writes_other;

struct rec_file {
	sqlite3_file	 base;		/* our methods */
	int		 main_db;
	sqlite3_file	*real;		/* the real VFS's file, after us */
};

static int
rec_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
	struct rec_file	*r = (struct rec_file *) f;

	if (r->main_db) {
		if (pthread_equal(pthread_self(), committer))
			atomic_fetch_add(&db_writes_committer, 1);
		else
			atomic_fetch_add(&db_writes_other, 1);
	}
	return (r->real->pMethods->xWrite(r->real, b, n, o));
}

/* Every other method forwards to the real file. */
#define RF(f)	(((struct rec_file *) (f))->real)
static int rec_Read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{ return (RF(f)->pMethods->xRead(RF(f), b, n, o)); }
static int rec_sync(sqlite3_file *f, int fl)
{ return (RF(f)->pMethods->xSync(RF(f), fl)); }
static int rec_close(sqlite3_file *f)
{ return (RF(f)->pMethods->xClose(RF(f))); }
static int rec_truncate(sqlite3_file *f, sqlite3_int64 sz)
{ return (RF(f)->pMethods->xTruncate(RF(f), sz)); }
static int rec_size(sqlite3_file *f, sqlite3_int64 *sz)
{ return (RF(f)->pMethods->xFileSize(RF(f), sz)); }
static int rec_lock(sqlite3_file *f, int l)
{ return (RF(f)->pMethods->xLock(RF(f), l)); }
static int rec_unlock(sqlite3_file *f, int l)
{ return (RF(f)->pMethods->xUnlock(RF(f), l)); }
static int rec_reserved(sqlite3_file *f, int *r)
{ return (RF(f)->pMethods->xCheckReservedLock(RF(f), r)); }
static int rec_fcntl(sqlite3_file *f, int op, void *a)
{ return (RF(f)->pMethods->xFileControl(RF(f), op, a)); }
static int rec_sector(sqlite3_file *f)
{ return (RF(f)->pMethods->xSectorSize(RF(f))); }
static int rec_devchar(sqlite3_file *f)
{ return (RF(f)->pMethods->xDeviceCharacteristics(RF(f))); }
static int rec_shmmap(sqlite3_file *f, int p, int sz, int e, void volatile **m)
{ return (RF(f)->pMethods->xShmMap(RF(f), p, sz, e, m)); }
static int rec_shmlock(sqlite3_file *f, int o, int n, int fl)
{ return (RF(f)->pMethods->xShmLock(RF(f), o, n, fl)); }
static void rec_shmbarrier(sqlite3_file *f)
{ RF(f)->pMethods->xShmBarrier(RF(f)); }
static int rec_shmunmap(sqlite3_file *f, int d)
{ return (RF(f)->pMethods->xShmUnmap(RF(f), d)); }
static int rec_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p)
{ return (RF(f)->pMethods->xFetch(RF(f), o, n, p)); }
static int rec_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{ return (RF(f)->pMethods->xUnfetch(RF(f), o, p)); }

static int
rec_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *oflags)
{
	struct rec_file	*r = (struct rec_file *) f;
	int		 rc;

	(void) vfs;
	memset(r, 0, sizeof(*r));
	r->real = (sqlite3_file *) (r + 1);
	memset(r->real, 0, (size_t) real_vfs->szOsFile);
	rc = real_vfs->xOpen(real_vfs, name, r->real, flags, oflags);
	if (r->real->pMethods == NULL) {
		r->base.pMethods = NULL;
		return (rc);
	}
	r->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
	r->base.pMethods = &rec_io;
	return (SQLITE_OK);
}

static void
rec_install(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	assert_non_null(real_vfs);
	rec_vfs = *real_vfs;
	rec_vfs.zName = "lsn-rec";
	rec_vfs.szOsFile = (int) sizeof(struct rec_file) + real_vfs->szOsFile;
	rec_vfs.xOpen = rec_open;
	rec_io = (struct sqlite3_io_methods) {
		.iVersion = 3, .xClose = rec_close, .xRead = rec_Read,
		.xWrite = rec_write, .xTruncate = rec_truncate,
		.xSync = rec_sync, .xFileSize = rec_size, .xLock = rec_lock,
		.xUnlock = rec_unlock, .xCheckReservedLock = rec_reserved,
		.xFileControl = rec_fcntl, .xSectorSize = rec_sector,
		.xDeviceCharacteristics = rec_devchar, .xShmMap = rec_shmmap,
		.xShmLock = rec_shmlock, .xShmBarrier = rec_shmbarrier,
		.xShmUnmap = rec_shmunmap, .xFetch = rec_fetch,
		.xUnfetch = rec_unfetch,
	};
	assert_int_equal(sqlite3_vfs_register(&rec_vfs, 1), SQLITE_OK);
}

/* ---- the test ---- */

static const struct lsn_migration migs[] = {
	{ 1, "CREATE TABLE item (id INTEGER PRIMARY KEY, body BLOB NOT NULL)",
	    NULL },
	{ 0, NULL, NULL },
};

static const char SQL_INS[] = "INSERT INTO item (id, body) VALUES (?, ?)";
static const char SQL_COUNT[] = "SELECT count(*) FROM item";

#define NCOMMITS	3000	/* ~2 frames each: past 1,000 several times */

static int64_t
wal_bytes(const char *db)
{
	char	path[4096];
	FILE	*fp;
	long	n;

	(void) snprintf(path, sizeof(path), "%s-wal", db);
	if ((fp = fopen(path, "rb")) == NULL)
		return (0);
	(void) fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	(void) fclose(fp);
	return (n);
}

static void
test_checkpoint_off_the_commit(void **state)
{
	struct lsn_store	*st = NULL;
	struct lsn_q		*q = NULL;
	char			*dir = lsn_test_tmpdir();
	char			*db = lsn_test_path(dir, "ckpt.db");
	uint8_t			 body[1500];
	int64_t			 n = 0, maxwal = 0;
	int			 copied;

	(void) state;
	rec_install();
	committer = pthread_self();
	memset(body, 0x5a, sizeof(body));
	assert_int_equal(lsn_store_open(db, migs, LSN_STORE_OWNER, &st),
	    LSN_OK);
	/* Creating the file wrote it: count from the first commit on. */
	atomic_store(&db_writes_committer, 0);
	atomic_store(&db_writes_other, 0);
	for (int i = 0; i < NCOMMITS; i++) {
		assert_int_equal(lsn_store_begin(st), LSN_OK);
		assert_int_equal(lsn_store_q(st, SQL_INS, &q), LSN_OK);
		lsn_q_i64(q, 1, i + 1);
		lsn_q_blob(q, 2, body, sizeof(body));
		assert_int_equal(lsn_q_step(q), LSN_OK);
		lsn_q_reset(q);
		assert_int_equal(lsn_store_commit(st), LSN_OK);
		if (wal_bytes(db) > maxwal)
			maxwal = wal_bytes(db);
	}
	/* The pages copied into the database file: by the thread, the
	 * committer only the last few frames before a restart (before
	 * store_ckpt.c it copied them all). */
	copied = atomic_load(&db_writes_other);
	assert_true(copied > 0);
	assert_true(atomic_load(&db_writes_committer) * 5 < copied);
	/* The log restarted from its head instead of growing: 3,000
	 * commits of two frames are ~25 MB without restarts. */
	assert_true(maxwal < 16 * 1024 * 1024);
	/* Idle: the thread copies what is left after about a second. */
	for (int i = 0; i < 50 && atomic_load(&db_writes_other) == copied; i++)
		usleep(100 * 1000);
	assert_true(atomic_load(&db_writes_other) > copied);
	lsn_store_close(&st);

	lsn_log_capture_start();
	assert_int_equal(lsn_store_open(db, migs, LSN_STORE_OWNER, &st),
	    LSN_OK);
	assert_false(lsn_log_captured("not closed cleanly"));
	lsn_log_capture_stop();
	assert_int_equal(lsn_store_q(st, SQL_COUNT, &q), LSN_OK);
	assert_int_equal(lsn_q_step(q), LSN_ROW);
	n = lsn_q_col_i64(q, 0);
	lsn_q_reset(q);
	assert_int_equal(n, NCOMMITS);
	lsn_store_close(&st);
	lsn_test_rmdir(dir);
	free(db);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkpoint_off_the_commit),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
