/* test_store.c -- sqlite helpers: open, migrations, statements, tx. */
#include "lsn_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "liaison/log.h"
#include "liaison/metrics.h"
#include "liaison/store.h"

static const struct lsn_migration migs3[] = {
	{ 1, "CREATE TABLE partner (id INTEGER PRIMARY KEY, "
	    "slug TEXT NOT NULL UNIQUE);"
	    "CREATE TABLE runs (n INTEGER NOT NULL);"
	    "INSERT INTO runs (n) VALUES (1);", NULL },
	{ 2, "CREATE TABLE contact (id INTEGER PRIMARY KEY, "
	    "partner_id INTEGER NOT NULL REFERENCES partner(id), "
	    "name TEXT NOT NULL);"
	    "INSERT INTO runs (n) VALUES (2);", NULL },
	{ 3, "CREATE INDEX contact_partner ON contact(partner_id);"
	    "INSERT INTO runs (n) VALUES (3);", NULL },
	{ 0, NULL, NULL },
};

/* migs3 plus one more step. */
static const struct lsn_migration migs4[] = {
	{ 1, "CREATE TABLE partner (id INTEGER PRIMARY KEY, "
	    "slug TEXT NOT NULL UNIQUE);"
	    "CREATE TABLE runs (n INTEGER NOT NULL);"
	    "INSERT INTO runs (n) VALUES (1);", NULL },
	{ 2, "CREATE TABLE contact (id INTEGER PRIMARY KEY, "
	    "partner_id INTEGER NOT NULL REFERENCES partner(id), "
	    "name TEXT NOT NULL);"
	    "INSERT INTO runs (n) VALUES (2);", NULL },
	{ 3, "CREATE INDEX contact_partner ON contact(partner_id);"
	    "INSERT INTO runs (n) VALUES (3);", NULL },
	{ 4, "ALTER TABLE partner ADD COLUMN country TEXT;"
	    "INSERT INTO runs (n) VALUES (4);", NULL },
	{ 0, NULL, NULL },
};

static const char SQL_INS_PARTNER[] =
    "INSERT INTO partner (id, slug) VALUES (?1, ?2)";
static const char SQL_COUNT_PARTNER[] = "SELECT count(*) FROM partner";
static const char SQL_COUNT_RUNS[] = "SELECT count(*) FROM runs";
static const char SQL_IDS[] = "SELECT id FROM partner ORDER BY id";

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

/* Runs a one-integer query through the statement cache. */
static long long
count(struct lsn_store *st, const char *sql)
{
	sqlite3_stmt	*stmt;
	long long	 n;

	assert_ok(lsn_store_stmt(st, sql, &stmt));
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	n = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return (n);
}

static int
insert_partner(struct lsn_store *st, int id, const char *slug)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	assert_ok(lsn_store_stmt(st, SQL_INS_PARTNER, &stmt));
	assert_int_equal(sqlite3_bind_int(stmt, 1, id), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(stmt, 2, slug, -1, SQLITE_STATIC),
	    SQLITE_OK);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return (rc);
}

static int
table_exists(struct lsn_store *st, const char *name)
{
	static const char sql[] =
	    "SELECT count(*) FROM sqlite_master WHERE name = ?1";
	sqlite3_stmt	*stmt;
	int		 n;

	assert_ok(lsn_store_stmt(st, sql, &stmt));
	assert_int_equal(sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	n = sqlite3_column_int(stmt, 0);
	sqlite3_reset(stmt);
	return (n);
}

static void
test_store_migrates_empty_db(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	int			 v = -1;

	assert_ok(lsn_store_open(fx->db, migs3, 0, &st));
	assert_non_null(st);
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 3);
	assert_true(table_exists(st, "partner"));
	assert_true(table_exists(st, "contact"));
	assert_true(table_exists(st, "contact_partner"));
	assert_int_equal(count(st, SQL_COUNT_RUNS), 3);
	assert_false(lsn_store_in_tx(st));
	lsn_store_close(&st);
	assert_null(st);
	lsn_store_close(&st);
	lsn_store_close(NULL);
}

