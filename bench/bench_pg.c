/*
 * bench_pg.c -- the PostgreSQL backend beside what libpq alone does with
 * the same rows, on one throwaway PostgreSQL 15 (tests/common/pgtmp.h)
 * started for this step and stopped by pid at its end (also on failure;
 * pgtmp's atexit handler and PDEATHSIG cover a crash of the bench).
 *
 * The server runs with fsync and full_page_writes on (pgtmp turns them
 * off for tests) and synchronous_commit on (the default): a COMMIT is
 * durable, as the sqlite figures' synchronous=FULL.
 *
 *   1. the directory-only database of bench_world_build (a copy kept by
 *      bench_pg_keep_dir) is replayed into database "liaison";
 *   2. liaison-broker with db = postgresql://... starts once to create
 *      its schema and stops; "raw" is made from it (TEMPLATE);
 *   3. ceiling: raw libpq turns on "raw": BEGIN; 64 x (INSERT messages,
 *      INSERT queue (its trigger counts the row), INSERT audit); UPDATE
 *      recipients; COMMIT -- what the broker writes for 64 publishes --
 *      one round trip per statement, then the same pipelined;
 *   4. figure: the broker again, the ingress scenario of bench_bus.c;
 *   5. the raw turns again: the ceilings are the means of 3 and 5, the
 *      machine's load drifting during a run.
 */
#include <sys/stat.h>

#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "liaison/dir.h"
#include "liaison/err.h"
#include "liaison/store.h"
#include "liaison/util.h"

#include "bench.h"
#include "lsn_proc.h"
#include "pgtmp.h"

#define PG_TURN		64	/* messages per raw turn */
#define PG_MIN_TURNS	4
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_TEXT	25

struct pg_run {
	struct bench_world	*w;
	struct lsn_pgtmp	*pg;
	char			 uri[256];	/* database "liaison" */
	char			 conf[LSN_FX_PATH_MAX + 32];
	char			 epfile[LSN_FX_PATH_MAX + 32];
	char			 log[LSN_FX_PATH_MAX + 32];
	char			 ep[256];
	pid_t			 broker;
	/* raw turns: [0] before the broker's figure, [1] after */
	double			 seq_per_s[2];	/* one round trip each */
	double			 pipe_per_s[2];	/* pipelined */
	double			 turn_ms[2];
	double			 pipe_ms[2];
};

int
bench_pg_keep_dir(struct bench_world *w)
{
	FILE	*in = NULL, *out = NULL;
	char	 buf[65536];
	size_t	 n;
	int	 rv = LSN_EIO;

	snprintf(w->dir_copy, sizeof(w->dir_copy), "%s/dir-only.db",
	    w->fx->broker_dir);
	if ((in = fopen(w->fx->broker_db, "rb")) == NULL ||
	    (out = fopen(w->dir_copy, "wb")) == NULL)
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			goto out;
	if (!ferror(in))
		rv = LSN_OK;
 out:
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		rv = LSN_EIO;
	if (rv != LSN_OK) {
		bench_msg("pg: cannot copy %s", w->fx->broker_db);
		w->dir_copy[0] = '\0';
	}
	return (rv);
}

static int
apply_one(void *arg, uint64_t rev, const uint8_t *entry, size_t len)
{
	char	why[LSN_DIR_WHY_MAX] = "";
	int	rv;

	if ((rv = lsn_dir_apply_entry(arg, entry, len, why, sizeof(why))) !=
	    LSN_OK)
		bench_msg("pg: apply rev %llu: %s (%s)",
		    (unsigned long long) rev, lsn_strerror(rv), why);
	return (rv);
}

