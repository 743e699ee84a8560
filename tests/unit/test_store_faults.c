/*
 * test_store_faults.c -- lsn_store_open refuses a corrupt database (bad
 * header, damaged b-tree page, not a database at all) with LSN_EDB and a
 * log line saying "corrupt"; an empty, truncated or foreign file is
 * refused naming the file (an empty one becomes a new database only with
 * LSN_STORE_INIT); the check runs after an unclean stop only; a database
 * full error is named with its cause and nothing of the failed transaction
 * is stored; once there is room again, commits succeed.
 *
 * Real sqlite files in a temp dir. The read-only and injected I/O error
 * cases need the LD_PRELOAD shim: tests/integration/test_storage_faults.c.
 */
#include "lsn_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/log.h"
#include "liaison/store.h"

static const struct lsn_migration migs[] = {
	{ 1, "CREATE TABLE item (id INTEGER PRIMARY KEY, "
	    "body BLOB NOT NULL);"
	    "CREATE INDEX item_body ON item(body);", NULL },
	{ 0, NULL, NULL },
};

static const char SQL_INS[] = "INSERT INTO item (id, body) VALUES (?, ?)";
static const char SQL_COUNT[] = "SELECT count(*) FROM item";

struct fx {
	char	*dir;
	char	*db;
};

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return (-1);
	fx->dir = lsn_test_tmpdir();
	fx->db = lsn_test_path(fx->dir, "test.db");
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
	free(fx->db);
	free(fx->dir);
	free(fx);
	return (0);
}

static int
insert(struct lsn_store *st, int id, size_t len)
{
	sqlite3_stmt	*s;
	uint8_t		*b;
	int		 rc;

	assert_non_null(b = malloc(len));
	memset(b, id & 0xff, len);
	assert_ok(lsn_store_stmt(st, SQL_INS, &s));
	assert_int_equal(sqlite3_bind_int(s, 1, id), SQLITE_OK);
	assert_int_equal(sqlite3_bind_blob(s, 2, b, (int) len,
	    SQLITE_TRANSIENT), SQLITE_OK);
	rc = sqlite3_step(s);
	free(b);
	return (rc);
}

static int
count(struct lsn_store *st)
{
	sqlite3_stmt	*s;
	int		 n;

	assert_ok(lsn_store_stmt(st, SQL_COUNT, &s));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return (n);
}

/* A database of a few dozen pages, closed (checkpointed into the file). */
static void
make_db(const char *path, int rows)
{
	struct lsn_store	*st = NULL;

	assert_ok(lsn_store_open(path, migs, LSN_STORE_NOSYNC, &st));
	assert_ok(lsn_store_begin(st));
	for (int i = 1; i <= rows; i++)
		assert_int_equal(insert(st, i, 900), SQLITE_DONE);
	assert_ok(lsn_store_commit(st));
	lsn_store_close(&st);
}

/* The root page number of table/index name. */
static int
root_page(const char *path, const char *name)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*s = NULL;
	int		 pg;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT rootpage FROM "
	    "sqlite_schema WHERE name = ?", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	pg = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return (pg);
}

static void
overwrite(const char *path, off_t off, const void *buf, size_t len)
{
	int	fd;

	assert_true((fd = open(path, O_WRONLY)) != -1);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t) len);
	assert_int_equal(close(fd), 0);
}

static void
test_store_refuses_corrupt_header(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;

	make_db(fx->db, 20);
	overwrite(fx->db, 0, "SQLite format 2", 15);
	assert_err(lsn_store_open(fx->db, migs, 0, &st), LSN_EDB);
	assert_null(st);
	assert_true(lsn_log_captured("is corrupt or not an SQLite database"));
}

/*
 * A power cut inside a checkpoint: sqlite has copied the write-ahead
 * log's pages into the file but not synced it, so the file's first sector
 * (the header) may be torn; the log, synced before, still holds page 1
 * and sqlite recovers from it. The open must not refuse such a file as
 * corrupt (the broker could not restart after that cut).
 */
static void
test_store_torn_header_with_log_opens(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	sqlite3			*db = NULL;
	char			*cut, *cutwal, wal[1024];
	uint8_t			 junk[512];

	make_db(fx->db, 20);
	cut = lsn_test_path(fx->dir, "cut.db");
	cutwal = lsn_test_path(fx->dir, "cut.db-wal");
	snprintf(wal, sizeof(wal), "%s-wal", fx->db);
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = WAL; "
	    "PRAGMA wal_autocheckpoint = 0; UPDATE lsn_store_state SET "
	    "clean = 0; INSERT INTO item (id, body) VALUES (21, "
	    "zeroblob(900)); PRAGMA wal_checkpoint(PASSIVE)", NULL, NULL,
	    NULL), SQLITE_OK);
	/* killed here: the files as they are, the header then torn */
	lsn_test_copy_file(fx->db, cut);
	lsn_test_copy_file(wal, cutwal);
	sqlite3_close(db);
	memset(junk, 0xa5, sizeof(junk));
	overwrite(cut, 0, junk, sizeof(junk));
	assert_ok(lsn_store_open(cut, migs, 0, &st));
	assert_int_equal(count(st), 21);
	lsn_store_close(&st);
	free(cutwal);
	free(cut);
}

