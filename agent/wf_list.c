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

/*
 * Tracked referrals / alerts matching q (borrowed), newest first, into
 * resp (wf_list_free). LSN_EINVAL for a bad filter, LSN_EDB, LSN_ENOMEM.
 */
int
wf_list(struct agent *a, const Liaison__V1__WorkflowListRequest *q,
    Liaison__V1__WorkflowListResponse *resp)
{
	Liaison__V1__TrackedItem	*it;
	sqlite3_stmt			*s;
	uint64_t			 now = agent_now(a);
	uint32_t			 limit;
	const char			*kind, *k, *peer, *role, *st;
	int				 rv, r, state, ackd;

	kind = q->kind != NULL && q->kind[0] != '\0' ? q->kind : NULL;
	if (kind != NULL && strcmp(kind, K_REF) != 0 &&
	    strcmp(kind, K_ALERT) != 0)
		return (LSN_EINVAL);
	if (q->has_item_id && q->item_id.len != LSN_BODY_ID_BYTES)
		return (LSN_EINVAL);
	limit = q->has_limit && q->limit != 0 ? q->limit : AGENT_LIST_DEFAULT;
	if (limit > AGENT_LIST_MAX)
		limit = AGENT_LIST_MAX;
	if ((resp->items = calloc(limit, sizeof(*resp->items))) == NULL)
		return (LSN_ENOMEM);
	resp->n_items = 0;
	if ((rv = lsn_store_stmt(a->st, "SELECT kind, item_id, peer, role, "
	    "state, priority, sent_ms, acked_ms, deadline, escalated, "
	    "updated_ms FROM tracking WHERE (?1 IS NULL OR kind = ?1) AND "
	    "(?2 IS NULL OR item_id = ?2) ORDER BY sent_ms DESC, peer",
	    &s)) != LSN_OK)
		goto out;
	if ((kind != NULL ? sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(s, 1)) != SQLITE_OK ||
	    (q->has_item_id ? sqlite3_bind_blob(s, 2, q->item_id.data,
	    (int) q->item_id.len, SQLITE_STATIC) : sqlite3_bind_null(s, 2)) !=
	    SQLITE_OK) {
		rv = LSN_EDB;
		goto reset;
	}
	rv = LSN_OK;
	while (resp->n_items < limit && (r = sqlite3_step(s)) == SQLITE_ROW) {
		k = (const char *) sqlite3_column_text(s, 0);
		peer = (const char *) sqlite3_column_text(s, 2);
		role = (const char *) sqlite3_column_text(s, 3);
		if (k == NULL || peer == NULL || role == NULL ||
		    sqlite3_column_bytes(s, 1) != LSN_BODY_ID_BYTES)
			continue;
		state = sqlite3_column_int(s, 4);
		st = item_state_name(k, state);
		if (q->state != NULL && q->state[0] != '\0' &&
		    strcmp(q->state, st) != 0)
			continue;
		ackd = sqlite3_column_int64(s, 7) != 0;
		/* overdue: the other side has not acknowledged in time */
		r = !ackd && (strcmp(k, K_ALERT) == 0 ?
		    state == LSN_ALERT_OPEN : state == LSN_REF_OFFERED) &&
		    now > (uint64_t) sqlite3_column_int64(s, 8);
		if (q->overdue_only && !r)
			continue;
		if ((it = calloc(1, sizeof(*it))) == NULL) {
			rv = LSN_ENOMEM;
			break;
		}
		liaison__v1__tracked_item__init(it);
		resp->items[resp->n_items++] = it;
		it->has_overdue = 1;
		it->overdue = r;
		if ((it->kind = strdup(k)) == NULL ||
		    (it->peer = strdup(peer)) == NULL ||
		    (it->role = strdup(role)) == NULL ||
		    (it->state = strdup(st)) == NULL ||
		    (it->item_id.data = malloc(LSN_BODY_ID_BYTES)) == NULL) {
			rv = LSN_ENOMEM;
			break;
		}
		memcpy(it->item_id.data, sqlite3_column_blob(s, 1),
		    LSN_BODY_ID_BYTES);
		it->item_id.len = LSN_BODY_ID_BYTES;
		it->has_item_id = 1;
		it->has_priority = 1;
		it->priority = sqlite3_column_int(s, 5);
		it->has_sent_ms = 1;
		it->sent_ms = (uint64_t) sqlite3_column_int64(s, 6);
		it->has_acked_ms = 1;
		it->acked_ms = (uint64_t) sqlite3_column_int64(s, 7);
		it->has_deadline_ms = 1;
		it->deadline_ms = (uint64_t) sqlite3_column_int64(s, 8);
		it->has_escalated = 1;
		it->escalated = sqlite3_column_int(s, 9) != 0;
		it->has_updated_ms = 1;
		it->updated_ms = (uint64_t) sqlite3_column_int64(s, 10);
	}
 reset:
	sqlite3_reset(s);
 out:
	if (rv != LSN_OK)
		wf_list_free(resp);
	return (rv);
}

