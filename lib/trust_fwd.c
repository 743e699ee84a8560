/*
 * trust_fwd.c -- the trust gate's forwarding rules (trust.h, phase 5, and
 * what broker ingress sees of a forward in phase 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/body.h"
#include "liaison/seal.h"
#include "liaison/trust.h"
#include "liaison/util.h"

#include "trust_int.h"

static int
has_code(const Liaison__V1__Handling *h, int code)
{
	for (size_t i = 0; h->codes != NULL && i < h->n_codes; i++)
		if ((int) h->codes[i] == code)
			return (1);
	return (0);
}

static int
str_eq(const char *a, const char *b)
{
	return (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
lsn_markings_not_weaker(const Liaison__V1__Handling *outer,
    const Liaison__V1__Handling *inner)
{
	if (outer == NULL || inner == NULL || !outer->has_tlp ||
	    !inner->has_tlp || outer->tlp < inner->tlp)
		return (0);
	if (inner->n_codes > 0 && inner->codes == NULL)
		return (0);
	for (size_t i = 0; i < inner->n_codes; i++)
		if (!has_code(outer, (int) inner->codes[i]))
			return (0);
	if (inner->h3_text != NULL && !str_eq(outer->h3_text, inner->h3_text))
		return (0);
	if (inner->permitted_purpose != NULL &&
	    !str_eq(outer->permitted_purpose, inner->permitted_purpose))
		return (0);
	return (1);
}

/* The shape of a forward: a note whose inner envelope unpacks (not
 * verified: *innerp is an unpacked, unauthenticated Envelope, freed with
 * lsn_envelope_free). */
static int
fwd_shape(const Liaison__V1__Envelope *e, Liaison__V1__Envelope **innerp,
    struct lsn_trust_result *r)
{
	struct lsn_envelope_outer	*o = NULL;
	Liaison__V1__Envelope		*in = NULL;
	const char			*field = NULL;
	int				 rv;

	if (!e->has_type || e->type !=
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE)
		return (trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE, "a "
		    "forward must be a note, not a %s",
		    lsn_envelope_type_name(e->has_type ? (int) e->type : 0)));
	if ((rv = lsn_envelope_peek(e->forwarded.data, e->forwarded.len, 0,
	    &o, &field)) != LSN_OK) {
		if (trust_local_err(rv))
			return (trust_refuse(r, rv, LSN_RULE_NONE, "forwarded"));
		return (trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE,
		    "forwarded envelope: %s (%s)", lsn_strerror(rv),
		    trust_fname(field)));
	}
	in = liaison__v1__envelope__unpack(NULL, o->envlen, o->env);
	lsn_envelope_outer_destroy(&o);
	if (in == NULL || in->handling == NULL || !in->handling->has_tlp) {
		lsn_envelope_free(&in);
		return (trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE,
		    "forwarded envelope does not unpack or has no TLP"));
	}
	*innerp = in;
	return (LSN_OK);
}

/* The rules the broker can apply without keys to a forward. */
int
trust_fwd_visible(const struct lsn_trust_ctx *c, const Liaison__V1__Envelope *e,
    struct lsn_trust_result *r)
{
	Liaison__V1__Envelope	*in = NULL;
	Liaison__V1__Note	*n = NULL;
	int			 rv;

	if ((rv = fwd_shape(e, &in, r)) != LSN_OK)
		return (rv);
	if (in->handling->tlp == LIAISON__V1__TLP__TLP_RED) {
		rv = trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_RED, "forward of a "
		    "TLP RED message");
		goto out;
	}
	if (!lsn_markings_not_weaker(e->handling, in->handling)) {
		rv = trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_MARKINGS, "outer "
		    "markings (TLP %s) weaker than the forwarded message's "
		    "(TLP %s)", lsn_tlp_name(e->handling->tlp),
		    lsn_tlp_name(in->handling->tlp));
		goto out;
	}
	/* a note in clear holding a content key hands the key to anyone
	 * who reads the bus; a body that does not unpack is the
	 * recipient's to refuse */
	if (trust_on(c, LSN_RULE_FWD_KEY_VISIBLE) && e->sealed == NULL &&
	    e->has_body && (n = liaison__v1__note__unpack(NULL, e->body.len,
	    e->body.len > 0 ? e->body.data : (const uint8_t *) "")) != NULL &&
	    n->has_forward_key) {
		rv = trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_KEY_VISIBLE,
		    "forward carries a content key in a body that is not "
		    "sealed");
		goto out;
	}
	rv = LSN_OK;
 out:
	if (n != NULL) {
		if (n->has_forward_key && n->forward_key.data != NULL)
			sodium_memzero(n->forward_key.data,
			    n->forward_key.len);
		liaison__v1__note__free_unpacked(n, NULL);
	}
	lsn_envelope_free(&in);
	return (rv);
}

/* ---- phase 5: forwards ---- */

