/*
 * api.c -- the local API: a ROUTER on ipc://<db dir>/api.sock (or
 * tcp://127.0.0.1:PORT). Each request is one serialized ApiRequest
 * (optionally after an empty delimiter frame, as REQ sockets send), each
 * answer one ApiResponse with a code and a detail text. Inbox long-polls
 * and directory submits are answered later, from api_inbox_changed(),
 * api_on_dirsubmit_ack() and api_timers().
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"

static int
setopt_int(void *s, int opt, int v)
{
	return (zmq_setsockopt(s, opt, &v, sizeof(v)));
}

int
api_open(struct agent *a)
{
	int64_t	maxsz = AGENT_API_REQ_MAX;
	mode_t	mask;
	int	rv;

	if ((rv = aconf_api_endpoint(&a->conf, a->api_ep,
	    sizeof(a->api_ep))) != LSN_OK) {
		log_warnx("api endpoint too long");
		return (rv);
	}
	if ((a->api = zmq_socket(a->zctx, ZMQ_ROUTER)) == NULL)
		return (LSN_EINTERNAL);
	if (zmq_setsockopt(a->api, ZMQ_MAXMSGSIZE, &maxsz, sizeof(maxsz)) ||
	    setopt_int(a->api, ZMQ_LINGER, 0) ||
	    setopt_int(a->api, ZMQ_SNDHWM, 1000) ||
	    setopt_int(a->api, ZMQ_RCVHWM, 1000)) {
		log_warnx("api socket options: %s", zmq_strerror(errno));
		return (LSN_EINTERNAL);
	}
	/* who may connect: before the bind, so nobody slips in */
	if ((rv = apiauth_open(a)) != LSN_OK)
		return (rv);
	if (strncmp(a->api_ep, "ipc://", 6) == 0)
		(void) unlink(a->api_ep + 6);
	/* libzmq creates an ipc socket inside zmq_bind: born 0660 */
	mask = umask(0117);
	rv = zmq_bind(a->api, a->api_ep);
	(void) umask(mask);
	if (rv != 0) {
		log_warnx("api: bind %s: %s", a->api_ep, zmq_strerror(errno));
		return (LSN_EIO);
	}
	return (apiauth_bound(a));
}

void
api_close(struct agent *a)
{
	if (a->api != NULL) {
		zmq_close(a->api);
		a->api = NULL;
		if (strncmp(a->api_ep, "ipc://", 6) == 0)
			(void) unlink(a->api_ep + 6);
	}
	apiauth_close(a);
}

/* protobuf-c string fields are char *; we never modify them. */
static char *
unconst(const char *s)
{
	union {
		const char	*c;
		char		*m;
	} u;

	u.c = s;
	return (u.m);
}

static void
send_packed(struct agent *a, const struct api_peer *p, const uint8_t *buf,
    size_t len)
{
	if (zmq_send(a->api, p->id, p->idlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) <
	    0 ||
	    (p->delim && zmq_send(a->api, "", 0, ZMQ_SNDMORE |
	    ZMQ_DONTWAIT) < 0) ||
	    zmq_send(a->api, buf, len, ZMQ_DONTWAIT) < 0)
		log_debug("api: reply dropped: %s", zmq_strerror(errno));
}

/*
 * Keeps an answer of the API turn until its COMMIT (api_on_readable).
 * Takes buf. On failure (out of memory) the answer is lost and the
 * request rolled back like a failed one.
 */
static int
hold_reply(struct agent *a, const struct api_peer *p, uint64_t rid,
    int failed, uint8_t *buf, size_t len)
{
	struct api_held	*h;
	size_t		 cap;

	if (a->nheld == a->capheld) {
		cap = a->capheld ? a->capheld * 2 : 64;
		if ((h = reallocarray(a->held, cap, sizeof(*h))) == NULL) {
			free(buf);
			return (LSN_ENOMEM);
		}
		a->held = h;
		a->capheld = cap;
	}
	h = &a->held[a->nheld++];
	h->peer = *p;
	h->request_id = rid;
	h->failed = failed;
	h->buf = buf;
	h->len = len;
	return (LSN_OK);
}

static void
reply(struct agent *a, const struct api_peer *p,
    Liaison__V1__ApiResponse *r)
{
	uint8_t	*buf;
	size_t	 len;

	if (r->detail == NULL)
		r->detail = unconst(r->code == 0 ? "ok" :
		    lsn_strerror(lsn_err_from_wire((int) r->code)));
	r->has_code = 1;
	len = liaison__v1__api_response__get_packed_size(r);
	if ((buf = malloc(len ? len : 1)) == NULL) {
		log_warnx("api: out of memory");
		return;
	}
	liaison__v1__api_response__pack(r, buf);
	if (a->api_batch) {
		if (hold_reply(a, p, r->has_request_id ? r->request_id : 0,
		    r->code != 0, buf, len) != LSN_OK)
			log_warnx("api: out of memory");
		return;
	}
	send_packed(a, p, buf, len);
	free(buf);
}

