/*
 * test_workflow_referral.c -- real liaison-broker + liaison-agent
 * processes: typed referral bodies through the local API, sealing of TLP
 * AMBER bodies (the broker's database never holds the plaintext), the
 * referral state machine enforced by both agents (E_TRANSITION), and the
 * escalation of an overdue P1 referral driven by the agents' test clock
 * ([agent] test_clock_file).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "liaison/client.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent_it.h"
#include "lsn_fixture.h"
#include "lsn_proc.h"
#include "lsn_test.h"

#define T_WAIT_MS	15000

struct env {
	struct lsn_fixture	*fx;
	pid_t			 broker;
	pid_t			 agents[4];
	char			 ep[256];
	char			 clock[4][LSN_FX_PATH_MAX + 16];
};

static void
set_clock(struct env *e, size_t i, uint64_t ms)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long) ms);
	assert_ok(lsn_file_write_atomic(e->clock[i], buf, strlen(buf),
	    0600));
}

static int
setup_with(void **state, const char *const *more)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct env		*e;
	char			 extra[LSN_FX_PATH_MAX + 256];

	assert_non_null(e = calloc(1, sizeof(*e)));
	o.npartners = 4;
	assert_ok(lsn_fixture_create(&o, &e->fx));
	assert_ok(lsn_fixture_write_broker_conf(e->fx, NULL, NULL));
	assert_ok(lsn_fixture_start_broker(e->fx, 0, &e->broker, e->ep,
	    sizeof(e->ep)));
	for (size_t i = 0; i < 4; i++) {
		snprintf(e->clock[i], sizeof(e->clock[i]), "%s/clock",
		    e->fx->partners[i].dir);
		set_clock(e, i, lsn_now_ms());
		snprintf(extra, sizeof(extra), "test_clock_file = %s\n%s",
		    e->clock[i], more != NULL && more[i] != NULL ? more[i] :
		    "");
		e->agents[i] = agent_it_start(e->fx, i, e->ep, extra);
		assert_true(e->agents[i] > 0);
	}
	for (size_t i = 0; i < 4; i++)
		assert_ok(agent_it_wait_connected(e->fx, i, 1, T_WAIT_MS));
	*state = e;
	return (0);
}

static int
setup(void **state)
{
	return (setup_with(state, NULL));
}

/* A checks contact liveness hourly; B answers checks itself. */
static int
setup_liveness(void **state)
{
	static const char *const more[4] = {
		"contact_check_ms = 3600000\n",
		"contact_auto_confirm = 1\n",
		NULL, NULL,
	};

	return (setup_with(state, more));
}

/*
 * Stops the daemons with SIGTERM first: a clean exit (status 0) is
 * required, so a sanitizer build reports leaks and errors as a failure.
 */
static int
teardown(void **state)
{
	struct env	*e = *state;
	int		 rv = 0, st;

	for (size_t i = 0; e != NULL && i < 4; i++)
		if (e->agents[i] > 0 && (st = lsn_proc_stop(e->agents[i])) !=
		    0) {
			fprintf(stderr, "agent %zu exited with %d\n", i, st);
			lsn_proc_dump_log(e->fx->partners[i].agent_log, 4000);
			rv = -1;
		}
	if (e != NULL && e->broker > 0 && (st = lsn_proc_stop(e->broker)) !=
	    0) {
		fprintf(stderr, "broker exited with %d\n", st);
		rv = -1;
	}
	lsn_proc_kill_all();
	if (e != NULL) {
		lsn_fixture_destroy(&e->fx);
		free(e);
	}
	return (rv);
}

#define TO_ALL	((size_t) -1)	/* the group "all-members" */

/* Submits a packed body; returns the agent's verdict as an lsn_err. */
static int
submit(struct env *e, size_t from, size_t to, int type,
    const ProtobufCMessage *body, int tlp, int prio, uint8_t msgid[16])
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	uint8_t				 buf[8192];
	char				*tov[1];
	int				 rv;

	assert_true(protobuf_c_message_get_packed_size(body) <= sizeof(buf));
	sr.body.len = protobuf_c_message_pack(body, buf);
	sr.body.data = buf;
	sr.has_body = 1;
	sr.has_type = 1;
	sr.type = type;
	if (to == TO_ALL) {
		tov[0] = (char *) (uintptr_t) "all-members";
		sr.n_to_groups = 1;
		sr.to_groups = tov;
	} else {
		tov[0] = e->fx->partners[to].id;
		sr.n_to = 1;
		sr.to = tov;
	}
	if (tlp != 0) {		/* 0: a reply, at its thread's marking */
		h.has_tlp = 1;
		h.tlp = tlp;
		sr.handling = &h;
	}
	if (prio != 0) {
		sr.has_priority = 1;
		sr.priority = prio;
	}
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	assert_ok(agent_it_call(e->fx, from, &req, &resp));
	rv = lsn_err_from_wire(resp->has_code ? (int) resp->code : 0);
	if (rv == LSN_OK) {
		assert_non_null(resp->submit);
		assert_int_equal(resp->submit->message_id.len, 16);
		if (msgid != NULL)
			memcpy(msgid, resp->submit->message_id.data, 16);
	}
	lsn_client_response_free(&resp);
	return (rv);
}

static int	send_handoff_id(struct env *, size_t, size_t,
		    const uint8_t *, int, int, const char *, uint8_t *);

static int
send_handoff(struct env *e, size_t from, size_t to, const uint8_t rid[16],
    int prio, int tlp, const char *summary)
{
	uint8_t	id[16];

	return (send_handoff_id(e, from, to, rid, prio, tlp, summary, id));
}

static int
send_handoff_id(struct env *e, size_t from, size_t to, const uint8_t *rid,
    int prio, int tlp, const char *summary, uint8_t *id)
{
	Liaison__V1__ReferralHandoff	h = LIAISON__V1__REFERRAL_HANDOFF__INIT;
	Liaison__V1__Jurisdiction	j = LIAISON__V1__JURISDICTION__INIT;

	h.has_referral_id = 1;
	h.referral_id.data = (uint8_t *) (uintptr_t) rid;
	h.referral_id.len = 16;
	h.has_priority = 1;
	h.priority = prio;
	h.has_category = 1;
	h.category = LIAISON__V1__REFERRAL_CATEGORY__CATEGORY_GROOMING;
	j.country = (char *) (uintptr_t) "NL";
	j.has_basis = 1;
	j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_IP_GEOLOCATION;
	h.jurisdiction = &j;
	h.summary = (char *) (uintptr_t) summary;
	return (submit(e, from, to,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF,
	    &h.base, tlp, prio, id));
}

