/*
 * store_pg_q.c -- query.h on PostgreSQL: `?` becomes $1..$n, each SQL
 * text is prepared once per connection (a named statement "lsn_q<n>",
 * cached by the text's address in the store's slot table), run with
 * PQexecPrepared with binary parameters and binary results; lsn_q_step
 * walks the rows of the result. Declared in lib/store_int.h.
 *
 * Parameter types: a text is prepared at its first run with the types of
 * that run's bindings (int8, bytea, text; unknown for NULL), so `? + 1`
 * is bigint arithmetic as on sqlite; PQdescribePrepared then gives the
 * types the server settled on. A later binding of another type than the
 * server's (a text for a bigint, an integer for an int4 expression) goes
 * in text format, which the server converts.
 *
 * Pipeline: lsn_q_exec in a transaction sends its statement in libpq
 * pipeline mode and does not wait; the next statement that needs an
 * answer joins the pipeline and syncs it (one round trip for all), and
 * every other use of the connection (store_pg.c) syncs first. A failure
 * of a sent statement is sticky (st->pg_deferr): every later call fails
 * and the COMMIT is never sent, until the rollback clears it.
 */
#include <endian.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/query.h"
#include "liaison/store.h"

#include "store_int.h"

/* Type OIDs (server/catalog/pg_type_d.h, stable across versions). */
#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_NAME	19
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_TEXT	25
#define OID_OID		26
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_BPCHAR	1042
#define OID_VARCHAR	1043
#define OID_NUMERIC	1700

#define PGQ_MAX_PARAMS	65535	/* the protocol's limit */
#define PGQ_PIPE_MAX	256	/* statements sent before a sync */

/*
 * sql with each `?` outside quotes and comments replaced by $1, $2, ...
 * (a new string) and the count in *np; NULL when out of memory, over
 * the protocol's limit of parameters, or for a ?NNN (query.h: plain ?).
 */
static char *
pgq_translate(const char *sql, int *np)
{
	const char	*p;
	char		*out, *o;
	size_t		 nq = 0, len;
	int		 n = 0;

	for (p = sql; *p != '\0'; p++)
		if (*p == '?')
			nq++;
	len = strlen(sql);
	if (nq > PGQ_MAX_PARAMS || (out = malloc(len + nq * 6 + 1)) == NULL)
		return (NULL);
	for (p = sql, o = out; *p != '\0'; p++) {
		char	q = *p;

		if (q == '\'' || q == '"') {
			/* a quoted string or name; '' and "" stay inside */
			*o++ = *p++;
			while (*p != '\0' && *p != q)
				*o++ = *p++;
			if (*p == '\0')
				break;
			*o++ = *p;
		} else if (q == '-' && p[1] == '-') {
			while (*p != '\0' && *p != '\n')
				*o++ = *p++;
			if (*p == '\0')
				break;
			*o++ = *p;
		} else if (q == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			size_t l = e != NULL ? (size_t) (e + 2 - p) : strlen(p);

			memcpy(o, p, l);
			o += l;
			p += l - 1;
		} else if (q == '?') {
			/* ?NNN would become $1NNN: refused (query.h) */
			if (p[1] >= '0' && p[1] <= '9') {
				free(out);
				return (NULL);
			}
			o += sprintf(o, "$%d", ++n);
		}
		else
			*o++ = q;
	}
	*o = '\0';
	*np = n;
	return (out);
}