static void
test_store_reopen_keeps_data_no_rerun(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	int			 v = -1;

	assert_ok(lsn_store_open(fx->db, migs3, 0, &st));
	assert_int_equal(insert_partner(st, 1, "nca-uk"), SQLITE_DONE);
	lsn_store_close(&st);

	/* Same table: nothing runs again (CREATE TABLE would fail). */
	assert_ok(lsn_store_open(fx->db, migs3, 0, &st));
	assert_int_equal(count(st, SQL_COUNT_RUNS), 3);
	assert_int_equal(count(st, SQL_COUNT_PARTNER), 1);
	lsn_store_close(&st);

	/* A newer program runs only the new step (logged at debug). */
	log_setverbose(1);
	assert_ok(lsn_store_open(fx->db, migs4, 0, &st));
	log_setverbose(0);
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 4);
	assert_int_equal(count(st, SQL_COUNT_RUNS), 4);
	assert_int_equal(count(st, SQL_COUNT_PARTNER), 1);
	assert_true(lsn_log_captured("schema migrated to version 4"));
	lsn_store_close(&st);
}

static void
test_store_refuses_future_version(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;

	assert_ok(lsn_store_open(fx->db, migs4, 0, &st));
	lsn_store_close(&st);
	/* Written by a newer program: never downgrade, never touch. */
	assert_err(lsn_store_open(fx->db, migs3, 0, &st), LSN_EVERSION);
	assert_null(st);
	assert_true(lsn_log_captured("newer than"));
	assert_err(lsn_store_open(fx->db, migs3, LSN_STORE_READONLY, &st),
	    LSN_EVERSION);
	assert_null(st);

	/* A version far in the future. */
	assert_ok(lsn_store_open(fx->db, migs4, 0, &st));
	assert_ok(lsn_store_exec(st, "PRAGMA user_version = 1000"));
	lsn_store_close(&st);
	assert_err(lsn_store_open(fx->db, migs4, 0, &st), LSN_EVERSION);
	assert_null(st);
}

static void
test_store_refuses_bad_migration_table(void **state)
{
	static const struct lsn_migration from2[] = {
		{ 2, "CREATE TABLE a (x);", NULL }, { 0, NULL, NULL } };
	static const struct lsn_migration gap[] = {
		{ 1, "CREATE TABLE a (x);", NULL },
		{ 3, "CREATE TABLE b (x);", NULL }, { 0, NULL, NULL } };
	static const struct lsn_migration dup[] = {
		{ 1, "CREATE TABLE a (x);", NULL },
		{ 1, "CREATE TABLE b (x);", NULL }, { 0, NULL, NULL } };
	static const struct lsn_migration zero[] = {
		{ 0, "CREATE TABLE a (x);", NULL }, { 0, NULL, NULL } };
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;

	assert_err(lsn_store_open(fx->db, from2, 0, &st), LSN_EINVAL);
	assert_err(lsn_store_open(fx->db, gap, 0, &st), LSN_EINVAL);
	assert_err(lsn_store_open(fx->db, dup, 0, &st), LSN_EINVAL);
	assert_err(lsn_store_open(fx->db, zero, 0, &st), LSN_EINVAL);
	assert_err(lsn_store_open(fx->db, NULL, 0, &st), LSN_EINVAL);
	assert_err(lsn_store_open(fx->db, migs3, 0x80, &st), LSN_EINVAL);
	assert_null(st);
	/* Nothing was created by the refused calls. */
	assert_int_not_equal(access(fx->db, F_OK), 0);
}