int
lsn_trust_forward_policy(const struct lsn_trust_ctx *c,
    const Liaison__V1__Envelope *in, const char *forwarder,
    const char *const *to, size_t n_to, size_t n_groups,
    int provider_permits, struct lsn_trust_result *r)
{
	const Liaison__V1__Handling	*h;
	int				 is_sender, named = 0, rv;

	if (in == NULL || (h = in->handling) == NULL || !h->has_tlp ||
	    !lsn_slug_valid(forwarder) || (n_to > 0 && to == NULL) ||
	    n_to > LSN_ENV_TO_MAX || (in->n_to > 0 && in->to == NULL))
		return (trust_refuse(r, LSN_EINVAL, LSN_RULE_NONE, "arguments"));
	for (size_t i = 0; i < n_to; i++)
		if (!lsn_slug_valid(to[i]))
			return (trust_refuse(r, LSN_EINVAL, LSN_RULE_NONE,
			    "recipient"));
	if (h->tlp == LIAISON__V1__TLP__TLP_RED ||
	    h->tlp < LIAISON__V1__TLP__TLP_CLEAR ||
	    h->tlp > LIAISON__V1__TLP__TLP_RED)
		return (trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_RED, "tlp red"));
	is_sender = str_eq(in->sender, forwarder);
	for (size_t i = 0; i < in->n_to; i++)
		if (str_eq(in->to[i], forwarder))
			named = 1;
	if (!is_sender && !named) {
		rv = in->n_to_groups == 0 ? 0 : c == NULL || c->dir == NULL ?
		    1 : trust_in_groups(c, in->to_groups, in->n_to_groups,
		    forwarder, in->dir_head);
		if (rv < 0)
			return (trust_refuse(r, rv, LSN_RULE_NONE, "directory: %s",
			    lsn_strerror(rv)));
		if (rv == 0)
			return (trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_NOT_RCPT,
			    "not a recipient"));
	}
	if (h->tlp == LIAISON__V1__TLP__TLP_AMBER_STRICT) {
		if (n_groups > 0)
			return (trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_STRICT,
			    "tlp amber+strict"));
		for (size_t i = 0; i < n_to; i++)
			if (strcmp(to[i], forwarder) != 0)
				return (trust_refuse(r, LSN_EFORWARD,
				    LSN_RULE_FWD_STRICT, "tlp amber+strict"));
	}
	if (has_code(h, LIAISON__V1__HANDLING_CODE__HANDLING_H2) &&
	    !is_sender && !provider_permits &&
	    !(in->has_provider_permits_forward &&
	    in->provider_permits_forward))
		return (trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_H2,
		    "h2 without permission"));
	return (trust_accept(r));
}

/* The inner plaintext body: opened with the Note's forward_key, or a copy
 * of the unsealed body. */
static int
fwd_body(const Liaison__V1__Envelope *in, const uint8_t *note,
    size_t note_len, uint8_t **bodyp, size_t *lenp,
    struct lsn_trust_result *r)
{
	Liaison__V1__Note	*f = NULL;
	uint8_t			 ad[LSN_SEAL_AD_MAX], *copy;
	size_t			 adlen;
	const char		*field = NULL;
	int			 rv;

	if ((rv = lsn_body_validate(
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE, note, note_len, 0,
	    &field)) != LSN_OK)
		return (trust_refuse(r, trust_local_err(rv) ? rv : LSN_EFORWARD,
		    trust_local_err(rv) ? LSN_RULE_NONE : LSN_RULE_FWD_BODY,
		    "forwarding note: %s (%s)", lsn_strerror(rv),
		    trust_fname(field)));
	if ((f = liaison__v1__note__unpack(NULL, note_len,
	    note_len > 0 ? note : (const uint8_t *) "")) == NULL)
		return (trust_refuse(r, LSN_ENOMEM, LSN_RULE_NONE, "note"));
	if (in->sealed != NULL) {
		rv = LSN_EUNSEAL;
		if (f->has_forward_key && (rv = lsn_seal_ad_env(in, ad,
		    &adlen)) == LSN_OK)
			rv = lsn_unseal_with_key(in->sealed, ad, adlen,
			    f->forward_key.data, bodyp, lenp);
		if (rv != LSN_OK)
			rv = trust_refuse(r, rv == LSN_ENOMEM ? rv : LSN_EFORWARD,
			    rv == LSN_ENOMEM ? LSN_RULE_NONE :
			    LSN_RULE_FWD_BODY, "the forwarded content key does "
			    "not open the inner body");
		goto out;
	}
	if (f->has_forward_key || !in->has_body) {
		rv = trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_BODY, "forward_key "
		    "with an inner body that is not sealed");
		goto out;
	}
	if ((copy = malloc(in->body.len > 0 ? in->body.len : 1)) == NULL) {
		rv = trust_refuse(r, LSN_ENOMEM, LSN_RULE_NONE, "body");
		goto out;
	}
	if (in->body.len > 0)
		memcpy(copy, in->body.data, in->body.len);
	*bodyp = copy;
	*lenp = in->body.len;
	rv = LSN_OK;
 out:
	if (f->has_forward_key && f->forward_key.data != NULL)
		sodium_memzero(f->forward_key.data, f->forward_key.len);
	liaison__v1__note__free_unpacked(f, NULL);
	return (rv);
}