/* The statement of sql: cached, or new (prepared at its first run). */
int
pgq_get(struct lsn_store *st, const char *sql, struct lsn_q **out)
{
	struct stmt_slot	*s;
	struct lsn_q		*q;
	int			 rv;

	if (sql == NULL)
		return (LSN_EINVAL);
	if ((s = store_slot_lookup(st, sql)) != NULL) {
		pgq_reset(s->q);
		*out = s->q;
		return (LSN_OK);
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (LSN_ENOMEM);
	q->st = st;
	q->sql = sql;
	q->row = -1;
	q->id = ++st->pg_nq;
	if ((q->pgsql = pgq_translate(sql, &q->nparams)) == NULL) {
		log_warnx("store: prepare '%.60s': ?NNN parameters (use plain "
		    "?), too many parameters or out of memory", sql);
		free(q);
		return (LSN_EDB);
	}
	if (q->nparams > 0 &&
	    (q->par = calloc((size_t) q->nparams, sizeof(*q->par))) == NULL) {
		pgq_free(q);
		return (LSN_ENOMEM);
	}
	if ((rv = store_slot_add(st, sql, &s)) != LSN_OK) {
		pgq_free(q);
		return (rv);
	}
	s->q = q;
	*out = q;
	return (LSN_OK);
}

void
pgq_bind(struct lsn_q *q, int i, Oid type, const void *p, size_t n,
    int64_t v)
{
	struct pgq_param	*pp;

	/* As sqlite: an index out of range is ignored (SQLITE_RANGE). */
	if (i < 1 || i > q->nparams)
		return;
	pp = &q->par[i - 1];
	pp->type = type;
	pp->p = p;
	pp->len = n > INT_MAX ? 0 : (int) n;
	pp->i = v;
}

/*
 * PQprepare with the current bindings' types, then the server's types of
 * every parameter (PQdescribePrepared).
 */
static int
pgq_prepare(struct lsn_q *q)
{
	struct lsn_store	*st = q->st;
	PGresult		*res;
	Oid			*types = NULL;
	char			 name[24];
	int			 rv = LSN_OK;

	snprintf(name, sizeof(name), "lsn_q%u", q->id);
	if (q->nparams > 0) {
		if ((types = calloc((size_t) q->nparams, sizeof(*types))) ==
		    NULL)
			return (LSN_ENOMEM);
		for (int i = 0; i < q->nparams; i++)
			types[i] = q->par[i].type;
	}
	res = PQprepare(st->pg, name, q->pgsql, q->nparams, types);
	free(types);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		char what[96];

		snprintf(what, sizeof(what), "prepare '%.60s'", q->sql);
		rv = pg_fail(st, res, what);
		goto out;
	}
	PQclear(res);
	res = PQdescribePrepared(st->pg, name);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		rv = pg_fail(st, res, "describe");
		goto out;
	}
	if (q->nparams > 0 && (q->ptypes = calloc((size_t) q->nparams,
	    sizeof(*q->ptypes))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	for (int i = 0; i < q->nparams && i < PQnparams(res); i++)
		q->ptypes[i] = PQparamtype(res, i);
 out:
	PQclear(res);
	if (rv != LSN_OK) {
		/* the name may be taken: the next try prepares a new one */
		free(q->ptypes);
		q->ptypes = NULL;
		q->id = ++st->pg_nq;
	} else
		q->prepared = 1;
	return (rv);
}

/* Hex digits of a bytea in text format ("\x0a1b"). */
static char *
pgq_hex(const char *p, int len)
{
	static const char	 hx[] = "0123456789abcdef";
	char			*s;

	if ((s = malloc((size_t) len * 2 + 3)) == NULL)
		return (NULL);
	s[0] = '\\';
	s[1] = 'x';
	for (int i = 0; i < len; i++) {
		s[2 + 2 * i] = hx[((unsigned char) p[i]) >> 4];
		s[3 + 2 * i] = hx[((unsigned char) p[i]) & 15];
	}
	s[2 + 2 * len] = '\0';
	return (s);
}

/*
 * The values of one run: binary when the binding's type is the server's,
 * else text format. tmp holds what was formatted (freed by the caller;
 * nparams slots); num the int8s (network order) and decimal digits.
 */
static int
pgq_values(struct lsn_q *q, const char **vals, int *lens, int *fmts,
    char **tmp, uint64_t *num)
{
	for (int i = 0; i < q->nparams; i++) {
		struct pgq_param	*pp = &q->par[i];
		Oid			 want = q->ptypes[i];

		vals[i] = NULL;
		lens[i] = 0;
		fmts[i] = 1;
		if (pp->type == 0)
			continue;	/* NULL */
		if (pp->type == want) {
			if (pp->type == OID_INT8) {
				num[i] = htobe64((uint64_t) pp->i);
				vals[i] = (const char *) &num[i];
				lens[i] = 8;
			} else {
				vals[i] = pp->p != NULL ? pp->p : "";
				lens[i] = pp->len;
			}
			continue;
		}
		fmts[i] = 0;
		if (pp->type == OID_INT8) {
			if ((tmp[i] = malloc(24)) == NULL)
				return (LSN_ENOMEM);
			snprintf(tmp[i], 24, "%" PRId64, pp->i);
			vals[i] = tmp[i];
		} else if (pp->type == OID_BYTEA && want != OID_TEXT &&
		    want != OID_VARCHAR && want != OID_BPCHAR) {
			if ((tmp[i] = pgq_hex(pp->p != NULL ? pp->p : "",
			    pp->len)) == NULL)
				return (LSN_ENOMEM);
			vals[i] = tmp[i];
		} else {
			/* a text, or a blob for a text column: its bytes */
			if ((tmp[i] = malloc((size_t) pp->len + 1)) == NULL)
				return (LSN_ENOMEM);
			if (pp->len > 0)
				memcpy(tmp[i], pp->p, (size_t) pp->len);
			tmp[i][pp->len] = '\0';
			vals[i] = tmp[i];
		}
	}
	return (LSN_OK);
}

/* The parameter arrays of one run (pgq_args_free releases them). */
struct pgq_args {
	const char	**vals;
	char		**tmp;
	int		 *lens;
	int		 *fmts;
	uint64_t	 *num;
	size_t		  n;
};

static void
pgq_args_free(struct pgq_args *a)
{
	for (size_t i = 0; a->tmp != NULL && i < a->n; i++)
		free(a->tmp[i]);
	free(a->tmp);
	free(a->vals);
	free(a->lens);
	free(a->fmts);
	free(a->num);
	memset(a, 0, sizeof(*a));
}

static int
pgq_args(struct lsn_q *q, struct pgq_args *a)
{
	size_t	n = (size_t) q->nparams;

	memset(a, 0, sizeof(*a));
	a->n = n;
	if (n == 0)
		return (LSN_OK);
	if ((a->vals = calloc(n, sizeof(*a->vals))) == NULL ||
	    (a->tmp = calloc(n, sizeof(*a->tmp))) == NULL ||
	    (a->lens = calloc(n, sizeof(*a->lens))) == NULL ||
	    (a->fmts = calloc(n, sizeof(*a->fmts))) == NULL ||
	    (a->num = calloc(n, sizeof(*a->num))) == NULL)
		return (LSN_ENOMEM);
	return (pgq_values(q, a->vals, a->lens, a->fmts, a->tmp, a->num));
}

/*
 * A failure found in pipeline mode: sticky until the rollback. A unique
 * violation of a statement sent earlier is not the caller's LSN_EEXIST:
 * it becomes LSN_EDB (and is logged, which pg_fail does not do for it).
 */
static int
pgq_defer_fail(struct lsn_store *st, int rv)
{
	if (rv == LSN_EEXIST) {
		snprintf(st->lasterr, sizeof(st->lasterr), "a statement sent "
		    "before (pipeline): duplicate key (SQLSTATE 23505)");
		log_warnx("store: %s", st->lasterr);
	}
	st->pg_deferr = rv == LSN_ECLOSED || rv == LSN_EPERM ? rv : LSN_EDB;
	return (st->pg_deferr);
}

/*
 * Ends the pipeline: sync, the results of the statements sent (the last
 * one's into *last when last is not NULL: the caller's own statement,
 * checked by the caller), then pipeline mode off. The first failure is
 * logged (pg_fail) and fails the transaction.
 */
static int
pgq_collect(struct lsn_store *st, PGresult **last)
{
	PGresult	*res;
	int		 rv = LSN_OK, n = st->pg_pending;

	if (!PQpipelineSync(st->pg))
		rv = pg_fail(st, NULL, "pipeline sync");
	for (int k = 0; k < n; k++)
		while ((res = PQgetResult(st->pg)) != NULL) {
			ExecStatusType es = PQresultStatus(res);

			if (last != NULL && k == n - 1 && *last == NULL) {
				*last = res;
				continue;
			}
			/* after a failure the rest are PIPELINE_ABORTED */
			if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK &&
			    rv == LSN_OK)
				rv = pg_fail(st, res, "a statement sent "
				    "before (pipeline)");
			PQclear(res);
		}
	res = PQgetResult(st->pg);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC && rv == LSN_OK)
		rv = pg_fail(st, res, "pipeline sync");
	PQclear(res);
	st->pg_pending = 0;
	if (!PQexitPipelineMode(st->pg) && rv == LSN_OK)
		rv = pg_fail(st, NULL, "pipeline end");
	st->pg_pipe = PQpipelineStatus(st->pg) != PQ_PIPELINE_OFF;
	if (rv != LSN_OK)
		(void) pgq_defer_fail(st, rv);
	return (st->pg_deferr);
}

