/*
 * bench_pg.c -- the broker on PostgreSQL (issue 16, item 5): on one
 * throwaway server (tests/common/pgtmp), a raw libpq turn (BEGIN, 64
 * INSERTs of a 1 KiB row, COMMIT; the ceiling) and the broker's ingress
 * with its store on that server (the same 4 senders as the sqlite
 * ingress figure), measured in the same run; the ratio is printed
 * (target >= 0.8 x the raw turn, in messages per second against rows per
 * second). The broker gets its own small fixture whose directory is
 * copied into the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "liaison/dir.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "bench.h"
#include "lsn_proc.h"
#include "pgtmp.h"

#define PG_TURN_ROWS	64
#define PG_ROW_BYTES	1024
#define PG_NFIXTURE	8	/* bench_bus.c's recipient is p08 */

static int
raw_exec(PGconn *c, const char *sql)
{
	PGresult	*r = PQexec(c, sql);
	int		 ok = r != NULL && (PQresultStatus(r) ==
			    PGRES_COMMAND_OK || PQresultStatus(r) ==
			    PGRES_TUPLES_OK);

	if (!ok)
		bench_msg("pg: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return (ok ? LSN_OK : LSN_EDB);
}

/* Turns of PG_TURN_ROWS INSERTs + COMMIT for secs: rows per second. */
static int
raw_turns(const char *uri, double secs, double *rows_per_s)
{
	static const char	 ins[] = "INSERT INTO ceil (data) VALUES ($1)";
	PGconn			*c;
	PGresult		*r;
	char			 row[PG_ROW_BYTES];
	const char		*vals[1] = { row };
	int			 lens[1] = { PG_ROW_BYTES }, fmts[1] = { 1 };
	size_t			 rows = 0;
	double			 t0, t = 0;
	int			 rv = LSN_EDB;

	lsn_random(row, sizeof(row));
	if ((c = PQconnectdb(uri)) == NULL || PQstatus(c) != CONNECTION_OK) {
		bench_msg("pg: connect: %s", c != NULL ? PQerrorMessage(c) :
		    "out of memory");
		goto out;
	}
	if (raw_exec(c, "CREATE TABLE ceil (id BIGSERIAL PRIMARY KEY, "
	    "data BYTEA NOT NULL)") != LSN_OK)
		goto out;
	r = PQprepare(c, "ins", ins, 1, NULL);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		bench_msg("pg: prepare: %s", PQerrorMessage(c));
		PQclear(r);
		goto out;
	}
	PQclear(r);
	t0 = bench_mono();
	do {
		if (raw_exec(c, "BEGIN") != LSN_OK)
			goto out;
		for (int i = 0; i < PG_TURN_ROWS; i++) {
			r = PQexecPrepared(c, "ins", 1, vals, lens, fmts, 0);
			if (r == NULL || PQresultStatus(r) !=
			    PGRES_COMMAND_OK) {
				bench_msg("pg: insert: %s", PQerrorMessage(c));
				PQclear(r);
				goto out;
			}
			PQclear(r);
		}
		if (raw_exec(c, "COMMIT") != LSN_OK)
			goto out;
		rows += PG_TURN_ROWS;
		t = bench_mono() - t0;
	} while (t < secs);
	*rows_per_s = (double) rows / t;
	/* the store wants a database with no other program's tables */
	rv = raw_exec(c, "DROP TABLE ceil");
 out:
	PQfinish(c);
	return (rv);
}

static int
copy_entry(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	char	why[LSN_DIR_WHY_MAX] = "";
	int	rv;

	if ((rv = lsn_dir_apply_entry(arg, entry, len, why, sizeof(why))) !=
	    LSN_OK)
		bench_msg("pg: directory rev %llu: %s (%s)",
		    (unsigned long long) rev, lsn_strerror(rv), why);
	return (rv);
}