/* The kept directory log into database "liaison", one transaction. */
static int
pg_dir_replay(struct pg_run *r)
{
	static const struct lsn_migration ro[] = {
		{ 1, lsn_dir_schema_v1, NULL }, { 0, NULL, NULL },
	};
	struct lsn_store	*src = NULL, *st = NULL;
	struct lsn_dir		*sd = NULL, *d = NULL;
	int			 rv;

	if (r->w->dir_copy[0] == '\0')
		return (LSN_ENOENT);
	if ((rv = lsn_store_open(r->w->dir_copy, ro, LSN_STORE_READONLY,
	    &src)) != LSN_OK || (rv = lsn_dir_open(src, &sd)) != LSN_OK ||
	    (rv = lsn_store_open(r->uri, lsn_dir_migrations, 0, &st)) !=
	    LSN_OK || (rv = lsn_dir_open(st, &d)) != LSN_OK ||
	    (rv = lsn_store_begin(st)) != LSN_OK)
		goto out;
	if ((rv = lsn_dir_entries_after(sd, 0, 0, apply_one, d)) != LSN_OK) {
		lsn_store_rollback(st);
		goto out;
	}
	rv = lsn_store_commit(st);
 out:
	if (rv != LSN_OK)
		bench_msg("pg: directory replay: %s", lsn_strerror(rv));
	lsn_dir_close(&d);
	lsn_store_close(&st);
	lsn_dir_close(&sd);
	lsn_store_close(&src);
	return (rv);
}

static int
read_line(const char *path, char *buf, size_t bufsz)
{
	FILE	*f;
	int	 rv = LSN_ENOENT;

	if ((f = fopen(path, "r")) == NULL)
		return (LSN_ENOENT);
	if (fgets(buf, (int) bufsz, f) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		rv = LSN_OK;
	}
	fclose(f);
	return (rv);
}

/* liaison-broker -d -c <conf> on database "liaison"; waits for its
 * endpoint. */
static int
pg_broker_start(struct pg_run *r)
{
	char	*bin, *argv[5];
	pid_t	 p;
	int	 rv = LSN_EIO;

	(void) unlink(r->epfile);
	if ((bin = lsn_proc_bin(LSN_BIN_BROKER)) == NULL)
		return (LSN_ENOMEM);
	argv[0] = bin;
	argv[1] = (char *) (uintptr_t) "-d";
	argv[2] = (char *) (uintptr_t) "-c";
	argv[3] = r->conf;
	argv[4] = NULL;
	if ((p = lsn_proc_spawn(bin, argv, r->log)) == -1)
		goto out;
	if (lsn_proc_wait_file(r->epfile, 30000, p) != 0 ||
	    read_line(r->epfile, r->ep, sizeof(r->ep)) != LSN_OK) {
		lsn_proc_dump_log(r->log, 4000);
		(void) lsn_proc_kill9(p);
		bench_msg("pg: the broker did not start");
		goto out;
	}
	r->broker = p;
	rv = LSN_OK;
 out:
	free(bin);
	return (rv);
}

static int
pg_broker_stop(struct pg_run *r)
{
	int	st;

	if (r->broker <= 0)
		return (LSN_OK);
	st = lsn_proc_stop(r->broker);
	r->broker = -1;
	if (st != 0) {
		bench_msg("pg: the broker exited with %d", st);
		lsn_proc_dump_log(r->log, 4000);
		return (LSN_EIO);
	}
	return (LSN_OK);
}

/* The server, durable; the broker's configuration. */
static int
pg_setup(struct pg_run *r)
{
	struct bench_world	*w = r->w;
	char			 head[LSN_FX_PATH_MAX + 32], buf[4096];
	FILE			*f;
	int			 n;

	if (lsn_pgtmp_start("liaison", &r->pg) != 0)
		return (LSN_EIO);
	if (lsn_pgtmp_exec(r->pg, "postgres", "ALTER SYSTEM SET fsync = on")
	    != 0 || lsn_pgtmp_exec(r->pg, "postgres",
	    "ALTER SYSTEM SET full_page_writes = on") != 0 ||
	    lsn_pgtmp_exec(r->pg, "postgres", "SELECT pg_reload_conf()") != 0)
		return (LSN_EDB);
	lsn_pgtmp_uri(r->pg, "postgres", "liaison", r->uri, sizeof(r->uri));
	snprintf(r->conf, sizeof(r->conf), "%s/broker-pg.conf",
	    w->fx->broker_dir);
	snprintf(r->epfile, sizeof(r->epfile), "%s/endpoint-pg",
	    w->fx->broker_dir);
	snprintf(r->log, sizeof(r->log), "%s/broker-pg.log",
	    w->fx->broker_dir);
	snprintf(head, sizeof(head), "%s/pg.audit-head", w->fx->broker_dir);
	n = snprintf(buf, sizeof(buf), "[broker]\n"
	    "listen = tcp://127.0.0.1:*\nendpoint_file = %s\ndb = %s\n"
	    "audit_head = %s\nsign_key = %s\ntransport_key = %s\n"
	    "queue_quota = 10000000\n"
	    "sender_msgs_per_s = 1000000\nsender_burst_msgs = 10000000\n"
	    "sender_bytes_per_s = 1099511627776\n"
	    "sender_burst_bytes = 1099511627776\n", r->epfile, r->uri, head,
	    w->fx->broker_sign_key, w->fx->broker_transport_key);
	if (n < 0 || (size_t) n >= sizeof(buf) ||
	    (f = fopen(r->conf, "w")) == NULL)
		return (LSN_EIO);
	(void) fchmod(fileno(f), 0600);
	n = fputs(buf, f) == EOF;
	if (fclose(f) != 0 || n)
		return (LSN_EIO);
	return (LSN_OK);
}

