/*
 * astore_outbox.c -- the outbox: messages we send and their states
 * (pending, accepted, delivered, refused, ...) in `outbox`, each one's
 * SignedEnvelope in `outbox_env` under the same oid (written once and
 * signed in the same turn; the state updates leave it alone). See
 * astore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/envelope.h"
#include "liaison/query.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"
#include "astore_int.h"

static int	run(struct agent *, struct lsn_q *, int64_t *);

int
astore_outbox_republish(struct agent *a, const char *detail,
    int64_t since_ms, int64_t *n)
{
	struct lsn_q	*q;
	int		 rv;

	*n = 0;
	if ((rv = lsn_store_q(a->st, "UPDATE outbox SET state = "
	    "'pending', detail = ? WHERE state = 'accepted' AND "
	    "created_ms >= ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, detail);
	lsn_q_i64(q, 2, since_ms);
	return (run(a, q, n));
}

int
astore_outbox_signed(struct agent *a, const uint8_t *msgid, uint8_t **buf,
    size_t *len)
{
	struct lsn_q	*q;
	int		 rv;

	*buf = NULL;
	*len = 0;
	if ((rv = lsn_store_q(a->st, "SELECT e.signed FROM outbox o JOIN "
	    "outbox_env e ON e.oid = o.oid WHERE o.message_id = ?", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, LSN_MSGID_BYTES);
	if ((rv = lsn_q_step(q)) == LSN_ROW)
		rv = astore_copy(q, 0, buf, len);
	else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}

int
astore_outbox_state(struct agent *a, const uint8_t *msgid, size_t len,
    char *state, size_t statesz, int *code, char *detail, size_t detailsz)
{
	struct lsn_q	*q;
	const char	*t;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT state, code, detail FROM "
	    "outbox WHERE message_id = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, len);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		t = lsn_q_col_text(q, 0);
		lsn_strlcpy(state, t != NULL ? t : "", statesz);
		*code = (int) lsn_q_col_i64(q, 1);
		t = lsn_q_col_text(q, 2);
		lsn_strlcpy(detail, t != NULL ? t : "", detailsz);
		rv = LSN_OK;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}

/* Runs q, resets it; *n (when not NULL): rows changed. */
static int
run(struct agent *a, struct lsn_q *q, int64_t *n)
{
	int	rv;

	if ((rv = lsn_q_run(q)) == LSN_OK && n != NULL)
		*n = lsn_store_changes(a->st);
	return (rv);
}

int
astore_outbox_undeliverable(struct agent *a, const uint8_t *msgid, int code,
    const char *detail)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "UPDATE outbox SET state = "
	    "'undeliverable', code = ?, detail = ? WHERE message_id = ? AND "
	    "state = 'accepted'", &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, code);
	lsn_q_text(q, 2, detail);
	lsn_q_blob(q, 3, msgid, LSN_MSGID_BYTES);
	return (run(a, q, NULL));
}