static void
reply_err(struct agent *a, const struct api_peer *p, uint64_t request_id,
    int code, const char *detail)
{
	Liaison__V1__ApiResponse	r = LIAISON__V1__API_RESPONSE__INIT;

	r.has_request_id = 1;
	r.request_id = request_id;
	r.code = lsn_err_to_wire(code);
	r.detail = unconst(detail != NULL && detail[0] != '\0' ? detail :
	    lsn_strerror(code));
	reply(a, p, &r);
}

/* ---- status ---- */

static void
do_status(struct agent *a, const struct api_peer *p, uint64_t rid)
{
	Liaison__V1__ApiResponse	r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__StatusResponse	s = LIAISON__V1__STATUS_RESPONSE__INIT;
	Liaison__V1__DirHead		dh = LIAISON__V1__DIR_HEAD__INIT;
	uint8_t				hash[32], digest[32];
	char				**alerts = NULL, *extra[2];
	char				linkerr[AGENT_DETAIL_MAX + 32];
	size_t				nalerts = 0, next = 0;
	char				**all = NULL;
	uint64_t			rev;
	int				rv;

	if ((rv = lsn_dir_head(a->dir, &rev, hash)) != LSN_OK ||
	    (rv = lsn_dir_digest(a->dir, digest)) != LSN_OK ||
	    (rv = outbox_counts(a, &s.outbox_pending, &s.outbox_rejected)) !=
	    LSN_OK ||
	    (rv = inbox_counts(a, &s.inbox_total, &s.inbox_unacked,
	    &s.quarantined)) != LSN_OK ||
	    (rv = replica_alerts(a, &alerts, &nalerts)) != LSN_OK) {
		reply_err(a, p, rid, rv, "cannot read the agent state");
		return;
	}
	if (a->halted)
		extra[next++] = (char *) "directory replica halted: "
		    "directory ops refused";
	if (a->link_error[0] != '\0') {
		snprintf(linkerr, sizeof(linkerr), "broker: %s",
		    a->link_error);
		extra[next++] = linkerr;
	}
	if ((all = calloc(nalerts + next + 1, sizeof(*all))) == NULL) {
		replica_alerts_free(alerts, nalerts);
		reply_err(a, p, rid, LSN_ENOMEM, NULL);
		return;
	}
	for (size_t i = 0; i < nalerts; i++)
		all[i] = alerts[i];
	for (size_t i = 0; i < next; i++)
		all[nalerts + i] = extra[i];
	s.partner = a->conf.partner;
	s.has_connected = 1;
	s.connected = a->connected;
	dh.has_rev = 1;
	dh.rev = rev;
	dh.has_hash = 1;
	dh.hash.data = hash;
	dh.hash.len = sizeof(hash);
	s.dir_head = &dh;
	s.has_state_digest = 1;
	s.state_digest.data = digest;
	s.state_digest.len = sizeof(digest);
	s.has_outbox_pending = s.has_outbox_rejected = 1;
	s.has_inbox_total = s.has_inbox_unacked = s.has_quarantined = 1;
	s.n_alerts = nalerts + next;
	s.alerts = all;
	s.has_last_connected_ms = a->last_connected_ms != 0;
	s.last_connected_ms = a->last_connected_ms;
	s.has_delivery_cursor = 1;
	s.delivery_cursor = a->cursor;
	s.version = (char *) LSN_VERSION;
	s.broker_endpoint = a->conf.brokers[a->broker_idx <
	    a->conf.nbrokers ? a->broker_idx : 0];
	s.has_broker_switches = 1;
	s.broker_switches = a->broker_switches;
	r.has_request_id = 1;
	r.request_id = rid;
	r.code = 0;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_STATUS;
	r.status = &s;
	reply(a, p, &r);
	free(all);
	replica_alerts_free(alerts, nalerts);
}

/* ---- submit / outbox ---- */

static void
do_submit(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__SubmitRequest *req)
{
	Liaison__V1__ApiResponse	r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__SubmitResponse	sr = LIAISON__V1__SUBMIT_RESPONSE__INIT;
	uint8_t				id[16];
	char				detail[AGENT_DETAIL_MAX];
	int				rv;

	detail[0] = '\0';
	if ((rv = outbox_submit(a, req, id, detail, sizeof(detail))) !=
	    LSN_OK) {
		reply_err(a, p, rid, rv, detail);
		return;
	}
	sr.has_message_id = 1;
	sr.message_id.data = id;
	sr.message_id.len = sizeof(id);
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_SUBMIT;
	r.submit = &sr;
	reply(a, p, &r);
}

static void
do_outbox_status(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__OutboxStatusRequest *req)
{
	Liaison__V1__ApiResponse	 r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__OutboxStatusResponse os =
	    LIAISON__V1__OUTBOX_STATUS_RESPONSE__INIT;
	char				 detail[AGENT_DETAIL_MAX];
	int				 rv;

	if (!req->has_message_id || req->message_id.len != 16) {
		reply_err(a, p, rid, LSN_EINVAL, "message_id must be 16 "
		    "bytes");
		return;
	}
	detail[0] = '\0';
	if ((rv = outbox_status(a, req->message_id.data, req->message_id.len,
	    &os, detail, sizeof(detail))) != LSN_OK) {
		reply_err(a, p, rid, rv, rv == LSN_ENOENT ?
		    "no such message in the outbox" : NULL);
		return;
	}
	os.publish_detail = detail;
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_OUTBOX_STATUS;
	r.outbox_status = &os;
	reply(a, p, &r);
}