static int
respond(struct env *e, size_t from, size_t to, const uint8_t rid[16],
    int action)
{
	Liaison__V1__ReferralResponse	r =
	    LIAISON__V1__REFERRAL_RESPONSE__INIT;

	r.has_referral_id = 1;
	r.referral_id.data = (uint8_t *) (uintptr_t) rid;
	r.referral_id.len = 16;
	r.has_action = 1;
	r.action = action;
	switch (action) {
	case LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE:
		r.has_decline_reason = 1;
		r.decline_reason =
		    LIAISON__V1__DECLINE_REASON__DECLINE_OUT_OF_SCOPE;
		break;
	case LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE:
		r.has_outcome = 1;
		r.outcome =
		    LIAISON__V1__CLOSE_OUTCOME__OUTCOME_VICTIM_SAFEGUARDED;
		break;
	case LIAISON__V1__REFERRAL_ACTION__REFERRAL_REQUEST_INFO:
		r.text = (char *) (uintptr_t) "which platform?";
		break;
	case LIAISON__V1__REFERRAL_ACTION__REFERRAL_SUPPLY_INFO:
		r.text = (char *) (uintptr_t) "a synthetic chat platform";
		break;
	default:
		break;
	}
	return (submit(e, from, to,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE,
	    &r.base, 0, 0, NULL));
}

static uint64_t
inbox_n(struct env *e, size_t i)
{
	uint64_t	n = 0;

	assert_ok(agent_it_counts(e->fx, i, &n, NULL));
	return (n);
}

/* The state of referral rid at partner i's agent ("" if untracked). */
static void
ref_state(struct env *e, size_t i, const uint8_t rid[16], char *out,
    size_t outsz, int *overdue, int *escalated)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;

	wl.kind = (char *) (uintptr_t) "referral";
	wl.has_item_id = 1;
	wl.item_id.data = (uint8_t *) (uintptr_t) rid;
	wl.item_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	assert_ok(agent_it_call(e->fx, i, &req, &resp));
	assert_int_equal(resp->code, 0);
	assert_non_null(resp->workflow_list);
	out[0] = '\0';
	if (resp->workflow_list->n_items > 0) {
		assert_int_equal(resp->workflow_list->n_items, 1);
		lsn_strlcpy(out, resp->workflow_list->items[0]->state, outsz);
		if (overdue != NULL)
			*overdue = resp->workflow_list->items[0]->overdue;
		if (escalated != NULL)
			*escalated = resp->workflow_list->items[0]->escalated;
	}
	lsn_client_response_free(&resp);
}

/* Submits a ReferralResponse r (filled by the caller) from -> to. */
static int
respond_r(struct env *e, size_t from, size_t to,
    Liaison__V1__ReferralResponse *r)
{
	return (submit(e, from, to,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE,
	    &r->base, 0, 0, NULL));
}

/* Waits until partner i's inbox holds n items, then checks both states. */
static void
step(struct env *e, size_t peer, uint64_t n, const uint8_t rid[16],
    const char *state)
{
	char	s[32];

	assert_ok(agent_it_wait_inbox(e->fx, peer, n, T_WAIT_MS));
	ref_state(e, 0, rid, s, sizeof(s), NULL, NULL);
	assert_string_equal(s, state);
	ref_state(e, 1, rid, s, sizeof(s), NULL, NULL);
	assert_string_equal(s, state);
}

/*
 * The custody chain of msgid at agent i, once it holds at least min
 * receipts (polled: receipts travel on their own).
 */
static Liaison__V1__ApiResponse *
custody(struct env *e, size_t i, const uint8_t msgid[16], size_t min)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__CustodyRequest	 cr = LIAISON__V1__CUSTODY_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;

	cr.has_message_id = 1;
	cr.message_id.data = (uint8_t *) (uintptr_t) msgid;
	cr.message_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_CUSTODY;
	req.custody = &cr;
	for (int tries = 0; tries < 150; tries++) {
		size_t n = 0;

		assert_ok(agent_it_call(e->fx, i, &req, &resp));
		assert_int_equal(resp->code, 0);
		assert_non_null(resp->custody);
		for (size_t k = 0; k < resp->custody->n_events; k++)
			n += strcmp(resp->custody->events[k]->kind,
			    "receipt") == 0;
		if (n >= min)
			return (resp);
		lsn_client_response_free(&resp);
		lsn_proc_sleep_ms(100);
	}
	fail_msg("custody: fewer than %zu receipts", min);
	return (NULL);
}

/* Checks a custody chain: envelope by sender, receipts by rcpt (the
 * DELIVERED one at least), then the responses in order; all verified. */
static void
check_custody(const Liaison__V1__CustodyResponse *c, const char *sender,
    const char *rcpt, const char *const *actions, const char *const *by,
    size_t nact)
{
	size_t	k = 0, nrc = 0, nresp = 0;

	assert_true(c->n_events >= 2 + nact);
	assert_string_equal(c->events[0]->kind, "envelope");
	assert_string_equal(c->events[0]->signer, sender);
	for (k = 0; k < c->n_events; k++) {
		const Liaison__V1__CustodyEvent *ev = c->events[k];

		assert_true(ev->verified);
		assert_true(ev->time_ms > 0);
		if (strcmp(ev->kind, "receipt") == 0) {
			assert_int_equal(nresp, 0);	/* receipts first */
			assert_string_equal(ev->signer, rcpt);
			nrc += strcmp(ev->stage, "delivered") == 0;
		} else if (strcmp(ev->kind, "response") == 0) {
			assert_true(nresp < nact);
			assert_string_equal(ev->stage, actions[nresp]);
			assert_string_equal(ev->signer, by[nresp]);
			nresp++;
		}
	}
	assert_int_equal(nrc, 1);
	assert_int_equal(nresp, nact);
}

/* 1 if needle occurs in the file's bytes (0 if the file is missing). */
static int
file_has(const char *path, const char *needle)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0, nl = strlen(needle);
	int	 found = 0;

	if (lsn_file_read(path, 256 * 1024 * 1024, &buf, &len) != LSN_OK)
		return (0);
	for (size_t i = 0; i + nl <= len && !found; i++)
		found = memcmp(buf + i, needle, nl) == 0;
	free(buf);
	return (found);
}

