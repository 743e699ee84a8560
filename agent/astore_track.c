/*
 * astore_track.c -- the tracking table: referrals and alerts we sent or
 * received, their deadlines, acknowledgements and escalation. See
 * astore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/query.h"
#include "liaison/util.h"

#include "agent.h"
#include "astore.h"
#include "astore_int.h"

int
astore_track_msgid(struct agent *a, const char *kind, const uint8_t *item_id,
    const char *peer, uint8_t *msgid)
{
	struct lsn_q	*q;
	const void	*p;
	size_t		 n;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT message_id FROM tracking WHERE "
	    "kind = ? AND item_id = ? AND peer = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, kind);
	lsn_q_blob(q, 2, item_id, LSN_BODY_ID_BYTES);
	lsn_q_text(q, 3, peer);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		p = lsn_q_col_blob(q, 0, &n);
		if (n == LSN_MSGID_BYTES) {
			memcpy(msgid, p, LSN_MSGID_BYTES);
			rv = LSN_OK;
		} else
			rv = LSN_ENOENT;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}

/* Binds the key (kind, item id, peer) to parameters i, i+1, i+2. */
static void
bind_key(struct lsn_q *q, int i, const char *kind, const uint8_t *id,
    const char *peer)
{
	lsn_q_text(q, i, kind);
	lsn_q_blob(q, i + 1, id, LSN_BODY_ID_BYTES);
	lsn_q_text(q, i + 2, peer);
}

int
astore_track_get(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, char *role, size_t rolesz, int *state, int *priority,
    int64_t *sent_ms, int64_t *deadline)
{
	struct lsn_q	*q;
	const char	*r;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT role, state, priority, "
	    "sent_ms, deadline FROM tracking WHERE kind = ? AND item_id = ? "
	    "AND peer = ?", &q)) != LSN_OK)
		return (rv);
	bind_key(q, 1, kind, id, peer);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		r = lsn_q_col_text(q, 0);
		lsn_strlcpy(role, r != NULL ? r : "", rolesz);
		*state = (int) lsn_q_col_i64(q, 1);
		*priority = (int) lsn_q_col_i64(q, 2);
		*sent_ms = lsn_q_col_i64(q, 3);
		*deadline = lsn_q_col_i64(q, 4);
		rv = LSN_OK;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}

int
astore_track_insert(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, const char *role, int state, int priority,
    int64_t sent_ms, int64_t deadline, int64_t updated_ms,
    const uint8_t *msgid)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO tracking(kind, item_id,"
	    " peer, role, state, priority, sent_ms, deadline, updated_ms, "
	    "message_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &q)) !=
	    LSN_OK)
		return (rv);
	bind_key(q, 1, kind, id, peer);
	lsn_q_text(q, 4, role);
	lsn_q_i64(q, 5, state);
	lsn_q_i64(q, 6, priority);
	lsn_q_i64(q, 7, sent_ms);
	lsn_q_i64(q, 8, deadline);
	lsn_q_i64(q, 9, updated_ms);
	lsn_q_blob(q, 10, msgid, LSN_MSGID_BYTES);
	rv = lsn_q_run(q);
	return (rv == LSN_EEXIST ? LSN_EDB : rv);
}

int
astore_track_update(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, int state, int acked, int64_t acked_ms,
    int64_t updated_ms)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "UPDATE tracking SET state = ?, "
	    "acked_ms = CASE WHEN ? AND acked_ms = 0 THEN ? ELSE acked_ms "
	    "END, updated_ms = ? WHERE kind = ? AND item_id = ? AND peer = ?",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, state);
	lsn_q_i64(q, 2, acked);
	lsn_q_i64(q, 3, acked_ms);
	lsn_q_i64(q, 4, updated_ms);
	bind_key(q, 5, kind, id, peer);
	return (lsn_q_run(q));
}

int
astore_track_set_escalated(struct agent *a, const char *kind,
    const uint8_t *id, const char *peer)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "UPDATE tracking SET escalated = 1 "
	    "WHERE kind = ? AND item_id = ? AND peer = ?", &q)) != LSN_OK)
		return (rv);
	bind_key(q, 1, kind, id, peer);
	return (lsn_q_run(q));
}

/*
 * Calls fn for each row of q (columns kind, item_id, peer, role, state,
 * priority, sent_ms, acked_ms, deadline, escalated, updated_ms; or, ncol
 * 7, kind, item_id, peer, priority, state, sent_ms, undeliverable_ms)
 * until fn answers non-zero. Rows whose texts
 * are NULL or whose item id is not LSN_BODY_ID_BYTES are skipped.
 */
