/*
 * api.c -- the local API: a ROUTER on ipc://<db dir>/api.sock (or
 * tcp://127.0.0.1:PORT). Each request is one serialized ApiRequest
 * (optionally after an empty delimiter frame, as REQ sockets send), each
 * answer one ApiResponse with a code and a detail text. Inbox long-polls
 * and directory submits are answered later, from api_inbox_changed(),
 * api_on_dirsubmit_ack() and api_timers(). Every request kind goes
 * through one table of handlers (handlers[], dispatched by handle()).
 * This file holds the socket, the table, the answers held until a turn's
 * COMMIT, status, submit and the inbox;
 * the directory requests are in api_dir.c, the read-only ones about sent
 * messages, workflows, meetings and custody in api_read.c.
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
	int	linger = 10000;	/* a loaded machine: let the answers leave */

	if (a->api != NULL) {
		/* the E_IN_DOUBT answers must leave before the exit */
		if (a->indoubt)
			(void) zmq_setsockopt(a->api, ZMQ_LINGER, &linger,
			    sizeof(linger));
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

void
api_reply(struct agent *a, const struct api_peer *p,
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

void
api_reply_err(struct agent *a, const struct api_peer *p, uint64_t request_id,
    int code, const char *detail)
{
	Liaison__V1__ApiResponse	r = LIAISON__V1__API_RESPONSE__INIT;

	r.has_request_id = 1;
	r.request_id = request_id;
	r.code = lsn_err_to_wire(code);
	r.detail = unconst(detail != NULL && detail[0] != '\0' ? detail :
	    lsn_strerror(code));
	api_reply(a, p, &r);
}

void
api_answer(struct agent *a, const struct api_peer *p, uint64_t rid,
    Liaison__V1__ApiResponse__KindCase kind, void *msg)
{
	Liaison__V1__ApiResponse	 r = LIAISON__V1__API_RESPONSE__INIT;
	const ProtobufCFieldDescriptor	*fd;

	/* the oneof's members are pointers to messages, found by their
	 * field number (= kind) as protobuf-c's own packer finds them */
	fd = protobuf_c_message_descriptor_get_field(
	    &liaison__v1__api_response__descriptor, (unsigned) kind);
	if (fd == NULL || fd->type != PROTOBUF_C_TYPE_MESSAGE ||
	    msg == NULL) {
		api_reply_err(a, p, rid, LSN_EINTERNAL, NULL);
		return;
	}
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = kind;
	memcpy((char *) &r + fd->offset, &msg, sizeof(msg));
	api_reply(a, p, &r);
}

/* ---- status ---- */

static void
do_status(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	Liaison__V1__StatusResponse	s = LIAISON__V1__STATUS_RESPONSE__INIT;
	Liaison__V1__DirHead		dh = LIAISON__V1__DIR_HEAD__INIT;
	uint8_t				hash[32], digest[32];
	char				**alerts = NULL, *extra[2];
	char				linkerr[AGENT_DETAIL_MAX + 32];
	size_t				nalerts = 0, next = 0;
	char				**all = NULL;
	uint64_t			rev;
	int				rv;

	(void) rq;	/* a StatusRequest has no fields */
	if ((rv = lsn_dir_head(a->dir, &rev, hash)) != LSN_OK ||
	    (rv = lsn_dir_digest(a->dir, digest)) != LSN_OK ||
	    (rv = outbox_counts(a, &s.outbox_pending, &s.outbox_rejected)) !=
	    LSN_OK ||
	    (rv = inbox_counts(a, &s.inbox_total, &s.inbox_unacked,
	    &s.quarantined)) != LSN_OK ||
	    (rv = replica_alerts(a, &alerts, &nalerts)) != LSN_OK) {
		api_reply_err(a, p, rid, rv, "cannot read the agent state");
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
		api_reply_err(a, p, rid, LSN_ENOMEM, NULL);
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
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_STATUS, &s);
	free(all);
	replica_alerts_free(alerts, nalerts);
}

/* ---- submit / outbox ---- */

static void
do_submit(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__SubmitRequest	*req = rq->submit;
	Liaison__V1__ApiResponse	r = LIAISON__V1__API_RESPONSE__INIT;
	Liaison__V1__SubmitResponse	sr = LIAISON__V1__SUBMIT_RESPONSE__INIT;
	uint8_t				id[16];
	char				detail[AGENT_DETAIL_MAX];
	int				rv;

	detail[0] = '\0';
	rv = outbox_submit(a, req, id, detail, sizeof(detail));
	if (rv != LSN_OK && rv != LSN_EINDOUBT) {
		api_reply_err(a, p, rid, rv, detail);
		return;
	}
	if (rv == LSN_EINDOUBT) {	/* with its id: outbox_status */
		r.code = lsn_err_to_wire(rv);
		r.detail = detail;
	}
	sr.has_message_id = 1;
	sr.message_id.data = id;
	sr.message_id.len = sizeof(id);
	r.has_request_id = 1;
	r.request_id = rid;
	r.kind_case = LIAISON__V1__API_RESPONSE__KIND_SUBMIT;
	r.submit = &sr;
	api_reply(a, p, &r);
}

/* ---- inbox ---- */

/* Answers a list query; returns 1 if answered, 0 if empty and waiting. */
static int
answer_events(struct agent *a, const struct api_peer *p, uint64_t rid,
    const struct api_waiter *q, int may_wait)
{
	Liaison__V1__EventsResponse	er =
	    LIAISON__V1__EVENTS_RESPONSE__INIT;
	int				rv;

	if ((rv = events_list(a, q->after_seq, q->limit, &er)) != LSN_OK) {
		api_reply_err(a, p, rid, rv, "cannot read the events");
		return (1);
	}
	if (er.n_events == 0 && may_wait) {
		events_list_free(&er);
		return (0);
	}
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_EVENTS, &er);
	events_list_free(&er);
	return (1);
}

static int
answer_list(struct agent *a, const struct api_peer *p, uint64_t rid,
    const struct api_waiter *q, int may_wait)
{
	Liaison__V1__InboxListResponse	 lr =
	    LIAISON__V1__INBOX_LIST_RESPONSE__INIT;
	int				 rv;

	if (q->events)
		return (answer_events(a, p, rid, q, may_wait));
	if ((rv = inbox_list(a, q, &lr)) != LSN_OK) {
		api_reply_err(a, p, rid, rv, "cannot read the inbox");
		return (1);
	}
	if (lr.n_items == 0 && may_wait) {
		inbox_list_free(&lr);
		return (0);
	}
	api_answer(a, p, rid, LIAISON__V1__API_RESPONSE__KIND_INBOX_LIST, &lr);
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
	/* all slots busy: answer empty now */
	(void) answer_list(a, p, rid, q, 0);
}

static void
do_events(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__EventsRequest	*req = rq->events;
	struct api_waiter	q;

	memset(&q, 0, sizeof(q));
	q.events = 1;
	q.after_seq = req->has_after_event_id ? req->after_event_id : 0;
	q.limit = req->has_limit ? req->limit : 0;
	list_or_wait(a, p, rid, &q, req->has_wait_ms ? req->wait_ms : 0);
}

static void
do_inbox_list(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__InboxListRequest	*req = rq->inbox_list;
	struct api_waiter			 q;

	memset(&q, 0, sizeof(q));
	q.include_acked = req->has_include_acked && req->include_acked;
	if (req->has_type &&
	    strcmp(lsn_envelope_type_name((int) req->type), "?") == 0) {
		api_reply_err(a, p, rid, LSN_EINVAL, "type filter is not a "
		    "message type");
		return;
	}
	q.type = req->has_type ? (int) req->type : 0;
	if (req->sender != NULL) {
		if (!lsn_slug_valid(req->sender)) {
			api_reply_err(a, p, rid, LSN_EINVAL, "sender filter is "
			    "not a partner id");
			return;
		}
		lsn_strlcpy(q.sender, req->sender, sizeof(q.sender));
	}
	q.since_ms = req->has_since_ms ? req->since_ms : 0;
	if (req->has_state && (req->state < 0 ||
	    req->state > LIAISON__V1__INBOX_STATE__INBOX_STATE_ACTIONED)) {
		api_reply_err(a, p, rid, LSN_EINVAL, "state filter is unread, "
		    "read or actioned");
		return;
	}
	q.state = req->has_state ? (int) req->state : 0;
	q.limit = req->has_limit && req->limit > 0 ? req->limit :
	    AGENT_LIST_DEFAULT;
	if (q.limit > AGENT_LIST_MAX)
		q.limit = AGENT_LIST_MAX;
	q.after_seq = req->has_after_seq ? req->after_seq : 0;
	list_or_wait(a, p, rid, &q, req->has_wait_ms ? req->wait_ms : 0);
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
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__InboxFetchRequest	*req = rq->inbox_fetch;
	Liaison__V1__InboxFetchResponse	 fr =
	    LIAISON__V1__INBOX_FETCH_RESPONSE__INIT;
	Liaison__V1__InboxItem		*it = NULL;
	int				 rv;

	if (!api_msgid_ok(a, p, rid, req->has_message_id, &req->message_id))
		return;
	rv = inbox_fetch(a, req->message_id.data, req->message_id.len, &it);
	fr.item = it;
	api_result(a, p, rid, rv, LIAISON__V1__API_RESPONSE__KIND_INBOX_FETCH,
	    &fr, "no such message in the inbox", NULL, NULL);
	if (rv == LSN_OK)
		inbox_item_free(it);
}

static void
do_inbox_mark(struct agent *a, const struct api_peer *p, uint64_t rid,
    const Liaison__V1__ApiRequest *rq)
{
	const Liaison__V1__InboxMarkRequest	*req = rq->inbox_mark;
	Liaison__V1__InboxMarkResponse	 mr =
	    LIAISON__V1__INBOX_MARK_RESPONSE__INIT;
	int				 rv;

	if (!api_msgid_ok(a, p, rid, req->has_message_id, &req->message_id))
		return;
	rv = inbox_mark(a, req->message_id.data, req->message_id.len,
	    req->has_stage ? (int) req->stage : 0);
	api_result(a, p, rid, rv, LIAISON__V1__API_RESPONSE__KIND_INBOX_MARK,
	    &mr, "no such message in the inbox", "unknown mark stage", NULL);
}

/* ---- dispatch ---- */

/*
 * The API's requests, one row per ApiRequest kind (indexed by the kind):
 * the handler, and the name the logs give it. A kind without a row is
 * answered E_INVALID.
 */
static const struct api_handler {
	const char	*name;
	api_handler_fn	*fn;
} handlers[] = {
#define H(k, n, f) [LIAISON__V1__API_REQUEST__KIND_ ## k] = { n, f }
	H(SUBMIT,	 "submit",	  do_submit),
	H(OUTBOX_STATUS, "outbox_status", api_outbox_status),
	H(INBOX_LIST,	 "inbox_list",	  do_inbox_list),
	H(INBOX_FETCH,	 "inbox_fetch",	  do_inbox_fetch),
	H(INBOX_MARK,	 "inbox_mark",	  do_inbox_mark),
	H(DIR_QUERY,	 "dir_query",	  api_dir_query),
	H(DIR_SUBMIT,	 "dir_submit",	  api_dir_submit),
	H(STATUS,	 "status",	  do_status),
	H(WORKFLOW_LIST, "workflow_list", api_workflow_list),
	H(MEETING_SHOW,	 "meeting_show",  api_meeting_show),
	H(CUSTODY,	 "custody",	  api_custody),
	H(CONTACT,	 "contact",	  api_contact),
	H(EVENTS,	 "events",	  do_events),
	H(OUTBOX_FETCH,	 "outbox_fetch",  api_outbox_fetch),
	H(OUTBOX_LIST,	 "outbox_list",	  api_outbox_list),
#undef H
};

static void
handle(struct agent *a, const struct api_peer *p, const uint8_t *buf,
    size_t len)
{
	Liaison__V1__ApiRequest		*req;
	const struct api_handler	*h;
	uint64_t			 rid;

	if ((req = liaison__v1__api_request__unpack(NULL, len, buf)) ==
	    NULL) {
		api_reply_err(a, p, 0, LSN_EPROTO, "unparseable ApiRequest");
		return;
	}
	rid = req->has_request_id ? req->request_id : 0;
	/* protobuf-c cuts a string at an embedded NUL and merges repeated
	 * singular fields: bytes that do not re-encode to their own size
	 * would be acted on as something else than was sent. */
	if (liaison__v1__api_request__get_packed_size(req) != len) {
		api_reply_err(a, p, rid, LSN_EPROTO, "non-canonical ApiRequest "
		    "(NUL inside a string, a field twice or a padded varint)");
		liaison__v1__api_request__free_unpacked(req, NULL);
		return;
	}
	if ((size_t) req->kind_case >= sizeof(handlers) / sizeof(handlers[0])
	    || handlers[req->kind_case].fn == NULL) {
		api_reply_err(a, p, rid, LSN_EINVAL, "unknown request kind");
		goto out;
	}
	h = &handlers[req->kind_case];
	log_debug("api: %s request %llu", h->name, (unsigned long long) rid);
	h->fn(a, p, rid, req);
 out:
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
 * The held answer h turned into E_IN_DOUBT: the same response (a
 * submit's keeps its message_id, for outbox_status after the restart)
 * with the code and a detail saying what to do.
 */
static void
reply_in_doubt(struct agent *a, const struct api_held *h)
{
	Liaison__V1__ApiResponse	*r;
	uint8_t				*buf;
	char				*detail;
	size_t				 len;

	r = liaison__v1__api_response__unpack(NULL, h->len, h->buf);
	if (r == NULL) {
		api_reply_err(a, &h->peer, h->request_id, LSN_EINDOUBT, NULL);
		return;
	}
	r->has_code = 1;
	r->code = lsn_err_to_wire(LSN_EINDOUBT);
	detail = r->detail;
	r->detail = unconst("agent database: the commit failed at its "
	    "sync, so whether this request was stored is unknown; the agent "
	    "stops: after its restart ask outbox_status for the message id "
	    "(not found: submit again)");
	len = liaison__v1__api_response__get_packed_size(r);
	if ((buf = malloc(len)) != NULL) {
		liaison__v1__api_response__pack(r, buf);
		send_packed(a, &h->peer, buf, len);
	}
	free(buf);
	r->detail = detail;	/* the unpacked one, freed below */
	liaison__v1__api_response__free_unpacked(r, NULL);
}

/*
 * Ends the API turn's transaction: COMMIT, then the held answers. If the
 * COMMIT fails nothing of the batch was stored: every request of it is
 * answered with the error instead; if it failed at its sync the outcome
 * is unknown: E_IN_DOUBT, and the agent stops (agent_tx_commit).
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
		else if (a->indoubt)
			reply_in_doubt(a, h);
		else
			api_reply_err(a, &h->peer, h->request_id, LSN_EDB,
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
 * Reads up to AGENT_API_TURN_MAX requests (a client's window of 256
 * submits fits one turn) and handles them in one transaction (one
 * durable commit for the turn); the answers are sent only after the
 * COMMIT, so nothing is acknowledged before it is durable.
 */
void
api_on_readable(struct agent *a)
{
	struct api_peer	p;
	zmq_msg_t	parts[3];
	int		n, more, i, batch = 0;

	if (a->indoubt)
		return;	/* stopping: unread requests time out */
	for (int turn = 0; turn < AGENT_API_TURN_MAX; turn++) {
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
			api_reply_err(a, &p, 0, LSN_EPROTO, "a request is one "
			    "frame, after an optional empty delimiter");
			goto next;
		}
		p.delim = n == 3;
		if (!apiauth_request_ok(&parts[n - 1])) {
			/* no ZAP verdict on this connection: refuse */
			api_reply_err(a, &p, 0, LSN_EPERM, "not authorized to "
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
			api_reply_err(a, &dp->peer, dp->request_id, LSN_ETIMEDOUT,
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