/* ---- the raw libpq turn ---- */

static const char *const raw_sql[4] = {
	"INSERT INTO messages(message_id, env_hash, signed, sender,"
	" recipients, created_ms, expires_ms, accepted_ms)"
	" VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
	"INSERT INTO queue(recipient, seq, message_id) VALUES($1, $2, $3)",
	"INSERT INTO audit(id, time_ms, kind, subject, detail, data_hash,"
	" prev_hash, entry_hash) VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
	"UPDATE recipients SET next_seq = $1 WHERE partner = $2",
};
static const Oid raw_types[4][8] = {
	{ OID_BYTEA, OID_BYTEA, OID_BYTEA, OID_TEXT, OID_TEXT, OID_INT8,
	    OID_INT8, OID_INT8 },
	{ OID_TEXT, OID_INT8, OID_BYTEA },
	{ OID_INT8, OID_INT8, OID_TEXT, OID_TEXT, OID_TEXT, OID_BYTEA,
	    OID_BYTEA, OID_BYTEA },
	{ OID_INT8, OID_TEXT },
};
static const int raw_np[4] = { 8, 3, 8, 2 };

/* One statement's parameters (all binary; texts are NUL-ended). */
struct raw_stmt {
	const char	*v[8];
	int		 l[8];
	int		 f[8];
	uint64_t	 be[8];
};

static void
par(struct raw_stmt *s, int i, const void *p, size_t n)
{
	s->v[i] = p;
	s->l[i] = (int) n;
	s->f[i] = 1;
}

static void
par_i64(struct raw_stmt *s, int i, int64_t v)
{
	s->be[i] = htobe64((uint64_t) v);
	par(s, i, &s->be[i], 8);
}

struct raw_state {
	PGconn		*c;
	int		 pipe;
	int64_t		 seq, audit_id;
	uint8_t		*body;		/* the envelope's bytes */
	size_t		 blen;
	int		 sent;		/* results to read (pipelined) */
};

/* One statement: run (per statement) or queued (pipelined). */
static int
raw_send(struct raw_state *rs, int k, const struct raw_stmt *s)
{
	char		 name[8];
	PGresult	*res;
	int		 ok;

	snprintf(name, sizeof(name), "raw%d", k);
	if (rs->pipe) {
		if (!PQsendQueryPrepared(rs->c, name, raw_np[k], s->v, s->l,
		    s->f, 1))
			return (LSN_EDB);
		rs->sent++;
		return (LSN_OK);
	}
	res = PQexecPrepared(rs->c, name, raw_np[k], s->v, s->l, s->f, 1);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		bench_msg("pg: raw: %s", PQerrorMessage(rs->c));
	PQclear(res);
	return (ok ? LSN_OK : LSN_EDB);
}

