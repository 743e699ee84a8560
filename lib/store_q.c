/*
 * store_q.c -- query.h on the sqlite backend: thin wrappers over the
 * store's cached sqlite3 statements. Declared in include/liaison/query.h.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"

#include "store_int.h"

int
lsn_store_backend(const struct lsn_store *st)
{
	(void) st;
	return (LSN_BACKEND_SQLITE);
}

int
lsn_store_q(struct lsn_store *st, const char *sql, struct lsn_q **out)
{
	struct stmt_slot	*s;
	int			 rv;

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
	(void) sqlite3_bind_int64(q->stmt, i, (sqlite3_int64) v);
}

void
lsn_q_blob(struct lsn_q *q, int i, const void *p, size_t n)
{
	/* Callers bound sizes far below INT_MAX (frames are capped). */
	if (n > INT_MAX)
		n = 0;
	(void) sqlite3_bind_blob(q->stmt, i, p == NULL ? "" : p, (int) n,
	    SQLITE_STATIC);
}

void
lsn_q_text(struct lsn_q *q, int i, const char *s)
{
	(void) sqlite3_bind_text(q->stmt, i, s, -1, SQLITE_STATIC);
}

void
lsn_q_null(struct lsn_q *q, int i)
{
	(void) sqlite3_bind_null(q->stmt, i);
}

int
lsn_q_step(struct lsn_q *q)
{
	int	rc, rv;

	rc = sqlite3_step(q->stmt);
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
	return ((int64_t) sqlite3_column_int64(q->stmt, c));
}

const void *
lsn_q_col_blob(struct lsn_q *q, int c, size_t *n)
{
	const void	*p = sqlite3_column_blob(q->stmt, c);

	*n = (size_t) sqlite3_column_bytes(q->stmt, c);
	return (p);
}

const char *
lsn_q_col_text(struct lsn_q *q, int c)
{
	return ((const char *) sqlite3_column_text(q->stmt, c));
}

int
lsn_q_col_null(struct lsn_q *q, int c)
{
	return (sqlite3_column_type(q->stmt, c) == SQLITE_NULL);
}

void
lsn_q_reset(struct lsn_q *q)
{
	if (q == NULL)
		return;
	(void) sqlite3_reset(q->stmt);
	(void) sqlite3_clear_bindings(q->stmt);
}

int64_t
lsn_store_changes(struct lsn_store *st)
{
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
