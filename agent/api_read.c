/*
 * api_read.c -- the local API's read-only requests about what this
 * agency sent and the workflows it takes part in: outbox_status,
 * outbox_fetch and outbox_list (a sent message with its body opened in
 * memory and its delivery state per recipient, outbox_read.c),
 * workflow_list, meeting_show and custody. Answers go through api_reply
 * (api.c), so inside an API turn they wait for its COMMIT like the rest.
 * Also the two checks of every request that looks one thing up (here
 * and inbox_fetch / inbox_mark in api.c): api_msgid_ok, api_result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"
#include "liaison/util.h"

#include "agent.h"

int
api_msgid_ok(struct agent *a, const struct api_peer *p, uint64_t rid,
    protobuf_c_boolean has, const ProtobufCBinaryData *id)
{
	if (!has || id->len != 16) {
		api_reply_err(a, p, rid, LSN_EINVAL, "message_id must be 16 "
		    "bytes");
		return (0);
	}
	return (1);
}

void
api_result(struct agent *a, const struct api_peer *p, uint64_t rid, int rv,
    Liaison__V1__ApiResponse__KindCase kind, void *msg, const char *noent,
    const char *inval, const char *other)
{
	if (rv == LSN_OK)
		api_answer(a, p, rid, kind, msg);
	else
		api_reply_err(a, p, rid, rv, rv == LSN_ENOENT ? noent :
		    rv == LSN_EINVAL ? inval : other);
}

void
api_outbox_status(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__OutboxStatusRequest	*req = rq->outbox_status;
	Liaison__V1__OutboxStatusResponse os =
	    LIAISON__V1__OUTBOX_STATUS_RESPONSE__INIT;
	char				 detail[AGENT_DETAIL_MAX];
	int				 rv;

	if (!api_msgid_ok(a, p, rid, req->has_message_id, &req->message_id))
		return;
	detail[0] = '\0';
	rv = outbox_status(a, req->message_id.data, req->message_id.len, &os,
	    detail, sizeof(detail));
	os.publish_detail = detail;
	api_result(a, p, rid, rv, LIAISON__V1__API_RESPONSE__KIND_OUTBOX_STATUS,
	    &os, "no such message in the outbox", NULL, NULL);
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

	if (!api_msgid_ok(a, p, rid, req->has_message_id, &req->message_id))
		return;
	rv = outbox_fetch(a, req->message_id.data, req->message_id.len, &it);
	fr.item = it;
	api_result(a, p, rid, rv, LIAISON__V1__API_RESPONSE__KIND_OUTBOX_FETCH,
	    &fr, "no such message in the outbox", NULL, NULL);
	if (rv == LSN_OK)
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
	rv = outbox_list(a, req, &ol);
	api_result(a, p, rid, rv, LIAISON__V1__API_RESPONSE__KIND_OUTBOX_LIST,
	    &ol, "cannot list the outbox", "cannot list the outbox",
	    "cannot list the outbox");
	if (rv == LSN_OK)
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

	rv = wf_list(a, req, &wl);
	api_result(a, p, rid, rv,
	    LIAISON__V1__API_RESPONSE__KIND_WORKFLOW_LIST, &wl, "cannot list",
	    "bad filter (kind referral|alert, item_id 16 bytes)",
	    "cannot list");
	if (rv == LSN_OK)
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

	rv = wf_meeting_show(a, req, &ms);
	api_result(a, p, rid, rv, LIAISON__V1__API_RESPONSE__KIND_MEETING_SHOW,
	    &ms, "no such meeting", "meeting_id must be 16 bytes",
	    "cannot show the meeting");
	if (rv == LSN_OK)
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

	rv = rcpt_custody(a, req, &c);
	api_result(a, p, rid, rv, LIAISON__V1__API_RESPONSE__KIND_CUSTODY, &c,
	    "no such message", "message_id must be 16 bytes",
	    "cannot build the custody chain");
	if (rv == LSN_OK)
		rcpt_custody_free(&c);
}
