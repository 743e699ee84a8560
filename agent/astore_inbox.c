/*
 * astore_inbox.c -- the inbox table: messages received, their state and
 * acknowledgement. See astore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/envelope.h"
#include "liaison/query.h"

#include "agent.h"
#include "astore.h"
#include "astore_int.h"

int
astore_inbox_tlp(struct agent *a, const uint8_t *id, size_t len, int *tlp)
{
	struct lsn_q	*q;
	int		 rv;

	*tlp = 0;
	if ((rv = lsn_store_q(a->st, "SELECT tlp FROM inbox WHERE "
	    "message_id = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, id, len);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*tlp = (int) lsn_q_col_i64(q, 0);
		rv = LSN_OK;
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_inbox_body_of(struct lsn_q *q, int body_col, int signed_col,
    const uint8_t **p, size_t *n)
{
	const uint8_t	*se;
	size_t		 selen;
	int		 rv;

	if (!lsn_q_col_null(q, body_col)) {
		*p = lsn_q_col_blob(q, body_col, n);
		return (LSN_OK);
	}
	se = lsn_q_col_blob(q, signed_col, &selen);
	if (se == NULL)
		return (LSN_ENOENT);
	rv = lsn_envelope_body_view(se, selen, p, n);
	return (rv == LSN_EPROTO ? LSN_EDB : rv);
}

int
astore_inbox_body(struct agent *a, const uint8_t *msgid, uint8_t **body,
    size_t *len, int *tlp, int *type)
{
	struct lsn_q	*q;
	const uint8_t	*p;
	size_t		 n;
	int		 rv;

	*body = NULL;
	*len = 0;
	if ((rv = lsn_store_q(a->st, "SELECT body, tlp, type, signed "
	    "FROM inbox WHERE message_id = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, LSN_MSGID_BYTES);
	if ((rv = lsn_q_step(q)) == LSN_ROW &&
	    (rv = astore_inbox_body_of(q, 0, 3, &p, &n)) == LSN_OK) {
		*tlp = (int) lsn_q_col_i64(q, 1);
		*type = (int) lsn_q_col_i64(q, 2);
		if ((rv = astore_dup(p, n, body)) == LSN_OK)
			*len = n;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}

/* Runs q, resets it; a duplicate is LSN_EDB (as callers expect). */
static int
run(struct lsn_q *q)
{
	int	rv;

	rv = lsn_q_run(q);
	return (rv == LSN_EEXIST ? LSN_EDB : rv);
}

int
astore_quarantine_add(struct agent *a, int64_t received_ms, int64_t seq,
    int code, const char *detail, const uint8_t *buf, size_t len)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO quarantine(received_ms,"
	    " seq, code, detail, signed) VALUES(?, ?, ?, ?, ?)", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, received_ms);
	lsn_q_i64(q, 2, seq);
	lsn_q_i64(q, 3, code);
	lsn_q_text(q, 4, detail);
	if (buf != NULL)
		lsn_q_blob(q, 5, buf, len);
	else
		lsn_q_null(q, 5);
	return (run(q));
}

int
astore_seen(struct agent *a, const uint8_t *id, size_t len)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT 1 FROM seen WHERE message_id = ?",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, id, len);
	rv = lsn_q_step(q);
	lsn_q_reset(q);
	return (rv == LSN_ROW ? 1 : rv);
}

int
astore_seen_add(struct agent *a, const uint8_t *id, size_t len)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO seen(message_id) VALUES(?)",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, id, len);
	return (run(q));
}

int
astore_inbox_add(struct agent *a, const struct astore_inbox_new *m)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO inbox(message_id, "
	    "sender, type, created_ms, received_ms, signed, body, priority, "
	    "tlp, seq) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, m->msgid, m->msgid_len);
	lsn_q_text(q, 2, m->sender);
	lsn_q_i64(q, 3, m->type);
	lsn_q_i64(q, 4, m->created_ms);
	lsn_q_i64(q, 5, m->received_ms);
	lsn_q_blob(q, 6, m->signed_env, m->signed_len);
	if (m->body != NULL)
		lsn_q_blob(q, 7, m->body, m->body_len);
	else
		lsn_q_null(q, 7);
	lsn_q_i64(q, 8, m->priority);
	lsn_q_i64(q, 9, m->tlp);
	lsn_q_i64(q, 10, m->seq);
	return (run(q));
}

int
astore_inbox_counts(struct agent *a, int64_t *total, int64_t *unacked,
    int64_t *quarantined)
{
	int	rv;

	if ((rv = astore_count(a, "SELECT count(*) FROM inbox", 0, 0,
	    total, NULL)) != LSN_OK ||
	    (rv = astore_count(a, "SELECT count(*) FROM inbox WHERE acked = 0",
	    0, 0, unacked, NULL)) != LSN_OK ||
	    (rv = astore_count(a, "SELECT count(*) FROM quarantine", 0, 0,
	    quarantined, NULL)) !=
	    LSN_OK)
		return (rv);
	return (LSN_OK);
}

