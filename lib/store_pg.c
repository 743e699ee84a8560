/*
 * store_pg.c -- the store on PostgreSQL (libpq): connect, check the
 * server and the database, migrate, transactions and errors. query.h's
 * statements are in store_pg_q.c. Declared in lib/store_int.h; the
 * behaviour is documented in include/liaison/store.h ("PostgreSQL").
 */
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

#define PG_CONNECT_TIMEOUT	"10"	/* seconds, unless the URI says */
#define PG_TARGET_MAX		256	/* "host=.. port=.. dbname=.. user=.." */

/*
 * The store's lock: writing transactions and migration steps take the
 * transaction-level advisory lock (LSN_STORE_APP_ID, 1). Other keys with
 * classid LSN_STORE_APP_ID are free for other uses (broker leadership).
 */
#define PG_SQL_LOCK \
    "SELECT pg_advisory_xact_lock(1280527921, 1)"

/* The marker of a Liaison database, its schema version and epoch. */
static const char PG_SQL_SCHEMA_TABLE[] =
    "CREATE TABLE IF NOT EXISTS lsn_schema ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " app_id BIGINT NOT NULL,"
    " version BIGINT NOT NULL,"
    " epoch BYTEA NOT NULL);"
    "INSERT INTO lsn_schema (id, app_id, version, epoch) VALUES (1, "
    "1280527921, 0, decode(md5(random()::text || clock_timestamp()::text),"
    " 'hex')) ON CONFLICT (id) DO NOTHING";

/* Relations of any schema but the system's (a foreign database's). */
static const char PG_SQL_NREL[] =
    "SELECT count(*) FROM pg_class c JOIN pg_namespace n"
    " ON n.oid = c.relnamespace WHERE c.relkind IN"
    " ('r', 'p', 'v', 'm', 'f', 'S')"
    " AND n.nspname <> 'information_schema'"
    " AND n.nspname NOT LIKE 'pg\\_%'";

/*
 * What a log line may say about the server: host, port, database and
 * user of the URI (never the password nor the URI itself).
 */
static void
pg_target(const char *uri, char *buf, size_t bufsz)
{
	PQconninfoOption	*opts, *o;
	const char		*host = "", *port = "", *db = "", *user = "";
	char			*err = NULL;

	if ((opts = PQconninfoParse(uri, &err)) == NULL) {
		snprintf(buf, bufsz, "(unparsable URI: %s)",
		    err != NULL ? err : "out of memory");
		PQfreemem(err);
		buf[strcspn(buf, "\n")] = '\0';
		return;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "user") == 0)
			user = o->val;
	}
	snprintf(buf, bufsz, "host=%s port=%s dbname=%s user=%s",
	    *host != '\0' ? host : "(default)", *port != '\0' ? port :
	    "(default)", *db != '\0' ? db : "(default)", *user != '\0' ?
	    user : "(default)");
	PQconninfoFree(opts);
}

int
lsn_store_is_uri(const char *path)
{
	return (path != NULL && store_is_pg(path));
}

int
lsn_store_uri_check(const char *path, char *why, size_t whylen)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL;
	int			 rv = LSN_OK;

	if (!lsn_store_is_uri(path))
		return (LSN_OK);
	if ((opts = PQconninfoParse(path, &err)) == NULL) {
		/* libpq's message may quote the URI: not repeated */
		snprintf(why, whylen, "not a valid PostgreSQL connection URI");
		PQfreemem(err);
		return (LSN_ECONFIG);
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL) {
			snprintf(why, whylen, "holds a password: put it in "
			    "the file PGPASSFILE names or in ~/.pgpass instead");
			rv = LSN_ECONFIG;
		}
	PQconninfoFree(opts);
	return (rv);
}

/* 1 when the URI sets the connection parameter key. */
static int
pg_uri_has(const char *uri, const char *key)
{
	PQconninfoOption	*opts, *o;
	int			 has = 0;

	if ((opts = PQconninfoParse(uri, NULL)) == NULL)
		return (0);
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0 && o->val != NULL &&
		    *o->val != '\0')
			has = 1;
	PQconninfoFree(opts);
	return (has);
}

