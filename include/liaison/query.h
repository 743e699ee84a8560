/*
 * query.h -- statements that run on either of the store's backends:
 * sqlite (embedded, the default) or PostgreSQL (libpq; the broker's
 * highly available store). The broker and the directory code (lib/dir*,
 * lib/audit*) speak only this interface; they never call sqlite3_* or
 * PQ* themselves.
 *
 * SQL text: one statement, parameters written as `?` (never ?NNN, :name
 * or $n), numbered from 1 in order of appearance. On PostgreSQL each `?`
 * outside a quoted string becomes $1, $2, ... Write SQL that both
 * engines accept (INSERT ... ON CONFLICT DO NOTHING, RETURNING,
 * coalesce, CASE, no rowid, no sqlite-only functions); where they must
 * differ, keep two static texts and pick with LSN_SQL(st, lite, pg).
 * Integer columns are 64-bit on both (BIGINT on PostgreSQL); aggregates
 * that PostgreSQL widens (sum) are cast back with CAST(... AS BIGINT).
 *
 * Ownership: lsn_store_q returns a statement owned by the store, cached
 * by the address of its SQL text (pass string literals or static const
 * strings), reset and unbound. Do not free it. Bound blobs and texts are
 * borrowed: they must stay valid until the last lsn_q_step of this use.
 * Column values are borrowed until the next lsn_q_step or lsn_q_reset.
 * Call lsn_q_reset when done with a statement's rows (it releases
 * sqlite's read snapshot and PostgreSQL's result).
 *
 * Errors of lsn_q_step: LSN_EEXIST (a unique or primary key constraint),
 * LSN_EPERM (the store is read-only: a PostgreSQL standby, a read-only
 * transaction), LSN_ECLOSED (the connection to the server is lost: the
 * caller stops using this store), LSN_EDB (anything else). All are
 * logged with the backend's message; lsn_store_errmsg has it too.
 */
#ifndef LIAISON_QUERY_H
#define LIAISON_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"
#include "liaison/store.h"

struct lsn_q;

/* lsn_q_step's answer when a row is ready (LSN_OK: no more rows). */
#define LSN_ROW		1

/* The store's backend (lsn_store_backend). */
#define LSN_BACKEND_SQLITE	1
#define LSN_BACKEND_PG		2

/* One of two static SQL texts, by the store's backend. */
#define LSN_SQL(st, lite, pg) \
	(lsn_store_backend(st) == LSN_BACKEND_PG ? (pg) : (lite))

int	lsn_store_backend(const struct lsn_store *st);

/*
 * The cached, reset statement for sql; LSN_EDB if it does not prepare.
 * On PostgreSQL the statement is prepared at its first lsn_q_step, so an
 * SQL error shows there (LSN_EDB) rather than here.
 */
int	lsn_store_q(struct lsn_store *st, const char *sql,
	    struct lsn_q **out) LSN_MUST_CHECK;

/* Parameters, numbered from 1. Blobs/texts are borrowed (see above). */
void	lsn_q_i64(struct lsn_q *q, int i, int64_t v);
void	lsn_q_blob(struct lsn_q *q, int i, const void *p, size_t n);
void	lsn_q_text(struct lsn_q *q, int i, const char *s);	/* NUL-ended */
void	lsn_q_null(struct lsn_q *q, int i);

/* Runs or advances: LSN_ROW, LSN_OK (done) or an error (see above). */
int	lsn_q_step(struct lsn_q *q) LSN_MUST_CHECK;

/*
 * Runs a statement whose rows and change count are not needed (INSERT,
 * UPDATE or DELETE without RETURNING). Inside a transaction on
 * PostgreSQL it is sent without waiting for its answer (libpq pipeline
 * mode) and rides with the next statement that waits: a failure of it
 * is then returned by that later call or by lsn_store_commit, as LSN_EDB
 * (never LSN_EEXIST), LSN_EPERM or LSN_ECLOSED, and every call of the
 * transaction after it fails until lsn_store_rollback: the transaction
 * can never commit without it. Outside a transaction, and on sqlite, it is
 * lsn_q_step (LSN_ROW reads as LSN_OK). lsn_store_changes does not count
 * it. Bindings are copied when it returns.
 */
int	lsn_q_exec(struct lsn_q *q) LSN_MUST_CHECK;

/*
 * Steps q once and resets it: a write, or a read whose row is not needed.
 * LSN_ROW reads as LSN_OK; errors as lsn_q_step's.
 */
int	lsn_q_run(struct lsn_q *q) LSN_MUST_CHECK;

/* A one-row read's lsn_q_step as its answer: the row LSN_OK, none
 * LSN_ENOENT, errors unchanged. */
#define LSN_Q_ROW(rv)	((rv) == LSN_ROW ? LSN_OK : \
			    (rv) == LSN_OK ? LSN_ENOENT : (rv))

/* A row callback's answer (> 0 stop early, 0 go on, < 0 an error) as
 * the walk's result when it stopped: > 0 LSN_OK, else the error. */
#define LSN_Q_STOP(r)	((r) > 0 ? LSN_OK : (r))

/* Columns of the current row, numbered from 0. NULL reads as 0 / NULL. */
int64_t		 lsn_q_col_i64(struct lsn_q *q, int c);
const void	*lsn_q_col_blob(struct lsn_q *q, int c, size_t *n);
const char	*lsn_q_col_text(struct lsn_q *q, int c);	/* NUL-ended */
int		 lsn_q_col_null(struct lsn_q *q, int c);

/* Ends this use: drops the rows and the bindings. Accepts NULL. */
void	lsn_q_reset(struct lsn_q *q);

/* Rows changed by the last INSERT/UPDATE/DELETE run on st. */
int64_t	lsn_store_changes(struct lsn_store *st);

/*
 * Runs sql with no parameters and returns its first column of the first
 * row in *v (LSN_ENOENT when there is no row). For counts and checks.
 */
int	lsn_store_i64(struct lsn_store *st, const char *sql,
	    int64_t *v) LSN_MUST_CHECK;

#endif /* LIAISON_QUERY_H */
