/*
 * events.c -- the agent's event log: agent_event appends, events_list
 * answers the local API (declared in agent.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent.h"
#include "wf_int.h"


const char events_schema[] =
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time_ms INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " message_id BLOB,"
    " item_id BLOB,"
    " peer TEXT,"
    " detail TEXT);";

/*
 * Appends an event (all arguments borrowed; ids 16 bytes or NULL) and
 * marks the event waiters to be woken after the COMMIT.
 */
int
agent_event(struct agent *a, const char *kind, const uint8_t *msgid,
    const uint8_t *itemid, const char *peer, const char *detail)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "INSERT INTO events(time_ms, kind, "
	    "message_id, item_id, peer, detail) VALUES(?, ?, ?, ?, ?, ?)",
	    &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (msgid != NULL ? sqlite3_bind_blob(s, 3, msgid, 16,
	    SQLITE_STATIC) : sqlite3_bind_null(s, 3)) != SQLITE_OK ||
	    (itemid != NULL ? sqlite3_bind_blob(s, 4, itemid, 16,
	    SQLITE_STATIC) : sqlite3_bind_null(s, 4)) != SQLITE_OK ||
	    (peer != NULL ? sqlite3_bind_text(s, 5, peer, -1,
	    SQLITE_STATIC) : sqlite3_bind_null(s, 5)) != SQLITE_OK ||
	    (detail != NULL ? sqlite3_bind_text(s, 6, detail, -1,
	    SQLITE_STATIC) : sqlite3_bind_null(s, 6)) != SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv == LSN_OK)
		a->events_added = 1;
	return (rv);
}

void
events_list_free(Liaison__V1__EventsResponse *resp)
{
	for (size_t i = 0; i < resp->n_events; i++) {
		Liaison__V1__Event *ev = resp->events[i];

		if (ev == NULL)
			continue;
		free(ev->kind);
		free(ev->message_id.data);
		free(ev->item_id.data);
		free(ev->peer);
		free(ev->detail);
		free(ev);
	}
	free(resp->events);
	resp->events = NULL;
	resp->n_events = 0;
}

static int
ev_blob(sqlite3_stmt *s, int col, ProtobufCBinaryData *d,
    protobuf_c_boolean *has)
{
	if (sqlite3_column_bytes(s, col) != 16)
		return (LSN_OK);
	if ((d->data = malloc(16)) == NULL)
		return (LSN_ENOMEM);
	memcpy(d->data, sqlite3_column_blob(s, col), 16);
	d->len = 16;
	*has = 1;
	return (LSN_OK);
}

static int
ev_text(sqlite3_stmt *s, int col, char **out)
{
	const char	*t = (const char *) sqlite3_column_text(s, col);

	if (t == NULL)
		return (LSN_OK);
	return ((*out = strdup(t)) == NULL ? LSN_ENOMEM : LSN_OK);
}

/* Events after `after`, oldest first (events_list_free). */
int
events_list(struct agent *a, uint64_t after, uint32_t limit,
    Liaison__V1__EventsResponse *resp)
{
	Liaison__V1__Event	*ev;
	sqlite3_stmt		*s;
	int			 rv, r;

	if (limit == 0)
		limit = AGENT_LIST_DEFAULT;
	if (limit > AGENT_LIST_MAX)
		limit = AGENT_LIST_MAX;
	if ((resp->events = calloc(limit, sizeof(*resp->events))) == NULL)
		return (LSN_ENOMEM);
	resp->n_events = 0;
	if ((rv = lsn_store_stmt(a->st, "SELECT id, time_ms, kind, "
	    "message_id, item_id, peer, detail FROM events WHERE id > ? "
	    "ORDER BY id LIMIT ?", &s)) != LSN_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64) (after > INT64_MAX ?
	    INT64_MAX : after)) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, (int) limit) != SQLITE_OK) {
		sqlite3_reset(s);
		rv = LSN_EDB;
		goto out;
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW && resp->n_events < limit) {
		if ((ev = calloc(1, sizeof(*ev))) == NULL) {
			rv = LSN_ENOMEM;
			break;
		}
		liaison__v1__event__init(ev);
		resp->events[resp->n_events++] = ev;
		ev->has_event_id = 1;
		ev->event_id = (uint64_t) sqlite3_column_int64(s, 0);
		ev->has_time_ms = 1;
		ev->time_ms = (uint64_t) sqlite3_column_int64(s, 1);
		if ((rv = ev_text(s, 2, &ev->kind)) != LSN_OK ||
		    (rv = ev_blob(s, 3, &ev->message_id,
		    &ev->has_message_id)) != LSN_OK ||
		    (rv = ev_blob(s, 4, &ev->item_id, &ev->has_item_id)) !=
		    LSN_OK ||
		    (rv = ev_text(s, 5, &ev->peer)) != LSN_OK ||
		    (rv = ev_text(s, 6, &ev->detail)) != LSN_OK)
			break;
	}
	if (rv == LSN_OK && r != SQLITE_ROW && r != SQLITE_DONE)
		rv = LSN_EDB;
	sqlite3_reset(s);
 out:
	if (rv != LSN_OK)
		events_list_free(resp);
	return (rv);
}