static void
test_store_failed_migration_rolls_back(void **state)
{
	static const struct lsn_migration bad[] = {
		{ 1, "CREATE TABLE a (x);", NULL },
		{ 2, "CREATE TABLE b (x); INSERT INTO nosuch VALUES (1);", NULL },
		{ 0, NULL, NULL } };
	static const struct lsn_migration good1[] = {
		{ 1, "CREATE TABLE a (x);", NULL }, { 0, NULL, NULL } };
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	int			 v = -1;

	assert_err(lsn_store_open(fx->db, bad, 0, &st), LSN_EDB);
	assert_null(st);
	assert_true(lsn_log_captured("no such table"));
	/* Step 1 stayed, step 2 left nothing behind. */
	assert_ok(lsn_store_open(fx->db, good1, 0, &st));
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 1);
	assert_true(table_exists(st, "a"));
	assert_false(table_exists(st, "b"));
	lsn_store_close(&st);
}

static void
test_store_stmt_cache_same_statement(void **state)
{
	static const char sql_echo[] = "SELECT ?1";
	char			 same_text[] = "SELECT ?1";
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	sqlite3_stmt		*a, *b, *c;

	assert_ok(lsn_store_open(fx->db, migs3, LSN_STORE_NOSYNC, &st));
	assert_ok(lsn_store_stmt(st, sql_echo, &a));
	assert_ok(lsn_store_stmt(st, sql_echo, &b));
	assert_ptr_equal(a, b);
	/* Keyed by address, not by text. */
	assert_ok(lsn_store_stmt(st, same_text, &c));
	assert_ptr_not_equal(a, c);

	/* Handed out reset, with bindings cleared. */
	assert_int_equal(sqlite3_bind_int(a, 1, 42), SQLITE_OK);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(a, 0), 42);
	assert_ok(lsn_store_stmt(st, sql_echo, &b));
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);

	/* A bad statement is refused and not cached. */
	assert_err(lsn_store_stmt(st, "SELEC nonsense", &c), LSN_EDB);
	assert_err(lsn_store_stmt(st, NULL, &c), LSN_EINVAL);
	/* Only one statement per call; trailing ';' and blanks are fine. */
	assert_err(lsn_store_stmt(st, "SELECT 1; SELECT 2", &c), LSN_EDB);
	assert_true(lsn_log_captured("more than one statement"));
	assert_ok(lsn_store_stmt(st, "SELECT 1;\n ", &c));
	lsn_store_close(&st);
}

static void
test_store_stmt_cache_many_uses(void **state)
{
	enum { NSQL = 200, NROWS = 2000 };
	static char		 texts[NSQL][32];
	sqlite3_stmt		*first[NSQL], *again;
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	sqlite3_stmt		*stmt;

	assert_ok(lsn_store_open(fx->db, migs3, LSN_STORE_NOSYNC, &st));
	assert_ok(lsn_store_begin(st));
	for (int i = 0; i < NROWS; i++) {
		char slug[32];

		snprintf(slug, sizeof(slug), "p-%d", i);
		assert_int_equal(insert_partner(st, i + 1, slug), SQLITE_DONE);
	}
	assert_ok(lsn_store_commit(st));
	assert_int_equal(count(st, SQL_COUNT_PARTNER), NROWS);

	/* Many distinct statements force the cache to grow. */
	for (int i = 0; i < NSQL; i++) {
		snprintf(texts[i], sizeof(texts[i]), "SELECT %d", i);
		assert_ok(lsn_store_stmt(st, texts[i], &first[i]));
	}
	for (int i = 0; i < NSQL; i++) {
		assert_ok(lsn_store_stmt(st, texts[i], &again));
		assert_ptr_equal(again, first[i]);
		assert_int_equal(sqlite3_step(again), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(again, 0), i);
	}

	/* A statement left mid-iteration starts over when handed out. */
	assert_ok(lsn_store_stmt(st, SQL_IDS, &stmt));
	for (int i = 0; i < 3; i++)
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 3);
	assert_ok(lsn_store_stmt(st, SQL_IDS, &again));
	assert_ptr_equal(again, stmt);
	assert_int_equal(sqlite3_step(again), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(again, 0), 1);
	lsn_store_close(&st);
}

