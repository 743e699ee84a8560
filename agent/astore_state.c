/*
 * astore_state.c -- the agent's small tables (alerts) and the counts the
 * metrics show. See astore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/query.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"
#include "astore_int.h"

int
astore_alerts(struct agent *a, size_t max, char ***vp, size_t *np)
{
	struct lsn_q	*q;
	char		**v = NULL;
	size_t		 n = 0;
	int		 rv, r;

	if ((rv = lsn_store_q(a->st, "SELECT text FROM (SELECT id, text "
	    "FROM alerts ORDER BY id DESC LIMIT ?) ORDER BY id", &q)) !=
	    LSN_OK)
		return (rv);
	if ((v = calloc(max > 0 ? max : 1, sizeof(*v))) == NULL)
		return (LSN_ENOMEM);
	lsn_q_i64(q, 1, (int64_t) max);
	while ((r = lsn_q_step(q)) == LSN_ROW && n < max) {
		const char *t = lsn_q_col_text(q, 0);

		if ((v[n] = strdup(t != NULL ? t : "")) == NULL) {
			rv = LSN_ENOMEM;
			goto out;
		}
		n++;
	}
	if (r != LSN_OK && r != LSN_ROW) {
		rv = r;
		goto out;
	}
	*vp = v;
	*np = n;
	v = NULL;
	rv = LSN_OK;
 out:
	lsn_q_reset(q);
	if (v != NULL) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
	}
	return (rv);
}

int
astore_dup(const void *p, size_t n, uint8_t **buf)
{
	if ((*buf = malloc(n > 0 ? n : 1)) == NULL)
		return (LSN_ENOMEM);
	if (n > 0)
		memcpy(*buf, p, n);
	return (LSN_OK);
}

int
astore_copy(struct lsn_q *q, int c, uint8_t **buf, size_t *n)
{
	const void	*p;

	p = lsn_q_col_blob(q, c, n);
	return (astore_dup(p, *n, buf));
}

int
astore_count(struct agent *a, const char *sql, int has_p, int64_t p,
    int64_t *v0, int64_t *v1)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, sql, &q)) != LSN_OK)
		return (rv);
	if (has_p)
		lsn_q_i64(q, 1, p);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*v0 = lsn_q_col_i64(q, 0);
		if (v1 != NULL)
			*v1 = lsn_q_col_i64(q, 1);
		rv = LSN_OK;
	} else if (rv == LSN_OK)
		rv = LSN_EDB;
	lsn_q_reset(q);
	return (rv);
}

int
astore_count_outbox_pending(struct agent *a, int64_t *n, int64_t *oldest_ms)
{
	return (astore_count(a, "SELECT count(*), coalesce(min(created_ms), 0) "
	    "FROM outbox WHERE state = 'pending'", 0, 0, n, oldest_ms));
}

int
astore_count_inbox_unacked(struct agent *a, int64_t *n)
{
	return (astore_count(a, "SELECT count(*) FROM inbox WHERE acked = 0", 0,
	    0, n, NULL));
}

int
astore_count_escalation_pending(struct agent *a, int alert, int64_t now,
    int64_t *n, int64_t *late)
{
	return (astore_count(a, alert ? "SELECT count(*), coalesce(sum(deadline "
	    "< ?), 0) FROM tracking WHERE kind = 'alert' AND acked_ms = 0 "
	    "AND state = 1 AND escalated = 0 AND role = 'sender'" :
	    "SELECT count(*), coalesce(sum(deadline < ?), 0) FROM "
	    "tracking WHERE kind = 'referral' AND acked_ms = 0 AND "
	    "state = 1 AND escalated = 0 AND role = 'sender' AND "
	    "priority = 1", 1, now, n, late));
}

int
astore_count_overdue(struct agent *a, int alert, int64_t now, int64_t *n)
{
	return (astore_count(a, alert ? "SELECT count(*) FROM tracking WHERE "
	    "kind = 'alert' AND acked_ms = 0 AND state = 1 AND deadline < ?" :
	    "SELECT count(*) FROM tracking WHERE kind = 'referral' AND "
	    "acked_ms = 0 AND state = 1 AND deadline < ?", 1, now, n, NULL));
}

int
astore_alerts_delete(struct agent *a, const char *text)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "DELETE FROM alerts WHERE text = ?",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, text);
	return (lsn_q_run(q));
}

/* Runs a statement without parameters or rows (savepoints). */
static int
run_sql(struct agent *a, const char *sql)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, sql, &q)) != LSN_OK)
		return (rv);
	return (lsn_q_run(q));
}

int
astore_savepoint(struct agent *a, int op)
{
	static const char	sp_begin[] = "SAVEPOINT agent_sp";
	static const char	sp_release[] = "RELEASE agent_sp";
	static const char	sp_rollback[] = "ROLLBACK TO agent_sp";
	int			rv;

	if (op == AGENT_SP_ROLLBACK) {
		if ((rv = run_sql(a, sp_rollback)) != LSN_OK)
			return (rv);
		op = AGENT_SP_RELEASE;
	}
	return (run_sql(a, op == AGENT_SP_BEGIN ? sp_begin : sp_release));
}

int
astore_state_get(struct agent *a, const char *key, char *val, size_t valsz)
{
	struct lsn_q	*q;
	const char	*v;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT value FROM state WHERE key = ?",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, key);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		v = lsn_q_col_text(q, 0);
		lsn_strlcpy(val, v != NULL ? v : "", valsz);
		rv = LSN_OK;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}

int
astore_state_set(struct agent *a, const char *key, const char *val)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO state(key, value) "
	    "VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = "
	    "excluded.value", &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, key);
	lsn_q_text(q, 2, val);
	return (lsn_q_run(q));
}

int
astore_alert_exists(struct agent *a, const char *text, int *found)
{
	struct lsn_q	*q;
	int		 rv;

	*found = 0;
	if ((rv = lsn_store_q(a->st, "SELECT 1 FROM alerts WHERE text = ?",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, text);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*found = 1;
		rv = LSN_OK;
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_alert_add(struct agent *a, int64_t time_ms, const char *text)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO alerts(time_ms, text) "
	    "VALUES(?, ?)", &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, time_ms);
	lsn_q_text(q, 2, text);
	return (lsn_q_run(q));
}