int
pgq_sync(struct lsn_store *st)
{
	if (!st->pg_pipe)
		return (st->pg_deferr);
	return (pgq_collect(st, NULL));
}

/*
 * Readies q to be sent: the connection's deferred error first, then q
 * prepared on this connection (after the pipeline is drained) and its
 * arguments in *a, which the caller frees (pgq_args_free) in any case.
 */
static int
pgq_ready(struct lsn_q *q, struct pgq_args *a)
{
	struct lsn_store	*st = q->st;
	int			 rv;

	if (st->pg_deferr != LSN_OK)
		return (st->pg_deferr);
	if (!q->prepared && ((rv = pgq_sync(st)) != LSN_OK ||
	    (rv = pgq_prepare(q)) != LSN_OK))
		return (rv);
	return (pgq_args(q, a));
}

/*
 * Runs the statement with its bindings: q->res holds the rows. After
 * statements of lsn_q_exec it goes into the same pipeline and their
 * answers come with its own: one round trip.
 */
static int
pgq_run(struct lsn_q *q)
{
	struct lsn_store	*st = q->st;
	struct pgq_args		 a;
	char			 name[24], what[96], *tag;
	int			 rv;
	ExecStatusType		 es;

	memset(&a, 0, sizeof(a));
	if ((rv = pgq_ready(q, &a)) != LSN_OK)
		goto out;
	snprintf(name, sizeof(name), "lsn_q%u", q->id);
	snprintf(what, sizeof(what), "step '%.60s'", q->sql);
	if (st->pg_pipe) {
		if (!PQsendQueryPrepared(st->pg, name, q->nparams, a.vals,
		    a.lens, a.fmts, 1)) {
			rv = pgq_defer_fail(st, pg_fail(st, NULL, what));
			goto out;
		}
		st->pg_pending++;
		if ((rv = pgq_collect(st, &q->res)) != LSN_OK) {
			PQclear(q->res);
			q->res = NULL;
			goto out;
		}
	} else
		q->res = PQexecPrepared(st->pg, name, q->nparams, a.vals,
		    a.lens, a.fmts, 1);
	es = q->res != NULL ? PQresultStatus(q->res) : PGRES_FATAL_ERROR;
	if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK) {
		rv = pg_fail(st, q->res, what);
		PQclear(q->res);
		q->res = NULL;
		goto out;
	}
	/* as sqlite3_changes: only INSERT, UPDATE and DELETE count */
	tag = PQcmdStatus(q->res);
	if (strncmp(tag, "INSERT ", 7) == 0 ||
	    strncmp(tag, "UPDATE ", 7) == 0 ||
	    strncmp(tag, "DELETE ", 7) == 0)
		st->pg_changes = strtoll(PQcmdTuples(q->res), NULL, 10);
	rv = LSN_OK;
 out:
	pgq_args_free(&a);
	return (rv);
}