static int
raw_simple(struct raw_state *rs, const char *sql)
{
	PGresult	*res;
	int		 ok;

	if (rs->pipe) {
		if (!PQsendQueryParams(rs->c, sql, 0, NULL, NULL, NULL, NULL,
		    1))
			return (LSN_EDB);
		rs->sent++;
		return (LSN_OK);
	}
	res = PQexec(rs->c, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		bench_msg("pg: raw %s: %s", sql, PQerrorMessage(rs->c));
	PQclear(res);
	return (ok ? LSN_OK : LSN_EDB);
}

/* Pipelined: the sync, then every result; any error fails the turn. */
static int
raw_drain(struct raw_state *rs)
{
	PGresult	*res;
	int		 rv = LSN_OK, st;

	if (!PQpipelineSync(rs->c))
		return (LSN_EDB);
	for (; rs->sent > 0; rs->sent--) {
		while ((res = PQgetResult(rs->c)) != NULL) {
			st = PQresultStatus(res);
			if (st != PGRES_COMMAND_OK && rv == LSN_OK) {
				bench_msg("pg: raw: %s", PQerrorMessage(rs->c));
				rv = LSN_EDB;
			}
			PQclear(res);
		}
	}
	res = PQgetResult(rs->c);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		rv = LSN_EDB;
	PQclear(res);
	return (rv);
}

/*
 * BEGIN; 64 x (message, queue, audit); UPDATE recipients; COMMIT. The
 * rows as the broker writes them for 64 notes from p01 to p08; the
 * hashes are random bytes of the right sizes.
 */
static int
raw_turn(struct raw_state *rs, uint64_t now)
{
	struct raw_stmt	 s;
	uint8_t		 id[16], h[3][32];
	char		 hex[33], detail[64];
	int		 rv;

	if ((rv = raw_simple(rs, "BEGIN")) != LSN_OK)
		return (rv);
	for (int i = 0; i < PG_TURN; i++) {
		randombytes_buf(id, sizeof(id));
		randombytes_buf(h, sizeof(h));
		memset(&s, 0, sizeof(s));
		par(&s, 0, id, 16);
		par(&s, 1, h[0], 32);
		par(&s, 2, rs->body, rs->blen);
		par(&s, 3, "p01", 3);
		par(&s, 4, "p08", 3);
		par_i64(&s, 5, (int64_t) now);
		par_i64(&s, 6, 0);
		par_i64(&s, 7, (int64_t) now);
		if ((rv = raw_send(rs, 0, &s)) != LSN_OK)
			return (rv);
		memset(&s, 0, sizeof(s));
		par(&s, 0, "p08", 3);
		par_i64(&s, 1, ++rs->seq);
		par(&s, 2, id, 16);
		if ((rv = raw_send(rs, 1, &s)) != LSN_OK)
			return (rv);
		lsn_hex_encode(id, sizeof(id), hex);
		snprintf(detail, sizeof(detail), "from=p01 to=p08 type=note");
		memset(&s, 0, sizeof(s));
		par_i64(&s, 0, ++rs->audit_id);
		par_i64(&s, 1, (int64_t) now);
		par(&s, 2, "envelope", 8);
		par(&s, 3, hex, strlen(hex));
		par(&s, 4, detail, strlen(detail));
		par(&s, 5, h[0], 32);
		par(&s, 6, h[1], 32);
		par(&s, 7, h[2], 32);
		if ((rv = raw_send(rs, 2, &s)) != LSN_OK)
			return (rv);
	}
	memset(&s, 0, sizeof(s));
	par_i64(&s, 0, rs->seq + 1);
	par(&s, 1, "p08", 3);
	if ((rv = raw_send(rs, 3, &s)) != LSN_OK ||
	    (rv = raw_simple(rs, "COMMIT")) != LSN_OK)
		return (rv);
	return (rs->pipe ? raw_drain(rs) : LSN_OK);
}

/* Connects to "raw", prepares, makes p08's recipients row. */
static int
raw_open(struct pg_run *r, struct raw_state *rs)
{
	PGresult	*res;
	char		 uri[256];
	int		 rv = LSN_EDB;

	lsn_pgtmp_uri(r->pg, "postgres", "raw", uri, sizeof(uri));
	rs->c = PQconnectdb(uri);
	if (PQstatus(rs->c) != CONNECTION_OK) {
		bench_msg("pg: raw: %s", PQerrorMessage(rs->c));
		return (LSN_EDB);
	}
	for (int k = 0; k < 4; k++) {
		char name[8];

		snprintf(name, sizeof(name), "raw%d", k);
		res = PQprepare(rs->c, name, raw_sql[k], raw_np[k],
		    raw_types[k]);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			bench_msg("pg: raw: %s", PQerrorMessage(rs->c));
			PQclear(res);
			return (LSN_EDB);
		}
		PQclear(res);
	}
	res = PQexec(rs->c, "INSERT INTO recipients(partner, next_seq, "
	    "acked_seq) VALUES('p08', 1, 0) ON CONFLICT DO NOTHING");
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		res = PQexec(rs->c, "SELECT coalesce(max(id), 0) FROM audit");
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQntuples(res) == 1) {
			rs->audit_id = strtoll(PQgetvalue(res, 0, 0), NULL,
			    10);
			rv = LSN_OK;
		}
	}
	if (rv != LSN_OK)
		bench_msg("pg: raw: %s", PQerrorMessage(rs->c));
	PQclear(res);
	return (rv);
}