static void
test_store_refuses_bad_page_size(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	const uint8_t		 psz[2] = { 0x03, 0x00 };	/* 768 */

	make_db(fx->db, 20);
	overwrite(fx->db, 16, psz, sizeof(psz));
	assert_err(lsn_store_open(fx->db, migs, 0, &st), LSN_EDB);
	assert_null(st);
	assert_true(lsn_log_captured("bad header"));
}

static void
test_store_refuses_damaged_btree_page(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	uint8_t			 junk[16];
	int			 pg;

	make_db(fx->db, 40);
	pg = root_page(fx->db, "item");
	assert_true(pg > 1);
	/* The b-tree page header: an invalid page type and cell count. */
	memset(junk, 0x5a, sizeof(junk));
	overwrite(fx->db, (off_t) (pg - 1) * 4096, junk, sizeof(junk));
	assert_err(lsn_store_open(fx->db, migs, 0, &st), LSN_EDB);
	assert_null(st);
	assert_true(lsn_log_captured("is corrupt"));
	assert_true(lsn_log_captured("refusing to use it"));
	/* Read-only opens (the CLI) are refused the same way. */
	assert_err(lsn_store_open(fx->db, migs, LSN_STORE_READONLY, &st),
	    LSN_EDB);
	assert_null(st);
}

/*
 * Damage after the page type: the index root's child pointer or cell
 * pointers point outside the file. (Changed bytes inside a record's
 * payload are not structure: quick_check cannot see them; signed
 * envelopes are verified again when they are read.)
 */
static void
test_store_refuses_damaged_index_pointers(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	uint8_t			 junk[8];
	int			 pg;

	make_db(fx->db, 40);
	pg = root_page(fx->db, "item_body");
	assert_true(pg > 1);
	memset(junk, 0xff, sizeof(junk));
	overwrite(fx->db, (off_t) (pg - 1) * 4096 + 8, junk, sizeof(junk));
	assert_err(lsn_store_open(fx->db, migs, 0, &st), LSN_EDB);
	assert_null(st);
	assert_true(lsn_log_captured("corrupt"));
}

static void
test_store_refuses_not_a_database(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	const char		 text[] = "[broker]\nlisten = tcp://*:7710\n";
	FILE			*f;

	assert_non_null(f = fopen(fx->db, "w"));
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f),
	    sizeof(text) - 1);
	assert_int_equal(fclose(f), 0);
	assert_err(lsn_store_open(fx->db, migs, 0, &st), LSN_EDB);
	assert_null(st);
	assert_true(lsn_log_captured("not an SQLite database"));
}

static void
make_empty(const char *path)
{
	FILE	*f;

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fclose(f), 0);
}

/*
 * A zero-byte file (a crash while it was created, a bad copy, a full
 * disk) is refused with the file's name; only LSN_STORE_INIT (--init)
 * makes it a new database, and never for a read-only open.
 */
static void
test_store_empty_file_refused_unless_init(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	char			 want[512];
	int			 v;

	make_empty(fx->db);
	assert_err(lsn_store_open(fx->db, migs, 0, &st), LSN_EDB);
	assert_null(st);
	snprintf(want, sizeof(want), "database %s is empty", fx->db);
	assert_true(lsn_log_captured(want));
	assert_true(lsn_log_captured("--init"));
	assert_err(lsn_store_open(fx->db, migs, LSN_STORE_READONLY |
	    LSN_STORE_INIT, &st), LSN_EDB);
	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_INIT, &st));
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 1);
	lsn_store_close(&st);
}

static void
truncate_to(const char *path, off_t len)
{
	assert_int_equal(truncate(path, len), 0);
}

/* Truncated files: inside the header, mid-page, whole pages missing. */
static void
test_store_truncated_file_refused(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	const off_t		 lens[] = { 50, 4096 + 1000, 4096 * 3 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		make_db(fx->db, 40);	/* 40 rows of 900 bytes: 10 pages+ */
		truncate_to(fx->db, lens[i]);
		lsn_log_capture_start();
		assert_err(lsn_store_open(fx->db, migs, LSN_STORE_INIT, &st),
		    LSN_EDB);
		assert_null(st);
		assert_true(lsn_log_captured("is truncated"));
		assert_true(lsn_log_captured(fx->db));
		assert_int_equal(unlink(fx->db), 0);
	}
}

/* Another program's SQLite database is not migrated into ours. */
static void
test_store_foreign_database_refused(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	sqlite3			*db = NULL;

	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER "
	    "PRIMARY KEY, name TEXT); INSERT INTO photos VALUES (1, 'x')",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_err(lsn_store_open(fx->db, migs, 0, &st), LSN_EDB);
	assert_null(st);
	assert_true(lsn_log_captured("another program's SQLite database"));
}