static void
test_workflow_amber_referral_sealed_from_broker(void **state)
{
	struct env			*e = *state;
	static const char		 secret[] =
	    "Synthetic-Amber-Summary-7f3c9e21";
	static const char		 marker[] = "Synthetic-Green-Marker-51ab";
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	Liaison__V1__ReferralHandoff	*h = NULL;
	char				 wal[LSN_FX_PATH_MAX + 8];
	uint8_t				 rid[16], id[16];
	int				 found = 0;

	lsn_random(rid, sizeof(rid));
	assert_ok(send_handoff(e, 0, 1, rid,
	    LIAISON__V1__PRIORITY__PRIORITY_P2, LIAISON__V1__TLP__TLP_AMBER,
	    secret));
	note.text = (char *) (uintptr_t) marker;
	assert_ok(submit(e, 0, 1, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE,
	    &note.base, LIAISON__V1__TLP__TLP_GREEN, 0, id));
	assert_ok(agent_it_wait_inbox(e->fx, 1, 2, T_WAIT_MS));

	/* the recipient reads the plaintext */
	assert_ok(agent_it_inbox(e->fx, 1, 0, &resp));
	for (size_t i = 0; i < resp->inbox_list->n_items; i++) {
		Liaison__V1__InboxItem *it = resp->inbox_list->items[i];

		if (it->type !=
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF)
			continue;
		assert_int_equal(it->tlp, LIAISON__V1__TLP__TLP_AMBER);
		assert_non_null(h = liaison__v1__referral_handoff__unpack(
		    NULL, it->body.len, it->body.data));
		assert_string_equal(h->summary, secret);
		liaison__v1__referral_handoff__free_unpacked(h, NULL);
		found = 1;
	}
	lsn_client_response_free(&resp);
	assert_true(found);

	/* the broker routed on metadata only: its database (and WAL) holds
	 * the GREEN note's text but never the AMBER summary */
	snprintf(wal, sizeof(wal), "%s-wal", e->fx->broker_db);
	assert_true(file_has(e->fx->broker_db, marker) ||
	    file_has(wal, marker));
	assert_false(file_has(e->fx->broker_db, secret));
	assert_false(file_has(wal, secret));
	/* a third partner that was not a recipient has nothing */
	assert_int_equal(inbox_n(e, 2), 0);
}

static void
test_workflow_referral_full_cycle_both_agents_agree(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__EventsRequest	 ev = LIAISON__V1__EVENTS_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	uint8_t				 rid[16];
	uint64_t			 last = 0;
	char				 states[8][32];
	size_t				 nst = 0;
	uint8_t				 hmsg[16];
	const char			*acts[] = { "ack", "request-info",
					    "supply-info", "accept", "close" };
	const char			*by[5];

	lsn_random(rid, sizeof(rid));
	assert_ok(send_handoff_id(e, 0, 1, rid,
	    LIAISON__V1__PRIORITY__PRIORITY_P2, LIAISON__V1__TLP__TLP_AMBER,
	    "synthetic grooming referral", hmsg));
	step(e, 1, 1, rid, "offered");
	/* only the recipient acknowledges; it cannot accept before acking */
	assert_int_equal(respond(e, 0, 1, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK), LSN_ETRANSITION);
	assert_int_equal(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACCEPT), LSN_ETRANSITION);
	assert_ok(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK));
	step(e, 0, 1, rid, "acknowledged");
	assert_ok(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_REQUEST_INFO));
	step(e, 0, 2, rid, "info-requested");
	assert_ok(respond(e, 0, 1, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_SUPPLY_INFO));
	step(e, 1, 2, rid, "acknowledged");
	assert_ok(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACCEPT));
	step(e, 0, 3, rid, "accepted");
	/* the sender cannot withdraw an accepted referral */
	assert_int_equal(respond(e, 0, 1, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_WITHDRAW),
	    LSN_ETRANSITION);
	assert_ok(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE));
	step(e, 0, 4, rid, "closed");
	/* final: nothing more */
	assert_int_equal(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE), LSN_ETRANSITION);
	/* a response about a referral the peer never had is refused */
	assert_int_equal(respond(e, 2, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK), LSN_ETRANSITION);

	/* the event stream at A: every state of the referral in order */
	ev.has_after_event_id = 1;
	ev.after_event_id = 0;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_EVENTS;
	req.events = &ev;
	assert_ok(agent_it_call(e->fx, 0, &req, &resp));
	assert_int_equal(resp->code, 0);
	assert_non_null(resp->events);
	for (size_t i = 0; i < resp->events->n_events; i++) {
		const Liaison__V1__Event *x = resp->events->events[i];

		assert_true(x->event_id > last);
		last = x->event_id;
		if (strcmp(x->kind, "referral") == 0 && nst < 8)
			lsn_strlcpy(states[nst++], x->detail,
			    sizeof(states[0]));
	}
	lsn_client_response_free(&resp);
	assert_int_equal(nst, 6);
	assert_string_equal(states[0], "offered");
	assert_string_equal(states[1], "acknowledged");
	assert_string_equal(states[2], "info-requested");
	assert_string_equal(states[3], "acknowledged");
	assert_string_equal(states[4], "accepted");
	assert_string_equal(states[5], "closed");

	/* the custody chain of the (sealed) handoff, at both sides: A's
	 * envelope, B's signed receipts, every response of the thread,
	 * each verified again when shown */
	by[0] = by[1] = by[3] = by[4] = e->fx->partners[1].id;
	by[2] = e->fx->partners[0].id;
	resp = custody(e, 0, hmsg, 1);
	assert_string_equal(resp->custody->direction, "sent");
	check_custody(resp->custody, e->fx->partners[0].id,
	    e->fx->partners[1].id, acts, by, 5);
	lsn_client_response_free(&resp);
	resp = custody(e, 1, hmsg, 1);
	assert_string_equal(resp->custody->direction, "received");
	check_custody(resp->custody, e->fx->partners[0].id,
	    e->fx->partners[1].id, acts, by, 5);
	lsn_client_response_free(&resp);

	/* nothing new: a long poll ends empty at its deadline */
	ev.after_event_id = last;
	ev.has_wait_ms = 1;
	ev.wait_ms = 200;
	assert_ok(agent_it_call(e->fx, 0, &req, &resp));
	assert_int_equal(resp->code, 0);
	assert_int_equal(resp->events->n_events, 0);
	lsn_client_response_free(&resp);
}

static void
test_workflow_referral_declined(void **state)
{
	struct env	*e = *state;
	uint8_t		 rid[16];

	lsn_random(rid, sizeof(rid));
	assert_ok(send_handoff(e, 0, 1, rid,
	    LIAISON__V1__PRIORITY__PRIORITY_P3, LIAISON__V1__TLP__TLP_GREEN,
	    "synthetic referral out of scope"));
	step(e, 1, 1, rid, "offered");
	assert_ok(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK));
	step(e, 0, 1, rid, "acknowledged");
	assert_ok(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE));
	step(e, 0, 2, rid, "declined");
	assert_int_equal(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACCEPT), LSN_ETRANSITION);
}

/* 1 if agent i's status alerts mention "overdue: escalated". */
static int
escalation_alert(struct env *e, size_t i)
{
	Liaison__V1__ApiResponse	*resp = NULL;
	int				 found = 0;

	assert_ok(agent_it_status(e->fx, i, &resp));
	for (size_t k = 0; resp->status != NULL && k < resp->status->n_alerts;
	    k++)
		if (strstr(resp->status->alerts[k], "overdue: escalated") !=
		    NULL)
			found = 1;
	lsn_client_response_free(&resp);
	return (found);
}

