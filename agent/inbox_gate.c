/*
 * inbox_gate.c -- the agent's side of the trust gate (trust.h, role
 * recipient agent, over the replica): deliveries, custody checks,
 * forwards at delivery and when fetched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/trust.h"
#include "liaison/util.h"

#include "agent.h"

/* The trust gate in the recipient's role over the replica. */
static void
gate_ctx(struct agent *a, struct lsn_trust_dir *v, struct lsn_trust_ctx *c)
{
	lsn_trust_dir_of(v, a->dir);
	memset(c, 0, sizeof(*c));
	c->role = LSN_TRUST_RECIPIENT_AGENT;
	c->dir = v;
	c->now_ms = lsn_now_ms();
	c->max = LSN_MSG_MAX;
	c->peer = a->conf.partner;
}

/* The gate's refusal as a one-line detail: "rule: reason". */
static int
gate_detail(const struct lsn_trust_result *t, char *detail, size_t detailsz)
{
	if (t->rule != LSN_RULE_NONE)
		snprintf(detail, detailsz, "%s: %s",
		    lsn_trust_rule_name((int) t->rule), t->detail);
	else
		snprintf(detail, detailsz, "%s", t->detail);
	return (t->code);
}

/*
 * The gate over buf: with addressed, every rule (lsn_trust_check);
 * without, the identity phases only (inbox_verify). *envp gets the parsed
 * Envelope on success; detail the reason of a refusal.
 */
static int
gate_run(struct agent *a, const uint8_t *buf, size_t len, int addressed,
    Liaison__V1__Envelope **envp, char *detail, size_t detailsz)
{
	struct lsn_trust_dir	v;
	struct lsn_trust_ctx	c;
	struct lsn_trust_result	t;
	struct lsn_trust_msg	m;
	int			rv;

	memset(&m, 0, sizeof(m));
	gate_ctx(a, &v, &c);
	if (addressed)
		rv = lsn_trust_check(&c, buf, len, &m, &t);
	else if ((rv = lsn_trust_outer(&c, buf, len, &m, &t)) == LSN_OK) {
		(void) lsn_trust_verify(&m);
		rv = lsn_trust_identity(&c, &m, &t);
	}
	if (rv == LSN_OK) {
		*envp = m.env;
		m.env = NULL;
	} else
		rv = gate_detail(&t, detail, detailsz);
	lsn_trust_msg_clear(&m);
	return (rv);
}

/*
 * Verifies a serialized SignedEnvelope against the replica with the
 * trust gate's identity phases (outer shape, the sender's SIGN key and
 * status, the signature, the key valid at created_ms), without the
 * addressing rule (custody shows our own envelopes too). On success
 * *envp is the parsed Envelope (lsn_envelope_free). On failure detail
 * gets a one-line reason. LSN_EDB / LSN_ENOMEM are local errors,
 * everything else a refusal of the envelope.
 */
int
inbox_verify(struct agent *a, const uint8_t *buf, size_t len,
    Liaison__V1__Envelope **envp, char *detail, size_t detailsz)
{
	return (gate_run(a, buf, len, 0, envp, detail, detailsz));
}

/* A delivery through the whole gate (identity, then addressed to us). */
int
inbox_gate(struct agent *a, const uint8_t *buf, size_t len,
    Liaison__V1__Envelope **envp, char *detail, size_t detailsz)
{
	return (gate_run(a, buf, len, 1, envp, detail, detailsz));
}

/*
 * A forward (Envelope.forwarded set): the gate verifies the inner
 * envelope and the forwarding policy with the outer's opened note.
 * With innerp / ibodyp the verified inner envelope and its body are
 * returned (caller frees; wipes the body). Refusals are LSN_EFORWARD.
 */
int
inbox_forward(struct agent *a, const Liaison__V1__Envelope *e,
    const uint8_t *note, size_t note_len, Liaison__V1__Envelope **innerp,
    uint8_t **ibodyp, size_t *ilenp, char *detail, size_t detailsz)
{
	struct lsn_trust_dir	 v;
	struct lsn_trust_ctx	 c;
	struct lsn_trust_result	 t;
	Liaison__V1__Envelope	*in = NULL;
	uint8_t			*ib = NULL;
	size_t			 il = 0;
	int			 rv;

	gate_ctx(a, &v, &c);
	if ((rv = lsn_trust_forward(&c, e, note, note_len, &in, &ib, &il,
	    &t)) != LSN_OK)
		return (gate_detail(&t, detail, detailsz));
	if (innerp != NULL) {
		*innerp = in;
		in = NULL;
	}
	if (ibodyp != NULL) {
		*ibodyp = ib;
		*ilenp = il;
		ib = NULL;
	}
	if (ib != NULL) {
		sodium_memzero(ib, il);
		free(ib);
	}
	lsn_envelope_free(&in);
	return (LSN_OK);
}

/*
 * For a fetched forward: the inner envelope through the gate again, and
 * when it passes, the inner SignedEnvelope and plaintext body on the
 * item. A forward that no longer verifies (e.g. the inner sender's key
 * is gone from the replica) is shown without them. LSN_ENOMEM / LSN_EDB.
 */
int
inbox_fetch_forward(struct agent *a, Liaison__V1__InboxItem *it)
{
	Liaison__V1__Envelope	*e = NULL, *in = NULL;
	uint8_t			*ib = NULL;
	size_t			 il = 0;
	char			 detail[AGENT_DETAIL_MAX];
	int			 rv = LSN_OK;

	if (it->envelope == NULL || !it->envelope->has_envelope ||
	    (e = liaison__v1__envelope__unpack(NULL,
	    it->envelope->envelope.len, it->envelope->envelope.data)) ==
	    NULL || !e->has_forwarded)
		goto out;
	rv = inbox_forward(a, e, it->body.data, it->body.len, &in, &ib, &il,
	    detail, sizeof(detail));
	if (rv != LSN_OK) {
		if (rv != LSN_ENOMEM && rv != LSN_EDB) {
			if (lsn_log_ratelimit("forward-fetch", 10))
				log_info("forward from %s no longer verifies: "
				    "%s", e->sender, detail);
			rv = LSN_OK;
		}
		goto out;
	}
	if ((it->forwarded = liaison__v1__signed_envelope__unpack(NULL,
	    e->forwarded.len, e->forwarded.data)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	it->has_forwarded_body = 1;
	it->forwarded_body.data = ib;
	it->forwarded_body.len = il;
	ib = NULL;
 out:
	if (ib != NULL) {
		sodium_memzero(ib, il);
		free(ib);
	}
	lsn_envelope_free(&in);
	lsn_envelope_free(&e);
	return (rv);
}
