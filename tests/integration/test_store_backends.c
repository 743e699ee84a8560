/*
 * test_store_backends.c -- the same query.h and store checks on both
 * backends: sqlite (a file in a temp dir) and PostgreSQL (a throwaway
 * server from pgtmp.h, one fresh database per test): types, NULLs,
 * duplicate keys, changes(), transactions, migrations, foreign
 * databases. Then the PostgreSQL-only interface and the daemons' schemas
 * on PostgreSQL. The failure modes and replication: test_store_pg.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/audit.h"
#include "liaison/dir.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"

#include "broker.h"
#include "lsn_test.h"
#include "pgtmp.h"
#include "store_fx.h"

/* Every type in and out, NULLs, `?` in quotes and comments. */
static void
test_types(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	struct lsn_q		*q;
	static const uint8_t	 blob[] = { 0, 1, 0xff, 0x80, '?', 0, 0x7f };
	const void		*p;
	size_t			 n;

	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	assert_int_equal(lsn_store_backend(st), fx->backend);
	sfx_ins(st, 1, "one", blob, sizeof(blob), INT64_MIN, 0, LSN_OK);
	sfx_ins(st, 2, "two", NULL, 0, 0, 1, LSN_OK);
	sfx_ins(st, 3, "three", "", 0, INT64_MAX, 0, LSN_OK);
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 3);

	assert_ok(lsn_store_q(st, SFX_SQL_GET, &q));
	lsn_q_i64(q, 1, 1);
	assert_int_equal(lsn_q_step(q), LSN_ROW);
	assert_int_equal(lsn_q_col_i64(q, 0), 1);
	assert_string_equal(lsn_q_col_text(q, 1), "one");
	assert_string_equal(lsn_q_col_text(q, 0), "1");
	p = lsn_q_col_blob(q, 2, &n);
	assert_int_equal(n, sizeof(blob));
	assert_memory_equal(p, blob, sizeof(blob));
	assert_true(lsn_q_col_i64(q, 3) == INT64_MIN);
	assert_false(lsn_q_col_null(q, 3));
	assert_int_equal(lsn_q_step(q), LSN_OK);
	lsn_q_reset(q);

	/* the same cached statement again: NULLs read as 0 / NULL */
	assert_ok(lsn_store_q(st, SFX_SQL_GET, &q));
	lsn_q_i64(q, 1, 2);
	assert_int_equal(lsn_q_step(q), LSN_ROW);
	assert_true(lsn_q_col_null(q, 2));
	assert_true(lsn_q_col_null(q, 3));
	assert_int_equal(lsn_q_col_i64(q, 3), 0);
	assert_null(lsn_q_col_blob(q, 2, &n));
	assert_int_equal(n, 0);
	lsn_q_reset(q);

	assert_ok(lsn_store_q(st, SFX_SQL_GET, &q));
	lsn_q_i64(q, 1, 3);
	assert_int_equal(lsn_q_step(q), LSN_ROW);
	assert_true(lsn_q_col_i64(q, 3) == INT64_MAX);
	(void) lsn_q_col_blob(q, 2, &n);
	assert_int_equal(n, 0);
	assert_false(lsn_q_col_null(q, 2));
	lsn_q_reset(q);

	/* no row */
	assert_ok(lsn_store_q(st, SFX_SQL_GET, &q));
	lsn_q_i64(q, 1, 42);
	assert_int_equal(lsn_q_step(q), LSN_OK);
	lsn_q_reset(q);

	/* `?` inside quotes and comments is not a parameter; 64-bit sums */
	assert_ok(lsn_store_q(st, SFX_SQL_QUOTED, &q));
	lsn_q_text(q, 1, "c");
	lsn_q_i64(q, 2, (int64_t) 1 << 40);
	assert_int_equal(lsn_q_step(q), LSN_ROW);
	assert_string_equal(lsn_q_col_text(q, 0), "a?bc");
	assert_true(lsn_q_col_i64(q, 1) == ((int64_t) 1 << 40) + 1);
	lsn_q_reset(q);

	/* aggregates cast back to BIGINT read the same on both */
	assert_int_equal(sfx_count(st,
	    "SELECT CAST(sum(id) AS BIGINT) FROM item"),
	    6);
	assert_err(lsn_store_i64(st, "SELECT id FROM item WHERE id = 99",
	    &(int64_t){ 0 }), LSN_ENOENT);
	lsn_store_close(&st);
}