/* ---- inbox ---- */

/* Answers a list query; returns 1 if answered, 0 if empty and waiting. */
static int
answer_events(struct agent *a, const struct api_peer *p, uint64_t rid,
    const struct api_waiter *q, int may_wait)
{
	Liaison__V1__ApiResponse	r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__EventsResponse	er =
	    LIAISON__V1__EVENTS_RESPONSE__INIT;
	int				rv;

	if ((rv = events_list(a, q->after_seq, q->limit, &er)) != LSN_OK) {
		reply_err(a, p, rid, rv, "cannot read the events");
		return (1);
	}
	if (er.n_events == 0 && may_wait) {
		events_list_free(&er);
		return (0);
	}
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_EVENTS;
	r.events = &er;
	reply(a, p, &r);
	events_list_free(&er);
	return (1);
}

static int
answer_list(struct agent *a, const struct api_peer *p, uint64_t rid,
    const struct api_waiter *q, int may_wait)
{
	Liaison__V1__ApiResponse	 r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__InboxListResponse	 lr =
	    LIAISON__V1__INBOX_LIST_RESPONSE__INIT;
	int				 rv;

	if (q->events)
		return (answer_events(a, p, rid, q, may_wait));
	if ((rv = inbox_list(a, q, &lr)) != LSN_OK) {
		reply_err(a, p, rid, rv, "cannot read the inbox");
		return (1);
	}
	if (lr.n_items == 0 && may_wait) {
		inbox_list_free(&lr);
		return (0);
	}
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_INBOX_LIST;
	r.inbox_list = &lr;
	reply(a, p, &r);
	inbox_list_free(&lr);
	return (1);
}

/* Parks q (answered by api_inbox_changed / api_timers) or answers. */
static void
list_or_wait(struct agent *a, const struct api_peer *p, uint64_t rid,
    const struct api_waiter *q, uint32_t wait)
{
	if (wait > AGENT_WAIT_MAX_MS)
		wait = AGENT_WAIT_MAX_MS;
	if (answer_list(a, p, rid, q, wait > 0))
		return;
	for (size_t i = 0; i < AGENT_WAITERS_MAX; i++) {
		struct api_waiter *w = &a->waiters[i];

		if (w->used)
			continue;
		*w = *q;
		w->used = 1;
		w->peer = *p;
		w->request_id = rid;
		w->deadline = lsn_mono_ms() + wait;
		return;
	}
	(void) answer_list(a, p, rid, q, 0);
}

static void
do_events(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__EventsRequest *req)
{
	struct api_waiter	q;

	memset(&q, 0, sizeof(q));
	q.events = 1;
	q.after_seq = req->has_after_event_id ? req->after_event_id : 0;
	q.limit = req->has_limit ? req->limit : 0;
	list_or_wait(a, p, rid, &q, req->has_wait_ms ? req->wait_ms : 0);
}

static void
do_inbox_list(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__InboxListRequest *req)
{
	struct api_waiter	q;
	uint32_t		wait;

	memset(&q, 0, sizeof(q));
	q.include_acked = req->has_include_acked && req->include_acked;
	if (req->has_type &&
	    strcmp(lsn_envelope_type_name((int) req->type), "?") == 0) {
		reply_err(a, p, rid, LSN_EINVAL, "type filter is not a "
		    "message type");
		return;
	}
	q.type = req->has_type ? (int) req->type : 0;
	if (req->sender != NULL) {
		if (!lsn_slug_valid(req->sender)) {
			reply_err(a, p, rid, LSN_EINVAL, "sender filter is "
			    "not a partner id");
			return;
		}
		lsn_strlcpy(q.sender, req->sender, sizeof(q.sender));
	}
	q.since_ms = req->has_since_ms ? req->since_ms : 0;
	if (req->has_state && (req->state < 0 ||
	    req->state > LIAISON__V1__INBOX_STATE__INBOX_STATE_ACTIONED)) {
		reply_err(a, p, rid, LSN_EINVAL, "state filter is unread, "
		    "read or actioned");
		return;
	}
	q.state = req->has_state ? (int) req->state : 0;
	q.limit = req->has_limit && req->limit > 0 ? req->limit :
	    AGENT_LIST_DEFAULT;
	if (q.limit > AGENT_LIST_MAX)
		q.limit = AGENT_LIST_MAX;
	q.after_seq = req->has_after_seq ? req->after_seq : 0;
	wait = req->has_wait_ms ? req->wait_ms : 0;
	if (wait > AGENT_WAIT_MAX_MS)
		wait = AGENT_WAIT_MAX_MS;
	if (answer_list(a, p, rid, &q, wait > 0))
		return;
	for (size_t i = 0; i < AGENT_WAITERS_MAX; i++) {
		struct api_waiter *w = &a->waiters[i];

		if (w->used)
			continue;
		*w = q;
		w->used = 1;
		w->peer = *p;
		w->request_id = rid;
		w->deadline = lsn_mono_ms() + wait;
		return;
	}
	/* all slots busy: answer empty now */
	(void) answer_list(a, p, rid, &q, 0);
}

