/*
 * wf_list.c -- the local API's list of tracked referrals and alerts
 * (wf_list, declared in agent.h).
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


static const char *
item_state_name(const char *kind, int state)
{
	if (strcmp(kind, K_ALERT) == 0)
		return (state == LSN_ALERT_ACKED ? "acknowledged" : "open");
	return (lsn_referral_state_name(state));
}

void
wf_list_free(Liaison__V1__WorkflowListResponse *resp)
{
	for (size_t i = 0; i < resp->n_items; i++) {
		Liaison__V1__TrackedItem *it = resp->items[i];

		if (it == NULL)
			continue;
		free(it->kind);
		free(it->item_id.data);
		free(it->peer);
		free(it->role);
		free(it->state);
		free(it);
	}
	free(resp->items);
	resp->items = NULL;
	resp->n_items = 0;
}

struct list_ctx {
	struct agent				*a;
	const Liaison__V1__WorkflowListRequest	*q;
	Liaison__V1__WorkflowListResponse	*resp;
	uint32_t				 limit;
	uint64_t				 now;
};

/* Copies one row into the answer when it passes the state filters. */
static int
list_row(void *arg, const struct astore_track_row *t)
{
	struct list_ctx			*x = arg;
	Liaison__V1__TrackedItem	*it;
	const char			*st;
	int				 overdue, ackd;

	if (x->resp->n_items >= x->limit)
		return (1);
	st = item_state_name(t->kind, t->state);
	if (x->q->state != NULL && x->q->state[0] != '\0' &&
	    strcmp(x->q->state, st) != 0)
		return (0);
	ackd = t->acked_ms != 0;
	/* overdue: the other side has not acknowledged in time */
	overdue = !ackd && (strcmp(t->kind, K_ALERT) == 0 ?
	    t->state == LSN_ALERT_OPEN : t->state == LSN_REF_OFFERED) &&
	    x->now > (uint64_t) t->deadline;
	if (x->q->overdue_only && !overdue)
		return (0);
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__tracked_item__init(it);
	x->resp->items[x->resp->n_items++] = it;
	it->has_overdue = 1;
	it->overdue = overdue;
	if ((it->kind = strdup(t->kind)) == NULL ||
	    (it->peer = strdup(t->peer)) == NULL ||
	    (it->role = strdup(t->role)) == NULL ||
	    (it->state = strdup(st)) == NULL ||
	    (it->item_id.data = malloc(LSN_BODY_ID_BYTES)) == NULL)
		return (LSN_ENOMEM);
	memcpy(it->item_id.data, t->item_id, LSN_BODY_ID_BYTES);
	it->item_id.len = LSN_BODY_ID_BYTES;
	it->has_item_id = 1;
	it->has_priority = 1;
	it->priority = t->priority;
	it->has_sent_ms = 1;
	it->sent_ms = (uint64_t) t->sent_ms;
	it->has_acked_ms = 1;
	it->acked_ms = (uint64_t) t->acked_ms;
	it->has_deadline_ms = 1;
	it->deadline_ms = (uint64_t) t->deadline;
	it->has_escalated = 1;
	it->escalated = t->escalated != 0;
	it->has_updated_ms = 1;
	it->updated_ms = (uint64_t) t->updated_ms;
	return (0);
}

/*
 * Tracked referrals / alerts matching q (borrowed), newest first, into
 * resp (wf_list_free). LSN_EINVAL for a bad filter, LSN_EDB, LSN_ENOMEM.
 */
int
wf_list(struct agent *a, const Liaison__V1__WorkflowListRequest *q,
    Liaison__V1__WorkflowListResponse *resp)
{
	struct list_ctx	 x;
	const char	*kind;
	int		 rv;

	kind = q->kind != NULL && q->kind[0] != '\0' ? q->kind : NULL;
	if (kind != NULL && strcmp(kind, K_REF) != 0 &&
	    strcmp(kind, K_ALERT) != 0)
		return (LSN_EINVAL);
	if (q->has_item_id && q->item_id.len != LSN_BODY_ID_BYTES)
		return (LSN_EINVAL);
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.q = q;
	x.resp = resp;
	x.now = agent_now(a);
	x.limit = q->has_limit && q->limit != 0 ? q->limit :
	    AGENT_LIST_DEFAULT;
	if (x.limit > AGENT_LIST_MAX)
		x.limit = AGENT_LIST_MAX;
	if ((resp->items = calloc(x.limit, sizeof(*resp->items))) == NULL)
		return (LSN_ENOMEM);
	resp->n_items = 0;
	rv = astore_track_list(a, kind, q->has_item_id ? q->item_id.data :
	    NULL, q->item_id.len, list_row, &x);
	if (rv != LSN_OK)
		wf_list_free(resp);
	return (rv);
}