/* libpq's message without its trailing newline, into buf. */
static void
pg_msg(const char *m, char *buf, size_t bufsz)
{
	size_t	n;

	snprintf(buf, bufsz, "%s", m != NULL && *m != '\0' ? m :
	    "unknown error");
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	/* several lines (one per host tried): one log line */
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
}

int
pg_fail(struct lsn_store *st, const PGresult *res, const char *what)
{
	const char	*state = NULL, *prim = NULL;
	char		 msg[STORE_ERR_MAX - 64];
	int		 rv = LSN_EDB;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		prim = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (state == NULL)
		state = "";
	if (strcmp(state, "23505") == 0)
		return (LSN_EEXIST);	/* the caller's to judge: no log */
	if (strcmp(state, "25006") == 0)
		rv = LSN_EPERM;		/* read-only transaction, standby */
	else if (strncmp(state, "08", 2) == 0 ||
	    strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0 || PQstatus(st->pg) == CONNECTION_BAD)
		rv = LSN_ECLOSED;
	if (prim == NULL)
		prim = PQerrorMessage(st->pg);
	pg_msg(prim, msg, sizeof(msg));
	/* primary message only: DETAIL may quote the row's values */
	snprintf(st->lasterr, sizeof(st->lasterr), "%s (SQLSTATE %s)",
	    msg, *state != '\0' ? state : rv == LSN_ECLOSED ?
	    "none: connection lost" : "none");
	if (what != NULL)
		log_warnx("store: %s: %s%s", what, st->lasterr,
		    rv == LSN_ECLOSED ? "; the connection to the server is "
		    "lost" : "");
	return (rv);
}

int
pg_exec(struct lsn_store *st, const char *sql, const char *what)
{
	PGresult	*res;
	int		 rv = LSN_OK;

	res = PQexec(st->pg, sql);
	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK))
		rv = pg_fail(st, res, what);
	PQclear(res);
	return (rv);
}

/* Runs sql (no parameters) and reads its first column as an integer. */
static int
pg_query_i64(struct lsn_store *st, const char *sql, int64_t *v)
{
	PGresult	*res;
	int		 rv = LSN_OK;

	res = PQexec(st->pg, sql);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		rv = pg_fail(st, res, sql);
	else if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0))
		rv = LSN_ENOENT;
	else
		*v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return (rv);
}

/* Notices (CREATE ... IF NOT EXISTS) go to the debug log, not stderr. */
static void
pg_notice(void *arg, const char *message)
{
	char	buf[STORE_ERR_MAX];

	(void) arg;
	pg_msg(message, buf, sizeof(buf));
	log_debug("store: server notice: %s", buf);
}

/*
 * The connection. Failures: a refused login (password, pg_hba) is
 * LSN_EPERM, anything else (unreachable, no such database) LSN_EDB.
 */