static void
test_store_begin_commit_rollback(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;

	assert_ok(lsn_store_open(fx->db, migs3, 0, &st));
	assert_ok(lsn_store_begin(st));
	assert_true(lsn_store_in_tx(st));
	assert_err(lsn_store_begin(st), LSN_EINTERNAL);
	assert_int_equal(insert_partner(st, 1, "kept"), SQLITE_DONE);
	assert_ok(lsn_store_commit(st));
	assert_false(lsn_store_in_tx(st));

	assert_ok(lsn_store_begin(st));
	assert_int_equal(insert_partner(st, 2, "gone-1"), SQLITE_DONE);
	assert_int_equal(insert_partner(st, 3, "gone-2"), SQLITE_DONE);
	lsn_store_rollback(st);
	assert_false(lsn_store_in_tx(st));
	assert_int_equal(count(st, SQL_COUNT_PARTNER), 1);

	/* Misuse is reported; rollback is always safe. */
	assert_err(lsn_store_commit(st), LSN_EINTERNAL);
	lsn_store_rollback(st);
	lsn_store_rollback(NULL);

	/* A constraint failure inside a transaction, then rollback. */
	assert_ok(lsn_store_begin(st));
	assert_int_equal(insert_partner(st, 4, "dup"), SQLITE_DONE);
	assert_int_equal(insert_partner(st, 5, "kept"), SQLITE_CONSTRAINT);
	lsn_store_rollback(st);
	assert_int_equal(count(st, SQL_COUNT_PARTNER), 1);
	lsn_store_close(&st);

	/* Committed data survives a reopen; an open tx at close does not. */
	assert_ok(lsn_store_open(fx->db, migs3, 0, &st));
	assert_ok(lsn_store_begin(st));
	assert_int_equal(insert_partner(st, 6, "unfinished"), SQLITE_DONE);
	lsn_store_close(&st);
	assert_ok(lsn_store_open(fx->db, migs3, 0, &st));
	assert_int_equal(count(st, SQL_COUNT_PARTNER), 1);
	lsn_store_close(&st);
}

static void
test_store_wal_on_file_db(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	sqlite3_stmt		*stmt;
	char			*wal;

	assert_ok(lsn_store_open(fx->db, migs3, 0, &st));
	assert_ok(lsn_store_stmt(st, "PRAGMA journal_mode", &stmt));
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal((const char *) sqlite3_column_text(stmt, 0),
	    "wal");
	sqlite3_reset(stmt);
	assert_ok(lsn_store_stmt(st, "PRAGMA synchronous", &stmt));
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 2);	/* FULL */
	sqlite3_reset(stmt);
	assert_int_equal(insert_partner(st, 1, "nca-uk"), SQLITE_DONE);
	wal = lsn_test_path(fx->dir, "test.db-wal");
	assert_int_equal(access(wal, F_OK), 0);
	free(wal);
	lsn_store_close(&st);

	assert_ok(lsn_store_open(fx->db, migs3, LSN_STORE_NOSYNC, &st));
	assert_ok(lsn_store_stmt(st, "PRAGMA synchronous", &stmt));
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 1);	/* NORMAL */
	sqlite3_reset(stmt);
	lsn_store_close(&st);
}

static void
test_store_memory_db(void **state)
{
	struct lsn_store	*st = NULL;
	int			 v = -1;

	(void) state;
	assert_ok(lsn_store_open(":memory:", migs3, 0, &st));
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 3);
	assert_non_null(lsn_store_db(st));
	assert_int_equal(insert_partner(st, 1, "nca-uk"), SQLITE_DONE);
	assert_int_equal(count(st, SQL_COUNT_PARTNER), 1);
	lsn_store_close(&st);
}

