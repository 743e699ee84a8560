/*
 * store_fx.h -- fixtures for the store tests on both backends
 * (tests/integration/test_store_*.c): one throwaway PostgreSQL server per
 * test program (sfx_pg, started by the group setup), a fresh sqlite file
 * or PostgreSQL database per test, a small schema in both dialects and
 * helpers that assert.
 *
 * Ownership: the setups allocate a struct sfx that sfx_teardown frees;
 * sfx_pg belongs to the group setup/teardown. Not thread-safe.
 */
#ifndef LSN_STORE_FX_H
#define LSN_STORE_FX_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/store.h"

struct lsn_pgtmp;

#define T_ITEM_LITE \
    "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE," \
    " body BLOB, n INTEGER);" \
    "CREATE TABLE runs (step INTEGER NOT NULL);" \
    "INSERT INTO runs (step) VALUES (1);"
#define T_ITEM_PG \
    "CREATE TABLE item (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE," \
    " body BYTEA, n BIGINT);" \
    "CREATE TABLE runs (step BIGINT NOT NULL);" \
    "INSERT INTO runs (step) VALUES (1);"
#define T_STEP2 \
    "CREATE INDEX item_n ON item(n); INSERT INTO runs (step) VALUES (2);"
#define T_STEP3 \
    "ALTER TABLE item ADD COLUMN note TEXT; " \
    "INSERT INTO runs (step) VALUES (3);"


/* item (id, name UNIQUE, body, n) and runs (step); 2 or 3 steps. */
extern const struct lsn_migration sfx_migs2[];
extern const struct lsn_migration sfx_migs3[];
/* A store that exists only on sqlite (as the agent's). */
extern const struct lsn_migration sfx_lite_only[];

extern const char SFX_SQL_INS[];	/* id, name, body, n */
extern const char SFX_SQL_GET[];	/* by id */
extern const char SFX_SQL_COUNT[];	/* rows of item */
extern const char SFX_SQL_RUNS[];	/* rows of runs */
extern const char SFX_SQL_UPD[];	/* n = ?1 where id <= ?2 */
extern const char SFX_SQL_QUOTED[];	/* ? in quotes and comments */

/* The server of this test program (group setup). */
extern struct lsn_pgtmp	*sfx_pg;

struct sfx {
	int	 backend;
	char	*dir;		/* sqlite: the temp dir */
	char	 path[256];	/* the store's path or URI */
	char	 db[32];	/* PostgreSQL: the database's name */
};

/* cmocka group setup/teardown: start/stop sfx_pg. */
int	sfx_group_setup(void **state);
int	sfx_group_teardown(void **state);
/* A fresh sqlite file / PostgreSQL database for one test. */
int	sfx_setup_lite(void **state);
int	sfx_setup_pg(void **state);
int	sfx_teardown(void **state);

/* Runs sql on the fixture's database behind the store's back. */
void	sfx_raw_exec(struct sfx *fx, const char *sql);
/* Inserts a row of item (body NULL: NULL; null_n: n NULL); want: step's. */
void	sfx_ins(struct lsn_store *st, int64_t id, const char *name,
	    const void *body, size_t blen, int64_t n, int null_n, int want);
/* lsn_store_i64 that must succeed. */
int64_t	sfx_count(struct lsn_store *st, const char *sql);

#endif