/* Verifies the inner SignedEnvelope with its sender's key valid at the
 * inner created_ms. *innerp on LSN_OK. */
static int
fwd_inner(const struct lsn_trust_ctx *c, const Liaison__V1__Envelope *e,
    Liaison__V1__Envelope **innerp, struct lsn_trust_result *r)
{
	struct lsn_trust_msg	m;
	uint8_t			pk[LSN_PK_BYTES];
	int			rv;

	memset(&m, 0, sizeof(m));
	if ((rv = lsn_envelope_peek(e->forwarded.data, e->forwarded.len, 0,
	    &m.o, &m.sig_field)) != LSN_OK) {
		rv = trust_refuse(r, trust_local_err(rv) ? rv : LSN_EFORWARD,
		    trust_local_err(rv) ? LSN_RULE_NONE : LSN_RULE_FWD_SHAPE,
		    "forwarded envelope: %s (%s)", lsn_strerror(rv),
		    trust_fname(m.sig_field));
		goto out;
	}
	rv = c->dir->sign_keyrec(c->dir->arg, m.o->signer, m.o->key_id,
	    &m.key);
	if (rv != LSN_OK) {
		rv = trust_refuse(r, trust_local_err(rv) ? rv : LSN_EFORWARD,
		    trust_local_err(rv) ? LSN_RULE_NONE : LSN_RULE_FWD_INNER_SIG,
		    "inner key %s of %s: %s", m.o->key_id, m.o->signer,
		    lsn_strerror(rv));
		goto out;
	}
	memcpy(m.pk, m.key.pk, LSN_PK_BYTES);
	if ((rv = lsn_trust_verify(&m)) != LSN_OK) {
		rv = trust_refuse(r, trust_local_err(rv) ? rv : LSN_EFORWARD,
		    trust_local_err(rv) ? LSN_RULE_NONE : LSN_RULE_FWD_INNER_SIG,
		    "inner envelope from %s: %s (%s)", m.o->signer,
		    lsn_strerror(rv), trust_fname(m.sig_field));
		goto out;
	}
	if ((rv = lsn_dir_sign_keyrec_at(&m.key, m.env->created_ms, pk)) !=
	    LSN_OK) {
		rv = trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_INNER_SIG, "inner "
		    "key %s of %s not valid at the inner created_ms: %s",
		    m.o->key_id, m.o->signer, lsn_strerror(rv));
		goto out;
	}
	*innerp = m.env;
	m.env = NULL;
	rv = LSN_OK;
 out:
	lsn_trust_msg_clear(&m);
	return (rv);
}

int
lsn_trust_forward(const struct lsn_trust_ctx *c,
    const Liaison__V1__Envelope *e, const uint8_t *note, size_t note_len,
    Liaison__V1__Envelope **innerp, uint8_t **bodyp, size_t *lenp,
    struct lsn_trust_result *r)
{
	Liaison__V1__Envelope	*in = NULL;
	int			 rv;

	if (e == NULL || innerp == NULL || (note == NULL && note_len > 0) ||
	    (bodyp != NULL && lenp == NULL) || c->dir == NULL)
		return (trust_refuse(r, LSN_EINVAL, LSN_RULE_NONE, "arguments"));
	if (!e->has_forwarded || e->forwarded.len == 0) {
		rv = trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE,
		    "not a forward");
		goto out;
	}
	if ((rv = fwd_shape(e, &in, r)) != LSN_OK)
		goto out;
	lsn_envelope_free(&in);
	if ((rv = fwd_inner(c, e, &in, r)) != LSN_OK)
		goto out;
	if ((rv = lsn_trust_forward_policy(c, in, e->sender,
	    (const char *const *) e->to, e->n_to, e->n_to_groups,
	    e->has_provider_permits_forward && e->provider_permits_forward,
	    r)) != LSN_OK) {
		if (rv == LSN_EINVAL)
			rv = trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE,
			    "forward: %s", r->detail);
		goto out;
	}
	if (!lsn_markings_not_weaker(e->handling, in->handling)) {
		rv = trust_refuse(r, LSN_EFORWARD, LSN_RULE_FWD_MARKINGS, "outer "
		    "markings weaker than the forwarded message's");
		goto out;
	}
	if (bodyp != NULL && (rv = fwd_body(in, note, note_len, bodyp, lenp,
	    r)) != LSN_OK)
		goto out;
	*innerp = in;
	in = NULL;
	rv = trust_accept(r);
 out:
	lsn_envelope_free(&in);
	return (rv);
}