void
api_inbox_changed(struct agent *a)
{
	for (size_t i = 0; i < AGENT_WAITERS_MAX; i++) {
		struct api_waiter *w = &a->waiters[i];

		if (w->used && answer_list(a, &w->peer, w->request_id, w, 1))
			w->used = 0;
	}
}

static void
do_inbox_fetch(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__InboxFetchRequest *req)
{
	Liaison__V1__ApiResponse	 r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__InboxFetchResponse	 fr =
	    LIAISON__V1__INBOX_FETCH_RESPONSE__INIT;
	Liaison__V1__InboxItem		*it = NULL;
	int				 rv;

	if (!req->has_message_id || req->message_id.len != 16) {
		reply_err(a, p, rid, LSN_EINVAL, "message_id must be 16 "
		    "bytes");
		return;
	}
	if ((rv = inbox_fetch(a, req->message_id.data, req->message_id.len,
	    &it)) != LSN_OK) {
		reply_err(a, p, rid, rv, rv == LSN_ENOENT ?
		    "no such message in the inbox" : NULL);
		return;
	}
	fr.item = it;
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_INBOX_FETCH;
	r.inbox_fetch = &fr;
	reply(a, p, &r);
	inbox_item_free(it);
}

static void
do_inbox_mark(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__InboxMarkRequest *req)
{
	Liaison__V1__ApiResponse	 r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__InboxMarkResponse	 mr =
	    LIAISON__V1__INBOX_MARK_RESPONSE__INIT;
	int				 rv;

	if (!req->has_message_id || req->message_id.len != 16) {
		reply_err(a, p, rid, LSN_EINVAL, "message_id must be 16 "
		    "bytes");
		return;
	}
	if ((rv = inbox_mark(a, req->message_id.data, req->message_id.len,
	    req->has_stage ? (int) req->stage : 0)) != LSN_OK) {
		reply_err(a, p, rid, rv, rv == LSN_ENOENT ?
		    "no such message in the inbox" : rv == LSN_EINVAL ?
		    "unknown mark stage" : NULL);
		return;
	}
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_INBOX_MARK;
	r.inbox_mark = &mr;
	reply(a, p, &r);
}

/* ---- directory ---- */

struct dq {
	Liaison__V1__DirQueryResponse	*resp;
	size_t				 cap;
	int				 rv;
};

static int
copy_partner(const Liaison__V1__Partner *p, Liaison__V1__Partner **out)
{
	uint8_t	*buf;
	size_t	 len;

	len = liaison__v1__partner__get_packed_size(p);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__partner__pack(p, buf);
	*out = liaison__v1__partner__unpack(NULL, len, buf);
	free(buf);
	return (*out == NULL ? LSN_ENOMEM : LSN_OK);
}

static int
dq_partner(void *arg, const Liaison__V1__Partner *p)
{
	struct dq	*q = arg;

	if (q->resp->n_partners >= q->cap)
		return (1);
	if ((q->rv = copy_partner(p, &q->resp->partners[q->resp->n_partners]))
	    != LSN_OK)
		return (1);
	q->resp->n_partners++;
	return (0);
}

static void
dq_free(Liaison__V1__DirQueryResponse *r)
{
	for (size_t i = 0; i < r->n_partners; i++)
		liaison__v1__partner__free_unpacked(r->partners[i], NULL);
	free(r->partners);
	for (size_t i = 0; i < r->n_groups; i++)
		lsn_dir_group_free(&r->groups[i]);
	free(r->groups);
}

struct gnames {
	char	**v;
	size_t	  n, cap;
};

static int
collect_name(void *arg, const char *name)
{
	struct gnames	*g = arg;

	if (g->n >= g->cap)
		return (1);
	if ((g->v[g->n] = strdup(name)) == NULL)
		return (LSN_ENOMEM);
	g->n++;
	return (0);
}

/*
 * Answers E_DIR_HALTED with the halt reason the replica persisted (the
 * replica was halted after a fork, a broken chain or a rollback).
 */
static void
halted_reply(struct agent *a, const struct api_peer *p, uint64_t rid)
{
	char	why[512], detail[sizeof(why) + 96];

	if (agent_state_get(a, "dir_halted", why, sizeof(why)) != LSN_OK)
		lsn_strlcpy(why, "reason not recorded", sizeof(why));
	if (snprintf(detail, sizeof(detail), "directory replica halted "
	    "(%s); it serves no directory data until an operator "
	    "investigates", why) < 0)
		lsn_strlcpy(detail, "directory replica halted", sizeof(detail));
	reply_err(a, p, rid, LSN_EDIRHALTED, detail);
}