static void
test_workflow_overdue_p1_referral_escalated(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiResponse	*resp = NULL;
	Liaison__V1__Note		*n;
	uint8_t				 rid[16];
	char				 s[32];
	int				 overdue = 0, escalated = 0, found = 0;
	uint64_t			 t0 = lsn_now_ms();

	lsn_random(rid, sizeof(rid));
	set_clock(e, 0, t0);
	assert_ok(send_handoff(e, 0, 1, rid,
	    LIAISON__V1__PRIORITY__PRIORITY_P1, LIAISON__V1__TLP__TLP_GREEN,
	    "synthetic urgent referral"));
	step(e, 1, 1, rid, "offered");
	ref_state(e, 0, rid, s, sizeof(s), &overdue, &escalated);
	assert_false(overdue);
	assert_false(escalated);
	/* two hours later at the sender: past the 1 h P1 deadline */
	set_clock(e, 0, t0 + 2 * 3600 * 1000);
	assert_ok(agent_it_wait_inbox(e->fx, 1, 2, T_WAIT_MS));
	ref_state(e, 0, rid, s, sizeof(s), &overdue, &escalated);
	assert_string_equal(s, "offered");
	assert_true(overdue);
	assert_true(escalated);
	assert_true(escalation_alert(e, 0));
	assert_ok(agent_it_inbox(e->fx, 1, 0, &resp));
	for (size_t i = 0; i < resp->inbox_list->n_items; i++) {
		Liaison__V1__InboxItem *it = resp->inbox_list->items[i];

		if (it->type != LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE)
			continue;
		assert_int_equal(it->priority,
		    LIAISON__V1__PRIORITY__PRIORITY_P1);
		assert_non_null(n = liaison__v1__note__unpack(NULL,
		    it->body.len, it->body.data));
		assert_non_null(strstr(n->text, "ESCALATION"));
		assert_non_null(strstr(n->text, e->fx->partners[1].id));
		liaison__v1__note__free_unpacked(n, NULL);
		found = 1;
	}
	lsn_client_response_free(&resp);
	assert_true(found);
	/* escalated once only */
	set_clock(e, 0, t0 + 3 * 3600 * 1000);
	assert_int_equal(inbox_n(e, 1), 2);
	/* the late acknowledgement is still accepted and stops it */
	assert_ok(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK));
	step(e, 0, 1, rid, "acknowledged");
	ref_state(e, 0, rid, s, sizeof(s), &overdue, &escalated);
	assert_false(overdue);
	/* issue 17: the "overdue: escalated" status alert goes with it */
	assert_false(escalation_alert(e, 0));
}

/* The state of referral rid at agent i with peer j ("" if none). */
static void
ref_state_with(struct env *e, size_t i, size_t j, const uint8_t rid[16],
    char *out, size_t outsz, char *role, size_t rolesz)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;

	wl.kind = (char *) (uintptr_t) "referral";
	wl.has_item_id = 1;
	wl.item_id.data = (uint8_t *) (uintptr_t) rid;
	wl.item_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	assert_ok(agent_it_call(e->fx, i, &req, &resp));
	assert_int_equal(resp->code, 0);
	out[0] = '\0';
	if (role != NULL)
		role[0] = '\0';
	for (size_t k = 0; k < resp->workflow_list->n_items; k++) {
		const Liaison__V1__TrackedItem *it =
		    resp->workflow_list->items[k];

		if (strcmp(it->peer, e->fx->partners[j].id) != 0)
			continue;
		lsn_strlcpy(out, it->state, outsz);
		if (role != NULL)
			lsn_strlcpy(role, it->role, rolesz);
	}
	lsn_client_response_free(&resp);
}

/* Brings referral rid from 0 to 1 to ACCEPTED (inbox counts n0 / n1). */
static void
to_accepted(struct env *e, const uint8_t rid[16], int tlp, uint64_t n0,
    uint64_t n1)
{
	assert_ok(send_handoff(e, 0, 1, rid,
	    LIAISON__V1__PRIORITY__PRIORITY_P2, tlp,
	    "synthetic referral to be redirected"));
	step(e, 1, n1 + 1, rid, "offered");
	assert_ok(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK));
	step(e, 0, n0 + 1, rid, "acknowledged");
	assert_ok(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACCEPT));
	step(e, 0, n0 + 2, rid, "accepted");
}