static int
pg_connect(struct lsn_store *st, const char *uri, const char *target)
{
	/*
	 * Defaults the URI may override. Keepalives and tcp_user_timeout:
	 * a primary that vanishes (failover, cut network) is noticed within
	 * about a minute (LSN_ECLOSED) instead of the kernel's hours.
	 */
	static const char *const defs[][2] = {
		{ "connect_timeout",		PG_CONNECT_TIMEOUT },
		{ "keepalives_idle",		"30" },
		{ "keepalives_interval",	"10" },
		{ "keepalives_count",		"3" },
		{ "tcp_user_timeout",		"60000" },
		{ "application_name",		"liaison" },
	};
	const char	*keys[8], *vals[8], *m;
	int		 n = 0, rv = LSN_EDB;

	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		if (pg_uri_has(uri, defs[i][0]))
			continue;
		keys[n] = defs[i][0];
		vals[n++] = defs[i][1];
	}
	/* last: the URI, expanded (expand_dbname) */
	keys[n] = "dbname";
	vals[n++] = uri;
	keys[n] = NULL;
	vals[n] = NULL;
	st->pg = PQconnectdbParams(keys, vals, 1);
	if (st->pg == NULL) {
		log_warnx("store: PostgreSQL %s: out of memory", target);
		return (LSN_ENOMEM);
	}
	if (PQstatus(st->pg) == CONNECTION_OK) {
		(void) PQsetNoticeProcessor(st->pg, pg_notice, NULL);
		return (LSN_OK);
	}
	m = PQerrorMessage(st->pg);
	pg_msg(m, st->lasterr, sizeof(st->lasterr));
	/*
	 * libpq gives no SQLSTATE for a failed connection: its own words
	 * (target_session_attrs found only read-only servers) and the
	 * server's (C locale) tell a refusal from an unreachable server.
	 * Not PQconnectionUsedPassword: a login that succeeded with a
	 * password and then failed (no such database) would count.
	 */
	if (strstr(m, "read-only") != NULL ||
	    strstr(m, "hot standby") != NULL ||
	    strstr(m, "standby mode") != NULL) {
		rv = LSN_EPERM;
		log_warnx("store: PostgreSQL %s: no read-write server: %s "
		    "(refusing a read-only server for a read-write open)",
		    target, st->lasterr);
	} else if (PQconnectionNeedsPassword(st->pg) ||
	    strstr(m, "authentication failed") != NULL ||
	    strstr(m, "pg_hba.conf") != NULL ||
	    strstr(m, "no password") != NULL ||
	    strstr(m, "permission denied") != NULL) {
		rv = LSN_EPERM;
		log_warnx("store: PostgreSQL %s refused the login: %s (check "
		    "the user, its password in PGPASSFILE or ~/.pgpass, and "
		    "pg_hba.conf)", target, st->lasterr);
	} else
		log_warnx("store: cannot connect to PostgreSQL %s: %s", target,
		    st->lasterr);
	return (rv);
}

/*
 * The server must take writes for a read-write open: a standby (or a
 * database with default_transaction_read_only) would fail every write.
 */
static int
pg_check_writable(struct lsn_store *st, const char *target)
{
	int64_t	ro = 0;
	int	rv;

	if ((rv = pg_query_i64(st, "SELECT CASE WHEN pg_is_in_recovery() OR "
	    "current_setting('transaction_read_only') = 'on' THEN 1 ELSE 0 "
	    "END", &ro)) != LSN_OK)
		return (rv == LSN_ENOENT ? LSN_EDB : rv);
	if (ro == 0)
		return (LSN_OK);
	log_warnx("store: PostgreSQL %s (server %s) is read-only (a standby "
	    "or default_transaction_read_only); refusing a read-write open: "
	    "connect to the primary (target_session_attrs=read-write)",
	    target, PQhost(st->pg) != NULL ? PQhost(st->pg) : "?");
	return (LSN_EPERM);
}

/*
 * Is this a Liaison database? With a marker row: ours (or another
 * program's lsn_schema). Without: an empty database becomes one (marker
 * written, version 0); one with tables is another program's. *created
 * is set when the marker was written.
 */
static int
pg_marker(struct lsn_store *st, const char *target, int *created)
{
	int64_t	has = 0, app = 0, nrel = 0;
	int	rv;

	if ((rv = pg_query_i64(st, "SELECT CASE WHEN "
	    "to_regclass('lsn_schema') IS NULL THEN 0 ELSE 1 END", &has)) !=
	    LSN_OK)
		return (rv == LSN_ENOENT ? LSN_EDB : rv);
	if (has) {
		rv = pg_query_i64(st, "SELECT app_id FROM lsn_schema "
		    "WHERE id = 1", &app);
		if (rv == LSN_OK && (uint32_t) app == LSN_STORE_APP_ID)
			return (LSN_OK);
		if (rv != LSN_OK && rv != LSN_ENOENT)
			return (rv);
		log_warnx("store: PostgreSQL %s: lsn_schema does not mark a "
		    "Liaison database; refusing to use it: check the URI",
		    target);
		return (LSN_EDB);
	}
	if ((rv = pg_query_i64(st, PG_SQL_NREL, &nrel)) != LSN_OK)
		return (rv == LSN_ENOENT ? LSN_EDB : rv);
	if (nrel > 0) {
		log_warnx("store: PostgreSQL %s holds %lld tables or other "
		    "relations but no Liaison marker (lsn_schema): another "
		    "program's database; refusing to use it: check the URI "
		    "or give Liaison an empty database", target,
		    (long long) nrel);
		return (LSN_EDB);
	}
	if (st->flags & LSN_STORE_READONLY) {
		log_warnx("store: PostgreSQL %s is empty (no Liaison store "
		    "yet); nothing to read", target);
		return (LSN_EDB);
	}
	if ((rv = pg_exec(st, PG_SQL_SCHEMA_TABLE, "create")) != LSN_OK)
		return (rv);
	*created = 1;
	return (LSN_OK);
}

