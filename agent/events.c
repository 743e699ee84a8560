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
#include "astore.h"
#include "wf_int.h"

/*
 * Appends an event (all arguments borrowed; ids 16 bytes or NULL) and
 * marks the event waiters to be woken after the COMMIT.
 */
int
agent_event(struct agent *a, const char *kind, const uint8_t *msgid,
    const uint8_t *itemid, const char *peer, const char *detail)
{
	int	rv;

	rv = astore_event_add(a, (int64_t) lsn_now_ms(), kind, msgid, itemid,
	    peer, detail);
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
ev_blob(const uint8_t *id, ProtobufCBinaryData *d, protobuf_c_boolean *has)
{
	if (id == NULL)
		return (LSN_OK);
	if ((d->data = malloc(16)) == NULL)
		return (LSN_ENOMEM);
	memcpy(d->data, id, 16);
	d->len = 16;
	*has = 1;
	return (LSN_OK);
}

static int
ev_text(const char *t, char **out)
{
	if (t == NULL)
		return (LSN_OK);
	return ((*out = strdup(t)) == NULL ? LSN_ENOMEM : LSN_OK);
}

struct list_ctx {
	Liaison__V1__EventsResponse	*resp;
	uint32_t			 limit;
};

/* Copies one event into the answer. */
static int
list_row(void *arg, const struct astore_event_row *e)
{
	struct list_ctx		*x = arg;
	Liaison__V1__Event	*ev;
	int			 rv;

	if (x->resp->n_events >= x->limit)
		return (1);
	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__event__init(ev);
	x->resp->events[x->resp->n_events++] = ev;
	ev->has_event_id = 1;
	ev->event_id = (uint64_t) e->id;
	ev->has_time_ms = 1;
	ev->time_ms = (uint64_t) e->time_ms;
	if ((rv = ev_text(e->kind, &ev->kind)) != LSN_OK ||
	    (rv = ev_blob(e->msgid, &ev->message_id,
	    &ev->has_message_id)) != LSN_OK ||
	    (rv = ev_blob(e->itemid, &ev->item_id, &ev->has_item_id)) !=
	    LSN_OK ||
	    (rv = ev_text(e->peer, &ev->peer)) != LSN_OK ||
	    (rv = ev_text(e->detail, &ev->detail)) != LSN_OK)
		return (rv);
	return (0);
}

/* Events after `after`, oldest first (events_list_free). */
int
events_list(struct agent *a, uint64_t after, uint32_t limit,
    Liaison__V1__EventsResponse *resp)
{
	struct list_ctx	x;
	int		rv;

	if (limit == 0)
		limit = AGENT_LIST_DEFAULT;
	if (limit > AGENT_LIST_MAX)
		limit = AGENT_LIST_MAX;
	if ((resp->events = calloc(limit, sizeof(*resp->events))) == NULL)
		return (LSN_ENOMEM);
	resp->n_events = 0;
	x.resp = resp;
	x.limit = limit;
	rv = astore_events_list(a, (int64_t) (after > INT64_MAX ? INT64_MAX :
	    after), (int64_t) limit, list_row, &x);
	if (rv != LSN_OK)
		events_list_free(resp);
	return (rv);
}