static void
test_workflow_referral_redirect_offers_linked_referral(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ReferralResponse	 rr =
	    LIAISON__V1__REFERRAL_RESPONSE__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	Liaison__V1__ReferralHandoff	*h = NULL;
	uint8_t				 rid[16], nid[16], red[16], bad[16];
	char				 s[32], role[16];
	int				 found = 0;

	lsn_random(rid, sizeof(rid));
	to_accepted(e, rid, LIAISON__V1__TLP__TLP_AMBER, 0, 0);
	rr.has_referral_id = 1;
	rr.referral_id.data = rid;
	rr.referral_id.len = 16;
	rr.has_action = 1;
	rr.action = LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT;
	/* not back to the referral's own sender, not to ourselves */
	rr.redirect_to = e->fx->partners[0].id;
	assert_int_equal(respond_r(e, 1, 0, &rr), LSN_EINVAL);
	rr.redirect_to = e->fx->partners[1].id;
	assert_int_equal(respond_r(e, 1, 0, &rr), LSN_EINVAL);
	/* B redirects it to C: the original becomes REDIRECTED at both
	 * sides, and B offers C the linked referral */
	rr.redirect_to = e->fx->partners[2].id;
	rr.recipient_case_ref = (char *) (uintptr_t) "B-2026-0042";
	assert_ok(respond_r(e, 1, 0, &rr));
	step(e, 0, 3, rid, "redirected");
	assert_ok(lsn_referral_redirect_id(rid, e->fx->partners[2].id, nid));
	assert_ok(agent_it_wait_inbox(e->fx, 2, 1, T_WAIT_MS));
	ref_state_with(e, 1, 2, nid, s, sizeof(s), role, sizeof(role));
	assert_string_equal(s, "offered");
	assert_string_equal(role, "sender");
	ref_state_with(e, 2, 1, nid, s, sizeof(s), role, sizeof(role));
	assert_string_equal(s, "offered");
	assert_string_equal(role, "recipient");
	/* C got the content (sealed to C: AMBER kept) and the link */
	assert_ok(agent_it_inbox(e->fx, 2, 0, &resp));
	for (size_t i = 0; i < resp->inbox_list->n_items; i++) {
		Liaison__V1__InboxItem *it = resp->inbox_list->items[i];

		if (it->type !=
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF)
			continue;
		assert_string_equal(it->sender, e->fx->partners[1].id);
		assert_int_equal(it->tlp, LIAISON__V1__TLP__TLP_AMBER);
		assert_non_null(h = liaison__v1__referral_handoff__unpack(
		    NULL, it->body.len, it->body.data));
		assert_memory_equal(h->referral_id.data, nid, 16);
		assert_true(h->has_redirected_from);
		assert_memory_equal(h->redirected_from.data, rid, 16);
		assert_string_equal(h->sender_case_ref, "B-2026-0042");
		assert_string_equal(h->summary,
		    "synthetic referral to be redirected");
		liaison__v1__referral_handoff__free_unpacked(h, NULL);
		found = 1;
	}
	lsn_client_response_free(&resp);
	assert_true(found);
	/* the linked referral runs its own course between B and C */
	assert_ok(respond(e, 2, 1, nid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK));
	assert_ok(agent_it_wait_inbox(e->fx, 1, 2, T_WAIT_MS));
	ref_state_with(e, 1, 2, nid, s, sizeof(s), NULL, 0);
	assert_string_equal(s, "acknowledged");
	/* after a redirect the redirector may only take the case back
	 * (accept) or close it (issue 17: a declined redirect must not
	 * leave it stuck); declining or acknowledging again is refused */
	assert_int_equal(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE), LSN_ETRANSITION);
	assert_int_equal(respond(e, 1, 0, rid,
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK), LSN_ETRANSITION);
	/* redirected_from is the agent's to set: a hand-made linked offer
	 * is refused, so is one whose id is not derived from it */
	lsn_random(bad, sizeof(bad));
	{
		Liaison__V1__ReferralHandoff	hh =
		    LIAISON__V1__REFERRAL_HANDOFF__INIT;
		Liaison__V1__Jurisdiction	j =
		    LIAISON__V1__JURISDICTION__INIT;
		uint8_t				mid[16];

		hh.has_referral_id = 1;
		hh.referral_id.data = bad;
		hh.referral_id.len = 16;
		hh.has_priority = 1;
		hh.priority = LIAISON__V1__PRIORITY__PRIORITY_P3;
		hh.has_category = 1;
		hh.category = LIAISON__V1__REFERRAL_CATEGORY__CATEGORY_GROOMING;
		j.country = (char *) (uintptr_t) "NL";
		j.has_basis = 1;
		j.basis = LIAISON__V1__JURISDICTION_BASIS__BASIS_IP_GEOLOCATION;
		hh.jurisdiction = &j;
		hh.summary = (char *) (uintptr_t) "synthetic";
		hh.has_redirected_from = 1;
		hh.redirected_from.data = rid;
		hh.redirected_from.len = 16;
		assert_int_equal(submit(e, 1, 3,
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF,
		    &hh.base, LIAISON__V1__TLP__TLP_GREEN, 3, mid),
		    LSN_ETRANSITION);
		assert_ok(lsn_referral_redirect_id(rid, e->fx->partners[3].id,
		    hh.referral_id.data));
		assert_int_equal(submit(e, 1, 3,
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF,
		    &hh.base, LIAISON__V1__TLP__TLP_GREEN, 3, mid),
		    LSN_ETRANSITION);
	}
	/* TLP RED is never passed on: its redirect is refused */
	lsn_random(red, sizeof(red));
	to_accepted(e, red, LIAISON__V1__TLP__TLP_RED, 3, 2);
	rr.referral_id.data = red;
	assert_int_equal(respond_r(e, 1, 0, &rr), LSN_EFORWARD);
	ref_state_with(e, 1, 0, red, s, sizeof(s), NULL, 0);
	assert_string_equal(s, "accepted");

	/* from the CLI: the linked referral's id is printed */
	{
		char	 hx[33], rhx[33], *out = NULL, want[160];
		uint8_t	 g2[16], g2n[16];

		lsn_random(g2, sizeof(g2));
		to_accepted(e, g2, LIAISON__V1__TLP__TLP_GREEN, 5, 3);
		lsn_hex_encode(g2, 16, rhx);
		assert_int_equal(agent_it_cli(e->fx, 1, &out, "reply", rhx,
		    "redirect", "--redirect-to", e->fx->partners[3].id, NULL),
		    0);
		assert_ok(lsn_referral_redirect_id(g2, e->fx->partners[3].id,
		    g2n));
		lsn_hex_encode(g2n, 16, hx);
		snprintf(want, sizeof(want), "linked referral %s offered to "
		    "%s", hx, e->fx->partners[3].id);
		assert_non_null(out);
		assert_non_null(strstr(out, want));
		free(out);
		assert_ok(agent_it_wait_inbox(e->fx, 3, 1, T_WAIT_MS));
		ref_state_with(e, 3, 1, g2n, s, sizeof(s), role, sizeof(role));
		assert_string_equal(s, "offered");
		assert_string_equal(role, "recipient");
	}
}

static int
notice(struct env *e, const uint8_t mid[16], uint32_t version, int status)
{
	Liaison__V1__MeetingNotice	n = LIAISON__V1__MEETING_NOTICE__INIT;
	uint64_t			t = lsn_now_ms() + 86400000ULL;

	n.has_meeting_id = 1;
	n.meeting_id.data = (uint8_t *) (uintptr_t) mid;
	n.meeting_id.len = 16;
	n.has_version = 1;
	n.version = version;
	n.title = (char *) (uintptr_t) "Synthetic plenary";
	n.has_kind = 1;
	n.kind = LIAISON__V1__MEETING_KIND__MEETING_PLENARY;
	n.organiser_partner = e->fx->partners[0].id;
	n.has_start_ms = 1;
	n.start_ms = t;
	n.has_end_ms = 1;
	n.end_ms = t + 7200000;
	n.time_zone = (char *) (uintptr_t) "Europe/Paris";
	n.virtual_link = (char *) (uintptr_t) "https://meet.example.org/p";
	n.has_status = 1;
	n.status = status;
	return (submit(e, 0, TO_ALL,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE, &n.base,
	    LIAISON__V1__TLP__TLP_GREEN, 0, NULL));
}

static int
rsvp(struct env *e, size_t from, const uint8_t mid[16], uint32_t version,
    int answer)
{
	Liaison__V1__MeetingResponse	r =
	    LIAISON__V1__MEETING_RESPONSE__INIT;

	r.has_meeting_id = 1;
	r.meeting_id.data = (uint8_t *) (uintptr_t) mid;
	r.meeting_id.len = 16;
	r.has_version = 1;
	r.version = version;
	r.has_answer = 1;
	r.answer = answer;
	return (submit(e, from, 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE, &r.base,
	    LIAISON__V1__TLP__TLP_GREEN, 0, NULL));
}

static Liaison__V1__ApiResponse *
show(struct env *e, size_t i, const uint8_t mid[16])
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__MeetingShowRequest	 ms =
	    LIAISON__V1__MEETING_SHOW_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;

	ms.has_meeting_id = 1;
	ms.meeting_id.data = (uint8_t *) (uintptr_t) mid;
	ms.meeting_id.len = 16;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_MEETING_SHOW;
	req.meeting_show = &ms;
	assert_ok(agent_it_call(e->fx, i, &req, &resp));
	assert_int_equal(resp->code, 0);
	assert_non_null(resp->meeting_show);
	return (resp);
}