/*
 * pg_marker in one transaction under the store's lock (read-write
 * opens): two brokers starting on an empty database cannot both take
 * the other's fresh marker for a foreign table.
 */
static int
pg_check_marker(struct lsn_store *st, const char *target)
{
	int	created = 0, rv;

	if (st->flags & LSN_STORE_READONLY)
		return (pg_marker(st, target, &created));
	if ((rv = pg_exec(st, "BEGIN; " PG_SQL_LOCK, "open")) != LSN_OK) {
		pg_rollback(st);
		return (rv);
	}
	if ((rv = pg_marker(st, target, &created)) != LSN_OK) {
		pg_rollback(st);
		return (rv);
	}
	if ((rv = pg_commit(st)) != LSN_OK)
		return (rv);
	if (created)
		log_info("store: PostgreSQL %s: created a new Liaison store",
		    target);
	return (LSN_OK);
}

/*
 * Brings the schema to version max, one transaction per step under the
 * store's lock, re-reading the version under it (two brokers opening a
 * new database cannot both run a step).
 */
static int
pg_migrate(struct lsn_store *st, const struct lsn_migration *migs, int max)
{
	PGresult	*res = NULL;
	char		 num[24];
	const char	*vals[1] = { num };
	int64_t		 cur;
	int		 to = 0, rv = LSN_OK;

	for (int i = 0; i < max; i++) {
		to = migs[i].to;
		if ((rv = pg_exec(st, "BEGIN", "migrate")) != LSN_OK)
			return (rv);
		if ((rv = pg_exec(st, PG_SQL_LOCK, "migrate")) != LSN_OK ||
		    (rv = pg_query_i64(st, "SELECT version FROM lsn_schema "
		    "WHERE id = 1", &cur)) != LSN_OK)
			goto fail;
		if (cur > max) {
			log_warnx("store: database version %lld is newer than "
			    "this program's %d", (long long) cur, max);
			rv = LSN_EVERSION;
			goto fail;
		}
		if (cur < to) {
			if ((rv = pg_exec(st, migs[i].pg_sql, "migration")) !=
			    LSN_OK)
				goto fail;
			snprintf(num, sizeof(num), "%d", to);
			res = PQexecParams(st->pg, "UPDATE lsn_schema SET "
			    "version = $1::bigint WHERE id = 1", 1, NULL, vals,
			    NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				rv = pg_fail(st, res, "migrate");
				goto fail;
			}
			PQclear(res);
			res = NULL;
		}
		if ((rv = pg_commit(st)) != LSN_OK)
			goto fail;
		if (cur < to)
			log_debug("store: schema migrated to version %d", to);
	}
	return (LSN_OK);
 fail:
	PQclear(res);
	pg_rollback(st);
	log_warnx("store: migration to version %d failed", to);
	return (rv);
}

/*
 * Opens the connection, checks the server and the database, migrates.
 * On failure the caller closes st (pg_close).
 */