static void
do_dir_query(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__DirQueryRequest *req)
{
	Liaison__V1__ApiResponse	 r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__DirQueryResponse	 qr =
	    LIAISON__V1__DIR_QUERY_RESPONSE__INIT;
	Liaison__V1__DirHead		 dh = LIAISON__V1__DIR_HEAD__INIT;
	struct gnames			 gn = { NULL, 0, 0 };
	struct dq			 q;
	uint8_t				 hash[32];
	uint64_t			 rev;
	int				 rv;

	if ((req->partner_id != NULL && !lsn_slug_valid(req->partner_id)) ||
	    (req->group != NULL && !lsn_slug_valid(req->group)) ||
	    (req->search != NULL && !lsn_text_valid(req->search, 256))) {
		reply_err(a, p, rid, LSN_EINVAL, "invalid query");
		return;
	}
	if (a->halted) {
		/* the replica is suspect: no data from it, only the reason */
		halted_reply(a, p, rid);
		return;
	}
	if ((rv = lsn_dir_head(a->dir, &rev, hash)) != LSN_OK)
		goto fail;
	qr.partners = calloc(AGENT_DIR_RESULTS_MAX, sizeof(*qr.partners));
	qr.groups = calloc(AGENT_DIR_RESULTS_MAX, sizeof(*qr.groups));
	if (qr.partners == NULL || qr.groups == NULL) {
		rv = LSN_ENOMEM;
		goto fail;
	}
	q.resp = &qr;
	q.cap = AGENT_DIR_RESULTS_MAX;
	q.rv = LSN_OK;
	if (req->partner_id != NULL) {
		if ((rv = lsn_dir_partner_get(a->dir, req->partner_id,
		    &qr.partners[0])) != LSN_OK)
			goto fail;
		qr.n_partners = 1;
	} else if (req->group != NULL) {
		if ((rv = lsn_dir_group_get(a->dir, req->group,
		    &qr.groups[0])) != LSN_OK)
			goto fail;
		qr.n_groups = 1;
	} else if (req->has_list_groups && req->list_groups) {
		gn.cap = AGENT_DIR_RESULTS_MAX;
		if ((gn.v = calloc(gn.cap, sizeof(*gn.v))) == NULL) {
			rv = LSN_ENOMEM;
			goto fail;
		}
		rv = lsn_dir_groups(a->dir, collect_name, &gn);
		if (rv < 0)
			goto fail;
		for (size_t i = 0; i < gn.n; i++) {
			if ((rv = lsn_dir_group_get(a->dir, gn.v[i],
			    &qr.groups[qr.n_groups])) != LSN_OK)
				goto fail;
			qr.n_groups++;
		}
	} else {
		rv = lsn_dir_list(a->dir, req->search, dq_partner, &q);
		if (rv < 0)
			goto fail;
		if ((rv = q.rv) != LSN_OK)
			goto fail;
	}
	dh.has_rev = 1;
	dh.rev = rev;
	dh.has_hash = 1;
	dh.hash.data = hash;
	dh.hash.len = sizeof(hash);
	qr.head = &dh;
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_DIR_QUERY;
	r.dir_query = &qr;
	reply(a, p, &r);
	rv = LSN_OK;
 fail:
	if (rv != LSN_OK)
		reply_err(a, p, rid, rv, rv == LSN_ENOENT ? "no such partner" :
		    rv == LSN_EUNKNOWNGROUP ? "no such group" : NULL);
	for (size_t i = 0; i < gn.n; i++)
		free(gn.v[i]);
	free(gn.v);
	dq_free(&qr);
}

static void
do_dir_submit(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__DirSubmitRequest *req)
{
	Liaison__V1__Frame	 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__DirSubmit	 ds = LIAISON__V1__DIR_SUBMIT__INIT;
	struct dir_pending	*dp = NULL;
	size_t			 len;
	int			 rv;

	if (req->op == NULL) {
		reply_err(a, p, rid, LSN_EINVAL, "no op");
		return;
	}
	len = liaison__v1__signed_dir_op__get_packed_size(req->op);
	if (len > LSN_DIROP_MAX) {
		reply_err(a, p, rid, LSN_ETOOBIG, "op too large");
		return;
	}
	if (!a->connected) {
		reply_err(a, p, rid, LSN_ECLOSED, "not connected to the "
		    "broker; try again later");
		return;
	}
	for (size_t i = 0; i < AGENT_DIRSUBS_MAX; i++)
		if (!a->dirsubs[i].used) {
			dp = &a->dirsubs[i];
			break;
		}
	if (dp == NULL) {
		reply_err(a, p, rid, LSN_EAGAIN, "too many directory "
		    "submissions in flight");
		return;
	}
	lsn_random(dp->rid, sizeof(dp->rid));
	ds.has_request_id = 1;
	ds.request_id.data = dp->rid;
	ds.request_id.len = sizeof(dp->rid);
	ds.op = req->op;
	f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
	f.dir_submit = &ds;
	if ((rv = link_send(a, &f)) != LSN_OK) {
		reply_err(a, p, rid, rv == LSN_EAGAIN ? LSN_ECLOSED : rv,
		    "cannot send to the broker");
		return;
	}
	dp->used = 1;
	dp->peer = *p;
	dp->request_id = rid;
	dp->deadline = lsn_mono_ms() + AGENT_DIRSUB_TIMEOUT_MS;
}