static void
test_workflow_meeting_group_rsvps_rollup(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiResponse	*r;
	uint8_t				 mid[16];

	lsn_random(mid, sizeof(mid));
	/* a new meeting starts at version 1 */
	assert_int_equal(notice(e, mid, 2,
	    LIAISON__V1__MEETING_STATUS__MEETING_SCHEDULED), LSN_ETRANSITION);
	assert_ok(notice(e, mid, 1,
	    LIAISON__V1__MEETING_STATUS__MEETING_SCHEDULED));
	for (size_t i = 1; i < 4; i++)
		assert_ok(agent_it_wait_inbox(e->fx, i, 1, T_WAIT_MS));
	/* an answer to a version not announced yet is refused */
	assert_int_equal(rsvp(e, 1, mid, 2,
	    LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING), LSN_ETRANSITION);
	assert_ok(rsvp(e, 1, mid, 1, LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING));
	assert_ok(rsvp(e, 2, mid, 1,
	    LIAISON__V1__RSVP_ANSWER__RSVP_NOT_ATTENDING));
	assert_ok(rsvp(e, 3, mid, 1, LIAISON__V1__RSVP_ANSWER__RSVP_TENTATIVE));
	assert_ok(agent_it_wait_inbox(e->fx, 0, 3, T_WAIT_MS));
	r = show(e, 0, mid);
	assert_string_equal(r->meeting_show->role, "organiser");
	assert_int_equal(r->meeting_show->n_entries, 3);
	assert_int_equal(r->meeting_show->attending, 1);
	assert_int_equal(r->meeting_show->not_attending, 1);
	assert_int_equal(r->meeting_show->tentative, 1);
	assert_int_equal(r->meeting_show->no_answer, 0);
	lsn_client_response_free(&r);

	/* update: version + 1 only; older answers become stale */
	assert_int_equal(notice(e, mid, 3,
	    LIAISON__V1__MEETING_STATUS__MEETING_UPDATED), LSN_ETRANSITION);
	assert_ok(notice(e, mid, 2,
	    LIAISON__V1__MEETING_STATUS__MEETING_UPDATED));
	assert_ok(agent_it_wait_inbox(e->fx, 1, 2, T_WAIT_MS));
	assert_ok(rsvp(e, 1, mid, 2, LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING));
	assert_ok(agent_it_wait_inbox(e->fx, 0, 4, T_WAIT_MS));
	r = show(e, 0, mid);
	assert_int_equal(r->meeting_show->version, 2);
	assert_int_equal(r->meeting_show->attending, 1);
	assert_int_equal(r->meeting_show->stale, 2);
	lsn_client_response_free(&r);

	/* cancellation: no answers after it */
	assert_ok(notice(e, mid, 3,
	    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED));
	assert_ok(agent_it_wait_inbox(e->fx, 2, 3, T_WAIT_MS));
	assert_int_equal(rsvp(e, 2, mid, 3,
	    LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING), LSN_ETRANSITION);
	r = show(e, 2, mid);
	assert_string_equal(r->meeting_show->role, "invitee");
	assert_int_equal(r->meeting_show->status,
	    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED);
	lsn_client_response_free(&r);
}

static void
test_workflow_cli_referral_reply_list(void **state)
{
	struct env			*e = *state;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__InboxMarkRequest	 mk =
	    LIAISON__V1__INBOX_MARK_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	char				*out = NULL, *p, rid[33], msg[33];
	uint8_t				 id[16];
	json_t				*j;
	json_error_t			 jerr;

	assert_int_equal(agent_it_cli(e->fx, 0, &out, "send", "referral",
	    "--to", e->fx->partners[1].id, "--summary",
	    "synthetic referral from the CLI", "--category", "grooming",
	    "--country", "NL", "--priority", "2", "--tlp", "amber", NULL), 0);
	assert_non_null(out);
	assert_non_null(p = strstr(out, "referral "));
	memcpy(rid, p + 9, 32);
	rid[32] = '\0';
	memcpy(msg, out, 32);
	msg[32] = '\0';
	free(out);
	out = NULL;
	assert_ok(agent_it_wait_inbox(e->fx, 1, 1, T_WAIT_MS));
	/* the integrator at B reads it: a READ receipt besides DELIVERED */
	assert_ok(lsn_hex_decode(msg, id, 16));
	mk.has_message_id = 1;
	mk.message_id.data = id;
	mk.message_id.len = 16;
	mk.has_stage = 1;
	mk.stage = LIAISON__V1__MARK_STAGE__MARK_READ;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_MARK;
	req.inbox_mark = &mk;
	assert_ok(agent_it_call(e->fx, 1, &req, &resp));
	assert_int_equal(resp->code, 0);
	lsn_client_response_free(&resp);
	/* the inbox filtered on that state */
	{
		static const char *const st[3] = { "read", "unread",
		    "actioned" };

		for (size_t i = 0; i < 3; i++) {
			assert_int_equal(agent_it_cli(e->fx, 1, &out, "inbox",
			    "--all", "--state", st[i], "--json", NULL), 0);
			assert_non_null(j = json_loads(out, 0, &jerr));
			assert_int_equal(json_array_size(j), i == 0 ? 1 : 0);
			if (i == 0)
				assert_string_equal(json_string_value(
				    json_object_get(json_array_get(j, 0),
				    "message_id")), msg);
			json_decref(j);
			free(out);
			out = NULL;
		}
		assert_int_equal(agent_it_cli(e->fx, 1, NULL, "inbox",
		    "--state", "bogus", NULL), 2);
	}
	/* closing before accepting is refused by the agent (exit 1) */
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "reply", rid, "close",
	    "--outcome", "arrest", NULL), 1);
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "reply", rid, "ack",
	    NULL), 0);
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "reply", rid, "bogus",
	    NULL), 2);
	assert_ok(agent_it_wait_inbox(e->fx, 0, 1, T_WAIT_MS));
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "referral", "list",
	    "--json", NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "state")), "acknowledged");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "referral_id")), rid);
	json_decref(j);
	free(out);
	out = NULL;
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "referral", "list",
	    "--overdue", "--json", NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	free(out);
	out = NULL;

	/* custody at A: the envelope signed by A, then B's signed
	 * DELIVERED and READ receipts and B's acknowledgement, each
	 * verified again */
	for (int tries = 0; tries < 150; tries++) {
		assert_int_equal(agent_it_cli(e->fx, 0, &out, "show", msg,
		    "--custody", "--json", NULL), 0);
		assert_non_null(j = json_loads(out, 0, &jerr));
		free(out);
		out = NULL;
		if (json_array_size(j) >= 4)
			break;
		json_decref(j);
		j = NULL;
		lsn_proc_sleep_ms(100);
	}
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 4);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "kind")), "envelope");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "signer")), e->fx->partners[0].id);
	for (size_t i = 0; i < 4; i++)
		assert_true(json_is_true(json_object_get(json_array_get(j,
		    i), "verified")));
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 3), "kind")), "response");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 3), "stage")), "ack");
	for (size_t i = 1; i < 3; i++) {
		const char *st = json_string_value(json_object_get(
		    json_array_get(j, i), "stage"));

		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(j, i), "signer")), e->fx->partners[1].id);
		assert_true(strcmp(st, "delivered") == 0 ||
		    strcmp(st, "read") == 0);
	}
	json_decref(j);
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "show", msg,
	    "--custody", NULL), 0);
	assert_non_null(strstr(out, "signature OK"));
	free(out);
	out = NULL;

	/* an alert from the CLI, acknowledged once with reply ... ack */
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "send", "alert",
	    "--to", e->fx->partners[1].id, "--kind", "threat-warning",
	    "--summary", "synthetic CLI alert", NULL), 0);
	assert_non_null(p = strstr(out, "alert "));
	memcpy(rid, p + 6, 32);
	rid[32] = '\0';
	free(out);
	assert_ok(agent_it_wait_inbox(e->fx, 1, 2, T_WAIT_MS));
	/* the alert is the only unread message */
	assert_int_equal(agent_it_cli(e->fx, 1, &out, "inbox", "--all",
	    "--state", "unread", "--json", NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "type")), "alert");
	json_decref(j);
	free(out);
	out = NULL;
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "reply", rid, "accept",
	    NULL), 2);
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "reply", rid, "ack",
	    NULL), 0);
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "reply", rid, "ack",
	    NULL), 1);
	assert_ok(agent_it_wait_inbox(e->fx, 0, 2, T_WAIT_MS));

	/* a meeting from the CLI to a group, an RSVP, the roll-up */
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "send", "meeting",
	    "--group", "all-members", "--title", "Synthetic CLI meeting",
	    "--start", "2030-01-10T09:00Z", "--end", "2030-01-10T11:00Z",
	    "--tz", "Europe/Paris", "--link", "https://meet.example.org/c",
	    NULL), 0);
	assert_non_null(p = strstr(out, "meeting "));
	memcpy(rid, p + 8, 32);
	rid[32] = '\0';
	free(out);
	out = NULL;
	assert_ok(agent_it_wait_inbox(e->fx, 1, 3, T_WAIT_MS));
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "rsvp", rid,
	    "attending", NULL), 0);
	assert_ok(agent_it_wait_inbox(e->fx, 0, 3, T_WAIT_MS));
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "meeting", "show", rid,
	    "--json", NULL), 0);
	assert_non_null(j = json_loads(out, 0, &jerr));
	assert_int_equal(json_integer_value(json_object_get(j, "attending")),
	    1);
	assert_int_equal(json_integer_value(json_object_get(j, "no_answer")),
	    2);
	json_decref(j);
	free(out);
}