int
pg_open(struct lsn_store *st, const char *uri,
    const struct lsn_migration *migs, int max)
{
	char	target[PG_TARGET_MAX];
	int64_t	ver = 0;
	int	rv;

	st->backend = LSN_BACKEND_PG;
	pg_target(uri, target, sizeof(target));
	for (int i = 0; i < max; i++) {
		if (migs[i].pg_sql == NULL) {
			log_warnx("store: PostgreSQL %s: this store's schema "
			    "(step %d) exists only on sqlite; use a file", target,
			    migs[i].to);
			return (LSN_ECONFIG);
		}
	}
	if ((rv = pg_connect(st, uri, target)) != LSN_OK)
		return (rv);
	if ((st->flags & LSN_STORE_NOSYNC) && (rv = pg_exec(st,
	    "SET synchronous_commit = off", "synchronous_commit")) != LSN_OK)
		return (rv);
	if (st->flags & LSN_STORE_READONLY) {
		if ((rv = pg_exec(st, "SET default_transaction_read_only = on",
		    "read-only")) != LSN_OK)
			return (rv);
	} else if ((rv = pg_check_writable(st, target)) != LSN_OK)
		return (rv);
	if ((rv = pg_check_marker(st, target)) != LSN_OK)
		return (rv);
	if ((rv = pg_query_i64(st, "SELECT version FROM lsn_schema WHERE "
	    "id = 1", &ver)) != LSN_OK)
		return (rv == LSN_ENOENT ? LSN_EDB : rv);
	if (ver < 0 || ver > max) {
		log_warnx("store: PostgreSQL %s: database version %lld is newer "
		    "than this program's %d; refusing to open it", target,
		    (long long) ver, max);
		return (LSN_EVERSION);
	}
	if (!(st->flags & LSN_STORE_READONLY) && ver < max &&
	    (rv = pg_migrate(st, migs, max)) != LSN_OK)
		return (rv);
	log_info("store: PostgreSQL %s: connected to %s, schema version %lld",
	    target, PQhost(st->pg) != NULL ? PQhost(st->pg) : "?",
	    (long long) ((st->flags & LSN_STORE_READONLY) ? ver : max));
	return (LSN_OK);
}

void
pg_close(struct lsn_store *st)
{
	for (size_t i = 0; i < st->nslots; i++)
		pgq_free(st->slots[i].q);
	free(st->slots);
	st->slots = NULL;
	st->nslots = 0;
	if (st->pg != NULL)
		PQfinish(st->pg);	/* ends an open transaction: rollback */
	st->pg = NULL;
}

int
pg_version(struct lsn_store *st, int *version)
{
	int64_t	v;
	int	rv;

	rv = pg_query_i64(st, "SELECT version FROM lsn_schema WHERE id = 1",
	    &v);
	if (rv == LSN_ENOENT)
		rv = LSN_EDB;
	if (rv == LSN_OK)
		*version = (int) v;
	return (rv);
}

/*
 * BEGIN (READ COMMITTED, the server's default) and the store's lock:
 * writers one at a time, as sqlite's BEGIN IMMEDIATE, so read-then-write
 * code (next sequence numbers, the audit chain's head) sees no other
 * writer between its read and its write. One round trip.
 */
int
pg_begin(struct lsn_store *st)
{
	int	rv;

	/* read-only stores never write: they need not wait for writers */
	rv = pg_exec(st, (st->flags & LSN_STORE_READONLY) ? "BEGIN" :
	    "BEGIN; " PG_SQL_LOCK, "begin");
	if (rv != LSN_OK)
		pg_rollback(st);
	return (rv);
}

/*
 * COMMIT of a transaction in which a statement failed answers ROLLBACK
 * without an error: that is a failure too.
 */
int
pg_commit(struct lsn_store *st)
{
	PGresult	*res;
	int		 rv = LSN_OK;

	res = PQexec(st->pg, "COMMIT");
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		rv = pg_fail(st, res, "commit");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		snprintf(st->lasterr, sizeof(st->lasterr), "the transaction "
		    "was rolled back: a statement in it failed");
		log_warnx("store: commit: %s", st->lasterr);
		rv = LSN_EDB;
	}
	PQclear(res);
	if (rv != LSN_OK)
		pg_rollback(st);
	return (rv);
}

void
pg_rollback(struct lsn_store *st)
{
	PGTransactionStatusType	ts;

	if (st->pg == NULL)
		return;
	ts = PQtransactionStatus(st->pg);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
		(void) pg_exec(st, "ROLLBACK", "rollback");
}

const char *
pg_errmsg(struct lsn_store *st)
{
	if (st->lasterr[0] != '\0')
		return (st->lasterr);
	pg_msg(PQerrorMessage(st->pg), st->errbuf, sizeof(st->errbuf));
	return (st->errbuf);
}