/* Duplicate keys, changes(), a statement that does not prepare. */
static void
test_eexist_changes(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	struct lsn_q		*q;

	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	sfx_ins(st, 1, "one", "x", 1, 5, 0, LSN_OK);
	sfx_ins(st, 2, "two", "y", 1, 6, 0, LSN_OK);
	lsn_log_capture_start();
	sfx_ins(st, 1, "uno", "z", 1, 7, 0, LSN_EEXIST);	/* primary */
	sfx_ins(st, 3, "two", "z", 1, 7, 0, LSN_EEXIST);	/* unique */
	assert_false(lsn_log_captured("store:"));	/* EEXIST: no log */
	lsn_log_capture_stop();
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 2);

	assert_ok(lsn_store_q(st, SFX_SQL_UPD, &q));
	lsn_q_i64(q, 1, 9);
	lsn_q_i64(q, 2, 2);
	assert_int_equal(lsn_q_step(q), LSN_OK);
	lsn_q_reset(q);
	assert_int_equal(lsn_store_changes(st), 2);
	/* a SELECT does not change the count */
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 2);
	assert_int_equal(lsn_store_changes(st), 2);
	assert_ok(lsn_store_q(st, "DELETE FROM item WHERE id = ?", &q));
	lsn_q_i64(q, 1, 99);
	assert_int_equal(lsn_q_step(q), LSN_OK);
	lsn_q_reset(q);
	assert_int_equal(lsn_store_changes(st), 0);

	lsn_log_capture_start();
	if (lsn_store_q(st, "SELECT nosuch FROM item", &q) == LSN_OK)
		assert_err(lsn_q_step(q), LSN_EDB);
	assert_true(lsn_log_captured("nosuch"));
	lsn_log_capture_stop();
	if (fx->backend == LSN_BACKEND_PG) {
		/* ?NNN is not portable (query.h): refused, not mistranslated */
		lsn_log_capture_start();
		assert_err(lsn_store_q(st, "SELECT id FROM item WHERE id = ?1",
		    &q), LSN_EDB);
		lsn_log_capture_stop();
	}
	/* the store is still usable */
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 2);
	lsn_store_close(&st);
}

/* Rollback discards, commit keeps. */
static void
test_transactions(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;

	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	assert_ok(lsn_store_begin(st));
	assert_true(lsn_store_in_tx(st));
	assert_err(lsn_store_begin(st), LSN_EINTERNAL);
	sfx_ins(st, 1, "one", "x", 1, 5, 0, LSN_OK);
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 1);
	lsn_store_rollback(st);
	assert_false(lsn_store_in_tx(st));
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 0);

	assert_ok(lsn_store_begin(st));
	sfx_ins(st, 1, "one", "x", 1, 5, 0, LSN_OK);
	sfx_ins(st, 2, "two", "y", 1, 5, 0, LSN_OK);
	assert_ok(lsn_store_commit(st));
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 2);
	assert_err(lsn_store_commit(st), LSN_EINTERNAL);
	lsn_store_close(&st);

	/* what was committed is there for the next connection */
	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	assert_int_equal(sfx_count(st, SFX_SQL_COUNT), 2);
	lsn_store_close(&st);
}

/* Fresh, repeated, newer steps; a newer database is refused. */
static void
test_migrations(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	int			 v = -1;

	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 2);
	assert_int_equal(sfx_count(st, SFX_SQL_RUNS), 2);
	lsn_store_close(&st);

	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	assert_int_equal(sfx_count(st, SFX_SQL_RUNS), 2);	/* not again */
	lsn_store_close(&st);

	assert_ok(lsn_store_open(fx->path, sfx_migs3, 0, &st));
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 3);
	assert_int_equal(sfx_count(st, SFX_SQL_RUNS), 3);
	lsn_store_close(&st);

	lsn_log_capture_start();
	assert_err(lsn_store_open(fx->path, sfx_migs2, 0, &st), LSN_EVERSION);
	assert_null(st);
	assert_true(lsn_log_captured("newer"));
	lsn_log_capture_stop();
	assert_err(lsn_store_open(fx->path, sfx_migs2, LSN_STORE_READONLY, &st),
	    LSN_EVERSION);

	/* read-only opens read and never write */
	assert_ok(lsn_store_open(fx->path, sfx_migs3, LSN_STORE_READONLY, &st));
	assert_int_equal(sfx_count(st, SFX_SQL_RUNS), 3);
	lsn_log_capture_start();
	sfx_ins(st, 1, "one", "x", 1, 5, 0, LSN_EPERM);
	lsn_log_capture_stop();
	lsn_store_close(&st);
}

/* A failed step leaves the version where it was. */
static void
test_failed_migration(void **state)
{
	static const struct lsn_migration bad[] = {
		{ .to = 1, .sql = T_ITEM_LITE, .pg_sql = T_ITEM_PG },
		{ .to = 2, .sql = "CREATE TABLE b (x INTEGER); "
		    "INSERT INTO nosuch VALUES (1);",
		    .pg_sql = "CREATE TABLE b (x BIGINT); "
		    "INSERT INTO nosuch VALUES (1);" },
		{ .to = 0, .sql = NULL, .pg_sql = NULL },
	};
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	int			 v = -1;

	lsn_log_capture_start();
	assert_err(lsn_store_open(fx->path, bad, 0, &st), LSN_EDB);
	lsn_log_capture_stop();
	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 2);
	lsn_store_close(&st);
}

