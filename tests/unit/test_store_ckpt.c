/*
 * test_store_ckpt.c -- the write-ahead log's checkpoint off the commit
 * path (lsn_store_checkpoint, lib/store_ckpt.c): an owner's COMMITs no
 * longer checkpoint, the loop's calls keep the log bounded under many
 * commits (BUSY: past the soft bound; IDLE: whatever it holds), a reader
 * that pins the log neither blocks the call nor keeps the log from being
 * emptied once it is gone, and everything committed is there after a
 * reopen. Crash safety of the checkpoint itself is the power-cut test's
 * (it_test_power_cut cuts the daemons at their syncs, checkpoints
 * included).
 */
#include "lsn_test.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/log.h"
#include "liaison/store.h"

static const struct lsn_migration migs[] = {
	{ 1, "CREATE TABLE note (id INTEGER PRIMARY KEY, body BLOB NOT NULL);",
	    NULL },
	{ 0, NULL, NULL },
};

static const char SQL_INS[] = "INSERT INTO note (id, body) VALUES (?1, ?2)";
static const char SQL_COUNT[] = "SELECT count(*) FROM note";

#define BODY	3000	/* about one 4 KiB page per row */
#define ROWS	4	/* rows per commit */

struct fx {
	char	*dir;
	char	*db;
	char	*wal;
	int	 next;	/* next row id */
};

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return (-1);
	fx->dir = lsn_test_tmpdir();
	fx->db = lsn_test_path(fx->dir, "test.db");
	fx->wal = lsn_test_path(fx->dir, "test.db-wal");
	lsn_log_capture_start();
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	lsn_log_capture_stop();
	lsn_test_rmdir(fx->dir);
	free(fx->wal);
	free(fx->db);
	free(fx->dir);
	free(fx);
	return (0);
}

/* One transaction of ROWS rows of BODY bytes. */
static void
commit_rows(struct fx *fx, struct lsn_store *st)
{
	static unsigned char	 body[BODY];
	sqlite3_stmt		*s;

	assert_ok(lsn_store_begin(st));
	for (int i = 0; i < ROWS; i++) {
		assert_ok(lsn_store_stmt(st, SQL_INS, &s));
		assert_int_equal(sqlite3_bind_int(s, 1, fx->next++), SQLITE_OK);
		assert_int_equal(sqlite3_bind_blob(s, 2, body, sizeof(body),
		    SQLITE_STATIC), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_reset(s);
	}
	assert_ok(lsn_store_commit(st));
}

/* Frames in the log and copied back (runs a PASSIVE checkpoint). */
static void
wal_state(struct lsn_store *st, int *nlog, int *nckpt)
{
	assert_int_equal(sqlite3_wal_checkpoint_v2(lsn_store_db(st), NULL,
	    SQLITE_CHECKPOINT_PASSIVE, nlog, nckpt), SQLITE_OK);
}

static long long
wal_bytes(const struct fx *fx)
{
	struct stat	sb;

	if (stat(fx->wal, &sb) == -1)
		return (0);
	return ((long long) sb.st_size);
}

static long long
count_rows(struct lsn_store *st)
{
	sqlite3_stmt	*s;
	long long	 n;

	assert_ok(lsn_store_stmt(st, SQL_COUNT, &s));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (n);
}

/* The log's size bound for the soft limit: its frames plus one commit's
 * and the header (a frame is a page and a 24-byte header). */
static long long
soft_bound_bytes(void)
{
	return (32 + (long long) (LSN_STORE_WAL_SOFT + 4 * ROWS) *
	    (4096 + 24));
}

/* Without the loop's calls an owner's COMMITs no longer checkpoint. */
static void
test_ckpt_commit_does_not_checkpoint(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	int			 nlog, nckpt;

	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_OWNER |
	    LSN_STORE_NOSYNC, &st));
	/* past sqlite's default threshold of 1,000 pages */
	for (int i = 0; i < 400; i++)
		commit_rows(fx, st);
	assert_true(wal_bytes(fx) > soft_bound_bytes());
	wal_state(st, &nlog, &nckpt);
	assert_true(nlog > LSN_STORE_WAL_SOFT);
	lsn_store_close(&st);
}

