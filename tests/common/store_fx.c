/*
 * store_fx.c -- fixtures for the store tests on both backends (see
 * store_fx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"

#include "lsn_test.h"
#include "pgtmp.h"
#include "store_fx.h"

const struct lsn_migration sfx_migs2[] = {
	{ .to = 1, .sql = T_ITEM_LITE, .pg_sql = T_ITEM_PG },
	{ .to = 2, .sql = T_STEP2, .pg_sql = T_STEP2 },
	{ .to = 0, .sql = NULL, .pg_sql = NULL },
};
const struct lsn_migration sfx_migs3[] = {
	{ .to = 1, .sql = T_ITEM_LITE, .pg_sql = T_ITEM_PG },
	{ .to = 2, .sql = T_STEP2, .pg_sql = T_STEP2 },
	{ .to = 3, .sql = T_STEP3, .pg_sql = T_STEP3 },
	{ .to = 0, .sql = NULL, .pg_sql = NULL },
};
/* A store that exists only on sqlite (as the agent's). */
const struct lsn_migration sfx_lite_only[] = {
	{ .to = 1, .sql = T_ITEM_LITE, .pg_sql = NULL },
	{ .to = 0, .sql = NULL, .pg_sql = NULL },
};

const char SFX_SQL_INS[] =
    "INSERT INTO item (id, name, body, n) VALUES (?, ?, ?, ?)";
const char SFX_SQL_GET[] =
    "SELECT id, name, body, n FROM item WHERE id = ?";
const char SFX_SQL_COUNT[] = "SELECT count(*) FROM item";
const char SFX_SQL_RUNS[] = "SELECT count(*) FROM runs";
const char SFX_SQL_UPD[] = "UPDATE item SET n = ? WHERE id <= ?";
const char SFX_SQL_QUOTED[] =
    "SELECT 'a?b' || ?, ? + 1 -- a comment? yes\n";

struct lsn_pgtmp	*sfx_pg;	/* one server for the whole run */
static int		 sfx_ndb;	/* databases created so far */

int
sfx_group_setup(void **state)
{
	(void) state;
	if (lsn_pgtmp_start(NULL, &sfx_pg) != 0)
		return (-1);
	return (0);
}

int
sfx_group_teardown(void **state)
{
	(void) state;
	lsn_pgtmp_stop(&sfx_pg);
	return (0);
}

int
sfx_setup_lite(void **state)
{
	struct sfx	*fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->backend = LSN_BACKEND_SQLITE;
	fx->dir = lsn_test_tmpdir();
	snprintf(fx->path, sizeof(fx->path), "%s/t.db", fx->dir);
	*state = fx;
	return (0);
}

int
sfx_setup_pg(void **state)
{
	struct sfx	*fx = calloc(1, sizeof(*fx));
	char		 sql[64];

	assert_non_null(fx);
	fx->backend = LSN_BACKEND_PG;
	snprintf(fx->db, sizeof(fx->db), "t%d", ++sfx_ndb);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", fx->db);
	if (lsn_pgtmp_exec(sfx_pg, "postgres", sql) != 0) {
		free(fx);
		return (-1);
	}
	lsn_pgtmp_uri(sfx_pg, "postgres", fx->db, fx->path, sizeof(fx->path));
	*state = fx;
	return (0);
}

int
sfx_teardown(void **state)
{
	struct sfx	*fx = *state;

	lsn_log_capture_stop();
	if (fx->dir != NULL) {
		lsn_test_rmdir(fx->dir);
		free(fx->dir);
	}
	free(fx);
	return (0);
}

/* Runs sql on the fixture's database behind the store's back. */
void
sfx_raw_exec(struct sfx *fx, const char *sql)
{
	sqlite3	*db = NULL;

	if (fx->backend == LSN_BACKEND_PG) {
		assert_int_equal(lsn_pgtmp_exec(sfx_pg, fx->db, sql), 0);
		return;
	}
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

void
sfx_ins(struct lsn_store *st, int64_t id, const char *name, const void *body,
    size_t blen, int64_t n, int null_n, int want)
{
	struct lsn_q	*q;

	assert_ok(lsn_store_q(st, SFX_SQL_INS, &q));
	lsn_q_i64(q, 1, id);
	lsn_q_text(q, 2, name);
	if (body != NULL)
		lsn_q_blob(q, 3, body, blen);
	else
		lsn_q_null(q, 3);
	if (null_n)
		lsn_q_null(q, 4);
	else
		lsn_q_i64(q, 4, n);
	assert_err(lsn_q_step(q), want);
	lsn_q_reset(q);
}

int64_t
sfx_count(struct lsn_store *st, const char *sql)
{
	int64_t	v = -1;

	assert_ok(lsn_store_i64(st, sql, &v));
	return (v);
}