static void
test_store_foreign_keys_enforced(void **state)
{
	static const char ins_contact[] =
	    "INSERT INTO contact (partner_id, name) VALUES (?1, 'A. Example')";
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	sqlite3_stmt		*stmt;

	assert_ok(lsn_store_open(fx->db, migs3, 0, &st));
	assert_int_equal(insert_partner(st, 1, "nca-uk"), SQLITE_DONE);
	assert_ok(lsn_store_stmt(st, ins_contact, &stmt));
	assert_int_equal(sqlite3_bind_int(stmt, 1, 1), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
	assert_ok(lsn_store_stmt(st, ins_contact, &stmt));
	assert_int_equal(sqlite3_bind_int(stmt, 1, 99), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_extended_errcode(lsn_store_db(st)),
	    SQLITE_CONSTRAINT_FOREIGNKEY);
	assert_non_null(strstr(lsn_store_errmsg(st), "FOREIGN KEY"));
	sqlite3_reset(stmt);
	lsn_store_close(&st);
}

static void
test_store_readonly_cannot_write(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	int			 v = -1;

	/* Missing file: read-only never creates it. */
	assert_err(lsn_store_open(fx->db, migs3, LSN_STORE_READONLY, &st),
	    LSN_EDB);
	assert_null(st);
	assert_int_not_equal(access(fx->db, F_OK), 0);

	assert_ok(lsn_store_open(fx->db, migs3, 0, &st));
	assert_int_equal(insert_partner(st, 1, "nca-uk"), SQLITE_DONE);
	lsn_store_close(&st);

	/* Read-only does not migrate an older database. */
	assert_ok(lsn_store_open(fx->db, migs4, LSN_STORE_READONLY, &st));
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 3);
	assert_int_equal(count(st, SQL_COUNT_PARTNER), 1);
	assert_int_equal(insert_partner(st, 2, "other"), SQLITE_READONLY);
	assert_err(lsn_store_exec(st, "DELETE FROM partner"), LSN_EDB);
	lsn_store_close(&st);

	/* A read-only reader alongside a writer sees committed data. */
	{
		struct lsn_store *w = NULL;

		assert_ok(lsn_store_open(fx->db, migs3, 0, &w));
		assert_ok(lsn_store_open(fx->db, migs3, LSN_STORE_READONLY,
		    &st));
		assert_int_equal(insert_partner(w, 2, "second"), SQLITE_DONE);
		assert_int_equal(count(st, SQL_COUNT_PARTNER), 2);
		lsn_store_close(&st);
		lsn_store_close(&w);
	}
}

static void
test_store_open_bad_path(void **state)
{
	struct fx		*fx = *state;
	struct lsn_store	*st = NULL;
	char			*p = lsn_test_path(fx->dir, "no/such/dir.db");

	assert_err(lsn_store_open(p, migs3, 0, &st), LSN_EDB);
	assert_null(st);
	assert_true(lsn_log_captured("store: open"));
	free(p);
}

/*
 * The daemons install the fsync-timing VFS before their first open, as
 * here; sqlite must still run without memory statistics (each allocation
 * would take a process-wide lock). Runs first: the setting is the
 * process's and only takes before sqlite initialises.
 */
static void
test_store_no_memstatus_after_vfs_install(void **state)
{
	struct lsn_store	*st = NULL;
	sqlite3_int64		 cur = -1, hi = -1;

	(void) state;
	assert_ok(lsn_metrics_fsync_install());
	assert_ok(lsn_store_open(":memory:", migs3, 0, &st));
	assert_int_equal(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur,
	    &hi, 0), SQLITE_OK);
	assert_true(cur == 0 && hi == 0);
	lsn_store_close(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_no_memstatus_after_vfs_install),
		cmocka_unit_test_setup_teardown(test_store_migrates_empty_db,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_reopen_keeps_data_no_rerun, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_refuses_future_version, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_refuses_bad_migration_table, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_failed_migration_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_stmt_cache_same_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_stmt_cache_many_uses, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_begin_commit_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_wal_on_file_db,
		    setup, teardown),
		cmocka_unit_test(test_store_memory_db),
		cmocka_unit_test_setup_teardown(
		    test_store_foreign_keys_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_readonly_cannot_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open_bad_path,
		    setup, teardown),
	};
	return (cmocka_run_group_tests_name("store", tests, NULL, NULL));
}