/* A new database appears whole: built aside, renamed, marked ours. */
static void
test_store_creation_is_atomic(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	char			 aside[1024];
	int			 appid = 0;
	sqlite3_stmt		*s = NULL;

	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_OWNER, &st));
	snprintf(aside, sizeof(aside), "%s.new", fx->db);
	assert_true(access(aside, F_OK) == -1);
	assert_int_equal(sqlite3_prepare_v2(lsn_store_db(st),
	    "PRAGMA application_id", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	appid = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	assert_int_equal((unsigned int) appid, LSN_STORE_APP_ID);
	lsn_store_close(&st);
}

/*
 * The integrity check runs after an unclean stop only: a clean owner's
 * close skips it at the next open; a process that dies with the database
 * open (no close) makes the next open check it, and refuse it if damaged.
 */
static void
test_store_check_only_after_unclean_stop(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	uint8_t			 junk[16];
	pid_t			 pid;
	int			 status, pg;

	make_db(fx->db, 40);
	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_OWNER, &st));
	lsn_store_close(&st);	/* clean */
	lsn_log_capture_start();
	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_OWNER, &st));
	assert_false(lsn_log_captured("not closed cleanly"));
	lsn_store_close(&st);

	/* An owner that dies with the database open. */
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		struct lsn_store *cst = NULL;

		_exit(lsn_store_open(fx->db, migs, LSN_STORE_OWNER, &cst) ==
		    LSN_OK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	lsn_log_capture_start();
	assert_ok(lsn_store_open(fx->db, migs, LSN_STORE_OWNER, &st));
	assert_true(lsn_log_captured("was not closed cleanly: checking"));
	lsn_store_close(&st);

	/* Unclean and damaged: refused. */
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		struct lsn_store *cst = NULL;

		_exit(lsn_store_open(fx->db, migs, LSN_STORE_OWNER, &cst) ==
		    LSN_OK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Its log: fold it into the file the way a restart would. */
	{
		sqlite3 *db = NULL;

		assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
		assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL), SQLITE_OK);
		/* the marker survives a foreign connection's close */
		sqlite3_close(db);
	}
	pg = root_page(fx->db, "item");
	memset(junk, 0x5a, sizeof(junk));
	overwrite(fx->db, (off_t) (pg - 1) * 4096, junk, sizeof(junk));
	lsn_log_capture_start();
	assert_err(lsn_store_open(fx->db, migs, LSN_STORE_OWNER, &st),
	    LSN_EDB);
	assert_true(lsn_log_captured("is corrupt"));
}

static void
test_store_healthy_database_opens(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;

	make_db(fx->db, 40);
	assert_ok(lsn_store_open(fx->db, migs, 0, &st));
	assert_int_equal(count(st), 40);
	lsn_store_close(&st);
	assert_false(lsn_log_captured("corrupt"));
}

/*
 * A full database (max_page_count, the in-process complement of the
 * disk-full test with the shim): the error names SQLITE_FULL, nothing of
 * the transaction stays, and after the limit is raised commits work.
 */
static void
test_store_full_names_cause_and_stores_nothing(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	int			 rc = SQLITE_DONE, i;

	make_db(fx->db, 10);
	assert_ok(lsn_store_open(fx->db, migs, 0, &st));
	assert_int_equal(sqlite3_exec(lsn_store_db(st), "PRAGMA "
	    "max_page_count = 40", NULL, NULL, NULL), SQLITE_OK);
	assert_ok(lsn_store_begin(st));
	for (i = 100; i < 400 && rc == SQLITE_DONE; i++)
		rc = insert(st, i, 900);
	assert_int_equal(rc, SQLITE_FULL);
	assert_non_null(strstr(lsn_store_errmsg(st), "SQLITE_FULL"));
	lsn_store_rollback(st);
	assert_int_equal(count(st), 10);

	/* Room again: the same connection goes on. */
	assert_int_equal(sqlite3_exec(lsn_store_db(st), "PRAGMA "
	    "max_page_count = 100000", NULL, NULL, NULL), SQLITE_OK);
	assert_ok(lsn_store_begin(st));
	for (i = 100; i < 200; i++)
		assert_int_equal(insert(st, i, 900), SQLITE_DONE);
	assert_ok(lsn_store_commit(st));
	assert_int_equal(count(st), 110);
	lsn_store_close(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_store_refuses_corrupt_header, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_refuses_bad_page_size, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_torn_header_with_log_opens, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_refuses_damaged_btree_page, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_refuses_damaged_index_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_refuses_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_empty_file_refused_unless_init, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_truncated_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_foreign_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_creation_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_check_only_after_unclean_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_healthy_database_opens, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_full_names_cause_and_stores_nothing, setup,
		    teardown),
	};
	return (cmocka_run_group_tests_name("store_faults", tests, NULL,
	    NULL));
}