/*
 * Under sustained load (BUSY after every commit) the log stays under the
 * soft bound; IDLE right after a commit copies nothing, after
 * LSN_STORE_IDLE_MS without one the log holds about one commit's frames,
 * reused from its head.
 */
static void
test_ckpt_bounded(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	long long		 max = 0;
	int			 nlog, nckpt;

	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_OWNER |
	    LSN_STORE_NOSYNC, &st));
	for (int i = 0; i < 2000; i++) {
		commit_rows(fx, st);
		assert_ok(lsn_store_checkpoint(st, LSN_STORE_CKPT_BUSY));
		if (wal_bytes(fx) > max)
			max = wal_bytes(fx);
	}
	assert_true(max <= soft_bound_bytes());
	/* IDLE right after a commit (a short gap under load) copies
	 * nothing; after LSN_STORE_IDLE_MS without a commit it copies all */
	assert_ok(lsn_store_checkpoint(st, LSN_STORE_CKPT_TRUNCATE));
	assert_int_equal(wal_bytes(fx), 0);
	for (int i = 0; i < 50; i++) {
		commit_rows(fx, st);
		assert_ok(lsn_store_checkpoint(st, LSN_STORE_CKPT_IDLE));
	}
	wal_state(st, &nlog, &nckpt);	/* copies: the log restarts */
	assert_true(nlog >= 50 * ROWS);
	for (int i = 0; i < 20; i++) {
		commit_rows(fx, st);
		usleep((LSN_STORE_IDLE_MS + 10) * 1000);
		assert_ok(lsn_store_checkpoint(st, LSN_STORE_CKPT_IDLE));
	}
	/* one commit's frames, reused from the log's head every time */
	assert_true(wal_bytes(fx) <= nlog * (4096 + 24) + 32);
	wal_state(st, &nlog, &nckpt);
	assert_true(nlog <= 2 * ROWS + 4);
	assert_int_equal(count_rows(st), 2070 * ROWS);
	lsn_store_close(&st);
	/* what was committed is there after a reopen */
	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_OWNER, &st));
	assert_int_equal(count_rows(st), 2070 * ROWS);
	lsn_store_close(&st);
}

/*
 * A reader pins the log: the loop's call neither blocks nor fails, the
 * log grows past the hard bound; once the reader is gone the next call
 * empties the log file (TRUNCATE).
 */
static void
test_ckpt_reader_then_truncate(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	sqlite3			*rd = NULL;
	sqlite3_stmt		*s = NULL;
	int			 n = 0;

	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_OWNER |
	    LSN_STORE_NOSYNC, &st));
	commit_rows(fx, st);
	assert_int_equal(sqlite3_open_v2(fx->db, &rd, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(rd, "BEGIN", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(rd, SQL_COUNT, -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	while (wal_bytes(fx) <= 32 + (long long) LSN_STORE_WAL_HARD *
	    (4096 + 24)) {
		commit_rows(fx, st);
		assert_ok(lsn_store_checkpoint(st, LSN_STORE_CKPT_BUSY));
		n++;
	}
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_close(rd), SQLITE_OK);
	assert_ok(lsn_store_checkpoint(st, LSN_STORE_CKPT_BUSY));
	assert_int_equal(wal_bytes(fx), 0);
	assert_int_equal(count_rows(st), (n + 1) * ROWS);
	lsn_store_close(&st);
}

/* A bad mode; no-ops: no store, an open transaction. */
static void
test_ckpt_edges(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;

	assert_ok(lsn_store_checkpoint(NULL, LSN_STORE_CKPT_IDLE));
	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_OWNER, &st));
	assert_int_equal(lsn_store_checkpoint(st, 7), LSN_EINVAL);
	assert_ok(lsn_store_begin(st));
	assert_ok(lsn_store_checkpoint(st, LSN_STORE_CKPT_TRUNCATE));
	lsn_store_rollback(st);
	lsn_store_close(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_ckpt_commit_does_not_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ckpt_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_ckpt_reader_then_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ckpt_edges, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