int
astore_outbox_refuse_pending(struct agent *a, int code, const char *detail,
    int64_t *n)
{
	struct lsn_q	*q;
	int		 rv;

	*n = 0;
	if ((rv = lsn_store_q(a->st, "UPDATE outbox SET state = "
	    "'rejected', code = ?, detail = ? WHERE state = 'pending'", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, code);
	lsn_q_text(q, 2, detail);
	return (run(a, q, n));
}

#define OB_COLS	"o.oid, o.message_id, e.signed, o.state, o.code, o.detail, " \
	"o.created_ms FROM outbox o JOIN outbox_env e ON e.oid = o.oid"

/* Calls fn for each row of q (the columns of OB_COLS) until it stops. */
static int
ob_scan(struct lsn_q *q, astore_outbox_fn *fn, void *arg, int *seen)
{
	struct astore_outbox_row	 o;
	const void			*p;
	size_t				 n;
	int				 rv, r;

	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		memset(&o, 0, sizeof(o));
		o.oid = lsn_q_col_i64(q, 0);
		p = lsn_q_col_blob(q, 1, &n);
		o.msgid = n == LSN_MSGID_BYTES ? p : NULL;
		o.signed_env = lsn_q_col_blob(q, 2, &o.signed_len);
		o.state = lsn_q_col_text(q, 3);
		o.code = (int) lsn_q_col_i64(q, 4);
		o.detail = lsn_q_col_text(q, 5);
		o.created_ms = lsn_q_col_i64(q, 6);
		if (seen != NULL)
			*seen = 1;
		if ((r = fn(arg, &o)) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_outbox_get(struct agent *a, const uint8_t *msgid, size_t len,
    astore_outbox_fn *fn, void *arg)
{
	struct lsn_q	*q;
	int		 rv, seen = 0;

	if ((rv = lsn_store_q(a->st, "SELECT " OB_COLS " WHERE "
	    "o.message_id = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, len);
	rv = ob_scan(q, fn, arg, &seen);
	return (rv == LSN_OK && !seen ? LSN_ENOENT : rv);
}

int
astore_outbox_after(struct agent *a, int64_t after, astore_outbox_fn *fn,
    void *arg)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT " OB_COLS " WHERE o.oid > ? "
	    "ORDER BY o.oid", &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, after);
	return (ob_scan(q, fn, arg, NULL));
}

int
astore_outbox_add(struct agent *a, const uint8_t *msgid,
    const uint8_t *signed_env, size_t len, const uint8_t *env_hash,
    const char *state, int64_t created_ms, const char *recipients, int code,
    const char *detail)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO outbox(message_id, "
	    "state, created_ms, recipients, code, detail, env_hash) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?)", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, LSN_MSGID_BYTES);
	lsn_q_text(q, 2, state);
	lsn_q_i64(q, 3, created_ms);
	lsn_q_text(q, 4, recipients);
	lsn_q_i64(q, 5, code);
	if (detail != NULL)
		lsn_q_text(q, 6, detail);
	else
		lsn_q_null(q, 6);
	lsn_q_blob(q, 7, env_hash, LSN_HASH_BYTES);
	if ((rv = lsn_q_run(q)) != LSN_OK)
		goto out;
	/* the same connection's last insert: the outbox row's oid */
	if ((rv = lsn_store_q(a->st, "INSERT INTO outbox_env(oid, signed) "
	    "VALUES(last_insert_rowid(), ?)", &q)) != LSN_OK)
		goto out;
	lsn_q_blob(q, 1, signed_env, len);
	rv = lsn_q_run(q);
 out:
	return (rv == LSN_EEXIST ? LSN_EDB : rv);
}

/*
 * Sets state, code and detail: sqlite rewrites the outbox record and
 * logs its leaf page, which holds ~35 rows since the envelopes live in
 * outbox_env (3 rows of ~1 KiB before; a turn's acks then logged ~20
 * leaf pages, now one or two).
 */
int
astore_outbox_ack(struct agent *a, const uint8_t *msgid, size_t len,
    const char *state, int code, const char *detail, int64_t *n)
{
	struct lsn_q	*q;
	int		 rv;

	*n = 0;
	/* a refused re-publish stays accepted (see outbox_on_ack) */
	if ((rv = lsn_store_q(a->st, "UPDATE outbox SET state = "
	    "CASE WHEN ? = 'rejected' AND detail IS '"
	    OUTBOX_REPUBLISH_DETAIL "' THEN 'accepted' ELSE ? END, "
	    "code = CASE WHEN ? = 'rejected' AND detail IS '"
	    OUTBOX_REPUBLISH_DETAIL "' THEN 0 ELSE ? END, detail = ? "
	    "WHERE message_id = ? AND state = 'pending'", &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, state);
	lsn_q_text(q, 2, state);
	lsn_q_text(q, 3, state);
	lsn_q_i64(q, 4, code);
	lsn_q_text(q, 5, detail);
	lsn_q_blob(q, 6, msgid, len);
	return (run(a, q, n));
}

int
astore_outbox_env_hash(struct agent *a, const uint8_t *msgid,
    uint8_t h[LSN_HASH_BYTES])
{
	struct lsn_q	*q;
	const uint8_t	*p, *env;
	size_t		 n, envlen;
	int		 rv;

	/* the envelope is read only for a row without its hash */
	if ((rv = lsn_store_q(a->st, "SELECT env_hash, CASE WHEN env_hash "
	    "IS NULL THEN (SELECT signed FROM outbox_env e WHERE e.oid = "
	    "o.oid) END FROM outbox o WHERE o.message_id = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, msgid, LSN_MSGID_BYTES);
	if ((rv = lsn_q_step(q)) != LSN_ROW) {
		rv = rv == LSN_OK ? LSN_ENOENT : rv;
		goto out;
	}
	p = lsn_q_col_blob(q, 0, &n);
	if (p != NULL && n == LSN_HASH_BYTES) {
		memcpy(h, p, LSN_HASH_BYTES);
		rv = LSN_OK;
		goto out;
	}
	/* a row from before the column: hash the stored envelope */
	p = lsn_q_col_blob(q, 1, &n);
	if (p == NULL || lsn_envelope_view(p, n, &env, &envlen) != LSN_OK) {
		rv = LSN_EDB;
		goto out;
	}
	lsn_hash(env, envlen, h);
	rv = LSN_OK;
 out:
	lsn_q_reset(q);
	return (rv);
}

int
astore_outbox_set_signed(struct agent *a, const uint8_t *msgid,
    const uint8_t *signed_env, size_t len, int64_t *n)
{
	struct lsn_q	*q;
	int		 rv;

	*n = 0;
	if ((rv = lsn_store_q(a->st, "UPDATE outbox_env SET signed = ? "
	    "WHERE oid = (SELECT oid FROM outbox WHERE message_id = ?)",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, signed_env, len);
	lsn_q_blob(q, 2, msgid, LSN_MSGID_BYTES);
	return (run(a, q, n));
}

int
astore_outbox_low_pending(struct agent *a, int64_t *oid)
{
	*oid = 0;
	return (astore_count(a, "SELECT min(oid) FROM outbox WHERE "
	    "state = 'pending'", 0, 0, oid, NULL));
}

int
astore_outbox_counts(struct agent *a, int64_t *pending, int64_t *rejected)
{
	struct lsn_q	*q;
	const char	*st;
	int		 rv;

	*pending = *rejected = 0;
	if ((rv = lsn_store_q(a->st, "SELECT state, count(*) FROM outbox "
	    "WHERE state != 'accepted' GROUP BY state", &q)) != LSN_OK)
		return (rv);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		st = lsn_q_col_text(q, 0);
		if (st != NULL && strcmp(st, "pending") == 0)
			*pending = lsn_q_col_i64(q, 1);
		else if (st != NULL && strcmp(st, "rejected") == 0)
			*rejected = lsn_q_col_i64(q, 1);
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_outbox_pending(struct agent *a, int64_t after, int64_t limit,
    astore_outbox_fn *fn, void *arg)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT " OB_COLS " WHERE "
	    "o.state = 'pending' AND o.oid > ? ORDER BY o.oid LIMIT ?", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, after);
	lsn_q_i64(q, 2, limit);
	return (ob_scan(q, fn, arg, NULL));
}