/*
 * lsn_q_exec: in a transaction, sent in pipeline mode without waiting
 * (query.h); its answer is read by the next statement that waits, by
 * pgq_sync or after PGQ_PIPE_MAX statements.
 */
int
pgq_exec(struct lsn_q *q)
{
	struct lsn_store	*st = q->st;
	struct pgq_args		 a;
	char			 name[24], what[96];
	int			 rv;

	memset(&a, 0, sizeof(a));
	if (!st->in_tx) {
		rv = pgq_step(q);
		return (rv == LSN_ROW ? LSN_OK : rv);
	}
	if ((rv = pgq_ready(q, &a)) != LSN_OK)
		goto out;
	snprintf(what, sizeof(what), "send '%.60s'", q->sql);
	if (!st->pg_pipe) {
		if (!PQenterPipelineMode(st->pg)) {
			rv = pg_fail(st, NULL, what);
			goto out;
		}
		st->pg_pipe = 1;
	}
	snprintf(name, sizeof(name), "lsn_q%u", q->id);
	if (!PQsendQueryPrepared(st->pg, name, q->nparams, a.vals, a.lens,
	    a.fmts, 1)) {
		rv = pgq_defer_fail(st, pg_fail(st, NULL, what));
		goto out;
	}
	st->pg_pending++;
	rv = st->pg_pending >= PGQ_PIPE_MAX ? pgq_sync(st) : LSN_OK;
 out:
	pgq_args_free(&a);
	return (rv);
}

int
pgq_step(struct lsn_q *q)
{
	int	rv;

	if (q->res == NULL) {
		if ((rv = pgq_run(q)) != LSN_OK)
			return (rv);
		q->row = -1;
	}
	if (q->row + 1 >= PQntuples(q->res)) {
		q->row = PQntuples(q->res);
		return (LSN_OK);
	}
	q->row++;
	return (LSN_ROW);
}