/* Another program's database is refused, never migrated. */
static void
test_foreign(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;

	sfx_raw_exec(fx, "CREATE TABLE other (a INTEGER)");
	lsn_log_capture_start();
	assert_err(lsn_store_open(fx->path, sfx_migs2, 0, &st), LSN_EDB);
	assert_true(lsn_log_captured("another program"));
	lsn_log_capture_stop();
	assert_null(st);
}

/* ---- PostgreSQL only ---- */

static void
test_pg_interfaces(void **state)
{
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;

	lsn_log_capture_start();
	assert_err(lsn_store_open(fx->path, sfx_lite_only, 0, &st),
	    LSN_ECONFIG);
	lsn_log_capture_stop();
	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	assert_null(lsn_store_db(st));
	assert_err(lsn_store_exec(st, "INSERT INTO runs VALUES (7); "
	    "INSERT INTO runs VALUES (8)"), LSN_OK);
	assert_int_equal(sfx_count(st, SFX_SQL_RUNS), 4);
	lsn_store_close(&st);
	/* postgres:// is the same */
	memmove(fx->path + 8, fx->path + 10, strlen(fx->path + 10) + 1);
	assert_ok(lsn_store_open(fx->path, sfx_migs2, 0, &st));
	lsn_store_close(&st);
}

/*
 * The directory's and the broker's schemas migrate; the trigger counts;
 * texts sort bytewise (as sqlite) in a database whose locale does not.
 */
static void
test_pg_daemon_schemas(void **state)
{
	static const char *const want[] = { "B", "_x", "a", "b", "\xc3\xa9" };
	struct sfx		*fx = *state;
	struct lsn_store	*st = NULL;
	struct lsn_q		*q;
	char			 sql[160];
	int			 v = 0, i = 0;

	snprintf(sql, sizeof(sql), "CREATE DATABASE %si TEMPLATE template0 "
	    "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'", fx->db);
	assert_int_equal(lsn_pgtmp_exec(sfx_pg, "postgres", sql), 0);
	strcat(fx->db, "i");
	lsn_pgtmp_uri(sfx_pg, "postgres", fx->db, fx->path, sizeof(fx->path));
	assert_ok(lsn_store_open(fx->path, broker_migrations, 0, &st));
	assert_ok(lsn_store_exec(st, "INSERT INTO recipients (partner, "
	    "next_seq, acked_seq) VALUES ('b', 1, 0), ('a', 1, 0), "
	    "('B', 1, 0), ('_x', 1, 0), ('\xc3\xa9', 1, 0)"));
	assert_ok(lsn_store_q(st, "SELECT partner FROM recipients ORDER BY "
	    "partner", &q));
	while (lsn_q_step(q) == LSN_ROW && i < 5)
		assert_string_equal(lsn_q_col_text(q, 0), want[i++]);
	assert_int_equal(i, 5);
	lsn_q_reset(q);
	assert_ok(lsn_store_exec(st, "DELETE FROM recipients"));
	assert_ok(lsn_store_version(st, &v));
	assert_int_equal(v, 4);
	assert_ok(lsn_store_exec(st, "INSERT INTO recipients (partner, "
	    "next_seq, acked_seq) VALUES ('p1', 1, 0)"));
	assert_ok(lsn_store_q(st, "INSERT INTO queue (recipient, seq, "
	    "message_id) VALUES (?, ?, ?)", &q));
	lsn_q_text(q, 1, "p1");
	lsn_q_i64(q, 2, 1);
	lsn_q_blob(q, 3, "m", 1);
	assert_int_equal(lsn_q_step(q), LSN_OK);
	lsn_q_reset(q);
	assert_int_equal(sfx_count(st, "SELECT queued FROM recipients"), 1);
	assert_int_equal(sfx_count(st, "SELECT n FROM msg_pending"), 1);
	assert_ok(lsn_store_exec(st, "DELETE FROM queue"));
	assert_int_equal(sfx_count(st, "SELECT queued FROM recipients"), 0);
	assert_int_equal(sfx_count(st, "SELECT count(*) FROM msg_pending"),
	    0);
	assert_int_equal(sfx_count(st, "SELECT count(*) FROM audit"), 0);
	lsn_store_close(&st);
	/* a directory-only store is the broker's at version 1 */
	lsn_log_capture_start();
	assert_err(lsn_store_open(fx->path, lsn_dir_migrations,
	    LSN_STORE_READONLY, &st), LSN_EVERSION);
	lsn_log_capture_stop();
}

#define BOTH(t) \
	cmocka_unit_test_setup_teardown(t, sfx_setup_lite, sfx_teardown), \
	cmocka_unit_test_setup_teardown(t, sfx_setup_pg, sfx_teardown)
#define PG(t) cmocka_unit_test_setup_teardown(t, sfx_setup_pg, sfx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_types),
		BOTH(test_eexist_changes),
		BOTH(test_transactions),
		BOTH(test_migrations),
		BOTH(test_failed_migration),
		BOTH(test_foreign),
		PG(test_pg_interfaces),
		PG(test_pg_daemon_schemas),
	};

	return (cmocka_run_group_tests(tests, sfx_group_setup,
	    sfx_group_teardown));
}
