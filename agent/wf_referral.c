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
#include "astore.h"
#include "wf_int.h"


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
	uint8_t				*sbuf = NULL, *body = NULL;
	size_t				 slen, n;
	int				 rv;

	if ((rv = astore_referral_received(a, rid, peer, &sbuf, &slen, &body,
	    &n)) != LSN_OK)
		return (rv);
	rv = LSN_EDB;
	if ((se = liaison__v1__signed_envelope__unpack(NULL, slen, sbuf)) ==
	    NULL || !se->has_envelope ||
	    (env = liaison__v1__envelope__unpack(NULL, se->envelope.len,
	    se->envelope.data)) == NULL || n == 0)
		goto out;
	*envp = env;
	env = NULL;
	*bodyp = body;
	body = NULL;
	*lenp = n;
	rv = LSN_OK;
 out:
	if (body != NULL) {
		sodium_memzero(body, n);
		free(body);
	}
	free(sbuf);
	if (env != NULL)
		liaison__v1__envelope__free_unpacked(env, NULL);
	if (se != NULL)
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	return (rv);
}

/*
 * The linked offer of a REDIRECT (redirect_offer): the original handoff
 * body (len bytes) with the derived id nid, redirected_from = the
 * original id, our case reference as the sender's; appended to st->fu
 * with the original envelope *envp (taken: its markings and priority).
 */
