/*
 * test_store_pipeline.c -- lsn_q_exec on PostgreSQL (libpq pipeline mode
 * inside a transaction, lib/store_pg_q.c) and the audit chain's
 * per-transaction head (lib/audit.c): a statement whose answer is not
 * awaited must still fail its transaction, never commit silently; a
 * savepoint rolled back must not leave the chain pointing at an undone
 * entry; a connection lost before the COMMIT was sent is no doubt. One throwaway server (pgtmp.h), one fresh database per test.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/audit.h"
#include "liaison/query.h"
#include "liaison/store.h"

#include "lsn_test.h"
#include "pgtmp.h"

#define T_PG \
    "CREATE TABLE item (id BIGINT PRIMARY KEY, n BIGINT);"
#define T_LITE \
    "CREATE TABLE item (id INTEGER PRIMARY KEY, n INTEGER);"

static const struct lsn_migration migs[] = {
	{ .to = 1, .sql = T_LITE LSN_AUDIT_SCHEMA_V1,
	    .pg_sql = T_PG LSN_AUDIT_SCHEMA_PG_V1 },
	{ .to = 0, .sql = NULL, .pg_sql = NULL },
};

static const char SQL_INS[] = "INSERT INTO item (id, n) VALUES (?, ?)";
static const char SQL_COUNT[] = "SELECT count(*) FROM item";

static struct lsn_pgtmp	*pg;
static int		 ndb;

static int
group_setup(void **state)
{
	(void) state;
	return (lsn_pgtmp_start(NULL, &pg) == 0 ? 0 : -1);
}

static int
group_teardown(void **state)
{
	(void) state;
	lsn_pgtmp_stop(&pg);
	return (0);
}

/* A fresh database, opened with migs. */
static int
setup(void **state)
{
	struct lsn_store	*st = NULL;
	char			 sql[64], db[16], uri[256];

	snprintf(db, sizeof(db), "p%d", ++ndb);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	if (lsn_pgtmp_exec(pg, "postgres", sql) != 0)
		return (-1);
	lsn_pgtmp_uri(pg, "postgres", db, uri, sizeof(uri));
	if (lsn_store_open(uri, migs, LSN_STORE_OWNER | LSN_STORE_INIT,
	    &st) != LSN_OK)
		return (-1);
	*state = st;
	return (0);
}

static int
teardown(void **state)
{
	struct lsn_store	*st = *state;

	lsn_store_close(&st);
	return (0);
}

static int
ins(struct lsn_store *st, int64_t id, int64_t n)
{
	struct lsn_q	*q;
	int		 rv;

	assert_ok(lsn_store_q(st, SQL_INS, &q));
	lsn_q_i64(q, 1, id);
	lsn_q_i64(q, 2, n);
	rv = lsn_q_exec(q);
	lsn_q_reset(q);
	return (rv);
}

static int64_t
count(struct lsn_store *st)
{
	int64_t	v = -1;

	assert_ok(lsn_store_i64(st, SQL_COUNT, &v));
	return (v);
}

/* Sent statements ride with the next SELECT and are seen by it. */
static void
test_exec_then_select(void **state)
{
	struct lsn_store	*st = *state;

	assert_ok(lsn_store_begin(st));
	for (int i = 1; i <= 300; i++)	/* past one pipeline's limit */
		assert_ok(ins(st, i, i));
	assert_int_equal(count(st), 300);
	assert_ok(ins(st, 301, 0));
	assert_ok(lsn_store_commit(st));
	assert_int_equal(count(st), 301);
}

/* A failed sent statement: no COMMIT, nothing stored, store usable. */
static void
test_exec_failure_fails_commit(void **state)
{
	struct lsn_store	*st = *state;
	int			 rv;

	assert_ok(lsn_store_begin(st));
	assert_ok(ins(st, 1, 1));
	rv = ins(st, 1, 2);		/* duplicate key, answer not awaited */
	assert_true(rv == LSN_OK || rv == LSN_EDB);
	rv = ins(st, 2, 2);
	assert_true(rv == LSN_OK || rv == LSN_EDB);
	assert_int_not_equal(lsn_store_commit(st), LSN_OK);
	assert_false(lsn_store_in_tx(st));
	assert_int_equal(count(st), 0);
	/* the next transaction is clean */
	assert_ok(lsn_store_begin(st));
	assert_ok(ins(st, 3, 3));
	assert_ok(lsn_store_commit(st));
	assert_int_equal(count(st), 1);
}