#define ITEM_COLS "local_seq, message_id, sender, type, created_ms, " \
	"received_ms, acked, read, actioned, body, priority, tlp, signed"

/* Calls fn for each row of q (ITEM_COLS) until it stops; *seen: any. */
static int
item_scan(struct lsn_q *q, astore_inbox_fn *fn, void *arg, int *seen)
{
	struct astore_inbox_row	 r;
	int			 rv, x;

	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		memset(&r, 0, sizeof(r));
		r.local_seq = lsn_q_col_i64(q, 0);
		r.msgid = lsn_q_col_blob(q, 1, &r.msgid_len);
		r.sender = lsn_q_col_text(q, 2);
		r.type = (int) lsn_q_col_i64(q, 3);
		r.created_ms = lsn_q_col_i64(q, 4);
		r.received_ms = lsn_q_col_i64(q, 5);
		r.acked = lsn_q_col_i64(q, 6) != 0;
		r.read = lsn_q_col_i64(q, 7) != 0;
		r.actioned = lsn_q_col_i64(q, 8) != 0;
		if ((x = astore_inbox_body_of(q, 9, 12, &r.body,
		    &r.body_len)) == LSN_OK)
			r.has_body = 1;
		else if (x != LSN_ENOENT) {
			rv = x;
			break;
		}
		r.priority = (int) lsn_q_col_i64(q, 10);
		r.tlp = (int) lsn_q_col_i64(q, 11);
		r.signed_env = lsn_q_col_blob(q, 12, &r.signed_len);
		if (seen != NULL)
			*seen = 1;
		if ((x = fn(arg, &r)) != 0) {
			rv = LSN_Q_STOP(x);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_inbox_list(struct agent *a, const struct astore_inbox_filter *f,
    astore_inbox_fn *fn, void *arg)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT " ITEM_COLS " FROM inbox "
	    "WHERE local_seq > ? AND (? != 0 OR acked = 0) AND "
	    "(? = 0 OR type = ?) AND (? IS NULL OR sender = ?) AND "
	    "received_ms >= ? AND (? = 0 OR "
	    "(? = 1 AND read = 0 AND actioned = 0) OR "
	    "(? = 2 AND read != 0 AND actioned = 0) OR "
	    "(? = 3 AND actioned != 0)) ORDER BY local_seq LIMIT ?", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, f->after_seq);
	lsn_q_i64(q, 2, f->include_acked);
	lsn_q_i64(q, 3, f->type);
	lsn_q_i64(q, 4, f->type);
	for (int i = 5; i <= 6; i++) {
		if (f->sender != NULL)
			lsn_q_text(q, i, f->sender);
		else
			lsn_q_null(q, i);
	}
	lsn_q_i64(q, 7, f->since_ms);
	for (int i = 8; i <= 11; i++)
		lsn_q_i64(q, i, f->state);
	lsn_q_i64(q, 12, f->limit);
	return (item_scan(q, fn, arg, NULL));
}

int
astore_inbox_get(struct agent *a, const uint8_t *msgid, size_t len,
    astore_inbox_fn *fn, void *arg)
{
	struct lsn_q	*q;
	int		 rv, seen = 0;

	if ((rv = lsn_store_q(a->st, "SELECT " ITEM_COLS " FROM inbox "
	    "WHERE message_id = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, len);
	rv = item_scan(q, fn, arg, &seen);
	return (rv == LSN_OK && !seen ? LSN_ENOENT : rv);
}

int
astore_inbox_mark(struct agent *a, const uint8_t *msgid, size_t len,
    int what)
{
	struct lsn_q	*q;
	const char	*sql;
	int		 rv;

	switch (what) {
	case ASTORE_INBOX_ACKED:
		sql = "UPDATE inbox SET acked = 1 WHERE message_id = ?";
		break;
	case ASTORE_INBOX_READ:
		sql = "UPDATE inbox SET read = 1 WHERE message_id = ?";
		break;
	case ASTORE_INBOX_ACTIONED:
		sql = "UPDATE inbox SET actioned = 1 WHERE message_id = ?";
		break;
	default:
		return (LSN_EINVAL);
	}
	if ((rv = lsn_store_q(a->st, sql, &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, len);
	if ((rv = run(q)) == LSN_OK && lsn_store_changes(a->st) == 0)
		rv = LSN_ENOENT;
	return (rv);
}

int
astore_inbox_signed(struct agent *a, const uint8_t *msgid, size_t len,
    uint8_t **buf, size_t *n)
{
	struct lsn_q	*q;
	int		 rv;

	*buf = NULL;
	*n = 0;
	if ((rv = lsn_store_q(a->st, "SELECT signed FROM inbox WHERE "
	    "message_id = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, len);
	if ((rv = lsn_q_step(q)) == LSN_ROW)
		rv = astore_copy(q, 0, buf, n);
	else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}