void
api_on_dirsubmit_ack(struct agent *a, const Liaison__V1__DirSubmitAck *k)
{
	Liaison__V1__ApiResponse	r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__DirSubmitResponse	sr =
	    LIAISON__V1__DIR_SUBMIT_RESPONSE__INIT;

	if (!k->has_request_id || k->request_id.len != 16)
		return;
	for (size_t i = 0; i < AGENT_DIRSUBS_MAX; i++) {
		struct dir_pending *dp = &a->dirsubs[i];

		if (!dp->used || memcmp(dp->rid, k->request_id.data, 16) != 0)
			continue;
		dp->used = 0;
		r.has_request_id = 1;
		r.request_id = dp->request_id;
		r.code = k->has_code ? k->code : 4;
		r.detail = k->detail;
		if (r.code == 0) {
			sr.has_rev = k->has_rev;
			sr.rev = k->rev;
			r.kind_case = LIAISON__V1__API_RESPONSE__KIND_DIR_SUBMIT;
			r.dir_submit = &sr;
		}
		reply(a, &dp->peer, &r);
		return;
	}
}

void
api_fail_dirsubs(struct agent *a, int code, const char *why)
{
	for (size_t i = 0; i < AGENT_DIRSUBS_MAX; i++) {
		struct dir_pending *dp = &a->dirsubs[i];

		if (!dp->used)
			continue;
		dp->used = 0;
		reply_err(a, &dp->peer, dp->request_id, code, why);
	}
}

/* ---- dispatch ---- */

static void
do_workflow_list(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__WorkflowListRequest *req)
{
	Liaison__V1__ApiResponse		r =
	    LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__WorkflowListResponse	wl =
	    LIAISON__V1__WORKFLOW_LIST_RESPONSE__INIT;
	int					rv;

	if ((rv = wf_list(a, req, &wl)) != LSN_OK) {
		reply_err(a, p, rid, rv, rv == LSN_EINVAL ? "bad filter "
		    "(kind referral|alert, item_id 16 bytes)" :
		    "cannot list");
		return;
	}
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_WORKFLOW_LIST;
	r.workflow_list = &wl;
	reply(a, p, &r);
	wf_list_free(&wl);
}

static void
do_meeting_show(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__MeetingShowRequest *req)
{
	Liaison__V1__ApiResponse		r =
	    LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__MeetingShowResponse	ms =
	    LIAISON__V1__MEETING_SHOW_RESPONSE__INIT;
	int					rv;

	if ((rv = wf_meeting_show(a, req, &ms)) != LSN_OK) {
		reply_err(a, p, rid, rv, rv == LSN_ENOENT ? "no such meeting" :
		    rv == LSN_EINVAL ? "meeting_id must be 16 bytes" :
		    "cannot show the meeting");
		return;
	}
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_MEETING_SHOW;
	r.meeting_show = &ms;
	reply(a, p, &r);
	wf_meeting_show_free(&ms);
}

static void
do_custody(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__CustodyRequest *req)
{
	Liaison__V1__ApiResponse	r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__CustodyResponse	c =
	    LIAISON__V1__CUSTODY_RESPONSE__INIT;
	int				rv;

	if ((rv = rcpt_custody(a, req, &c)) != LSN_OK) {
		reply_err(a, p, rid, rv, rv == LSN_ENOENT ? "no such message" :
		    rv == LSN_EINVAL ? "message_id must be 16 bytes" :
		    "cannot build the custody chain");
		return;
	}
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_CUSTODY;
	r.custody = &c;
	reply(a, p, &r);
	rcpt_custody_free(&c);
}

/*
 * Builds, signs and submits a self-service contact op of this partner
 * (the broker authorizes it: a partner may change its own contacts).
 */
static void
do_contact(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ContactRequest *req)
{
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__SetContact		 sc = LIAISON__V1__SET_CONTACT__INIT;
	Liaison__V1__RemoveContact	 rc = LIAISON__V1__REMOVE_CONTACT__INIT;
	Liaison__V1__ConfirmContact	 cc =
	    LIAISON__V1__CONFIRM_CONTACT__INIT;
	Liaison__V1__DirSubmitRequest	 ds =
	    LIAISON__V1__DIR_SUBMIT_REQUEST__INIT;
	Liaison__V1__Partner		*me = NULL;
	uint8_t				*raw = NULL, *sig = NULL;
	size_t				 rawlen, siglen;
	char				 why[AGENT_DETAIL_MAX];
	const char			*act = req->action != NULL ?
					    req->action : "";
	int				 rv;

	if ((rv = lsn_dir_partner_get(a->dir, a->conf.partner, &me)) !=
	    LSN_OK) {
		reply_err(a, p, rid, rv, "this partner is not in the "
		    "directory replica yet");
		return;
	}
	op.author = a->conf.partner;
	op.has_expected_version = 1;
	op.expected_version = me->has_version ? me->version : 0;
	if (strcmp(act, "set") == 0 && req->contact != NULL) {
		sc.partner_id = a->conf.partner;
		sc.contact = req->contact;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_SET_CONTACT;
		op.set_contact = &sc;
	} else if (strcmp(act, "remove") == 0 && req->contact_id != NULL) {
		rc.partner_id = a->conf.partner;
		rc.contact_id = req->contact_id;
		op.action_case = LIAISON__V1__DIR_OP__ACTION_REMOVE_CONTACT;
		op.remove_contact = &rc;
	} else if (strcmp(act, "confirm") == 0 && req->contact_id != NULL) {
		cc.partner_id = a->conf.partner;
		cc.contact_id = req->contact_id;
		cc.has_verified_at_ms = 1;
		cc.verified_at_ms = lsn_now_ms();
		op.action_case = LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT;
		op.confirm_contact = &cc;
	} else {
		lsn_dir_partner_free(&me);
		reply_err(a, p, rid, LSN_EINVAL, "action is set (with "
		    "contact), remove or confirm (with contact_id)");
		return;
	}
	why[0] = '\0';
	rv = lsn_dirop_new(&op, &raw, &rawlen, why, sizeof(why));
	lsn_dir_partner_free(&me);
	if (rv != LSN_OK) {
		reply_err(a, p, rid, rv, why[0] != '\0' ? why :
		    "invalid contact op");
		return;
	}
	rv = lsn_dirop_sign(raw, rawlen, a->sign_kp, &sig, &siglen);
	free(raw);
	if (rv != LSN_OK) {
		reply_err(a, p, rid, rv, "cannot sign the op");
		return;
	}
	if ((ds.op = liaison__v1__signed_dir_op__unpack(NULL, siglen, sig)) ==
	    NULL) {
		free(sig);
		reply_err(a, p, rid, LSN_EINTERNAL, "cannot build the op");
		return;
	}
	free(sig);
	do_dir_submit(a, p, rid, &ds);
	liaison__v1__signed_dir_op__free_unpacked(ds.op, NULL);
}

