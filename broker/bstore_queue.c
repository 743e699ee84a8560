/*
 * bstore_queue.c -- the recipients and queue tables: a recipient's
 * sequence numbers (queue.c's cache, rcache) and its queue rows (queue.c,
 * expire.c's removals). See bstore.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/query.h"

#include "broker.h"
#include "bstore.h"
#include "bstore_int.h"

int
bstore_rcpt_get(struct broker *b, const char *partner, uint64_t *next,
    uint64_t *queued)
{
	static const char sql[] =
	    "SELECT next_seq, queued FROM recipients WHERE partner = ?";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, partner);
	rv = lsn_q_step(q);
	if (rv == LSN_ROW) {
		*next = (uint64_t) lsn_q_col_i64(q, 0);
		*queued = (uint64_t) lsn_q_col_i64(q, 1);
	}
	lsn_q_reset(q);
	return (LSN_Q_ROW(rv));
}

int
bstore_rcpt_add(struct broker *b, const char *partner)
{
	static const char sql_new[] =
	    "INSERT INTO recipients(partner, next_seq, acked_seq)"
	    " VALUES(?, 2, 0)";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql_new, &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, partner);
	return (bstore_run(b, q, NULL));
}

int
bstore_rcpt_set_next(struct broker *b, const char *partner, uint64_t next)
{
	static const char sql[] =
	    "UPDATE recipients SET next_seq = ? WHERE partner = ?";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, (int64_t) next);
	lsn_q_text(q, 2, partner);
	rv = lsn_q_exec(q);
	lsn_q_reset(q);
	return (rv);
}

int
bstore_rcpt_set_acked(struct broker *b, const char *partner, uint64_t acked)
{
	/* acked_seq only grows (sqlite's scalar max(a, b) is not portable) */
	static const char sql_upd[] =
	    "UPDATE recipients SET acked_seq = ?"
	    " WHERE partner = ? AND acked_seq < ?";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql_upd, &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, (int64_t) acked);
	lsn_q_text(q, 2, partner);
	lsn_q_i64(q, 3, (int64_t) acked);
	return (bstore_run(b, q, NULL));
}

int
bstore_queue_add(struct broker *b, const char *rcpt, uint64_t seq,
    const uint8_t *msgid, uint64_t expires_ms)
{
	static const char sql_ins[] =
	    "INSERT INTO queue(recipient, seq, message_id, expires_ms)"
	    " VALUES(?, ?, ?, ?)";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql_ins, &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, rcpt);
	lsn_q_i64(q, 2, (int64_t) seq);
	lsn_q_blob(q, 3, msgid, LSN_MSGID_BYTES);
	lsn_q_i64(q, 4, (int64_t) expires_ms);
	rv = lsn_q_exec(q);	/* PostgreSQL: pipelined (query.h) */
	lsn_q_reset(q);
	return (rv);
}

int
bstore_queue_first(struct broker *b, const char *rcpt, int *none,
    uint64_t *seq)
{
	static const char sql[] =
	    "SELECT MIN(seq) FROM queue WHERE recipient = ?";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, rcpt);
	rv = lsn_q_step(q);
	if (rv == LSN_ROW) {
		if (!(*none = lsn_q_col_null(q, 0)))
			*seq = (uint64_t) lsn_q_col_i64(q, 0);
	}
	lsn_q_reset(q);
	return (LSN_Q_ROW(rv));
}

int
bstore_queue_msgid(struct broker *b, const char *rcpt, uint64_t seq,
    uint8_t *msgid)
{
	static const char sql[] =
	    "SELECT message_id FROM queue WHERE recipient = ? AND seq = ?";
	struct lsn_q	*q;
	const void	*id;
	size_t		 idlen = 0;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, rcpt);
	lsn_q_i64(q, 2, (int64_t) seq);
	rv = lsn_q_step(q);
	if (rv == LSN_ROW && (id = lsn_q_col_blob(q, 0, &idlen)) != NULL &&
	    idlen == LSN_MSGID_BYTES) {
		memcpy(msgid, id, LSN_MSGID_BYTES);
		rv = LSN_OK;
	} else if (rv == LSN_ROW || rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}

/* Deletes with sql: rcpt's row at seq, or its rows up to seq. */
static int
queue_delete(struct broker *b, const char *sql, const char *rcpt,
    uint64_t seq, int64_t *n)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, rcpt);
	lsn_q_i64(q, 2, (int64_t) seq);
	return (bstore_run(b, q, n));
}

int
bstore_queue_del(struct broker *b, const char *rcpt, uint64_t seq,
    int64_t *n)
{
	static const char sql[] =
	    "DELETE FROM queue WHERE recipient = ? AND seq = ?";

	return (queue_delete(b, sql, rcpt, seq, n));
}

int
bstore_queue_trim(struct broker *b, const char *rcpt, uint64_t upto,
    int64_t *n)
{
	static const char sql_del[] =
	    "DELETE FROM queue WHERE recipient = ? AND seq <= ?";

	return (queue_delete(b, sql_del, rcpt, upto, n));
}