static int
linked_offer(struct wf_step *st, const Liaison__V1__ReferralResponse *rr,
    Liaison__V1__Envelope **envp, const uint8_t *body, size_t len,
    const uint8_t nid[LSN_BODY_ID_BYTES])
{
	Liaison__V1__SubmitRequest	 r0 = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__ReferralHandoff	*h, o;
	struct wf_followup		*f;
	uint8_t				*nb = NULL;
	char				*cr = NULL;
	size_t				 nlen;

	if (st->fu == NULL || st->fu->n >= WF_FOLLOWUPS_MAX) {
		snprintf(st->detail, st->detailsz, "internal: no room for "
		    "the linked offer");
		return (LSN_EINTERNAL);
	}
	if ((h = liaison__v1__referral_handoff__unpack(NULL, len, body)) ==
	    NULL)
		return (LSN_EPROTO);
	o = *h;		/* the unpacked fields are put back before free */
	h->referral_id.data = (uint8_t *) (uintptr_t) nid;
	h->referral_id.len = LSN_BODY_ID_BYTES;
	h->has_redirected_from = 1;
	h->redirected_from = rr->referral_id;
	h->sender_case_ref = rr->recipient_case_ref;
	h->recipient_case_ref = NULL;
	if (h->has_response_deadline_ms &&
	    h->response_deadline_ms <= lsn_now_ms())
		h->has_response_deadline_ms = 0;
	nlen = liaison__v1__referral_handoff__get_packed_size(h);
	if ((nb = malloc(nlen ? nlen : 1)) != NULL)
		liaison__v1__referral_handoff__pack(h, nb);
	*h = o;
	liaison__v1__referral_handoff__free_unpacked(h, NULL);
	if (nb == NULL || (rr->recipient_case_ref != NULL &&
	    (cr = strdup(rr->recipient_case_ref)) == NULL)) {
		if (nb != NULL)
			sodium_memzero(nb, nlen);
		free(nb);
		return (LSN_ENOMEM);
	}
	f = &st->fu->v[st->fu->n++];
	memset(f, 0, sizeof(*f));
	memcpy(f->link.rid, rr->referral_id.data, LSN_BODY_ID_BYTES);
	lsn_strlcpy(f->link.to, rr->redirect_to, sizeof(f->link.to));
	f->to[0] = f->link.to;
	f->body = nb;
	f->len = nlen;
	f->case_ref = cr;
	f->orig = *envp;
	*envp = NULL;
	f->req = r0;
	f->req.n_to = 1;
	f->req.to = f->to;
	f->req.has_type = 1;
	f->req.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF;
	f->req.has_body = 1;
	f->req.body.data = nb;
	f->req.body.len = nlen;
	f->req.handling = f->orig->handling;
	f->req.has_priority = f->orig->has_priority;
	f->req.priority = f->orig->priority;
	f->req.case_ref = cr;
	snprintf(f->what, sizeof(f->what), "redirect to %s", rr->redirect_to);
	snprintf(f->done, sizeof(f->done), "referral redirected to %s as a "
	    "new linked referral", rr->redirect_to);
	return (LSN_OK);
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
 * apply 0 checks only; apply 1 makes the linked offer a follow-up of the
 * response (st->fu): outbox_submit_tx composes and stores it after the
 * response, in the same savepoint, so the response and the new offer
 * are stored together or not at all.
 */
static int
redirect_offer(struct wf_step *st, const Liaison__V1__ReferralResponse *rr,
    int apply)
{
	struct agent			*a = st->a;
	Liaison__V1__Envelope		*env = NULL;
	Liaison__V1__Partner		*p = NULL;
	const char			*to = rr->redirect_to, *reason = NULL;
	const char *const		 tov[1] = { rr->redirect_to };
	uint8_t				*body = NULL;
	uint8_t				 nid[LSN_BODY_ID_BYTES];
	size_t				 len = 0;
	int				 rv;

	if (to == NULL || !lsn_slug_valid(to) ||
	    strcmp(to, a->conf.partner) == 0 || strcmp(to, st->peer) == 0) {
		snprintf(st->detail, st->detailsz, "redirect_to must name a "
		    "third partner (not us, not the referral's sender)");
		return (LSN_EINVAL);
	}
	rv = lsn_dir_partner_get(a->dir, to, &p);
	lsn_dir_partner_free(&p);
	if (rv != LSN_OK) {
		snprintf(st->detail, st->detailsz, "redirect_to %s: %s", to,
		    rv == LSN_ENOENT ? "no such partner" : lsn_strerror(rv));
		return (rv == LSN_ENOENT ? LSN_EUNKNOWNRCPT : rv);
	}
	if ((rv = orig_handoff(a, rr->referral_id.data, st->peer, &env,
	    &body, &len)) != LSN_OK) {
		if (rv == LSN_ENOENT) {
			snprintf(st->detail, st->detailsz, "the original "
			    "handoff of this referral is no longer in the "
			    "inbox");
			rv = LSN_ETRANSITION;
		}
		goto out;
	}
	if ((rv = lsn_forward_check(env, a->conf.partner, tov, 1, 0,
	    &reason)) != LSN_OK) {
		snprintf(st->detail, st->detailsz, "redirect not permitted by "
		    "the provider's markings: %s", reason != NULL ? reason :
		    "?");
		goto out;
	}
	if ((rv = lsn_referral_redirect_id(rr->referral_id.data, to, nid)) !=
	    LSN_OK || !apply)
		goto out;
	rv = linked_offer(st, rr, &env, body, len, nid);
 out:
	if (body != NULL) {
		sodium_memzero(body, len);
		free(body);
	}
	lsn_envelope_free(&env);
	return (rv);
}

/*
 * A handoff carrying redirected_from (we send it: only as the linked
 * offer of our own redirect; we receive it: from the redirecting
 * partner). Its id must be lsn_referral_redirect_id(redirected_from,
 * recipient), so it is bound to the original referral and to us; at the
 * sender it is only the linked offer of our own redirect (linked: the
 * follow-up redirect_offer made, passed down by outbox_submit_tx); at
 * the recipient the redirector must not be a partner we share the
 * original referral with (a referral is not redirected back into its own
 * exchange), and only one linked referral per (redirector, original) is
 * taken.
 */
static int
redirect_check(struct agent *a, const Liaison__V1__ReferralHandoff *h,
    const char *peer, int sending, const struct wf_link *linked,
    char *detail, size_t detailsz)
{
	struct track	 t;
	uint8_t		 want[LSN_BODY_ID_BYTES];
	const char	*me = sending ? peer : a->conf.partner;
	int		 rv, found;

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
		if (linked == NULL || strcmp(linked->to, peer) != 0 ||
		    memcmp(linked->rid, h->redirected_from.data,
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
	if ((rv = astore_event_exists(a, K_REDIRECT, h->redirected_from.data,
	    peer, &found)) != LSN_OK)
		return (rv);
	if (found) {
		snprintf(detail, detailsz, "%s already redirected this "
		    "referral to us", peer);
		return (LSN_ETRANSITION);
	}
	return (LSN_OK);
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
	    st->peer, st->sending, st->linked, st->detail,
	    st->detailsz)) != LSN_OK)
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
	    st->sending && (rv = redirect_offer(st, rr, 0)) != LSN_OK)
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
		rv = st->sending ? redirect_offer(st, rr, 1) :
		    agent_event(st->a, K_REDIRECT,
		    st->msgid, rr->referral_id.data, rr->redirect_to,
		    "redirected-to");
 out:
	liaison__v1__referral_response__free_unpacked(rr, NULL);
	return (rv);
}

/* A receipt for our offer: one its recipient cannot open escalates (a
 * P1 referral; wf_escalate.c). */
static int
handoff_receipt(const struct wf_receipt *r)
{
	return (wf_escalate_undeliverable(r, K_REF));
}

/* On the timer: P1 offers not acknowledged in time escalate. */
static void
handoff_deadline(struct agent *a, uint64_t now)
{
	wf_escalate_due(a, now, K_REF);
}

const struct wf_ops wf_referral_handoff_ops = {
	.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF,
	.per_peer = 1,
	.receipt_stages =
	    WF_STAGE(LIAISON__V1__RECEIPT_STAGE__RECEIPT_UNDELIVERABLE),
	.on_send = handoff_step,
	.on_receive = handoff_step,
	.on_receipt = handoff_receipt,
	.on_deadline = handoff_deadline,
};

/* Responses, information requests and supplies included (REQUEST_INFO,
 * SUPPLY_INFO: lib/workflow.c's state machine). */
const struct wf_ops wf_referral_response_ops = {
	.type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE,
	.per_peer = 1,
	.one_partner = 1,
	.on_send = response_step,
	.on_receive = response_step,
};