/* Turns for ceil_secs (at least PG_MIN_TURNS): messages per second. */
static int
raw_measure(struct pg_run *r, struct raw_state *rs, int pipe,
    double *per_s, double *turn_ms)
{
	double	t0, t;
	size_t	turns = 0;
	int	rv;

	rs->pipe = pipe;
	if (pipe && !PQenterPipelineMode(rs->c))
		return (LSN_EDB);
	t0 = bench_mono();
	do {
		if ((rv = raw_turn(rs, lsn_now_ms())) != LSN_OK)
			return (rv);
		turns++;
		t = bench_mono() - t0;
	} while (t < r->w->cfg->ceil_secs || turns < PG_MIN_TURNS);
	if (pipe && !PQexitPipelineMode(rs->c))
		return (LSN_EDB);
	*per_s = (double) (turns * PG_TURN) / t;
	*turn_ms = 1000.0 * t / (double) turns;
	return (LSN_OK);
}

/* The raw turns, per statement then pipelined: slot 0 before the
 * broker's figure, 1 after it (the machine's load drifts). */
static int
pg_raw_pair(struct pg_run *r, struct raw_state *rs, int slot)
{
	int	rv;

	if ((rv = raw_measure(r, rs, 0, &r->seq_per_s[slot],
	    &r->turn_ms[slot])) != LSN_OK ||
	    (rv = raw_measure(r, rs, 1, &r->pipe_per_s[slot],
	    &r->pipe_ms[slot])) != LSN_OK)
		bench_msg("pg: raw turns failed");
	return (rv);
}

static void
pg_rows(struct pg_run *r, const struct bench_ingress_stat *is, size_t blen)
{
	struct bench_row	*row;
	double			 seq, pipe, q;

	seq = (r->seq_per_s[0] + r->seq_per_s[1]) / 2;
	pipe = (r->pipe_per_s[0] + r->pipe_per_s[1]) / 2;
	row = bench_row_add(r->w, "ceiling: raw libpq turn, 64 msgs (PG 15)",
	    seq, "msg/s");
	row->ceiling = 1;
	lsn_strlcpy(row->ratio, "ceiling", sizeof(row->ratio));
	snprintf(row->note, sizeof(row->note), "BEGIN; 64 x INSERT message "
	    "(%zu B) + queue + audit; UPDATE recipients; COMMIT, one round "
	    "trip each; mean of %.0f before, %.0f after (%.1f, %.1f ms/turn)",
	    blen, r->seq_per_s[0], r->seq_per_s[1], r->turn_ms[0],
	    r->turn_ms[1]);
	row = bench_row_add(r->w, "ceiling: the same turn pipelined (PG 15)",
	    pipe, "msg/s");
	row->ceiling = 1;
	lsn_strlcpy(row->ratio, "ceiling", sizeof(row->ratio));
	snprintf(row->note, sizeof(row->note), "libpq pipeline mode, one "
	    "sync per turn; mean of %.0f before, %.0f after (%.1f, %.1f "
	    "ms/turn)", r->pipe_per_s[0], r->pipe_per_s[1], r->pipe_ms[0],
	    r->pipe_ms[1]);
	q = seq > 0 ? is->per_s / seq : 0;
	row = bench_row_add(r->w, "broker ingress on PostgreSQL (4 senders)",
	    is->per_s, "msg/s");
	snprintf(row->target, sizeof(row->target), ">= 0.8 x raw libpq turn");
	/* truncated, not rounded: 0.797 must not print as 0.80 */
	snprintf(row->ratio, sizeof(row->ratio), "%.2f x raw turn, %s",
	    (double) (long) (q * 100.0) / 100.0, q >= 0.8 ? "met" : "MISSED");
	snprintf(row->note, sizeof(row->note), "%zu envelopes of %zu bytes, "
	    "batch-signed as the sqlite ingress; %.2f x the pipelined turn; "
	    "broker CPU %.1f us/msg (%.0f%% of one core)", is->n, is->bytes,
	    pipe > 0 ? is->per_s / pipe : 0, is->cpu_us, is->cpu_pct);
}