/* 1 if partner pid's record at agent i holds contact cid (24/7). */
static int
has_contact(struct env *e, size_t i, const char *pid, const char *cid)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__DirQueryRequest	 dq =
	    LIAISON__V1__DIR_QUERY_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	int				 found = 0;

	dq.partner_id = (char *) (uintptr_t) pid;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
	req.dir_query = &dq;
	assert_ok(agent_it_call(e->fx, i, &req, &resp));
	assert_int_equal(resp->code, 0);
	assert_int_equal(resp->dir_query->n_partners, 1);
	for (size_t k = 0; k < resp->dir_query->partners[0]->n_contacts; k++) {
		const Liaison__V1__Contact *c =
		    resp->dir_query->partners[0]->contacts[k];

		if (strcmp(c->contact_id, cid) == 0 && c->is_24x7)
			found = 1;
	}
	lsn_client_response_free(&resp);
	return (found);
}

static void
test_workflow_contact_update_reaches_every_replica(void **state)
{
	struct env	*e = *state;
	char		*out = NULL, *p;
	long long	 rev = 0;
	const char	*a = e->fx->partners[0].id;

	assert_int_equal(agent_it_cli(e->fx, 0, &out, "contact", "set",
	    "--id", "night-desk", "--name", "Synthetic Night Desk",
	    "--phone", "+31000000000", "--24x7", NULL), 0);
	assert_non_null(p = strstr(out, "directory rev "));
	assert_ok(lsn_strtonum(strtok(p + 14, "\n"), 1, 1000000, &rev,
	    NULL));
	free(out);
	out = NULL;
	for (size_t i = 0; i < 4; i++) {
		assert_ok(agent_it_wait_connected(e->fx, i, (uint64_t) rev,
		    T_WAIT_MS));
		assert_true(has_contact(e, i, a, "night-desk"));
	}
	/* just updated: not stale */
	assert_int_equal(agent_it_cli(e->fx, 2, &out, "contact", "stale",
	    "--json", NULL), 0);
	assert_null(strstr(out, "night-desk"));
	free(out);
	out = NULL;
	assert_int_equal(agent_it_cli(e->fx, 0, NULL, "contact", "confirm",
	    "night-desk", NULL), 0);
	assert_int_equal(agent_it_cli(e->fx, 0, &out, "contact", "remove",
	    "night-desk", NULL), 0);
	assert_non_null(p = strstr(out, "directory rev "));
	assert_ok(lsn_strtonum(strtok(p + 14, "\n"), 1, 1000000, &rev,
	    NULL));
	free(out);
	assert_ok(agent_it_wait_connected(e->fx, 3, (uint64_t) rev,
	    T_WAIT_MS));
	assert_false(has_contact(e, 3, a, "night-desk"));
	/* removing a contact that does not exist is refused */
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "contact", "remove",
	    "no-such-contact", NULL), 1);
}

/* verified_at_ms of contact cid of partner pid at agent i (0: none). */
static uint64_t
contact_verified(struct env *e, size_t i, const char *pid, const char *cid)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__DirQueryRequest	 dq =
	    LIAISON__V1__DIR_QUERY_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	uint64_t			 v = 0;

	dq.partner_id = (char *) (uintptr_t) pid;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_QUERY;
	req.dir_query = &dq;
	assert_ok(agent_it_call(e->fx, i, &req, &resp));
	assert_int_equal(resp->code, 0);
	for (size_t k = 0; k < resp->dir_query->partners[0]->n_contacts; k++) {
		const Liaison__V1__Contact *c =
		    resp->dir_query->partners[0]->contacts[k];

		if (strcmp(c->contact_id, cid) == 0)
			v = c->verified_at_ms;
	}
	lsn_client_response_free(&resp);
	return (v);
}

static void
wait_verified(struct env *e, size_t i, const char *pid, const char *cid)
{
	for (int tries = 0; tries < 150; tries++) {
		if (contact_verified(e, i, pid, cid) > 0)
			return;
		lsn_proc_sleep_ms(100);
	}
	fail_msg("contact %s/%s never verified at agent %zu", pid, cid, i);
}