static void
handle(struct agent *a, const struct api_peer *p, const uint8_t *buf,
    size_t len)
{
	Liaison__V1__ApiRequest	*req;
	uint64_t		 rid;

	if ((req = liaison__v1__api_request__unpack(NULL, len, buf)) ==
	    NULL) {
		reply_err(a, p, 0, LSN_EPROTO, "unparseable ApiRequest");
		return;
	}
	rid = req->has_request_id ? req->request_id : 0;
	/* protobuf-c cuts a string at an embedded NUL and merges repeated
	 * singular fields: bytes that do not re-encode to their own size
	 * would be acted on as something else than was sent. */
	if (liaison__v1__api_request__get_packed_size(req) != len) {
		reply_err(a, p, rid, LSN_EPROTO, "non-canonical ApiRequest "
		    "(NUL inside a string, a field twice or a padded varint)");
		liaison__v1__api_request__free_unpacked(req, NULL);
		return;
	}
	switch (req->kind_case) {
	case LIAISON__V1__API_REQUEST__KIND_SUBMIT:
		do_submit(a, p, rid, req->submit);
		break;
	case LIAISON__V1__API_REQUEST__KIND_OUTBOX_STATUS:
		do_outbox_status(a, p, rid, req->outbox_status);
		break;
	case LIAISON__V1__API_REQUEST__KIND_INBOX_LIST:
		do_inbox_list(a, p, rid, req->inbox_list);
		break;
	case LIAISON__V1__API_REQUEST__KIND_INBOX_FETCH:
		do_inbox_fetch(a, p, rid, req->inbox_fetch);
		break;
	case LIAISON__V1__API_REQUEST__KIND_INBOX_MARK:
		do_inbox_mark(a, p, rid, req->inbox_mark);
		break;
	case LIAISON__V1__API_REQUEST__KIND_DIR_QUERY:
		do_dir_query(a, p, rid, req->dir_query);
		break;
	case LIAISON__V1__API_REQUEST__KIND_DIR_SUBMIT:
		do_dir_submit(a, p, rid, req->dir_submit);
		break;
	case LIAISON__V1__API_REQUEST__KIND_STATUS:
		do_status(a, p, rid);
		break;
	case LIAISON__V1__API_REQUEST__KIND_MEETING_SHOW:
		do_meeting_show(a, p, rid, req->meeting_show);
		break;
	case LIAISON__V1__API_REQUEST__KIND_EVENTS:
		do_events(a, p, rid, req->events);
		break;
	case LIAISON__V1__API_REQUEST__KIND_CONTACT:
		do_contact(a, p, rid, req->contact);
		break;
	case LIAISON__V1__API_REQUEST__KIND_CUSTODY:
		do_custody(a, p, rid, req->custody);
		break;
	case LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST:
		do_workflow_list(a, p, rid, req->workflow_list);
		break;
	default:
		reply_err(a, p, rid, LSN_EINVAL, "unknown request kind");
		break;
	}
	liaison__v1__api_request__free_unpacked(req, NULL);
}

/*
 * One request of a batch, inside its own savepoint: a request answered
 * with an error (or not answered for lack of memory) leaves nothing in
 * the database. A savepoint that cannot be released or rolled back fails
 * the whole batch.
 */
static void
handle_in_batch(struct agent *a, const struct api_peer *p,
    const uint8_t *buf, size_t len)
{
	size_t	held0 = a->nheld, i;
	int	failed = 0;

	if (agent_savepoint(a, AGENT_SP_BEGIN) != LSN_OK) {
		a->tx_failed = 1;
		return;
	}
	handle(a, p, buf, len);
	for (i = held0; i < a->nheld; i++)
		if (a->held[i].failed)
			failed = 1;
	if (failed) {
		if (agent_savepoint(a, AGENT_SP_ROLLBACK) != LSN_OK)
			a->tx_failed = 1;
		/* the in-memory outbox counts are reloaded */
		outbox_counts_reset(a);
		return;
	}
	if (agent_savepoint(a, AGENT_SP_RELEASE) != LSN_OK)
		a->tx_failed = 1;
}

