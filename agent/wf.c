/*
 * wf.c -- the coordination workflows enforced by the agent, on both
 * sides: the sender's agent checks a submitted referral response or alert
 * acknowledgement against its own tracking table before signing it, the
 * recipient's agent checks a received one against its table and
 * quarantines an illegal one (LSN_ETRANSITION). The rules themselves are
 * lib/workflow.c (lsn_referral_next, deadlines, escalation).
 *
 * Table `tracking` (agent schema v2), one row per (kind, item, peer):
 *   kind      'referral' or 'alert'
 *   item_id   referral_id / alert_id (16 bytes)
 *   peer      the other partner
 *   role      'sender' (we offered / raised it) or 'recipient'
 *   state     enum lsn_referral_state, or enum lsn_alert_state
 *   priority  Priority 1..4
 *   sent_ms   the offer's time (workflow clock at the sender; the
 *             envelope's created_ms at the recipient)
 *   acked_ms  when acknowledged (0: not yet)
 *   deadline  acknowledgement deadline (lsn_ack_deadline)
 *   escalated 1 once the escalation was sent (sender side)
 *
 * Time: the workflow clock a->clock (agent.c): the system clock, or for
 * tests the [agent] test_clock_file. Deadlines are checked on the timer
 * (wf_timers): an overdue P1 referral still OFFERED, or an unacknowledged
 * alert, is escalated once: a P1 Note to the recipient partner naming its
 * 24/7 contacts from the replica, and an operator alert at the sender.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/seal.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agent.h"

#define WF_TICK_MS	200	/* deadline checks (mono ms) */

const char wf_schema_v2[] =
    "CREATE TABLE tracking ("
    " kind TEXT NOT NULL,"
    " item_id BLOB NOT NULL,"
    " peer TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " state INTEGER NOT NULL,"
    " priority INTEGER NOT NULL,"
    " sent_ms INTEGER NOT NULL,"
    " acked_ms INTEGER NOT NULL DEFAULT 0,"
    " deadline INTEGER NOT NULL,"
    " escalated INTEGER NOT NULL DEFAULT 0,"
    " updated_ms INTEGER NOT NULL,"
    " message_id BLOB,"
    " PRIMARY KEY(kind, item_id, peer));";

static const char K_REF[] = "referral";
static const char K_ALERT[] = "alert";
static const char K_REDIRECT[] = "redirect";	/* events only */
/* The status alert of an escalation (kind, item id hex, peer). */
#define ESCALATED_FMT	"%s %s to %s overdue: escalated to its 24/7 contact"

/*
 * The workflow clock: the system clock, unless [agent] test_clock_file is
 * set (a testing aid, documented as such): then the current time is the
 * decimal ms in that file, read on every call; an unreadable or malformed
 * file falls back to the system clock (logged, rate-limited). The file
 * only moves deadlines: envelopes keep the real time (the broker checks
 * their skew).
 */
static uint64_t
wf_clock_now(void *arg)
{
	struct agent	*a = arg;
	uint8_t		*buf = NULL;
	size_t		 len = 0;
	char		 txt[32];
	uint64_t	 v;

	if (a->conf.test_clock_file[0] == '\0')
		return (lsn_now_ms());
	if (lsn_file_read(a->conf.test_clock_file, 64, &buf, &len) !=
	    LSN_OK || len == 0 || len >= sizeof(txt)) {
		free(buf);
		if (lsn_log_ratelimit("testclock", 5))
			log_warnx("test_clock_file unreadable: system clock");
		return (lsn_now_ms());
	}
	memcpy(txt, buf, len);
	txt[len] = '\0';
	free(buf);
	txt[strcspn(txt, "\r\n")] = '\0';
	if (lsn_strtou64(txt, 1, LSN_BODY_TIME_MAX, &v) != LSN_OK) {
		if (lsn_log_ratelimit("testclock", 5))
			log_warnx("test_clock_file malformed: system clock");
		return (lsn_now_ms());
	}
	return (v);
}

void
wf_clock_init(struct agent *a)
{
	a->clock.now_ms = wf_clock_now;
	a->clock.arg = a;
	if (a->conf.test_clock_file[0] != '\0')
		log_warnx("test_clock_file is set: workflow deadlines follow "
		    "%s (testing aid, not for production)",
		    a->conf.test_clock_file);
}

uint64_t
agent_now(struct agent *a)
{
	return (lsn_clock_now(&a->clock));
}

void
wf_deadlines(const struct agent *a, struct lsn_deadlines *d)
{
	lsn_deadlines_default(d);
	d->ack_ms[1] = (uint64_t) a->conf.ack_p1_ms;
	d->ack_ms[2] = (uint64_t) a->conf.ack_p2_ms;
	d->ack_ms[3] = (uint64_t) a->conf.ack_p3_ms;
	d->ack_ms[4] = (uint64_t) a->conf.ack_p4_ms;
}

struct track {
	char		role[16];
	int		state;
	int		priority;
	uint64_t	sent_ms;
	uint64_t	deadline;
};