/* One envelope of a batch of BENCH_BATCH to p08, as bench_ingress_drive
 * sends them (*body malloc'd). */
static int
one_batch_envelope(struct bench_world *w, uint8_t **body, size_t *blen)
{
	uint8_t	*env[BENCH_BATCH] = { NULL };
	size_t	 elen[BENCH_BATCH];
	int	 rv;

	if ((rv = bench_envelopes(w, 0, w->fx->partners[7].id, BENCH_BATCH,
	    1, env, elen)) == LSN_OK) {
		*body = env[0];
		*blen = elen[0];
		env[0] = NULL;
	}
	for (size_t k = 0; k < BENCH_BATCH; k++)
		free(env[k]);
	return (rv);
}

/* Raw turns, the broker's ingress, raw turns again; the rows. */
static int
pg_measure(struct pg_run *r)
{
	struct raw_state		 rs;
	struct bench_ingress_stat	 is;
	int				 rv;

	memset(&rs, 0, sizeof(rs));
	/* the form the ingress drive sends (batch-signed): same bytes */
	if ((rv = one_batch_envelope(r->w, &rs.body, &rs.blen)) != LSN_OK)
		return (rv);
	if ((rv = raw_open(r, &rs)) != LSN_OK ||
	    (rv = pg_raw_pair(r, &rs, 0)) != LSN_OK ||
	    (rv = pg_broker_start(r)) != LSN_OK)
		goto out;
	bench_msg("pg: broker pid %d at %s", (int) r->broker, r->ep);
	if ((rv = bench_ingress_drive(r->w, r->ep, r->broker,
	    r->w->cfg->pg_msgs, 1, &is)) != LSN_OK) {
		lsn_proc_dump_log(r->log, 4000);
		goto out;
	}
	if ((rv = pg_broker_stop(r)) != LSN_OK ||
	    (rv = pg_raw_pair(r, &rs, 1)) != LSN_OK)
		goto out;
	pg_rows(r, &is, rs.blen);
 out:
	PQfinish(rs.c);
	free(rs.body);
	return (rv);
}

int
bench_pg(struct bench_world *w)
{
	struct pg_run	r;
	double		t0 = bench_mono();
	int		rv;

	memset(&r, 0, sizeof(r));
	r.w = w;
	r.broker = -1;
	if ((rv = pg_setup(&r)) != LSN_OK ||
	    (rv = pg_dir_replay(&r)) != LSN_OK)
		goto out;
	/* the broker's schema, then a copy of it for the raw turns */
	if ((rv = pg_broker_start(&r)) != LSN_OK ||
	    (rv = pg_broker_stop(&r)) != LSN_OK)
		goto out;
	if (lsn_pgtmp_exec(r.pg, "postgres",
	    "CREATE DATABASE raw TEMPLATE liaison") != 0) {
		rv = LSN_EDB;
		goto out;
	}
	bench_msg("pg: server pid %d port %d ready in %.1f s", (int) r.pg->pid,
	    r.pg->port, bench_mono() - t0);
	rv = pg_measure(&r);
 out:
	if (r.broker > 0)
		(void) lsn_proc_stop(r.broker);
	lsn_pgtmp_stop(&r.pg);
	return (rv);
}