/*
 * Ends the API turn's transaction: COMMIT, then the held answers. If the
 * COMMIT fails nothing of the batch was stored: every request of it is
 * answered with the error instead.
 */
static void
end_batch(struct agent *a)
{
	struct api_held	*h;
	int		 rv;

	a->api_batch = 0;
	rv = agent_tx_commit(a);
	for (size_t i = 0; i < a->nheld; i++) {
		h = &a->held[i];
		if (rv == LSN_OK)
			send_packed(a, &h->peer, h->buf, h->len);
		else
			reply_err(a, &h->peer, h->request_id, LSN_EDB,
			    "agent database error: the request was not "
			    "stored");
		free(h->buf);
		h->buf = NULL;
	}
	a->nheld = 0;
	if (rv != LSN_OK)
		log_warnx("api: a batch of requests was rolled back: %s",
		    lsn_store_errmsg(a->st));
}

/*
 * Reads up to 64 requests and handles them in one transaction (one
 * durable commit for the turn); the answers are sent only after the
 * COMMIT, so nothing is acknowledged before it is durable.
 */
void
api_on_readable(struct agent *a)
{
	struct api_peer	p;
	zmq_msg_t	parts[3];
	int		n, more, i, batch = 0;

	for (int turn = 0; turn < 64; turn++) {
		n = 0;
		more = 1;
		while (more) {
			zmq_msg_t	extra;
			zmq_msg_t	*m = n < 3 ? &parts[n] : &extra;

			zmq_msg_init(m);
			if (zmq_msg_recv(m, a->api, n == 0 ? ZMQ_DONTWAIT :
			    0) < 0) {
				zmq_msg_close(m);
				for (i = 0; i < n && i < 3; i++)
					zmq_msg_close(&parts[i]);
				goto done;
			}
			more = zmq_msg_more(m);
			if (n >= 3)
				zmq_msg_close(m);
			n++;
		}
		if (n < 2 || zmq_msg_size(&parts[0]) > AGENT_PEER_ID_MAX)
			goto next;	/* no peer to answer: ROUTER never does */
		p.idlen = zmq_msg_size(&parts[0]);
		memcpy(p.id, zmq_msg_data(&parts[0]), p.idlen);
		if (n > 3 || (n == 3 && zmq_msg_size(&parts[1]) != 0)) {
			if (lsn_log_ratelimit("api", 10))
				log_warnx("api: malformed request (%d parts)",
				    n);
			/* which part is the request is unknown: answer
			 * without a request id, no delimiter */
			p.delim = 0;
			reply_err(a, &p, 0, LSN_EPROTO, "a request is one "
			    "frame, after an optional empty delimiter");
			goto next;
		}
		p.delim = n == 3;
		if (!apiauth_request_ok(&parts[n - 1])) {
			/* no ZAP verdict on this connection: refuse */
			reply_err(a, &p, 0, LSN_EPERM, "not authorized to "
			    "use this agent's API");
			goto next;
		}
		/* the batch's transaction starts with its first request;
		 * if it cannot, requests are handled one by one */
		if (!batch && !a->in_tx && agent_tx_begin(a) == LSN_OK) {
			batch = 1;
			a->api_batch = 1;
		}
		if (batch)
			handle_in_batch(a, &p, zmq_msg_data(&parts[n - 1]),
			    zmq_msg_size(&parts[n - 1]));
		else
			handle(a, &p, zmq_msg_data(&parts[n - 1]),
			    zmq_msg_size(&parts[n - 1]));
 next:
		for (i = 0; i < n && i < 3; i++)
			zmq_msg_close(&parts[i]);
		if (batch && a->tx_failed)
			break;
	}
 done:
	if (batch)
		end_batch(a);
}

void
api_timers(struct agent *a, uint64_t now)
{
	for (size_t i = 0; i < AGENT_WAITERS_MAX; i++) {
		struct api_waiter *w = &a->waiters[i];

		if (w->used && now >= w->deadline) {
			w->used = 0;
			(void) answer_list(a, &w->peer, w->request_id, w, 0);
		}
	}
	for (size_t i = 0; i < AGENT_DIRSUBS_MAX; i++) {
		struct dir_pending *dp = &a->dirsubs[i];

		if (dp->used && now >= dp->deadline) {
			dp->used = 0;
			reply_err(a, &dp->peer, dp->request_id, LSN_ETIMEDOUT,
			    "no answer from the broker in time");
		}
	}
}

long
api_timeout(struct agent *a, uint64_t now)
{
	long	t = -1, d;

	for (size_t i = 0; i < AGENT_WAITERS_MAX; i++)
		if (a->waiters[i].used) {
			d = a->waiters[i].deadline > now ?
			    (long) (a->waiters[i].deadline - now) : 0;
			if (t < 0 || d < t)
				t = d;
		}
	for (size_t i = 0; i < AGENT_DIRSUBS_MAX; i++)
		if (a->dirsubs[i].used) {
			d = a->dirsubs[i].deadline > now ?
			    (long) (a->dirsubs[i].deadline - now) : 0;
			if (t < 0 || d < t)
				t = d;
		}
	return (t);
}
