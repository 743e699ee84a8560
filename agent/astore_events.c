/*
 * astore_events.c -- the events table: the agent's event log, appended
 * by the workflows and read by the local API. See astore.h.
 */
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/query.h"

#include "agent.h"
#include "astore.h"
#include "astore_int.h"

/* Binds a 16-byte id or NULL. */
static void
bind_id(struct lsn_q *q, int i, const uint8_t *id)
{
	if (id != NULL)
		lsn_q_blob(q, i, id, 16);
	else
		lsn_q_null(q, i);
}

int
astore_event_add(struct agent *a, int64_t time_ms, const char *kind,
    const uint8_t *msgid, const uint8_t *itemid, const char *peer,
    const char *detail)
{
	struct lsn_q	*q;
	int		 rv;

	if ((rv = lsn_store_q(a->st, "INSERT INTO events(time_ms, kind, "
	    "message_id, item_id, peer, detail) VALUES(?, ?, ?, ?, ?, ?)",
	    &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, time_ms);
	lsn_q_text(q, 2, kind);
	bind_id(q, 3, msgid);
	bind_id(q, 4, itemid);
	lsn_q_text(q, 5, peer);		/* NULL binds NULL */
	lsn_q_text(q, 6, detail);
	return (lsn_q_run(q));
}

int
astore_events_list(struct agent *a, int64_t after, int64_t limit,
    astore_event_fn *fn, void *arg)
{
	struct astore_event_row	 e;
	struct lsn_q		*q;
	const void		*p;
	size_t			 n;
	int			 rv, r;

	if ((rv = lsn_store_q(a->st, "SELECT id, time_ms, kind, "
	    "message_id, item_id, peer, detail FROM events WHERE id > ? "
	    "ORDER BY id LIMIT ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_i64(q, 1, after);
	lsn_q_i64(q, 2, limit);
	while ((rv = lsn_q_step(q)) == LSN_ROW) {
		memset(&e, 0, sizeof(e));
		e.id = lsn_q_col_i64(q, 0);
		e.time_ms = lsn_q_col_i64(q, 1);
		e.kind = lsn_q_col_text(q, 2);
		p = lsn_q_col_blob(q, 3, &n);
		e.msgid = n == 16 ? p : NULL;
		p = lsn_q_col_blob(q, 4, &n);
		e.itemid = n == 16 ? p : NULL;
		e.peer = lsn_q_col_text(q, 5);
		e.detail = lsn_q_col_text(q, 6);
		if ((r = fn(arg, &e)) != 0) {
			rv = LSN_Q_STOP(r);
			break;
		}
	}
	lsn_q_reset(q);
	return (rv);
}

int
astore_event_exists(struct agent *a, const char *kind,
    const uint8_t *itemid, const char *peer, int *found)
{
	struct lsn_q	*q;
	int		 rv;

	*found = 0;
	if ((rv = lsn_store_q(a->st, "SELECT 1 FROM events WHERE kind = ? "
	    "AND item_id = ? AND peer = ?", &q)) != LSN_OK)
		return (rv);
	lsn_q_text(q, 1, kind);
	bind_id(q, 2, itemid);
	lsn_q_text(q, 3, peer);
	if ((rv = lsn_q_step(q)) == LSN_ROW) {
		*found = 1;
		rv = LSN_OK;
	}
	lsn_q_reset(q);
	return (rv);
}
