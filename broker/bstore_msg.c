/*
 * bstore_msg.c -- the messages table with the queue rows read with it:
 * ingress's duplicate check and insert (ingress.c), the delivery scan
 * (deliver.c), the expiry scan and the pruning of delivered bytes
 * (expire.c). See bstore.h.
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
bstore_msg_get(struct broker *b, const uint8_t *msgid, bstore_msg_fn *fn,
    void *arg)
{
	static const char sql[] =
	    "SELECT env_hash, recipients FROM messages WHERE message_id = ?";
	struct lsn_q	*q;
	const void	*h;
	size_t		 hlen = 0;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, LSN_MSGID_BYTES);
	rv = lsn_q_step(q);
	if (rv == LSN_ROW) {
		h = lsn_q_col_blob(q, 0, &hlen);
		fn(arg, h, hlen, lsn_q_col_text(q, 1));
	}
	lsn_q_reset(q);
	return (LSN_Q_ROW(rv));
}

int
bstore_msg_add(struct broker *b, const struct bstore_msg *m)
{
	static const char sql[] =
	    "INSERT INTO messages(message_id, env_hash, signed, sender,"
	    " recipients, created_ms, expires_ms, accepted_ms)"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?)";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, m->msgid, LSN_MSGID_BYTES);
	lsn_q_blob(q, 2, m->hash, LSN_HASH_BYTES);
	lsn_q_blob(q, 3, m->signed_env, m->len);
	lsn_q_text(q, 4, m->sender);
	lsn_q_text(q, 5, m->rcpts);
	lsn_q_i64(q, 6, (int64_t) m->created_ms);
	lsn_q_i64(q, 7, (int64_t) m->expires_ms);
	lsn_q_i64(q, 8, (int64_t) m->accepted_ms);
	rv = lsn_q_exec(q);	/* PostgreSQL: pipelined (query.h) */
	lsn_q_reset(q);
	return (rv);
}

int
bstore_msg_pending(struct broker *b, const char *rcpt, uint64_t after,
    uint64_t limit, bstore_pending_fn *fn, void *arg)
{
	static const char sql[] =
	    "SELECT q.seq, m.signed, m.created_ms, m.expires_ms, q.message_id"
	    " FROM queue q JOIN messages m ON m.message_id = q.message_id"
	    " WHERE q.recipient = ? AND q.seq > ? ORDER BY q.seq LIMIT ?";
	struct bstore_pending	 p;
	struct lsn_q		*q;
	int			 rv, r;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, rcpt);
	lsn_q_i64(q, 2, (int64_t) after);
	lsn_q_i64(q, 3, (int64_t) limit);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		memset(&p, 0, sizeof(p));
		p.seq = (uint64_t) lsn_q_col_i64(q, 0);
		p.env = lsn_q_col_blob(q, 1, &p.len);
		p.created_ms = (uint64_t) lsn_q_col_i64(q, 2);
		p.expires_ms = (uint64_t) lsn_q_col_i64(q, 3);
		p.msgid = lsn_q_col_blob(q, 4, &p.idlen);
		if ((r = fn(arg, &p)) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
bstore_msg_expired(struct broker *b, uint64_t now, int64_t limit,
    bstore_expired_fn *fn, void *arg)
{
	static const char sql_sel[] =
	    "SELECT recipient, seq, message_id FROM queue"
	    " WHERE expires_ms > 0 AND expires_ms <= ? LIMIT ?";
	struct lsn_q	*q;
	const void	*id;
	size_t		 idlen;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql_sel, &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, (int64_t) now);
	lsn_q_i64(q, 2, limit);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		const char	*rc = lsn_q_col_text(q, 0);

		id = lsn_q_col_blob(q, 2, &idlen);
		if (rc == NULL || id == NULL || idlen != LSN_MSGID_BYTES)
			continue;
		if (fn(arg, rc, (uint64_t) lsn_q_col_i64(q, 1), id) != 0)
			break;
	}
	lsn_q_reset(q);
	/* a failed step ends the scan: the rows read count (the rest next
	 * run), unless the store is lost */
	return (rv == LSN_ECLOSED ? rv : LSN_OK);
}

int
bstore_msg_prune(struct broker *b, uint64_t before, int64_t limit,
    int64_t *n)
{
	/* signed = ? is a bound 0-byte blob (no X'' literal on PostgreSQL) */
	static const char sql[] =
	    "UPDATE messages SET signed = ? WHERE message_id IN ("
	    " SELECT m.message_id FROM messages m"
	    " WHERE length(m.signed) > 0 AND m.accepted_ms < ?"
	    " AND NOT EXISTS (SELECT 1 FROM msg_pending p"
	    " WHERE p.message_id = m.message_id) LIMIT ?)";
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(b->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, "", 0);
	lsn_q_i64(q, 2, (int64_t) before);
	lsn_q_i64(q, 3, limit);
	return (bstore_run(b, q, n));
}