/* The current row's value of column c, or NULL (no row, NULL, no c). */
static const char *
pgq_val(struct lsn_q *q, int c, int *len, Oid *type)
{
	if (q->res == NULL || q->row < 0 || q->row >= PQntuples(q->res) ||
	    c < 0 || c >= PQnfields(q->res) ||
	    PQgetisnull(q->res, q->row, c))
		return (NULL);
	*len = PQgetlength(q->res, q->row, c);
	*type = PQftype(q->res, c);
	return (PQgetvalue(q->res, q->row, c));
}

/* A numeric in binary format, truncated to an integer (sum, avg). */
static int64_t
pgq_numeric(const unsigned char *v, int len)
{
	int	ndig, weight, sign;
	int64_t	r = 0;

	if (len < 8)
		return (0);
	ndig = (v[0] << 8) | v[1];
	weight = (int16_t) ((v[2] << 8) | v[3]);
	sign = (v[4] << 8) | v[5];
	if (len < 8 + 2 * ndig)
		return (0);
	/* digits base 10000; digit k weighs 10000^(weight - k) */
	for (int k = 0; k <= weight; k++) {
		int d = k < ndig ? (v[8 + 2 * k] << 8) | v[9 + 2 * k] : 0;

		r = r * 10000 + d;
	}
	return (sign == 0x4000 ? -r : r);
}

int64_t
pgq_col_i64(struct lsn_q *q, int c)
{
	const unsigned char	*v;
	uint64_t		 u = 0;
	int			 len = 0;
	Oid			 type = 0;

	if ((v = (const unsigned char *) pgq_val(q, c, &len, &type)) == NULL)
		return (0);
	switch (type) {
	case OID_INT8:
	case OID_INT4:
	case OID_INT2:
	case OID_OID:
	case OID_BOOL:
		if (len < 1 || len > 8)
			return (0);
		for (int i = 0; i < len; i++)
			u = (u << 8) | v[i];
		if (type == OID_OID || type == OID_BOOL)
			return ((int64_t) u);
		/* sign-extend the narrower ones */
		if (len < 8 && (v[0] & 0x80))
			u |= ~(uint64_t) 0 << (8 * len);
		return ((int64_t) u);
	case OID_FLOAT8:
		if (len != 8)
			return (0);
		{
			double	d;

			for (int i = 0; i < 8; i++)
				u = (u << 8) | v[i];
			memcpy(&d, &u, sizeof(d));
			return ((int64_t) d);
		}
	case OID_NUMERIC:
		return (pgq_numeric(v, len));
	case OID_TEXT:
	case OID_VARCHAR:
	case OID_BPCHAR:
	case OID_NAME:
		return ((int64_t) strtoll((const char *) v, NULL, 10));
	default:
		return (0);
	}
}

const void *
pgq_col_blob(struct lsn_q *q, int c, size_t *n)
{
	const char	*v;
	int		 len = 0;
	Oid		 type = 0;

	*n = 0;
	if ((v = pgq_val(q, c, &len, &type)) == NULL)
		return (NULL);
	*n = (size_t) len;
	return (v);
}

const char *
pgq_col_text(struct lsn_q *q, int c)
{
	const char	*v;
	int		 len = 0;
	Oid		 type = 0;

	if ((v = pgq_val(q, c, &len, &type)) == NULL)
		return (NULL);
	switch (type) {
	case OID_INT8:
	case OID_INT4:
	case OID_INT2:
	case OID_BOOL:
	case OID_NUMERIC:
		/* as sqlite: a number read as text is its digits */
		snprintf(q->tbuf, sizeof(q->tbuf), "%" PRId64,
		    pgq_col_i64(q, c));
		return (q->tbuf);
	default:
		return (v);	/* libpq ends every value with a NUL */
	}
}

int
pgq_col_null(struct lsn_q *q, int c)
{
	if (q->res == NULL || q->row < 0 || q->row >= PQntuples(q->res) ||
	    c < 0 || c >= PQnfields(q->res))
		return (1);
	return (PQgetisnull(q->res, q->row, c));
}

void
pgq_reset(struct lsn_q *q)
{
	if (q == NULL)
		return;
	PQclear(q->res);
	q->res = NULL;
	q->row = -1;
	for (int i = 0; i < q->nparams; i++)
		memset(&q->par[i], 0, sizeof(q->par[i]));
}

void
pgq_free(struct lsn_q *q)
{
	if (q == NULL)
		return;
	PQclear(q->res);
	free(q->pgsql);
	free(q->par);
	free(q->ptypes);
	free(q);
}