/* The failure comes out of the next waiting statement as LSN_EDB (not
 * the other statement's LSN_EEXIST) and sticks until the rollback. */
static void
test_exec_failure_at_next_step(void **state)
{
	struct lsn_store	*st = *state;
	struct lsn_q		*q;
	int64_t			 v;

	assert_ok(lsn_store_begin(st));
	assert_ok(ins(st, 1, 1));
	(void) ins(st, 1, 1);
	assert_ok(lsn_store_q(st, SQL_COUNT, &q));
	assert_int_equal(lsn_q_step(q), LSN_EDB);
	lsn_q_reset(q);
	assert_int_equal(ins(st, 5, 5), LSN_EDB);
	assert_int_equal(lsn_store_i64(st, SQL_COUNT, &v), LSN_EDB);
	assert_int_equal(lsn_store_exec(st, "SELECT 1"), LSN_EDB);
	lsn_store_rollback(st);
	assert_int_equal(count(st), 0);
	/* outside a transaction it waits: the caller sees LSN_EEXIST */
	assert_ok(ins(st, 7, 7));
	assert_int_equal(ins(st, 7, 7), LSN_EEXIST);
}

/* The connection lost with statements sent: the COMMIT is not sent,
 * the caller sees LSN_ECLOSED, and the outcome is not in doubt. */
static void
test_exec_connection_lost(void **state)
{
	struct lsn_store	*st = *state;
	char			 sql[96];
	int64_t			 pid = 0;

	assert_ok(lsn_store_i64(st, "SELECT pg_backend_pid()", &pid));
	assert_ok(lsn_store_begin(st));
	assert_ok(ins(st, 1, 1));
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%" PRId64 ")",
	    pid);
	assert_int_equal(lsn_pgtmp_exec(pg, "postgres", sql), 0);
	(void) ins(st, 2, 2);
	assert_int_equal(lsn_store_commit(st), LSN_ECLOSED);
	assert_false(lsn_store_in_doubt(st));
	assert_false(lsn_store_in_tx(st));
}

/* Many entries per transaction, a savepoint rolled back between: the
 * chain verifies and has no entry of the undone part. */
static void
test_audit_chain(void **state)
{
	struct lsn_store	*st = *state;
	struct lsn_audit_result	 res;

	assert_ok(lsn_store_begin(st));
	for (int i = 0; i < 50; i++)
		assert_ok(lsn_audit_append(st, 1000 + (uint64_t) i,
		    "test", "a", "first turn", NULL, NULL));
	assert_ok(lsn_store_commit(st));
	assert_ok(lsn_store_begin(st));
	assert_ok(lsn_audit_append(st, 2000, "test", "b", "kept", NULL,
	    NULL));
	assert_ok(lsn_store_exec(st, "SAVEPOINT t"));
	assert_ok(lsn_audit_append(st, 2001, "test", "c", "undone", NULL,
	    NULL));
	assert_ok(lsn_store_exec(st, "ROLLBACK TO t"));
	assert_ok(lsn_store_exec(st, "RELEASE t"));
	assert_ok(lsn_audit_append(st, 2002, "test", "d", "after", NULL,
	    NULL));
	assert_ok(lsn_store_commit(st));
	/* a rolled-back transaction leaves no head behind */
	assert_ok(lsn_store_begin(st));
	assert_ok(lsn_audit_append(st, 3000, "test", "e", "undone", NULL,
	    NULL));
	lsn_store_rollback(st);
	assert_ok(lsn_store_begin(st));
	assert_ok(lsn_audit_append(st, 3001, "test", "f", "last", NULL,
	    NULL));
	assert_ok(lsn_store_commit(st));
	memset(&res, 0, sizeof(res));
	assert_ok(lsn_audit_verify(st, &res));
	assert_int_equal(res.count, 53);
	assert_int_equal(res.last_id, 53);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec_then_select, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_failure_fails_commit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_failure_at_next_step,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_connection_lost,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
