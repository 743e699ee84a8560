/*
 * bstore_stats.c -- counts over recipients, queue and audit for the
 * status socket (control.c) and the metrics (bmetrics.c). See bstore.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"
#include "liaison/query.h"

#include "broker.h"
#include "bstore.h"
#include "bstore_int.h"

int
bstore_stat_queued(struct broker *b, int64_t *n)
{
	static const char sql[] =
	    "SELECT CAST(COALESCE(SUM(queued), 0) AS BIGINT) FROM recipients";

	return (lsn_store_i64(b->st, sql, n));
}

int
bstore_stat_queued_waiting(struct broker *b, int64_t *n)
{
	static const char sql[] = "SELECT CAST(coalesce(sum(queued), 0) AS"
	    " BIGINT) FROM recipients WHERE queued > 0";

	return (lsn_store_i64(b->st, sql, n));
}

int
bstore_stat_audit_max(struct broker *b, int64_t *n)
{
	static const char sql[] = "SELECT COALESCE(MAX(id), 0) FROM audit";

	return (lsn_store_i64(b->st, sql, n));
}

int
bstore_queues_top(struct broker *b, int64_t limit, bstore_queue_fn *fn,
    void *arg)
{
	static const char sql[] = "SELECT partner, queued FROM recipients "
	    "WHERE queued > 0 ORDER BY queued DESC, partner LIMIT ?";
	struct lsn_q	*q;
	int		 rv, r;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, limit);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		const char	*p = lsn_q_col_text(q, 0);

		if (p == NULL)
			continue;
		if ((r = fn(arg, p, lsn_q_col_i64(q, 1))) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
bstore_queue_oldest(struct broker *b, const char *partner,
    int64_t *accepted_ms)
{
	static const char sql[] = "SELECT m.accepted_ms FROM queue q"
	    " JOIN messages m ON m.message_id = q.message_id"
	    " WHERE q.recipient = ? ORDER BY q.seq LIMIT 1";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, partner);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*accepted_ms = lsn_q_col_i64(q, 0);
	}
	lsn_q_reset(q);
	return (LSN_Q_ROW(rv));
}

int
bstore_problems(struct broker *b, int64_t limit, bstore_problem_fn *fn,
    void *arg)
{
	static const char sql[] = "SELECT time_ms, kind, subject, detail "
	    "FROM audit WHERE kind IN ('authfail', 'quarantined', "
	    "'expired') ORDER BY id DESC LIMIT ?";
	struct lsn_q	*q;
	int		 rv, r;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, limit);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		if ((r = fn(arg, lsn_q_col_i64(q, 0), lsn_q_col_text(q, 1),
		    lsn_q_col_text(q, 2), lsn_q_col_text(q, 3))) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}
