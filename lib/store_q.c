/*
 * store_q.c -- query.h on the sqlite backend: thin wrappers over the
 * store's cached sqlite3 statements; each dispatches to store_pg_q.c on a
 * PostgreSQL store. Declared in include/liaison/query.h.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"

#include "store_int.h"

int
lsn_store_backend(const struct lsn_store *st)
{
	return (st->backend == LSN_BACKEND_PG ? LSN_BACKEND_PG :
	    LSN_BACKEND_SQLITE);
}

int
lsn_store_q(struct lsn_store *st, const char *sql, struct lsn_q **out)
{
	struct stmt_slot	*s;
	int			 rv;

	if (st->backend == LSN_BACKEND_PG)
		return (pgq_get(st, sql, out));
	if ((rv = store_slot(st, sql, &s)) != LSN_OK)
		return (rv);
	if (s->q == NULL) {
		if ((s->q = calloc(1, sizeof(*s->q))) == NULL)
			return (LSN_ENOMEM);
		s->q->st = st;
		s->q->stmt = s->stmt;
	}
	*out = s->q;
	return (LSN_OK);
}

void
lsn_q_i64(struct lsn_q *q, int i, int64_t v)
{
	if (q->st->backend == LSN_BACKEND_PG) {
		pgq_bind(q, i, 20, NULL, 0, v);		/* int8 */
		return;
	}
	(void) sqlite3_bind_int64(q->stmt, i, (sqlite3_int64) v);
}

void
lsn_q_blob(struct lsn_q *q, int i, const void *p, size_t n)
{
	/* Callers bound sizes far below INT_MAX (frames are capped). */
	if (n > INT_MAX)
		n = 0;
	if (q->st->backend == LSN_BACKEND_PG) {
		pgq_bind(q, i, 17, p, n, 0);		/* bytea */
		return;
	}
	(void) sqlite3_bind_blob(q->stmt, i, p == NULL ? "" : p, (int) n,
	    SQLITE_STATIC);
}

void
lsn_q_text(struct lsn_q *q, int i, const char *s)
{
	if (q->st->backend == LSN_BACKEND_PG) {
		if (s == NULL)
			pgq_bind(q, i, 0, NULL, 0, 0);	/* as sqlite: NULL */
		else
			pgq_bind(q, i, 25, s, strlen(s), 0);	/* text */
		return;
	}
	(void) sqlite3_bind_text(q->stmt, i, s, -1, SQLITE_STATIC);
}

void
lsn_q_null(struct lsn_q *q, int i)
{
	if (q->st->backend == LSN_BACKEND_PG) {
		pgq_bind(q, i, 0, NULL, 0, 0);
		return;
	}
	(void) sqlite3_bind_null(q->stmt, i);
}

int
lsn_q_run(struct lsn_q *q)
{
	int	rv;

	rv = lsn_q_step(q);
	lsn_q_reset(q);
	return (rv == LSN_ROW ? LSN_OK : rv);
}

int
lsn_q_exec(struct lsn_q *q)
{
	int	rv;

	if (q->st->backend == LSN_BACKEND_PG)
		return (pgq_exec(q));
	rv = lsn_q_step(q);
	return (rv == LSN_ROW ? LSN_OK : rv);
}

int
lsn_q_step(struct lsn_q *q)
{
	int	rc, rv;

	if (q->st->backend == LSN_BACKEND_PG)
		return (pgq_step(q));
	rc = sqlite3_step(q->stmt);
	/* step answers the primary code (SQLITE_CONSTRAINT): which one? */
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		rc = sqlite3_extended_errcode(sqlite3_db_handle(q->stmt));
	switch (rc) {
	case SQLITE_ROW:
		return (LSN_ROW);
	case SQLITE_DONE:
		return (LSN_OK);
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return (LSN_EEXIST);	/* the caller's to judge: no log */
	default:
		rv = (rc & 0xff) == SQLITE_READONLY ? LSN_EPERM : LSN_EDB;
		store_describe(q->st, q->st->lasterr,
		    sizeof(q->st->lasterr));
		log_warnx("store: step '%.60s': %s", sqlite3_sql(q->stmt),
		    q->st->lasterr);
		return (rv);
	}
}

int64_t
lsn_q_col_i64(struct lsn_q *q, int c)
{
	if (q->st->backend == LSN_BACKEND_PG)
		return (pgq_col_i64(q, c));
	return ((int64_t) sqlite3_column_int64(q->stmt, c));
}

const void *
lsn_q_col_blob(struct lsn_q *q, int c, size_t *n)
{
	const void	*p;

	if (q->st->backend == LSN_BACKEND_PG)
		return (pgq_col_blob(q, c, n));
	p = sqlite3_column_blob(q->stmt, c);
	*n = (size_t) sqlite3_column_bytes(q->stmt, c);
	return (p);
}

const char *
lsn_q_col_text(struct lsn_q *q, int c)
{
	if (q->st->backend == LSN_BACKEND_PG)
		return (pgq_col_text(q, c));
	return ((const char *) sqlite3_column_text(q->stmt, c));
}

int
lsn_q_col_null(struct lsn_q *q, int c)
{
	if (q->st->backend == LSN_BACKEND_PG)
		return (pgq_col_null(q, c));
	return (sqlite3_column_type(q->stmt, c) == SQLITE_NULL);
}

void
lsn_q_reset(struct lsn_q *q)
{
	if (q == NULL)
		return;
	if (q->st->backend == LSN_BACKEND_PG) {
		pgq_reset(q);
		return;
	}
	(void) sqlite3_reset(q->stmt);
	(void) sqlite3_clear_bindings(q->stmt);
}

int64_t
lsn_store_changes(struct lsn_store *st)
{
	if (st->backend == LSN_BACKEND_PG)
		return (st->pg_changes);
	return ((int64_t) sqlite3_changes(st->db));
}

int
lsn_store_i64(struct lsn_store *st, const char *sql, int64_t *v)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(st, sql, &q)) != LSN_OK)
		return (rv);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*v = lsn_q_col_i64(q, 0);
		rv = LSN_OK;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}
