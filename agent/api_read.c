/*
 * api_read.c -- the local API's read-only requests about what this
 * agency sent and the workflows it takes part in: outbox_status,
 * outbox_fetch and outbox_list (a sent message with its body opened in
 * memory and its delivery state per recipient, outbox_read.c),
 * workflow_list, meeting_show and custody. Answers go through api_reply
 * (api.c), so inside an API turn they wait for its COMMIT like the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/util.h"

#include "agent.h"

void
api_outbox_status(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__OutboxStatusRequest	*req = rq->outbox_status;
	Liaison__V1__OutboxStatusResponse os =
	    LIAISON__V1__OUTBOX_STATUS_RESPONSE__INIT;
	char				 detail[AGENT_DETAIL_MAX];
	int				 rv;

	if (!req->has_message_id || req->message_id.len != 16) {
		api_reply_err(a, p, rid, LSN_EINVAL, "message_id must be 16 "
		    "bytes");
		return;
	}
	detail[0] = '\0';
	if ((rv = outbox_status(a, req->message_id.data, req->message_id.len,
	    &os, detail, sizeof(detail))) != LSN_OK) {
		api_reply_err(a, p, rid, rv, rv == LSN_ENOENT ?
		    "no such message in the outbox" : NULL);
		return;
	}
	os.publish_detail = detail;
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_OUTBOX_STATUS,
	    &os);
}

void
api_outbox_fetch(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__OutboxFetchRequest	*req = rq->outbox_fetch;
	Liaison__V1__OutboxFetchResponse fr =
	    LIAISON__V1__OUTBOX_FETCH_RESPONSE__INIT;
	Liaison__V1__OutboxItem		*it = NULL;
	int				 rv;

	if (!req->has_message_id || req->message_id.len != 16) {
		api_reply_err(a, p, rid, LSN_EINVAL, "message_id must be 16 "
		    "bytes");
		return;
	}
	if ((rv = outbox_fetch(a, req->message_id.data, req->message_id.len,
	    &it)) != LSN_OK) {
		api_reply_err(a, p, rid, rv, rv == LSN_ENOENT ?
		    "no such message in the outbox" : NULL);
		return;
	}
	fr.item = it;
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_OUTBOX_FETCH,
	    &fr);
	outbox_item_free(it);
}

void
api_outbox_list(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__OutboxListRequest	*req = rq->outbox_list;
	Liaison__V1__OutboxListResponse	 ol =
	    LIAISON__V1__OUTBOX_LIST_RESPONSE__INIT;
	int				 rv;

	if (req->recipient != NULL && req->recipient[0] != '\0' &&
	    !lsn_slug_valid(req->recipient)) {
		api_reply_err(a, p, rid, LSN_EINVAL, "recipient must be a "
		    "partner id");
		return;
	}
	if ((rv = outbox_list(a, req, &ol)) != LSN_OK) {
		api_reply_err(a, p, rid, rv, "cannot list the outbox");
		return;
	}
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_OUTBOX_LIST,
	    &ol);
	outbox_list_free(&ol);
}

void
api_workflow_list(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__WorkflowListRequest	*req = rq->workflow_list;
	Liaison__V1__WorkflowListResponse	wl =
	    LIAISON__V1__WORKFLOW_LIST_RESPONSE__INIT;
	int					rv;

	if ((rv = wf_list(a, req, &wl)) != LSN_OK) {
		api_reply_err(a, p, rid, rv, rv == LSN_EINVAL ? "bad filter "
		    "(kind referral|alert, item_id 16 bytes)" :
		    "cannot list");
		return;
	}
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_WORKFLOW_LIST,
	    &wl);
	wf_list_free(&wl);
}

void
api_meeting_show(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__MeetingShowRequest	*req = rq->meeting_show;
	Liaison__V1__MeetingShowResponse	ms =
	    LIAISON__V1__MEETING_SHOW_RESPONSE__INIT;
	int					rv;

	if ((rv = wf_meeting_show(a, req, &ms)) != LSN_OK) {
		api_reply_err(a, p, rid, rv, rv == LSN_ENOENT ? "no such meeting" :
		    rv == LSN_EINVAL ? "meeting_id must be 16 bytes" :
		    "cannot show the meeting");
		return;
	}
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_MEETING_SHOW,
	    &ms);
	wf_meeting_show_free(&ms);
}

void
api_custody(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__CustodyRequest	*req = rq->custody;
	Liaison__V1__CustodyResponse	c =
	    LIAISON__V1__CUSTODY_RESPONSE__INIT;
	int				rv;

	if ((rv = rcpt_custody(a, req, &c)) != LSN_OK) {
		api_reply_err(a, p, rid, rv, rv == LSN_ENOENT ? "no such message" :
		    rv == LSN_EINVAL ? "message_id must be 16 bytes" :
		    "cannot build the custody chain");
		return;
	}
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_CUSTODY, &c);
	rcpt_custody_free(&c);
}