/* The fixture's directory (sqlite) into the PostgreSQL store at uri. */
static int
dir_copy(struct lsn_fixture *fx, const char *uri)
{
	struct lsn_store	*src = NULL, *dst = NULL;
	struct lsn_dir		*ds = NULL, *dd = NULL;
	int			 rv;

	if ((rv = lsn_store_open(fx->broker_db, lsn_dir_migrations, 0,
	    &src)) != LSN_OK || (rv = lsn_dir_open(src, &ds)) != LSN_OK ||
	    (rv = lsn_store_open(uri, lsn_dir_migrations, 0, &dst)) !=
	    LSN_OK || (rv = lsn_dir_open(dst, &dd)) != LSN_OK)
		goto out;
	rv = lsn_dir_entries_after(ds, 0, 0, copy_entry, dd);
 out:
	lsn_dir_close(&dd);
	lsn_store_close(&dst);
	lsn_dir_close(&ds);
	lsn_store_close(&src);
	return (rv);
}

static int
broker_conf(struct lsn_fixture *fx, const char *uri)
{
	FILE	*fp;
	int	 rv = LSN_OK;

	if ((fp = fopen(fx->broker_conf, "w")) == NULL)
		return (LSN_EIO);
	fprintf(fp, "[broker]\nlisten = tcp://127.0.0.1:*\n"
	    "endpoint_file = %s\ndb = %s\nsign_key = %s\n"
	    "transport_key = %s\naudit_head = %s/audit-head\n"
	    "queue_quota = 10000000\nsender_msgs_per_s = 1000000\n"
	    "sender_burst_msgs = 10000000\n"
	    "sender_bytes_per_s = 1099511627776\n"
	    "sender_burst_bytes = 1099511627776\n", fx->endpoint_file, uri,
	    fx->broker_sign_key, fx->broker_transport_key, fx->broker_dir);
	if (fclose(fp) != 0)
		rv = LSN_EIO;
	return (rv);
}

int
bench_pg(struct bench_world *w)
{
	struct lsn_fixture_opts	 o;
	struct bench_world	 pw;
	struct lsn_pgtmp	*pg = NULL;
	struct bench_row	*r;
	char			 uri[256];
	double			 raw = 0;
	int			 rv = LSN_EIO;

	memset(&pw, 0, sizeof(pw));
	pw.cfg = w->cfg;
	pw.zctx = w->zctx;
	pw.broker = -1;
	if (lsn_pgtmp_start("liaison", &pg) != 0)
		goto out;
	lsn_pgtmp_uri(pg, "postgres", "liaison", uri, sizeof(uri));
	if ((rv = raw_turns(uri, w->cfg->ceil_secs, &raw)) != LSN_OK)
		goto out;
	r = bench_row_add(w, "ceiling: PostgreSQL, 64 x 1 KiB INSERT/tx", raw,
	    "rows/s");
	r->ceiling = 1;
	lsn_strlcpy(r->ratio, "ceiling", sizeof(r->ratio));
	snprintf(r->note, sizeof(r->note), "raw libpq on a local server "
	    "(pgtmp, synchronous_commit on), prepared INSERT, one "
	    "connection");
	memset(&o, 0, sizeof(o));
	o.npartners = PG_NFIXTURE;
	o.id_prefix = "p";
	if ((rv = lsn_fixture_create(&o, &pw.fx)) != LSN_OK ||
	    (rv = dir_copy(pw.fx, uri)) != LSN_OK ||
	    (rv = broker_conf(pw.fx, uri)) != LSN_OK ||
	    (rv = bench_broker_start(&pw)) != LSN_OK ||
	    (rv = bench_ingress(&pw)) != LSN_OK)
		goto out;
	r = bench_row_add(w, "broker ingress, PostgreSQL store (4 senders)",
	    pw.rows[0].value, "msg/s");
	snprintf(r->target, sizeof(r->target), ">= 0.8 x raw libpq turn");
	snprintf(r->ratio, sizeof(r->ratio), "%.2f x raw turn, %s",
	    pw.rows[0].value / raw, pw.rows[0].value >= 0.8 * raw ? "met" :
	    "MISSED");
	lsn_strlcpy(r->note, pw.rows[0].note, sizeof(r->note));
 out:
	if (rv != LSN_OK && pw.fx != NULL)
		lsn_proc_dump_log(pw.fx->broker_log, 3000);
	if (pw.broker > 0)
		(void) lsn_proc_stop(pw.broker);
	lsn_fixture_destroy(&pw.fx);
	lsn_pgtmp_stop(&pg);
	return (rv);
}