/* Inbox items of type at agent i, from sender (borrowed id). */
static size_t
inbox_of_type(struct env *e, size_t i, int type, const char *sender)
{
	Liaison__V1__ApiResponse	*resp = NULL;
	size_t				 n = 0;

	assert_ok(agent_it_inbox(e->fx, i, 0, &resp));
	for (size_t k = 0; k < resp->inbox_list->n_items; k++)
		n += (int) resp->inbox_list->items[k]->type == type &&
		    strcmp(resp->inbox_list->items[k]->sender, sender) == 0;
	lsn_client_response_free(&resp);
	return (n);
}

static void
test_workflow_contact_liveness_check_and_confirm(void **state)
{
	struct env	*e = *state;
	char		*out = NULL, *p;
	long long	 rev = 0;
	uint64_t	 t0 = lsn_now_ms();
	const char	*b = e->fx->partners[1].id, *c = e->fx->partners[2].id;
	const char	*a = e->fx->partners[0].id;

	/* B and C each publish a 24/7 contact: fresh, not checked */
	assert_int_equal(agent_it_cli(e->fx, 1, NULL, "contact", "set",
	    "--id", "night-desk", "--name", "Synthetic Night Desk",
	    "--phone", "+31000000001", "--24x7", NULL), 0);
	assert_int_equal(agent_it_cli(e->fx, 2, &out, "contact", "set",
	    "--id", "day-desk", "--name", "Synthetic Day Desk",
	    "--email", "day-desk@example.org", NULL), 0);
	assert_non_null(p = strstr(out, "directory rev "));
	assert_ok(lsn_strtonum(strtok(p + 14, "\n"), 1, 1000000, &rev,
	    NULL));
	free(out);
	out = NULL;
	assert_ok(agent_it_wait_connected(e->fx, 0, (uint64_t) rev,
	    T_WAIT_MS));
	assert_int_equal(contact_verified(e, 0, b, "night-desk"), 0);
	assert_int_equal(contact_verified(e, 0, c, "day-desk"), 0);
	/* 181 days later at A: both stale, both checked once */
	set_clock(e, 0, t0 + 181 * 86400000ULL);
	/* B's agent confirms by itself: the directory op sets verified_at
	 * in every replica and A gets the ContactConfirmed */
	wait_verified(e, 0, b, "night-desk");
	assert_ok(agent_it_wait_inbox(e->fx, 0, 1, T_WAIT_MS));
	assert_int_equal(inbox_of_type(e, 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CONFIRMED, b), 1);
	assert_int_equal(inbox_of_type(e, 1,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CHECK, a), 1);
	/* C's check waits for its operator, who confirms */
	assert_ok(agent_it_wait_inbox(e->fx, 2, 1, T_WAIT_MS));
	assert_int_equal(inbox_of_type(e, 2,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CHECK, a), 1);
	assert_int_equal(contact_verified(e, 0, c, "day-desk"), 0);
	assert_int_equal(agent_it_cli(e->fx, 2, NULL, "contact", "confirm",
	    "day-desk", NULL), 0);
	wait_verified(e, 0, c, "day-desk");
	/* within the hour: no second check */
	set_clock(e, 0, t0 + 181 * 86400000ULL + 600000);
	assert_int_equal(inbox_of_type(e, 1,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CHECK, a), 1);
	assert_int_equal(inbox_n(e, 0), 1);
}

static void
test_workflow_alert_ack_and_escalation(void **state)
{
	struct env			*e = *state;
	Liaison__V1__Alert		 al = LIAISON__V1__ALERT__INIT;
	Liaison__V1__AlertAck		 ak = LIAISON__V1__ALERT_ACK__INIT;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*resp = NULL;
	uint8_t				 a1[16], a2[16];
	uint64_t			 t0 = lsn_now_ms();

	set_clock(e, 0, t0);
	lsn_random(a1, sizeof(a1));
	lsn_random(a2, sizeof(a2));
	al.has_alert_id = 1;
	al.alert_id.data = a1;
	al.alert_id.len = 16;
	al.has_kind = 1;
	al.kind = LIAISON__V1__ALERT_KIND__ALERT_THREAT_WARNING;
	al.has_priority = 1;
	al.priority = LIAISON__V1__PRIORITY__PRIORITY_P3;
	al.summary = (char *) (uintptr_t) "synthetic threat warning";
	assert_ok(submit(e, 0, 1, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT,
	    &al.base, LIAISON__V1__TLP__TLP_GREEN, 3, NULL));
	al.alert_id.data = a2;
	assert_ok(submit(e, 0, 2, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT,
	    &al.base, LIAISON__V1__TLP__TLP_GREEN, 3, NULL));
	assert_ok(agent_it_wait_inbox(e->fx, 1, 1, T_WAIT_MS));
	assert_ok(agent_it_wait_inbox(e->fx, 2, 1, T_WAIT_MS));
	/* B acknowledges its alert; acknowledging twice is refused */
	ak.has_alert_id = 1;
	ak.alert_id.data = a1;
	ak.alert_id.len = 16;
	assert_ok(submit(e, 1, 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK, &ak.base,
	    LIAISON__V1__TLP__TLP_GREEN, 0, NULL));
	assert_int_equal(submit(e, 1, 0,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK, &ak.base,
	    LIAISON__V1__TLP__TLP_GREEN, 0, NULL), LSN_ETRANSITION);
	assert_ok(agent_it_wait_inbox(e->fx, 0, 1, T_WAIT_MS));
	/* eight days later (P3: 7 days): only C's alert is escalated */
	set_clock(e, 0, t0 + 8 * 86400000ULL);
	assert_ok(agent_it_wait_inbox(e->fx, 2, 2, T_WAIT_MS));
	wl.kind = (char *) (uintptr_t) "alert";
	wl.has_overdue_only = 1;
	wl.overdue_only = 1;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	assert_ok(agent_it_call(e->fx, 0, &req, &resp));
	assert_int_equal(resp->code, 0);
	assert_int_equal(resp->workflow_list->n_items, 1);
	assert_string_equal(resp->workflow_list->items[0]->peer,
	    e->fx->partners[2].id);
	assert_true(resp->workflow_list->items[0]->escalated);
	lsn_client_response_free(&resp);
	assert_int_equal(inbox_n(e, 1), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_workflow_amber_referral_sealed_from_broker, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow_referral_full_cycle_both_agents_agree, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow_referral_declined, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow_referral_redirect_offers_linked_referral,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow_overdue_p1_referral_escalated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow_meeting_group_rsvps_rollup, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow_cli_referral_reply_list, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow_contact_update_reaches_every_replica, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow_alert_ack_and_escalation, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_workflow_contact_liveness_check_and_confirm,
		    setup_liveness, teardown),
	};

	if (lsn_init() != LSN_OK)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