/* LSN_OK with *t, LSN_ENOENT, LSN_EDB. */
static int
track_get(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, struct track *t)
{
	sqlite3_stmt	*s;
	const char	*role;
	int		 rv, r;

	if ((rv = lsn_store_stmt(a->st, "SELECT role, state, priority, "
	    "sent_ms, deadline FROM tracking WHERE kind = ? AND item_id = ? "
	    "AND peer = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 2, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 3, peer, -1, SQLITE_STATIC) != SQLITE_OK)
		return (LSN_EDB);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		role = (const char *) sqlite3_column_text(s, 0);
		lsn_strlcpy(t->role, role != NULL ? role : "",
		    sizeof(t->role));
		t->state = sqlite3_column_int(s, 1);
		t->priority = sqlite3_column_int(s, 2);
		t->sent_ms = (uint64_t) sqlite3_column_int64(s, 3);
		t->deadline = (uint64_t) sqlite3_column_int64(s, 4);
		rv = LSN_OK;
	} else
		rv = r == SQLITE_DONE ? LSN_ENOENT : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

static int
track_insert(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, const char *role, int state, int priority,
    uint64_t sent_ms, const uint8_t *msgid)
{
	struct lsn_deadlines	 d;
	sqlite3_stmt		*s;
	uint64_t		 deadline;
	int			 rv;

	wf_deadlines(a, &d);
	if ((rv = lsn_ack_deadline(priority, sent_ms, &d, &deadline)) !=
	    LSN_OK)
		return (rv);
	if (deadline > INT64_MAX)
		deadline = INT64_MAX;
	if ((rv = lsn_store_stmt(a->st, "INSERT INTO tracking(kind, item_id,"
	    " peer, role, state, priority, sent_ms, deadline, updated_ms, "
	    "message_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s)) !=
	    LSN_OK)
		return (rv);
	if (sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 2, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 3, peer, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, role, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(s, 5, state) != SQLITE_OK ||
	    sqlite3_bind_int(s, 6, priority) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 7, (sqlite3_int64) sent_ms) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 8, (sqlite3_int64) deadline) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 9, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob(s, 10, msgid, LSN_MSGID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv == LSN_OK)
		rv = agent_event(a, kind, msgid, id, peer, strcmp(kind,
		    K_ALERT) == 0 ? "open" : lsn_referral_state_name(state));
	return (rv);
}

/*
 * Once acknowledged, an item's "overdue: escalated" status alert (escalate)
 * no longer holds: it is removed (issue 17).
 */
static int
escalation_clear(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer)
{
	sqlite3_stmt	*s;
	char		 hex[2 * LSN_BODY_ID_BYTES + 1], text[512];
	int		 rv;

	lsn_hex_encode(id, LSN_BODY_ID_BYTES, hex);
	snprintf(text, sizeof(text), ESCALATED_FMT, kind, hex, peer);
	if ((rv = lsn_store_stmt(a->st, "DELETE FROM alerts WHERE text = ?",
	    &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC) != SQLITE_OK)
		rv = LSN_EDB;
	else
		rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

static int
track_update(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, int state, int acked, uint64_t now,
    const uint8_t *msgid)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "UPDATE tracking SET state = ?, "
	    "acked_ms = CASE WHEN ? AND acked_ms = 0 THEN ? ELSE acked_ms "
	    "END, updated_ms = ? WHERE kind = ? AND item_id = ? AND peer = ?",
	    &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_int(s, 1, state) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, acked) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, (sqlite3_int64) now) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 5, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 6, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 7, peer, -1, SQLITE_STATIC) != SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	if (rv == LSN_OK && acked)
		rv = escalation_clear(a, kind, id, peer);
	if (rv == LSN_OK)
		rv = agent_event(a, kind, msgid, id, peer, strcmp(kind,
		    K_ALERT) == 0 ? (state == LSN_ALERT_ACKED ?
		    "acknowledged" : "open") : lsn_referral_state_name(state));
	return (rv);
}

/* ---- redirect ---- */

/* The redirect whose linked offer is being submitted (redirect_offer);
 * NULL otherwise. The agent is single-threaded. */
struct redirecting {
	const uint8_t	*rid;
	const char	*to;
};
static const struct redirecting	*redirecting;

/*
 * The original handoff of referral rid that we received from peer (the
 * tracking row's message): *envp (lsn_envelope_free) and the plaintext
 * body *bodyp (free) as stored in the inbox. LSN_ENOENT if it is gone.
 */
static int
orig_handoff(struct agent *a, const uint8_t *rid, const char *peer,
    Liaison__V1__Envelope **envp, uint8_t **bodyp, size_t *lenp)
{
	Liaison__V1__SignedEnvelope	*se = NULL;
	Liaison__V1__Envelope		*env = NULL;
	sqlite3_stmt			*s;
	uint8_t				*body = NULL;
	size_t				 n;
	int				 rv, r;

	if ((rv = lsn_store_stmt(a->st, "SELECT i.signed, i.body FROM "
	    "tracking t JOIN inbox i ON i.message_id = t.message_id WHERE "
	    "t.kind = 'referral' AND t.item_id = ? AND t.peer = ? AND "
	    "t.role = 'recipient' AND i.sender = t.peer", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, rid, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 2, peer, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_reset(s);
		return (r == SQLITE_DONE ? LSN_ENOENT : LSN_EDB);
	}
	rv = LSN_EDB;
	if ((se = liaison__v1__signed_envelope__unpack(NULL,
	    (size_t) sqlite3_column_bytes(s, 0), sqlite3_column_blob(s, 0))) ==
	    NULL || !se->has_envelope ||
	    (env = liaison__v1__envelope__unpack(NULL, se->envelope.len,
	    se->envelope.data)) == NULL ||
	    (n = (size_t) sqlite3_column_bytes(s, 1)) == 0)
		goto out;
	if ((body = malloc(n)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	memcpy(body, sqlite3_column_blob(s, 1), n);
	*envp = env;
	env = NULL;
	*bodyp = body;
	*lenp = n;
	rv = LSN_OK;
 out:
	sqlite3_reset(s);
	if (env != NULL)
		liaison__v1__envelope__free_unpacked(env, NULL);
	if (se != NULL)
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	return (rv);
}

/*
 * A REDIRECT response we send to peer (the sender of referral
 * rr->referral_id) creates the linked referral to rr->redirect_to
 * (DOMAIN.md): the original handoff's body as we received it, with the
 * derived id (lsn_referral_redirect_id), redirected_from = the original
 * id, our case reference (rr->recipient_case_ref) as the sender's, the
 * original markings and priority. Handing the content to a third partner
 * is a forward, so the forwarding policy applies (never TLP RED, AMBER+
 * STRICT stays in the organisation, H2 needs the provider's permission).
 * apply 0 checks only; apply 1 submits it through the outbox inside the
 * caller's transaction (savepoint), so the response and the new offer
 * are stored together or not at all.
 */
static int
redirect_offer(struct agent *a, const Liaison__V1__ReferralResponse *rr,
    const char *peer, int apply, char *detail, size_t detailsz)
{
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Envelope		*env = NULL;
	Liaison__V1__ReferralHandoff	*h = NULL;
	Liaison__V1__Partner		*p = NULL;
	const char			*to = rr->redirect_to, *reason = NULL;
	const char *const		 tov[1] = { rr->redirect_to };
	uint8_t				*body = NULL, *nb = NULL;
	uint8_t				 nid[LSN_BODY_ID_BYTES];
	uint8_t				 msgid[LSN_MSGID_BYTES];
	char				 ndetail[AGENT_DETAIL_MAX];
	struct redirecting		 cur;
	ProtobufCBinaryData		 o_rid = { 0, NULL }, o_from = { 0, NULL };
	protobuf_c_boolean		 o_has_from = 0;
	char				*o_scr = NULL, *o_rcr = NULL;
	size_t				 len = 0, nlen = 0;
	int				 swapped = 0;
	int				 rv, in_tx;

	if (to == NULL || !lsn_slug_valid(to) ||
	    strcmp(to, a->conf.partner) == 0 || strcmp(to, peer) == 0) {
		snprintf(detail, detailsz, "redirect_to must name a third "
		    "partner (not us, not the referral's sender)");
		return (LSN_EINVAL);
	}
	rv = lsn_dir_partner_get(a->dir, to, &p);
	lsn_dir_partner_free(&p);
	if (rv != LSN_OK) {
		snprintf(detail, detailsz, "redirect_to %s: %s", to,
		    rv == LSN_ENOENT ? "no such partner" : lsn_strerror(rv));
		return (rv == LSN_ENOENT ? LSN_EUNKNOWNRCPT : rv);
	}
	if ((rv = orig_handoff(a, rr->referral_id.data, peer, &env, &body,
	    &len)) != LSN_OK) {
		if (rv == LSN_ENOENT) {
			snprintf(detail, detailsz, "the original handoff of "
			    "this referral is no longer in the inbox");
			rv = LSN_ETRANSITION;
		}
		goto out;
	}
	if ((rv = lsn_forward_check(env, a->conf.partner, tov, 1, 0,
	    &reason)) != LSN_OK) {
		snprintf(detail, detailsz, "redirect not permitted by the "
		    "provider's markings: %s", reason != NULL ? reason : "?");
		goto out;
	}
	if ((rv = lsn_referral_redirect_id(rr->referral_id.data, to, nid)) !=
	    LSN_OK)
		goto out;
	if (!apply) {
		rv = LSN_OK;
		goto out;
	}
	if ((h = liaison__v1__referral_handoff__unpack(NULL, len, body)) ==
	    NULL) {
		rv = LSN_EPROTO;
		goto out;
	}
	/* the unpacked fields are put back before it is freed */
	o_rid = h->referral_id;
	o_from = h->redirected_from;
	o_has_from = h->has_redirected_from;
	o_scr = h->sender_case_ref;
	o_rcr = h->recipient_case_ref;
	swapped = 1;
	h->referral_id.data = nid;
	h->referral_id.len = sizeof(nid);
	h->has_redirected_from = 1;
	h->redirected_from = rr->referral_id;
	h->sender_case_ref = rr->recipient_case_ref;
	h->recipient_case_ref = NULL;
	if (h->has_response_deadline_ms &&
	    h->response_deadline_ms <= lsn_now_ms())
		h->has_response_deadline_ms = 0;
	nlen = liaison__v1__referral_handoff__get_packed_size(h);
	if ((nb = malloc(nlen ? nlen : 1)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	liaison__v1__referral_handoff__pack(h, nb);
	r.n_to = 1;
	r.to = (char **) (uintptr_t) tov;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF;
	r.has_body = 1;
	r.body.data = nb;
	r.body.len = nlen;
	r.handling = env->handling;
	r.has_priority = env->has_priority;
	r.priority = env->priority;
	r.case_ref = rr->recipient_case_ref;
	/*
	 * The caller's submit holds the transaction: the nested submit
	 * must use a savepoint in it (in_tx), and its Publish is sent
	 * after the COMMIT (or by the next resend pass).
	 */
	in_tx = a->in_tx;
	a->in_tx = 1;
	ndetail[0] = '\0';
	cur.rid = rr->referral_id.data;
	cur.to = to;
	redirecting = &cur;
	rv = outbox_submit(a, &r, msgid, ndetail, sizeof(ndetail));
	redirecting = NULL;
	a->in_tx = in_tx;
	if (rv != LSN_OK) {
		snprintf(detail, detailsz, "redirect to %s: %s", to,
		    ndetail[0] != '\0' ? ndetail : lsn_strerror(rv));
		goto out;
	}
	if (!in_tx && !a->ob_pass)
		outbox_start_pass(a);
	log_info("referral redirected to %s as a new linked referral", to);
	rv = LSN_OK;
 out:
	if (h != NULL) {
		if (swapped) {
			h->referral_id = o_rid;
			h->redirected_from = o_from;
			h->has_redirected_from = o_has_from;
			h->sender_case_ref = o_scr;
			h->recipient_case_ref = o_rcr;
		}
		liaison__v1__referral_handoff__free_unpacked(h, NULL);
	}
	if (body != NULL) {
		sodium_memzero(body, len);
		free(body);
	}
	if (nb != NULL) {
		sodium_memzero(nb, nlen);
		free(nb);
	}
	lsn_envelope_free(&env);
	return (rv);
}

/*
 * A handoff carrying redirected_from (we send it: only as the linked
 * offer of our own redirect; we receive it: from the redirecting
 * partner). Its id must be lsn_referral_redirect_id(redirected_from,
 * recipient), so it is bound to the original referral and to us; at the
 * sender it is only the linked offer redirect_offer is submitting; at the
 * recipient the redirector must not be a partner we
 * share the original referral with (a referral is not redirected back
 * into its own exchange), and only one linked referral per (redirector,
 * original) is taken.
 */
static int
redirect_check(struct agent *a, const Liaison__V1__ReferralHandoff *h,
    const char *peer, int sending, char *detail, size_t detailsz)
{
	struct track	 t;
	sqlite3_stmt	*s;
	uint8_t		 want[LSN_BODY_ID_BYTES];
	const char	*me = sending ? peer : a->conf.partner;
	int		 rv, r;

	if (h->redirected_from.len != LSN_BODY_ID_BYTES ||
	    memcmp(h->redirected_from.data, h->referral_id.data,
	    LSN_BODY_ID_BYTES) == 0 ||
	    lsn_referral_redirect_id(h->redirected_from.data, me, want) !=
	    LSN_OK ||
	    memcmp(want, h->referral_id.data, LSN_BODY_ID_BYTES) != 0) {
		snprintf(detail, detailsz, "redirected referral: its id is "
		    "not the one derived from redirected_from and %s", me);
		return (LSN_ETRANSITION);
	}
	if (sending) {
		/* only the agent's own linked offer (redirect_offer) */
		if (redirecting == NULL || strcmp(redirecting->to, peer) != 0 ||
		    memcmp(redirecting->rid, h->redirected_from.data,
		    LSN_BODY_ID_BYTES) != 0) {
			snprintf(detail, detailsz, "redirected_from is set by "
			    "the agent when redirecting (reply ... redirect)");
			return (LSN_ETRANSITION);
		}
		return (LSN_OK);
	}
	rv = track_get(a, K_REF, h->redirected_from.data, peer, &t);
	if (rv == LSN_OK) {
		snprintf(detail, detailsz, "%s redirects to us a referral "
		    "it shares with us", peer);
		return (LSN_ETRANSITION);
	}
	if (rv != LSN_ENOENT)
		return (rv);
	if ((rv = lsn_store_stmt(a->st, "SELECT 1 FROM events WHERE kind = "
	    "'redirect' AND item_id = ? AND peer = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, h->redirected_from.data,
	    LSN_BODY_ID_BYTES, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, peer, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	r = sqlite3_step(s);
	sqlite3_reset(s);
	if (r == SQLITE_ROW) {
		snprintf(detail, detailsz, "%s already redirected this "
		    "referral to us", peer);
		return (LSN_ETRANSITION);
	}
	return (r == SQLITE_DONE ? LSN_OK : LSN_EDB);
}

/*
 * One step of a workflow exchange between us and peer. sending: we are
 * the author of the message. Checks (apply 0) or checks and records
 * (apply 1). detail gets the reason of a refusal.
 */
static int
wf_step(struct agent *a, int type, const uint8_t *body, size_t len,
    const char *peer, int sending, const uint8_t *msgid, uint64_t sent_ms,
    int apply, char *detail, size_t detailsz)
{
	Liaison__V1__ReferralHandoff	*h = NULL;
	Liaison__V1__ReferralResponse	*rr = NULL;
	Liaison__V1__Alert		*al = NULL;
	Liaison__V1__AlertAck		*ak = NULL;
	enum lsn_referral_state		 next;
	struct track			 t;
	const char			*role = sending ? "sender" :
					    "recipient";
	int				 rv, actor_is_sender;

	switch (type) {
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF:
		if ((h = liaison__v1__referral_handoff__unpack(NULL, len,
		    body)) == NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		rv = track_get(a, K_REF, h->referral_id.data, peer, &t);
		if (rv == LSN_OK) {
			snprintf(detail, detailsz, "referral id already used "
			    "with %s", peer);
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv != LSN_ENOENT)
			goto out;
		if (h->has_redirected_from && (rv = redirect_check(a, h, peer,
		    sending, detail, detailsz)) != LSN_OK)
			goto out;
		rv = apply ? track_insert(a, K_REF, h->referral_id.data, peer,
		    role, LSN_REF_OFFERED, (int) h->priority, sent_ms, msgid) :
		    LSN_OK;
		if (rv == LSN_OK && apply && h->has_redirected_from)
			rv = agent_event(a, K_REDIRECT, msgid,
			    h->redirected_from.data, peer, sending ?
			    "redirected-to" : "redirected-from");
		break;
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE:
		if ((rr = liaison__v1__referral_response__unpack(NULL, len,
		    body)) == NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		rv = track_get(a, K_REF, rr->referral_id.data, peer, &t);
		if (rv == LSN_ENOENT) {
			snprintf(detail, detailsz, "no referral with this id "
			    "between us and %s", peer);
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv != LSN_OK)
			goto out;
		/* the actor is the author of the response */
		actor_is_sender = sending ? strcmp(t.role, "sender") == 0 :
		    strcmp(t.role, "recipient") == 0;
		if ((rv = lsn_referral_next((enum lsn_referral_state) t.state,
		    (int) rr->action, actor_is_sender, &next)) != LSN_OK) {
			snprintf(detail, detailsz, "referral %s: %s by the %s "
			    "is not allowed", lsn_referral_state_name(t.state),
			    lsn_referral_action_name((int) rr->action),
			    actor_is_sender ? "sender" : "recipient");
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rr->action ==
		    LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT && sending &&
		    (rv = redirect_offer(a, rr, peer, 0, detail, detailsz)) !=
		    LSN_OK)
			goto out;
		if (!apply)
			break;
		if ((rv = track_update(a, K_REF, rr->referral_id.data, peer,
		    (int) next, rr->action ==
		    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK, agent_now(a),
		    msgid)) != LSN_OK)
			goto out;
		/* the linked new referral, in the same transaction */
		if (rr->action ==
		    LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT)
			rv = sending ? redirect_offer(a, rr, peer, 1, detail,
			    detailsz) : agent_event(a, K_REDIRECT, msgid,
			    rr->referral_id.data, rr->redirect_to,
			    "redirected-to");
		break;
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT:
		if ((al = liaison__v1__alert__unpack(NULL, len, body)) ==
		    NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		rv = track_get(a, K_ALERT, al->alert_id.data, peer, &t);
		if (rv == LSN_OK) {
			snprintf(detail, detailsz, "alert id already used "
			    "with %s", peer);
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv != LSN_ENOENT)
			goto out;
		rv = apply ? track_insert(a, K_ALERT, al->alert_id.data, peer,
		    role, LSN_ALERT_OPEN, (int) al->priority, sent_ms,
		    msgid) : LSN_OK;
		break;
	case LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK:
		if ((ak = liaison__v1__alert_ack__unpack(NULL, len, body)) ==
		    NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		rv = track_get(a, K_ALERT, ak->alert_id.data, peer, &t);
		if (rv == LSN_OK && (t.state != LSN_ALERT_OPEN ||
		    strcmp(t.role, sending ? "recipient" : "sender") != 0)) {
			snprintf(detail, detailsz, "alert already "
			    "acknowledged, or not ours to acknowledge");
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv == LSN_ENOENT) {
			snprintf(detail, detailsz, "no alert with this id "
			    "between us and %s", peer);
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv != LSN_OK)
			goto out;
		rv = apply ? track_update(a, K_ALERT, ak->alert_id.data, peer,
		    LSN_ALERT_ACKED, 1, agent_now(a), msgid) : LSN_OK;
		break;
	default:
		rv = LSN_OK;
		break;
	}
 out:
	if (h != NULL)
		liaison__v1__referral_handoff__free_unpacked(h, NULL);
	if (rr != NULL)
		liaison__v1__referral_response__free_unpacked(rr, NULL);
	if (al != NULL)
		liaison__v1__alert__free_unpacked(al, NULL);
	if (ak != NULL)
		liaison__v1__alert_ack__free_unpacked(ak, NULL);
	if (rv == LSN_EPROTO)
		snprintf(detail, detailsz, "body does not unpack");
	return (rv);
}

static int	wf_meeting(struct agent *a, int type, const uint8_t *body,
		    size_t len, const char *peer,
		    const struct agent_idset *rcpts, int sending, int apply,
		    char *detail, size_t detailsz);

static int
meeting_type(int type)
{
	return (type ==
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE ||
	    type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE);
}

/* 1 for the types whose messages are tracked per peer. */
static int
tracked_type(int type)
{
	return (type ==
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF ||
	    type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE ||
	    type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT ||
	    type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK);
}

/*
 * Before a submitted message is signed: responses and acknowledgements
 * go to exactly one partner (the other side of the referral or alert),
 * and each step must be legal for each peer. With apply, records it
 * (called after the outbox insert, inside the same transaction).
 * rcpts are the expanded partner ids (groups expanded locally).
 */
int
wf_on_submit(struct agent *a, const Liaison__V1__SubmitRequest *r,
    const struct agent_idset *rcpts, const uint8_t msgid[LSN_MSGID_BYTES],
    int apply, char *detail, size_t detailsz)
{
	uint64_t	now = agent_now(a);
	int		type = (int) r->type, rv;

	if (!tracked_type(type) && !meeting_type(type))
		return (LSN_OK);
	if ((type ==
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE ||
	    type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE ||
	    type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK) &&
	    (r->n_to != 1 || r->n_to_groups != 0)) {
		snprintf(detail, detailsz, "a %s goes to exactly one partner "
		    "(no groups)", lsn_envelope_type_name(type));
		return (LSN_EINVAL);
	}
	if (meeting_type(type))
		return (wf_meeting(a, type, r->body.data, r->body.len,
		    r->n_to == 1 ? r->to[0] : "", rcpts, 1, apply, detail,
		    detailsz));
	for (size_t i = 0; i < rcpts->n; i++) {
		if (strcmp(rcpts->ids[i], a->conf.partner) == 0)
			continue;
		if ((rv = wf_step(a, type, r->body.data, r->body.len,
		    rcpts->ids[i], 1, msgid, now, apply, detail,
		    detailsz)) != LSN_OK)
			return (rv);
	}
	return (LSN_OK);
}

/* ---- contact liveness ---- */

/*
 * With [agent] contact_check_ms > 0 the agent checks, every that long
 * (workflow clock), the contacts of the other ACTIVE partners in its
 * replica: one that is stale (lsn_contact_stale with contact_max_age_ms)
 * and was not checked within the period gets a ContactCheck
 * {contact_id, check_id} addressed to its partner. The check is kept in
 * the state table, key "contact_check/<partner>/<contact>", value
 * "<sent ms> <check_id> <answered 0|1>".
 *
 * The partner's agent shows the check in its inbox. The operator answers
 * with `liaison contact confirm ID` (a ConfirmContact op through the
 * broker: verified_at is set in every replica); with contact_auto_confirm
 * = 1 the agent answers itself (at most once an hour per contact): it
 * signs the ConfirmContact op, submits it to the broker and answers the
 * checker with ContactConfirmed {contact_id, check_id, signed_dir_op}.
 * The checker accepts a ContactConfirmed only for a check it sent to
 * that partner, carrying that partner's own ConfirmContact op of that
 * contact, and marks the check answered.
 */
#define CC_PER_ROUND	64			/* checks sent per round */
#define CC_AUTO_MIN_MS	(3600ULL * 1000)	/* auto-confirm rate */

struct cc_due {
	char	partner[LSN_DIR_ID_MAX + 1];
	char	contact[LSN_DIR_ID_MAX + 1];
};

struct cc_ctx {
	struct agent	*a;
	uint64_t	 now;
	struct cc_due	 due[CC_PER_ROUND];
	size_t		 n;
	int		 rv;
};

static int
cc_key(char *buf, size_t sz, const char *partner, const char *cid)
{
	int	n = snprintf(buf, sz, "contact_check/%s/%s", partner, cid);

	return (n < 0 || (size_t) n >= sz ? LSN_ETOOBIG : LSN_OK);
}

/* The check of (partner, cid) we sent: LSN_OK, LSN_ENOENT, LSN_EDB. */
static int
cc_get(struct agent *a, const char *partner, const char *cid,
    uint64_t *sent, uint64_t *id, int *answered)
{
	char			key[2 * LSN_DIR_ID_MAX + 32], val[64];
	unsigned long long	s1, s2;
	int			rv, ans;

	if ((rv = cc_key(key, sizeof(key), partner, cid)) != LSN_OK ||
	    (rv = agent_state_get(a, key, val, sizeof(val))) != LSN_OK)
		return (rv);
	if (sscanf(val, "%llu %llu %d", &s1, &s2, &ans) != 3)
		return (LSN_ENOENT);
	*sent = s1;
	*id = s2;
	*answered = ans != 0;
	return (LSN_OK);
}

static int
cc_put(struct agent *a, const char *partner, const char *cid, uint64_t sent,
    uint64_t id, int answered)
{
	char	key[2 * LSN_DIR_ID_MAX + 32], val[64];
	int	rv;

	if ((rv = cc_key(key, sizeof(key), partner, cid)) != LSN_OK)
		return (rv);
	snprintf(val, sizeof(val), "%llu %llu %d", (unsigned long long) sent,
	    (unsigned long long) id, answered != 0);
	return (agent_state_set(a, key, val));
}

static int
cc_partner(void *arg, const Liaison__V1__Partner *p)
{
	struct cc_ctx	*x = arg;
	struct agent	*a = x->a;
	uint64_t	 sent, id;
	int		 answered, rv;

	if (p->id == NULL || strcmp(p->id, a->conf.partner) == 0 ||
	    !p->has_status ||
	    p->status != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)
		return (0);
	for (size_t i = 0; i < p->n_contacts; i++) {
		const Liaison__V1__Contact *c = p->contacts[i];

		if (x->n >= CC_PER_ROUND)
			return (1);
		if (c->contact_id == NULL || !lsn_contact_stale(
		    c->verified_at_ms, c->updated_ms, x->now,
		    (uint64_t) a->conf.contact_max_age_ms))
			continue;
		rv = cc_get(a, p->id, c->contact_id, &sent, &id, &answered);
		if (rv == LSN_OK && sent <= x->now && x->now - sent <
		    (uint64_t) a->conf.contact_check_ms)
			continue;	/* checked within the period */
		if (rv != LSN_OK && rv != LSN_ENOENT) {
			x->rv = rv;
			return (1);
		}
		lsn_strlcpy(x->due[x->n].partner, p->id,
		    sizeof(x->due[0].partner));
		lsn_strlcpy(x->due[x->n].contact, c->contact_id,
		    sizeof(x->due[0].contact));
		x->n++;
	}
	return (0);
}

static int
cc_send(struct agent *a, const char *partner, const char *cid, uint64_t now)
{
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__ContactCheck	 cc = LIAISON__V1__CONTACT_CHECK__INIT;
	char				 detail[AGENT_DETAIL_MAX], v[32];
	char				*to[1];
	uint8_t				 buf[256], msgid[LSN_MSGID_BYTES];
	uint64_t			 id = 0;
	int				 rv;

	rv = agent_state_get(a, "contact_check_seq", v, sizeof(v));
	if (rv == LSN_OK && lsn_strtou64(v, 0, UINT64_MAX - 1, &id) != LSN_OK)
		id = 0;
	else if (rv != LSN_OK && rv != LSN_ENOENT)
		return (rv);
	id++;
	snprintf(v, sizeof(v), "%llu", (unsigned long long) id);
	if ((rv = agent_state_set(a, "contact_check_seq", v)) != LSN_OK)
		return (rv);
	cc.contact_id = (char *) (uintptr_t) cid;
	cc.has_check_id = 1;
	cc.check_id = id;
	if (liaison__v1__contact_check__get_packed_size(&cc) > sizeof(buf))
		return (LSN_ETOOBIG);
	r.body.len = liaison__v1__contact_check__pack(&cc, buf);
	r.body.data = buf;
	r.has_body = 1;
	to[0] = (char *) (uintptr_t) partner;
	r.n_to = 1;
	r.to = to;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CHECK;
	detail[0] = '\0';
	if ((rv = outbox_submit(a, &r, msgid, detail, sizeof(detail))) !=
	    LSN_OK) {
		log_warnx("contact check of %s/%s not sent: %s: %s", partner,
		    cid, lsn_strerror(rv), detail);
		return (rv);
	}
	if ((rv = cc_put(a, partner, cid, now, id, 0)) != LSN_OK)
		return (rv);
	return (agent_event(a, "contact", msgid, NULL, partner,
	    "check-sent"));
}

/* One round of liveness checks (timer, outside the turn transaction). */
static void
cc_round(struct agent *a, uint64_t now)
{
	struct cc_ctx	*x;
	int		 rv;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return;
	x->a = a;
	x->now = now;
	x->rv = LSN_OK;
	rv = lsn_dir_list(a->dir, NULL, cc_partner, x);
	if (rv < 0 || x->rv != LSN_OK)
		log_warnx("contact checks: %s", lsn_strerror(rv < 0 ? rv :
		    x->rv));
	for (size_t i = 0; i < x->n; i++)
		if (cc_send(a, x->due[i].partner, x->due[i].contact, now) !=
		    LSN_OK)
			break;
	if (x->n > 0)
		log_info("contact liveness: %zu check(s) sent", x->n);
	free(x);
}

/*
 * Our own answer to a check of our contact cid (contact_auto_confirm):
 * the self-signed ConfirmContact op, submitted to the broker, and the
 * ContactConfirmed to the checker. Inside the delivery's transaction.
 */
static int
cc_auto_confirm(struct agent *a, const char *checker, const char *cid,
    uint64_t check_id, const Liaison__V1__Partner *me)
{
	Liaison__V1__DirOp		 op = LIAISON__V1__DIR_OP__INIT;
	Liaison__V1__ConfirmContact	 cc =
	    LIAISON__V1__CONFIRM_CONTACT__INIT;
	Liaison__V1__ContactConfirmed	 ok =
	    LIAISON__V1__CONTACT_CONFIRMED__INIT;
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Frame		 f = LIAISON__V1__FRAME__INIT;
	Liaison__V1__DirSubmit		 ds = LIAISON__V1__DIR_SUBMIT__INIT;
	char				 why[AGENT_DETAIL_MAX], key[96];
	char				 v[32], *to[1];
	uint8_t				*raw = NULL, *sig = NULL, *body = NULL;
	uint8_t				 rid[16], msgid[LSN_MSGID_BYTES];
	size_t				 rawlen, siglen = 0, blen;
	uint64_t			 last, now = lsn_now_ms();
	int				 rv;

	snprintf(key, sizeof(key), "contact_autoconfirm/%s", cid);
	rv = agent_state_get(a, key, v, sizeof(v));
	if (rv == LSN_OK && lsn_strtou64(v, 0, UINT64_MAX, &last) == LSN_OK &&
	    last <= now && now - last < CC_AUTO_MIN_MS) {
		log_info("contact check of %s by %s: confirmed within the "
		    "hour, left to the operator", cid, checker);
		return (LSN_OK);
	}
	if (rv != LSN_OK && rv != LSN_ENOENT)
		return (rv);
	op.author = a->conf.partner;
	op.has_expected_version = 1;
	op.expected_version = me->has_version ? me->version : 0;
	cc.partner_id = a->conf.partner;
	cc.contact_id = (char *) (uintptr_t) cid;
	cc.has_verified_at_ms = 1;
	cc.verified_at_ms = now;
	op.action_case = LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT;
	op.confirm_contact = &cc;
	why[0] = '\0';
	if ((rv = lsn_dirop_new(&op, &raw, &rawlen, why, sizeof(why))) !=
	    LSN_OK ||
	    (rv = lsn_dirop_sign(raw, rawlen, a->sign_kp, &sig, &siglen)) !=
	    LSN_OK) {
		log_warnx("contact %s: cannot build the confirmation: %s %s",
		    cid, lsn_strerror(rv), why);
		goto out;
	}
	/* to the broker (its DirSubmitAck matches no API caller) */
	if (a->connected && (ds.op = liaison__v1__signed_dir_op__unpack(NULL,
	    siglen, sig)) != NULL) {
		lsn_random(rid, sizeof(rid));
		ds.has_request_id = 1;
		ds.request_id.data = rid;
		ds.request_id.len = sizeof(rid);
		f.kind_case = LIAISON__V1__FRAME__KIND_DIR_SUBMIT;
		f.dir_submit = &ds;
		if (link_send(a, &f) != LSN_OK)
			log_warnx("contact %s: confirmation not sent to the "
			    "broker", cid);
		liaison__v1__signed_dir_op__free_unpacked(ds.op, NULL);
	}
	ok.contact_id = (char *) (uintptr_t) cid;
	ok.has_check_id = 1;
	ok.check_id = check_id;
	ok.has_signed_dir_op = 1;
	ok.signed_dir_op.data = sig;
	ok.signed_dir_op.len = siglen;
	blen = liaison__v1__contact_confirmed__get_packed_size(&ok);
	if ((body = malloc(blen ? blen : 1)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	liaison__v1__contact_confirmed__pack(&ok, body);
	to[0] = (char *) (uintptr_t) checker;
	r.n_to = 1;
	r.to = to;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CONFIRMED;
	r.has_body = 1;
	r.body.data = body;
	r.body.len = blen;
	why[0] = '\0';
	if ((rv = outbox_submit(a, &r, msgid, why, sizeof(why))) != LSN_OK) {
		log_warnx("contact %s: ContactConfirmed to %s not queued: "
		    "%s: %s", cid, checker, lsn_strerror(rv), why);
		goto out;
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long) now);
	if ((rv = agent_state_set(a, key, v)) != LSN_OK)
		goto out;
	log_info("contact check of %s by %s: confirmed", cid, checker);
	rv = agent_event(a, "contact", msgid, NULL, checker,
	    "confirmed-sent");
 out:
	free(raw);
	free(sig);
	free(body);
	return (rv);
}

/*
 * A received ContactCheck (for one of our contacts) or ContactConfirmed
 * (the answer to one of our checks). Refusals (quarantine): LSN_EINVAL,
 * LSN_ETRANSITION, LSN_EPROTO.
 */
static int
cc_on_receive(struct agent *a, const Liaison__V1__Envelope *e,
    const uint8_t *body, size_t len, char *detail, size_t detailsz)
{
	Liaison__V1__ContactCheck	*ck = NULL;
	Liaison__V1__ContactConfirmed	*cf = NULL;
	Liaison__V1__Partner		*me = NULL;
	Liaison__V1__DirOp		*op = NULL;
	uint64_t			 sent, id;
	int				 rv, answered, found = 0;

	if (e->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CHECK) {
		if ((ck = liaison__v1__contact_check__unpack(NULL, len,
		    body)) == NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		if ((rv = lsn_dir_partner_get(a->dir, a->conf.partner, &me)) !=
		    LSN_OK && rv != LSN_ENOENT)
			goto out;
		for (size_t i = 0; me != NULL && i < me->n_contacts; i++)
			if (me->contacts[i]->contact_id != NULL &&
			    strcmp(me->contacts[i]->contact_id,
			    ck->contact_id) == 0)
				found = 1;
		if (!found) {
			snprintf(detail, detailsz, "contact check by %s for "
			    "%s, which is not one of our contacts", e->sender,
			    ck->contact_id);
			rv = LSN_EINVAL;
			goto out;
		}
		if ((rv = agent_event(a, "contact", e->message_id.data, NULL,
		    e->sender, "check-received")) != LSN_OK)
			goto out;
		rv = a->conf.contact_auto_confirm ? cc_auto_confirm(a,
		    e->sender, ck->contact_id, ck->check_id, me) : LSN_OK;
		/* a failed answer leaves the check to the operator */
		if (rv != LSN_OK && rv != LSN_EDB && rv != LSN_ENOMEM)
			rv = LSN_OK;
		goto out;
	}
	if ((cf = liaison__v1__contact_confirmed__unpack(NULL, len, body)) ==
	    NULL) {
		rv = LSN_EPROTO;
		goto out;
	}
	rv = cc_get(a, e->sender, cf->contact_id, &sent, &id, &answered);
	if (rv == LSN_ENOENT || (rv == LSN_OK && (id != cf->check_id ||
	    answered))) {
		snprintf(detail, detailsz, "no open contact check %llu of "
		    "ours for %s/%s", (unsigned long long) cf->check_id,
		    e->sender, cf->contact_id);
		rv = LSN_ETRANSITION;
		goto out;
	}
	if (rv != LSN_OK)
		goto out;
	if (lsn_dirop_parse(cf->signed_dir_op.data, cf->signed_dir_op.len,
	    NULL, &op) != LSN_OK || op->action_case !=
	    LIAISON__V1__DIR_OP__ACTION_CONFIRM_CONTACT ||
	    op->author == NULL || strcmp(op->author, e->sender) != 0 ||
	    op->confirm_contact->partner_id == NULL ||
	    strcmp(op->confirm_contact->partner_id, e->sender) != 0 ||
	    op->confirm_contact->contact_id == NULL ||
	    strcmp(op->confirm_contact->contact_id, cf->contact_id) != 0) {
		snprintf(detail, detailsz, "contact confirmation from %s "
		    "does not carry its ConfirmContact op of %s", e->sender,
		    cf->contact_id);
		rv = LSN_EINVAL;
		goto out;
	}
	if ((rv = cc_put(a, e->sender, cf->contact_id, sent, id, 1)) !=
	    LSN_OK)
		goto out;
	rv = agent_event(a, "contact", e->message_id.data, NULL, e->sender,
	    "confirmed");
 out:
	if (ck != NULL)
		liaison__v1__contact_check__free_unpacked(ck, NULL);
	if (cf != NULL)
		liaison__v1__contact_confirmed__free_unpacked(cf, NULL);
	if (op != NULL)
		liaison__v1__dir_op__free_unpacked(op, NULL);
	lsn_dir_partner_free(&me);
	if (rv == LSN_EPROTO)
		snprintf(detail, detailsz, "body does not unpack");
	return (rv);
}

/*
 * A verified, unsealed, validated delivery not seen before: checks and
 * records its workflow step. A refusal (LSN_ETRANSITION, LSN_EPROTO) sends
 * it to quarantine; LSN_EDB / LSN_ENOMEM are local.
 */
int
wf_on_receive(struct agent *a, const Liaison__V1__Envelope *e,
    const uint8_t *signed_env, size_t signed_len, const uint8_t *body,
    size_t len, char *detail, size_t detailsz)
{
	int	type = e->has_type ? (int) e->type : 0, rv;

	(void) signed_env;
	(void) signed_len;
	if (type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CHECK ||
	    type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_CONTACT_CONFIRMED)
		return (cc_on_receive(a, e, body, len, detail, detailsz));
	if (meeting_type(type)) {
		if ((rv = wf_meeting(a, type, body, len, e->sender, NULL, 0,
		    0, detail, detailsz)) != LSN_OK)
			return (rv);
		return (wf_meeting(a, type, body, len, e->sender, NULL, 0, 1,
		    detail, detailsz));
	}
	if (!tracked_type(type))
		return (LSN_OK);
	if ((rv = wf_step(a, type, body, len, e->sender, 0,
	    e->message_id.data, e->created_ms, 0, detail, detailsz)) !=
	    LSN_OK)
		return (rv);
	return (wf_step(a, type, body, len, e->sender, 0, e->message_id.data,
	    e->created_ms, 1, detail, detailsz));
}

/* ---- deadlines and escalation ---- */

struct esc_ctx {
	char	text[1024];
	size_t	n;
	size_t	count;
};

static int
esc_contact(void *arg, const Liaison__V1__Contact *c)
{
	struct esc_ctx	*x = arg;
	int		 n;

	if (x->n >= sizeof(x->text) - 1)
		return (0);
	n = snprintf(x->text + x->n, sizeof(x->text) - x->n, "%s%s%s%s%s%s",
	    x->count ? "; " : "", c->name != NULL ? c->name : "?",
	    c->phone != NULL ? ", phone " : "",
	    c->phone != NULL ? c->phone : "",
	    c->email != NULL ? ", " : "", c->email != NULL ? c->email : "");
	if (n > 0)
		x->n += (size_t) n < sizeof(x->text) - x->n ? (size_t) n :
		    sizeof(x->text) - x->n - 1;
	x->count++;
	return (0);
}

static int
mark_escalated(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "UPDATE tracking SET escalated = 1 "
	    "WHERE kind = ? AND item_id = ? AND peer = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 2, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 3, peer, -1, SQLITE_STATIC) != SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

/* Sends the escalation note for one overdue item to peer. */
static int
escalate(struct agent *a, const char *kind, const uint8_t *id,
    const char *peer, int priority)
{
	Liaison__V1__SubmitRequest	 r = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	struct esc_ctx			 x;
	char				 hex[2 * LSN_BODY_ID_BYTES + 1];
	char				 text[LSN_BODY_TEXT_MAX];
	char				 detail[AGENT_DETAIL_MAX];
	char				*to[1];
	uint8_t				*buf = NULL, msgid[LSN_MSGID_BYTES];
	size_t				 len;
	int				 rv;

	memset(&x, 0, sizeof(x));
	lsn_hex_encode(id, LSN_BODY_ID_BYTES, hex);
	rv = lsn_dir_contacts_24x7(a->dir, peer, esc_contact, &x);
	if (rv != LSN_OK && rv != LSN_ENOENT)
		return (rv);
	snprintf(text, sizeof(text), "ESCALATION: %.16s %s (P%d) from %.64s "
	    "is not acknowledged within its deadline. 24/7 contact of %.64s: "
	    "%.1023s.",
	    kind, hex, priority, a->conf.partner, peer,
	    x.count ? x.text : "none listed in the directory");
	note.text = text;
	len = liaison__v1__note__get_packed_size(&note);
	if ((buf = malloc(len)) == NULL)
		return (LSN_ENOMEM);
	liaison__v1__note__pack(&note, buf);
	to[0] = (char *) (uintptr_t) peer;
	r.n_to = 1;
	r.to = to;
	r.has_type = 1;
	r.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	r.has_body = 1;
	r.body.data = buf;
	r.body.len = len;
	r.has_priority = 1;
	r.priority = LIAISON__V1__PRIORITY__PRIORITY_P1;
	detail[0] = '\0';
	rv = outbox_submit(a, &r, msgid, detail, sizeof(detail));
	free(buf);
	if (rv != LSN_OK) {
		log_warnx("escalation of %s %s to %s not sent: %s: %s", kind,
		    hex, peer, lsn_strerror(rv), detail);
		return (rv);
	}
	if ((rv = mark_escalated(a, kind, id, peer)) != LSN_OK)
		return (rv);
	(void) agent_alert(a, ESCALATED_FMT, kind, hex, peer);
	ametrics_escalation(a, kind);
	(void) notify_escalation(a, kind, id, peer, priority,
	    x.count ? x.text : "");
	log_info("%s %s to %s overdue: escalation sent", kind, hex, peer);
	return (LSN_OK);
}

struct due {
	char		kind[16];
	uint8_t		id[LSN_BODY_ID_BYTES];
	char		peer[LSN_DIR_ID_MAX + 1];
	int		priority;
};
#define WF_DUE_MAX	32	/* escalations per tick */

void
wf_timers(struct agent *a, uint64_t mono)
{
	struct lsn_deadlines	 d;
	struct due		 due[WF_DUE_MAX];
	sqlite3_stmt		*s;
	uint64_t		 now;
	size_t			 n = 0;
	const char		*k, *p;
	int			 r;

	if (mono < a->wf_next_tick || a->in_tx)
		return;
	a->wf_next_tick = mono + WF_TICK_MS;
	now = agent_now(a);
	if (a->conf.contact_check_ms > 0 && now >= a->wf_cc_next) {
		a->wf_cc_next = now + (uint64_t) a->conf.contact_check_ms;
		cc_round(a, now);
	}
	wf_deadlines(a, &d);
	if (lsn_store_stmt(a->st, "SELECT kind, item_id, peer, priority, "
	    "state, sent_ms FROM tracking WHERE role = 'sender' AND "
	    "escalated = 0 AND acked_ms = 0 AND state = 1 AND deadline < ? AND "
	    "(kind = 'alert' OR priority = 1) LIMIT 256",
	    &s) != LSN_OK)
		return;
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64) (now > INT64_MAX ?
	    INT64_MAX : now)) != SQLITE_OK) {
		sqlite3_reset(s);
		return;
	}
	while (n < WF_DUE_MAX && (r = sqlite3_step(s)) == SQLITE_ROW) {
		enum lsn_esc_kind ek;

		k = (const char *) sqlite3_column_text(s, 0);
		p = (const char *) sqlite3_column_text(s, 2);
		if (k == NULL || p == NULL ||
		    sqlite3_column_bytes(s, 1) != LSN_BODY_ID_BYTES)
			continue;
		ek = strcmp(k, K_REF) == 0 ? LSN_ESC_REFERRAL : LSN_ESC_ALERT;
		if (lsn_escalation_due(ek, sqlite3_column_int(s, 3),
		    sqlite3_column_int(s, 4),
		    (uint64_t) sqlite3_column_int64(s, 5), now, &d) != 1)
			continue;
		lsn_strlcpy(due[n].kind, k, sizeof(due[n].kind));
		memcpy(due[n].id, sqlite3_column_blob(s, 1),
		    LSN_BODY_ID_BYTES);
		lsn_strlcpy(due[n].peer, p, sizeof(due[n].peer));
		due[n].priority = sqlite3_column_int(s, 3);
		n++;
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < n; i++)
		if (escalate(a, due[i].kind, due[i].id, due[i].peer,
		    due[i].priority) != LSN_OK)
			break;
}

/* ---- queries (local API) ---- */

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

/* ---- meetings ---- */

const char wf_schema_v3[] =
    "CREATE TABLE meetings ("
    " meeting_id BLOB NOT NULL,"
    " organiser TEXT NOT NULL,"
    " role TEXT NOT NULL,"		/* 'organiser' or 'invitee' */
    " version INTEGER NOT NULL,"
    " status INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY(meeting_id, organiser));"
    "CREATE TABLE meeting_invitees ("
    " meeting_id BLOB NOT NULL,"
    " partner TEXT NOT NULL,"
    " PRIMARY KEY(meeting_id, partner));"
    "CREATE TABLE rsvps ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " meeting_id BLOB NOT NULL,"
    " partner TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " answer INTEGER NOT NULL,"
    " time_ms INTEGER NOT NULL);"
    "CREATE INDEX rsvps_meeting ON rsvps(meeting_id, id);";

/* The latest notice (a MeetingNotice body, as the agent already stores
 * received bodies), so the organiser can cancel by id (issue 17). */
const char wf_schema_v4[] =
    "ALTER TABLE meetings ADD COLUMN notice BLOB;";

/* Records an RSVP of partner (received, or our own when sending). */
static int
rsvp_insert(struct agent *a, const Liaison__V1__MeetingResponse *r,
    const char *partner)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "INSERT INTO rsvps(meeting_id, "
	    "partner, version, answer, time_ms) VALUES(?, ?, ?, ?, ?)",
	    &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, r->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, partner, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, r->version) != SQLITE_OK ||
	    sqlite3_bind_int(s, 4, (int) r->answer) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK)
		rv = LSN_EDB;
	else
		rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

struct meeting {
	char		role[16];
	uint32_t	version;
	int		status;
};

static int
meeting_get(struct agent *a, const uint8_t *id, const char *organiser,
    struct meeting *m)
{
	sqlite3_stmt	*s;
	const char	*role;
	int		 rv, r;

	if ((rv = lsn_store_stmt(a->st, "SELECT role, version, status FROM "
	    "meetings WHERE meeting_id = ? AND organiser = ?", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 2, organiser, -1, SQLITE_STATIC) !=
	    SQLITE_OK)
		return (LSN_EDB);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		role = (const char *) sqlite3_column_text(s, 0);
		lsn_strlcpy(m->role, role != NULL ? role : "",
		    sizeof(m->role));
		m->version = (uint32_t) sqlite3_column_int64(s, 1);
		m->status = sqlite3_column_int(s, 2);
		rv = LSN_OK;
	} else
		rv = r == SQLITE_DONE ? LSN_ENOENT : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

static int
meeting_put(struct agent *a, const Liaison__V1__MeetingNotice *n,
    const char *role, const uint8_t *body, size_t len)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, "INSERT INTO meetings(meeting_id, "
	    "organiser, role, version, status, start_ms, updated_ms, notice) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(meeting_id, organiser) "
	    "DO UPDATE SET version = excluded.version, status = "
	    "excluded.status, start_ms = excluded.start_ms, updated_ms = "
	    "excluded.updated_ms, notice = excluded.notice", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, n->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, n->organiser_partner, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, n->version) != SQLITE_OK ||
	    sqlite3_bind_int(s, 5, (int) n->status) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, (sqlite3_int64) n->start_ms) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(s, 7, (sqlite3_int64) lsn_now_ms()) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob(s, 8, body, (int) len, SQLITE_STATIC) !=
	    SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s) == SQLITE_DONE ? LSN_OK : LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

static int
exec_id_text(struct agent *a, const char *sql, const uint8_t *id,
    const char *txt)
{
	sqlite3_stmt	*s;
	int		 rv;

	if ((rv = lsn_store_stmt(a->st, sql, &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, id, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(s, 2, txt, -1, SQLITE_STATIC) != SQLITE_OK)
		return (LSN_EDB);
	rv = sqlite3_step(s);
	sqlite3_reset(s);
	return (rv == SQLITE_DONE ? LSN_OK : rv == SQLITE_ROW ? 1 : LSN_EDB);
}

/*
 * A meeting notice or RSVP we send (sending) or receive. Rules: the
 * organiser sends notices about its own meetings only; version 1 creates,
 * every update or cancellation is the stored version + 1 and nothing
 * follows a cancellation; invitees (expanded recipients at send time, and
 * those added by updates) answer a version they have seen, to the
 * organiser only; the organiser accepts RSVPs from invitees only.
 */
static int
wf_meeting(struct agent *a, int type, const uint8_t *body, size_t len,
    const char *peer, const struct agent_idset *rcpts, int sending,
    int apply, char *detail, size_t detailsz)
{
	Liaison__V1__MeetingNotice	*n = NULL;
	Liaison__V1__MeetingResponse	*r = NULL;
	struct meeting			 m;
	const char			*org;
	int				 rv;

	if (type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE) {
		if ((n = liaison__v1__meeting_notice__unpack(NULL, len,
		    body)) == NULL) {
			rv = LSN_EPROTO;
			goto out;
		}
		org = sending ? a->conf.partner : peer;
		if (strcmp(n->organiser_partner, org) != 0) {
			snprintf(detail, detailsz, "meeting notice from %s "
			    "names organiser %s", org, n->organiser_partner);
			rv = LSN_EINVAL;
			goto out;
		}
		rv = meeting_get(a, n->meeting_id.data, org, &m);
		if (rv == LSN_OK && (m.status ==
		    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED ||
		    (sending && n->version != m.version + 1) ||
		    (!sending && n->version <= m.version))) {
			snprintf(detail, detailsz, "meeting version %u after "
			    "version %u%s", n->version, m.version, m.status ==
			    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED ?
			    " (cancelled)" : "");
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv == LSN_ENOENT && sending && n->version != 1) {
			snprintf(detail, detailsz, "a new meeting starts at "
			    "version 1");
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv != LSN_OK && rv != LSN_ENOENT)
			goto out;
		rv = LSN_OK;
		if (!apply)
			goto out;
		if ((rv = meeting_put(a, n, sending ? "organiser" :
		    "invitee", body, len)) != LSN_OK ||
		    (rv = agent_event(a, "meeting", NULL, n->meeting_id.data,
		    org, n->status ==
		    LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED ?
		    "cancelled" : "scheduled")) != LSN_OK)
			goto out;
		for (size_t i = 0; sending && i < rcpts->n; i++) {
			if (strcmp(rcpts->ids[i], a->conf.partner) == 0)
				continue;
			if ((rv = exec_id_text(a, "INSERT OR IGNORE INTO "
			    "meeting_invitees(meeting_id, partner) VALUES(?, "
			    "?)", n->meeting_id.data, rcpts->ids[i])) !=
			    LSN_OK)
				goto out;
		}
		goto out;
	}
	if ((r = liaison__v1__meeting_response__unpack(NULL, len, body)) ==
	    NULL) {
		rv = LSN_EPROTO;
		goto out;
	}
	/* the organiser is the recipient when sending, the sender else */
	org = sending ? peer : a->conf.partner;
	rv = meeting_get(a, r->meeting_id.data, org, &m);
	if (rv == LSN_ENOENT || (rv == LSN_OK && (strcmp(m.role, sending ?
	    "invitee" : "organiser") != 0 || r->version > m.version ||
	    m.status == LIAISON__V1__MEETING_STATUS__MEETING_CANCELLED))) {
		snprintf(detail, detailsz, "no such meeting of %s, version "
		    "not yet announced, or cancelled", org);
		rv = LSN_ETRANSITION;
		goto out;
	}
	if (rv != LSN_OK)
		goto out;
	if (sending && apply) {
		/* our own answer, shown to us by meeting show / list */
		rv = rsvp_insert(a, r, a->conf.partner);
		goto out;
	}
	if (!sending) {
		rv = exec_id_text(a, "SELECT 1 FROM meeting_invitees WHERE "
		    "meeting_id = ? AND partner = ?", r->meeting_id.data,
		    peer);
		if (rv == LSN_OK) {
			snprintf(detail, detailsz, "%s is not invited",
			    peer);
			rv = LSN_ETRANSITION;
			goto out;
		}
		if (rv != 1)
			goto out;
		rv = LSN_OK;
		if (!apply)
			goto out;
		rv = rsvp_insert(a, r, peer);
		if (rv == LSN_OK)
			rv = agent_event(a, "rsvp", NULL, r->meeting_id.data,
			    peer, r->answer ==
			    LIAISON__V1__RSVP_ANSWER__RSVP_ATTENDING ?
			    "attending" : r->answer ==
			    LIAISON__V1__RSVP_ANSWER__RSVP_TENTATIVE ?
			    "tentative" : "not-attending");
	}
 out:
	if (n != NULL)
		liaison__v1__meeting_notice__free_unpacked(n, NULL);
	if (r != NULL)
		liaison__v1__meeting_response__free_unpacked(r, NULL);
	if (rv == LSN_EPROTO)
		snprintf(detail, detailsz, "body does not unpack");
	return (rv);
}

static void
rollup_free(Liaison__V1__MeetingShowResponse *m)
{
	for (size_t i = 0; i < m->n_entries; i++) {
		if (m->entries[i] == NULL)
			continue;
		free(m->entries[i]->partner);
		free(m->entries[i]);
	}
	free(m->entries);
	free(m->organiser);
	free(m->role);
	free(m->meeting_id.data);
	free(m->notice.data);
	memset(m, 0, sizeof(*m));
	liaison__v1__meeting_show_response__init(m);
}

/* Invitee side: our latest RSVP into out->my_answer / my_version. */
static int
my_rsvp(struct agent *a, const uint8_t *mid,
    Liaison__V1__MeetingShowResponse *out)
{
	sqlite3_stmt	*s;
	int		 rv, r;

	if ((rv = lsn_store_stmt(a->st, "SELECT answer, version FROM rsvps "
	    "WHERE meeting_id = ? AND partner = ? ORDER BY id DESC LIMIT 1",
	    &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, mid, LSN_BODY_ID_BYTES, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(s, 2, a->conf.partner, -1,
	    SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		out->has_my_answer = 1;
		out->my_answer = sqlite3_column_int(s, 0);
		out->has_my_version = 1;
		out->my_version = (uint32_t) sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return (r == SQLITE_ROW || r == SQLITE_DONE ? LSN_OK : LSN_EDB);
}

void
wf_meeting_show_free(Liaison__V1__MeetingShowResponse *m)
{
	rollup_free(m);
}

/*
 * The roll-up of one of our meetings (organiser side), or the state of a
 * meeting we were invited to. LSN_ENOENT, LSN_EINVAL, LSN_EDB, LSN_ENOMEM.
 */
int
wf_meeting_show(struct agent *a, const Liaison__V1__MeetingShowRequest *q,
    Liaison__V1__MeetingShowResponse *out)
{
	struct lsn_rollup_counts	 c;
	struct lsn_rollup_entry		*ent = NULL;
	struct lsn_rsvp			*rs = NULL;
	char				**inv = NULL, **rp = NULL;
	size_t				 ninv = 0, nrs = 0, cap;
	sqlite3_stmt			*s;
	const char			*t;
	uint32_t			 version = 0;
	uint8_t				*notice = NULL;
	size_t				 nlen = 0;
	int				 rv, r, status = 0;
	char				 org[LSN_DIR_ID_MAX + 1];
	char				 role[16];

	if (!q->has_meeting_id || q->meeting_id.len != LSN_BODY_ID_BYTES)
		return (LSN_EINVAL);
	if ((rv = lsn_store_stmt(a->st, "SELECT organiser, role, version, "
	    "status, notice FROM meetings WHERE meeting_id = ? ORDER BY role = "
	    "'organiser' DESC LIMIT 1", &s)) != LSN_OK)
		return (rv);
	if (sqlite3_bind_blob(s, 1, q->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_reset(s);
		return (LSN_EDB);
	}
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		t = (const char *) sqlite3_column_text(s, 0);
		lsn_strlcpy(org, t != NULL ? t : "", sizeof(org));
		t = (const char *) sqlite3_column_text(s, 1);
		lsn_strlcpy(role, t != NULL ? t : "", sizeof(role));
		version = (uint32_t) sqlite3_column_int64(s, 2);
		status = sqlite3_column_int(s, 3);
		nlen = (size_t) sqlite3_column_bytes(s, 4);
		if (nlen > 0 && nlen <= LSN_BODY_MAX &&
		    (notice = malloc(nlen)) != NULL)
			memcpy(notice, sqlite3_column_blob(s, 4), nlen);
		else
			nlen = 0;
	}
	sqlite3_reset(s);
	if (r != SQLITE_ROW)
		return (r == SQLITE_DONE ? LSN_ENOENT : LSN_EDB);
	rv = LSN_ENOMEM;
	liaison__v1__meeting_show_response__init(out);
	if (notice != NULL) {
		out->has_notice = 1;
		out->notice.data = notice;
		out->notice.len = nlen;
	}
	if ((out->organiser = strdup(org)) == NULL ||
	    (out->role = strdup(role)) == NULL ||
	    (out->meeting_id.data = malloc(LSN_BODY_ID_BYTES)) == NULL)
		goto out;
	memcpy(out->meeting_id.data, q->meeting_id.data, LSN_BODY_ID_BYTES);
	out->meeting_id.len = LSN_BODY_ID_BYTES;
	out->has_meeting_id = 1;
	out->has_version = 1;
	out->version = version;
	out->has_status = 1;
	out->status = status;
	if (strcmp(role, "organiser") != 0) {
		rv = my_rsvp(a, q->meeting_id.data, out);
		goto out;
	}
	/* invitees */
	if ((rv = lsn_store_stmt(a->st, "SELECT partner FROM "
	    "meeting_invitees WHERE meeting_id = ? ORDER BY partner", &s)) !=
	    LSN_OK)
		goto out;
	cap = 0;
	if (sqlite3_bind_blob(s, 1, q->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK)
		rv = LSN_EDB;
	while (rv == LSN_OK && (r = sqlite3_step(s)) == SQLITE_ROW &&
	    ninv < LSN_SEAL_KEYS_MAX) {
		void *p;

		if ((t = (const char *) sqlite3_column_text(s, 0)) == NULL)
			continue;
		if (ninv == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(inv, cap, sizeof(*inv))) ==
			    NULL) {
				rv = LSN_ENOMEM;
				break;
			}
			inv = p;
		}
		if ((inv[ninv] = strdup(t)) == NULL) {
			rv = LSN_ENOMEM;
			break;
		}
		ninv++;
	}
	sqlite3_reset(s);
	if (rv != LSN_OK)
		goto out;
	/* RSVPs in arrival order */
	if ((rv = lsn_store_stmt(a->st, "SELECT partner, version, answer, "
	    "time_ms FROM rsvps WHERE meeting_id = ? ORDER BY id LIMIT 100000",
	    &s)) != LSN_OK)
		goto out;
	cap = 0;
	if (sqlite3_bind_blob(s, 1, q->meeting_id.data, LSN_BODY_ID_BYTES,
	    SQLITE_STATIC) != SQLITE_OK)
		rv = LSN_EDB;
	while (rv == LSN_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		void *p, *p2;

		if ((t = (const char *) sqlite3_column_text(s, 0)) == NULL)
			continue;
		if (nrs == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(rs, cap, sizeof(*rs))) == NULL) {
				rv = LSN_ENOMEM;
				break;
			}
			rs = p;
			if ((p2 = reallocarray(rp, cap, sizeof(*rp))) ==
			    NULL) {
				rv = LSN_ENOMEM;
				break;
			}
			rp = p2;
		}
		if ((rp[nrs] = strdup(t)) == NULL) {
			rv = LSN_ENOMEM;
			break;
		}
		rs[nrs].partner = rp[nrs];
		rs[nrs].version = (uint32_t) sqlite3_column_int64(s, 1);
		rs[nrs].answer = sqlite3_column_int(s, 2);
		rs[nrs].time_ms = (uint64_t) sqlite3_column_int64(s, 3);
		nrs++;
	}
	sqlite3_reset(s);
	if (rv != LSN_OK)
		goto out;
	if (ninv == 0) {
		rv = LSN_OK;
		goto out;
	}
	if ((ent = calloc(ninv, sizeof(*ent))) == NULL ||
	    (out->entries = calloc(ninv, sizeof(*out->entries))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if ((rv = lsn_meeting_rollup((const char *const *) inv, ninv, rs, nrs,
	    version ? version : 1, ent, &c)) != LSN_OK)
		goto out;
	for (size_t i = 0; i < ninv; i++) {
		Liaison__V1__RsvpEntry *e;

		if ((e = calloc(1, sizeof(*e))) == NULL) {
			rv = LSN_ENOMEM;
			goto out;
		}
		liaison__v1__rsvp_entry__init(e);
		out->entries[out->n_entries++] = e;
		if ((e->partner = strdup(ent[i].partner)) == NULL) {
			rv = LSN_ENOMEM;
			goto out;
		}
		e->has_answer = ent[i].answer != 0;
		e->answer = ent[i].answer;
		e->has_version = 1;
		e->version = ent[i].version;
		e->has_time_ms = 1;
		e->time_ms = ent[i].time_ms;
		e->has_stale = 1;
		e->stale = ent[i].stale;
	}
	out->has_attending = out->has_not_attending = out->has_tentative = 1;
	out->has_stale = out->has_no_answer = 1;
	out->attending = c.attending;
	out->not_attending = c.not_attending;
	out->tentative = c.tentative;
	out->stale = c.stale;
	out->no_answer = c.no_answer;
	rv = LSN_OK;
 out:
	for (size_t i = 0; i < ninv; i++)
		free(inv[i]);
	free(inv);
	for (size_t i = 0; i < nrs; i++)
		free(rp[i]);
	free(rp);
	free(rs);
	free(ent);
	if (rv != LSN_OK)
		rollup_free(out);
	return (rv);
}

/* ---- events ---- */

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
