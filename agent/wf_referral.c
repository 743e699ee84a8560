/*
 * wf_referral.c -- referral handoffs and responses (ops in wf_int.h):
 * the offer creates a tracking row on both sides; each response must be
 * a legal transition (lsn_referral_next) for its author; a REDIRECT
 * creates the linked referral to the third partner.
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
#include "wf_int.h"


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


/* A handoff: a new referral between us and st->peer. */
static int
handoff_step(struct wf_step *st)
{
	Liaison__V1__ReferralHandoff	*h;
	struct track			 t;
	int				 rv;

	if ((h = liaison__v1__referral_handoff__unpack(NULL, st->len,
	    st->body)) == NULL) {
		snprintf(st->detail, st->detailsz, "body does not unpack");
		return (LSN_EPROTO);
	}
	rv = track_get(st->a, K_REF, h->referral_id.data, st->peer, &t);
	if (rv == LSN_OK) {
		snprintf(st->detail, st->detailsz, "referral id already used "
		    "with %s", st->peer);
		rv = LSN_ETRANSITION;
		goto out;
	}
	if (rv != LSN_ENOENT)
		goto out;
	if (h->has_redirected_from && (rv = redirect_check(st->a, h,
	    st->peer, st->sending, st->detail, st->detailsz)) != LSN_OK)
		goto out;
	rv = st->apply ? track_insert(st->a, K_REF, h->referral_id.data,
	    st->peer, st->sending ? "sender" : "recipient", LSN_REF_OFFERED,
	    (int) h->priority, st->sent_ms, st->msgid) : LSN_OK;
	if (rv == LSN_OK && st->apply && h->has_redirected_from)
		rv = agent_event(st->a, K_REDIRECT, st->msgid,
		    h->redirected_from.data, st->peer, st->sending ?
		    "redirected-to" : "redirected-from");
 out:
	liaison__v1__referral_handoff__free_unpacked(h, NULL);
	return (rv);
}

/* A response: one transition of the referral, by its author. */
static int
response_step(struct wf_step *st)
{
	Liaison__V1__ReferralResponse	*rr;
	enum lsn_referral_state		 next;
	struct track			 t;
	int				 rv, actor_is_sender;

	if ((rr = liaison__v1__referral_response__unpack(NULL, st->len,
	    st->body)) == NULL) {
		snprintf(st->detail, st->detailsz, "body does not unpack");
		return (LSN_EPROTO);
	}
	rv = track_get(st->a, K_REF, rr->referral_id.data, st->peer, &t);
	if (rv == LSN_ENOENT) {
		snprintf(st->detail, st->detailsz, "no referral with this id "
		    "between us and %s", st->peer);
		rv = LSN_ETRANSITION;
		goto out;
	}
	if (rv != LSN_OK)
		goto out;
	/* the actor is the author of the response */
	actor_is_sender = st->sending ? strcmp(t.role, "sender") == 0 :
	    strcmp(t.role, "recipient") == 0;
	if ((rv = lsn_referral_next((enum lsn_referral_state) t.state,
	    (int) rr->action, actor_is_sender, &next)) != LSN_OK) {
		snprintf(st->detail, st->detailsz, "referral %s: %s by the %s "
		    "is not allowed", lsn_referral_state_name(t.state),
		    lsn_referral_action_name((int) rr->action),
		    actor_is_sender ? "sender" : "recipient");
		rv = LSN_ETRANSITION;
		goto out;
	}
	if (rr->action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT &&
	    st->sending && (rv = redirect_offer(st->a, rr, st->peer, 0,
	    st->detail, st->detailsz)) != LSN_OK)
		goto out;
	if (!st->apply)
		goto out;
	if ((rv = track_update(st->a, K_REF, rr->referral_id.data, st->peer,
	    (int) next, rr->action ==
	    LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK, agent_now(st->a),
	    st->msgid)) != LSN_OK)
		goto out;
	/* the linked new referral, in the same transaction */
	if (rr->action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT)
		rv = st->sending ? redirect_offer(st->a, rr, st->peer, 1,
		    st->detail, st->detailsz) : agent_event(st->a, K_REDIRECT,
		    st->msgid, rr->referral_id.data, rr->redirect_to,
		    "redirected-to");
 out:
	liaison__v1__referral_response__free_unpacked(rr, NULL);
	return (rv);
}

const struct wf_ops wf_referral_handoff_ops = {
	LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF, 1, 0,
	handoff_step, handoff_step
};

const struct wf_ops wf_referral_response_ops = {
	LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE, 1, 1,
	response_step, response_step
};