static int
scan(struct lsn_q *q, int ncol, astore_track_fn *fn, void *arg)
{
	struct astore_track_row	 t;
	size_t			 n;
	int			 rv, r;

	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		memset(&t, 0, sizeof(t));
		t.kind = lsn_q_col_text(q, 0);
		t.item_id = lsn_q_col_blob(q, 1, &n);
		t.peer = lsn_q_col_text(q, 2);
		if (t.kind == NULL || t.peer == NULL ||
		    n != LSN_BODY_ID_BYTES)
			continue;
		if (ncol == 11) {
			if ((t.role = lsn_q_col_text(q, 3)) == NULL)
				continue;
			t.state = (int) lsn_q_col_i64(q, 4);
			t.priority = (int) lsn_q_col_i64(q, 5);
			t.sent_ms = lsn_q_col_i64(q, 6);
			t.acked_ms = lsn_q_col_i64(q, 7);
			t.deadline = lsn_q_col_i64(q, 8);
			t.escalated = (int) lsn_q_col_i64(q, 9);
			t.updated_ms = lsn_q_col_i64(q, 10);
		} else {
			t.priority = (int) lsn_q_col_i64(q, 3);
			t.state = (int) lsn_q_col_i64(q, 4);
			t.sent_ms = lsn_q_col_i64(q, 5);
			t.undeliverable_ms = lsn_q_col_i64(q, 6);
		}
		if ((r = fn(arg, &t)) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_track_list(struct agent *a, const char *kind, const uint8_t *item_id,
    size_t item_len, astore_track_fn *fn, void *arg)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT kind, item_id, peer, role, "
	    "state, priority, sent_ms, acked_ms, deadline, escalated, "
	    "updated_ms FROM tracking WHERE (? IS NULL OR kind = ?) AND "
	    "(? IS NULL OR item_id = ?) ORDER BY sent_ms DESC, peer",
	    &q)) != LSN_OK)
		return (rv);
	for (int i = 1; i <= 2; i++) {
		if (kind != NULL)
			lsn_q_text(q, i, kind);
		else
			lsn_q_null(q, i);
		if (item_id != NULL)
			lsn_q_blob(q, i + 2, item_id, item_len);
		else
			lsn_q_null(q, i + 2);
	}
	return (scan(q, 11, fn, arg));
}

int
astore_track_due(struct agent *a, const char *kind, int64_t now,
    astore_track_fn *fn, void *arg)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "SELECT kind, item_id, peer, priority, "
	    "state, sent_ms, undeliverable_ms FROM tracking WHERE kind = ? "
	    "AND role = 'sender' AND escalated = 0 AND acked_ms = 0 AND "
	    "state = 1 AND (deadline < ? OR undeliverable_ms > 0) AND "
	    "(kind = 'alert' OR priority = 1) LIMIT 256", &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, kind);
	lsn_q_i64(q, 2, now);
	return (scan(q, 7, fn, arg));
}

int
astore_track_set_undeliverable(struct agent *a, const char *kind,
    const uint8_t *msgid, const char *peer, int64_t when,
    uint8_t item_id[LSN_BODY_ID_BYTES])
{
	struct lsn_q	*q;
	const void	*p;
	size_t		 n;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "UPDATE tracking SET undeliverable_ms = "
	    "? WHERE kind = ? AND message_id = ? AND peer = ? AND role = "
	    "'sender' AND undeliverable_ms = 0 RETURNING item_id", &q)) !=
	    LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, when);
	lsn_q_text(q, 2, kind);
	lsn_q_blob(q, 3, msgid, LSN_MSGID_BYTES);
	lsn_q_text(q, 4, peer);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		p = lsn_q_col_blob(q, 0, &n);
		rv = n == LSN_BODY_ID_BYTES ? LSN_OK : LSN_EDB;
		if (rv == LSN_OK)
			memcpy(item_id, p, LSN_BODY_ID_BYTES);
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}

int
astore_track_open(struct agent *a, astore_track_fn *fn, void *arg)
{
	struct astore_track_row	 t;
	struct lsn_q		*q;
	const void		*p;
	size_t			 n;
	int			 rv, r;

	if ((rv = lsn_store_q(a->st, "SELECT kind, item_id, peer, role, "
	    "state, priority, deadline, acked_ms, message_id FROM tracking "
	    "WHERE (kind = 'referral' AND state IN (1, 2, 3, 5)) OR "
	    "(kind = 'alert' AND acked_ms = 0) ORDER BY deadline LIMIT 500",
	    &q)) != LSN_OK)
		return (rv);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		memset(&t, 0, sizeof(t));
		t.kind = lsn_q_col_text(q, 0);
		t.item_id = lsn_q_col_blob(q, 1, &n);
		if (t.kind == NULL || n != LSN_BODY_ID_BYTES)
			continue;
		t.peer = lsn_q_col_text(q, 2);
		t.role = lsn_q_col_text(q, 3);
		t.state = (int) lsn_q_col_i64(q, 4);
		t.priority = (int) lsn_q_col_i64(q, 5);
		t.deadline = lsn_q_col_i64(q, 6);
		t.acked_ms = lsn_q_col_i64(q, 7);
		p = lsn_q_col_blob(q, 8, &n);
		t.msgid = n == LSN_MSGID_BYTES ? p : NULL;
		if ((r = fn(arg, &t)) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_referral_received(struct agent *a, const uint8_t *rid,
    const char *peer, uint8_t **se, size_t *selen, uint8_t **body,
    size_t *blen)
{
	struct lsn_q	*q;
	int		 rv;

	*se = *body = NULL;
	*selen = *blen = 0;
	if ((rv = lsn_store_q(a->st, "SELECT i.signed, i.body FROM "
	    "tracking t JOIN inbox i ON i.message_id = t.message_id WHERE "
	    "t.kind = 'referral' AND t.item_id = ? AND t.peer = ? AND "
	    "t.role = 'recipient' AND i.sender = t.peer", &q)) != LSN_OK)
		return (rv);
	lsn_q_blob(q, 1, rid, LSN_BODY_ID_BYTES);
	lsn_q_text(q, 2, peer);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		const uint8_t	*p;
		size_t		 n;

		/* (a sealed body not opened reads as empty, as it did) */
		if ((rv = astore_inbox_body_of(q, 1, 0, &p, &n)) ==
		    LSN_ENOENT) {
			p = NULL;
			n = 0;
			rv = LSN_OK;
		}
		if (rv == LSN_OK &&
		    (rv = astore_copy(q, 0, se, selen)) == LSN_OK &&
		    (rv = astore_dup(p, n, body)) != LSN_OK) {
			free(*se);
			*se = NULL;
		} else if (rv == LSN_OK)
			*blen = n;
	} else if (rv == LSN_OK)
		rv = LSN_ENOENT;
	lsn_q_reset(q);
	return (rv);
}
