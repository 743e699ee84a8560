/*
 * bstore_lease.c -- the leadership lease of leader.c on PostgreSQL: the
 * advisory lock, the broker_lease row (created here, outside the
 * migrations: only a PostgreSQL store has one), the store's epoch and
 * the server's health. See bstore.h; the design is leader.h's.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/query.h"
#include "liaison/util.h"

#include "broker.h"
#include "bstore.h"
#include "bstore_int.h"

/* The store's lock key for leadership: (LSN_STORE_APP_ID, 2). */
#define LOCK_ARGS	"1280527921, 2"

static const char SQL_TRYLOCK[] =
    "SELECT CASE WHEN pg_try_advisory_lock(" LOCK_ARGS ") THEN 1 ELSE 0 END";
static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS broker_lease ("
    " id BIGINT PRIMARY KEY CHECK (id = 1),"
    " epoch BIGINT NOT NULL,"
    " holder TEXT NOT NULL,"
    " since_ms BIGINT NOT NULL,"
    " renewed_ms BIGINT NOT NULL)";
#define NOW_MS "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"
static const char SQL_INSERT[] =
    "INSERT INTO broker_lease (id, epoch, holder, since_ms, renewed_ms) "
    "VALUES (1, 0, '', 0, 0) ON CONFLICT (id) DO NOTHING";
static const char SQL_TAKE[] =
    "UPDATE broker_lease SET epoch = epoch + 1, holder = ?, since_ms = "
    NOW_MS ", renewed_ms = " NOW_MS " WHERE id = 1 "
    "RETURNING epoch, since_ms";
static const char SQL_FENCE[] =
    "SELECT epoch FROM broker_lease WHERE id = 1 FOR SHARE";
static const char SQL_RENEW[] =
    "UPDATE broker_lease SET renewed_ms = " NOW_MS
    " WHERE id = 1 AND epoch = ?";
static const char SQL_READ[] =
    "SELECT epoch, holder, since_ms, " NOW_MS " - renewed_ms "
    "FROM broker_lease WHERE id = 1";
static const char SQL_HAS_TABLE[] =
    "SELECT CASE WHEN to_regclass('broker_lease') IS NULL THEN 0 ELSE 1 END";
static const char SQL_KILL[] =
    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
    "WHERE locktype = 'advisory' AND classid = 1280527921 AND objid = 2 "
    "AND objsubid = 2 AND granted AND pid <> pg_backend_pid()";
static const char SQL_HEALTH[] =
    "SELECT coalesce(host(inet_server_addr()), 'local') || ':' || "
    "current_setting('port'), "
    "CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END";
static const char SQL_STORE_EPOCH[] =
    "SELECT epoch FROM lsn_schema WHERE id = 1";

int
bstore_lease_trylock(struct broker *b, int64_t *got)
{
	return (lsn_store_i64(b->st, SQL_TRYLOCK, got));
}

int
bstore_lease_health(struct broker *b, char *host, size_t hostsz,
    int *in_recovery)
{
	struct lsn_q	*q;
	const char	*h;
	int		 rv;

	if ((rv = lsn_store_q(b->st, SQL_HEALTH, &q)) != LSN_OK)
		return (rv);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		h = lsn_q_col_text(q, 0);
		lsn_strlcpy(host, h != NULL ? h : "?", hostsz);
		*in_recovery = (int) lsn_q_col_i64(q, 1);
	}
	lsn_q_reset(q);
	return (LSN_Q_ROW(rv));
}

int
bstore_lease_read(struct broker *b, struct bstore_lease *le)
{
	struct lsn_q	*q;
	const char	*h;
	int64_t		 has = 0;
	int		 rv;

	if ((rv = lsn_store_i64(b->st, SQL_HAS_TABLE, &has)) != LSN_OK)
		return (rv);
	if (!has)
		return (LSN_ENOENT);
	if ((rv = lsn_store_q(b->st, SQL_READ, &q)) != LSN_OK)
		return (rv);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*le->epoch = lsn_q_col_i64(q, 0);
		h = lsn_q_col_text(q, 1);
		lsn_strlcpy(le->holder, h != NULL ? h : "", le->holdersz);
		*le->since_ms = lsn_q_col_i64(q, 2);
		*le->age_ms = lsn_q_col_i64(q, 3);
	}
	lsn_q_reset(q);
	return (LSN_Q_ROW(rv));
}

int
bstore_lease_kill(struct broker *b, int64_t *n)
{
	return (lsn_store_i64(b->st, SQL_KILL, n));
}

int
bstore_lease_create(struct broker *b)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_exec(b->st, SQL_CREATE)) != LSN_OK ||
	    (rv = lsn_store_q(b->st, SQL_INSERT, &q)) != LSN_OK)
		return (rv);
	return (bstore_run(b, q, NULL));
}

int
bstore_lease_take(struct broker *b, const char *holder, int64_t *epoch,
    int64_t *since_ms)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, SQL_TAKE, &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, holder);
	if ((rv = lsn_q_step(q)) != LSN_ROW) {
		rv = rv == LSN_OK ? LSN_EDB : rv;
		goto out;
	}
	*epoch = lsn_q_col_i64(q, 0);
	*since_ms = lsn_q_col_i64(q, 1);
	rv = LSN_OK;
 out:
	lsn_q_reset(q);
	return (rv);
}

int
bstore_store_epoch(struct broker *b, uint8_t *out, size_t outsz,
    int *found)
{
	struct lsn_q	*q;
	const void	*p;
	size_t		 n = 0;
	int		 rv;

	if ((rv = lsn_store_q(b->st, SQL_STORE_EPOCH, &q)) != LSN_OK)
		return (rv);
	if ((rv = lsn_q_step(q)) == LSN_ROW &&
	    (p = lsn_q_col_blob(q, 0, &n)) != NULL && n > 0) {
		memset(out, 0, outsz);
		memcpy(out, p, n < outsz ? n : outsz);
		*found = 1;
	}
	lsn_q_reset(q);
	return (rv < 0 ? rv : LSN_OK);
}

int
bstore_lease_fence(struct broker *b, int64_t *epoch)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, SQL_FENCE, &q)) != LSN_OK)
		return (rv);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*epoch = lsn_q_col_i64(q, 0);
	}
	lsn_q_reset(q);
	return (LSN_Q_ROW(rv));
}

int
bstore_lease_renew(struct broker *b, int64_t epoch, int64_t *n)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, SQL_RENEW, &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, epoch);
	return (bstore_run(b, q, n));
}
