/*
 * trust.c -- the trust gate (trust.h): the table of rules and roles, and
 * the phases that apply them to an envelope.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/body.h"
#include "liaison/seal.h"
#include "liaison/trust.h"
#include "liaison/util.h"

#define I_	(1u << LSN_TRUST_BROKER_INGRESS)
#define D_	(1u << LSN_TRUST_BROKER_DELIVERY)
#define R_	(1u << LSN_TRUST_RECIPIENT_AGENT)
#define C_	(1u << LSN_TRUST_OFFLINE_CLI)

static const struct rule_def {
	const char	*name;
	unsigned	 roles;
	const char	*text;
} rules[LSN_RULE__COUNT] = {
	[LSN_RULE_NONE] = { "accepted", I_ | D_ | R_ | C_, "accepted" },
	[LSN_RULE_SIZE] = { "size", I_ | R_ | C_,
	    "the SignedEnvelope is within the size limit" },
	[LSN_RULE_OUTER] = { "outer", I_ | R_ | C_,
	    "the outer SignedEnvelope is well formed" },
	[LSN_RULE_SIGNER_PEER] = { "signer-is-peer", I_,
	    "the signer hint is the authenticated partner" },
	[LSN_RULE_SENDER_KNOWN] = { "sender-known", I_ | R_ | C_,
	    "the sender is in the directory" },
	[LSN_RULE_SENDER_ACTIVE] = { "sender-active", I_ | R_ | C_,
	    "the sender is neither suspended nor revoked" },
	[LSN_RULE_KEY_KNOWN] = { "key-known", I_ | R_ | C_,
	    "the signing key is one of the sender's SIGN keys" },
	[LSN_RULE_KEY_NOW] = { "key-valid-now", I_,
	    "the signing key is valid now" },
	[LSN_RULE_SIGNATURE] = { "signature", I_ | R_ | C_,
	    "the signature verifies; the envelope parses, is valid and "
	    "binds the hints" },
	[LSN_RULE_KEY_AT_CREATED] = { "key-at-created", I_ | R_ | C_,
	    "the signing key was valid at created_ms" },
	[LSN_RULE_SENDER_PEER] = { "sender-is-peer", I_,
	    "the signed sender is the authenticated partner" },
	[LSN_RULE_EXPIRED] = { "not-expired", I_ | D_,
	    "the message has not expired" },
	[LSN_RULE_SKEW] = { "clock-skew", I_,
	    "created_ms is within the clock-skew window" },
	[LSN_RULE_RCPT_ACTIVE] = { "recipient-active", I_ | D_,
	    "every named recipient is a known, active partner" },
	[LSN_RULE_GROUP_EXISTS] = { "group-exists", I_,
	    "every recipient group exists" },
	[LSN_RULE_ADDRESSED] = { "addressed-to-us", R_,
	    "the envelope names us, or a group we are (or were) in" },
	[LSN_RULE_FWD_SHAPE] = { "fwd-shape", I_ | R_ | C_,
	    "a forward is a note whose inner envelope is readable" },
	[LSN_RULE_FWD_RED] = { "fwd-red", I_ | R_ | C_,
	    "TLP RED is never forwarded" },
	[LSN_RULE_FWD_MARKINGS] = { "fwd-markings", I_ | R_ | C_,
	    "the outer markings are not weaker than the inner ones" },
	[LSN_RULE_FWD_KEY_VISIBLE] = { "fwd-key-visible", I_,
	    "no content key in a body the broker can read" },
	[LSN_RULE_FWD_INNER_SIG] = { "fwd-inner-signature", R_ | C_,
	    "the inner envelope is signed by its sender's key valid at "
	    "its created_ms" },
	[LSN_RULE_FWD_NOT_RCPT] = { "fwd-not-recipient", R_ | C_,
	    "the forwarder sent or received the inner envelope" },
	[LSN_RULE_FWD_STRICT] = { "fwd-amber-strict", R_ | C_,
	    "TLP AMBER+STRICT stays within the recipient organisation" },
	[LSN_RULE_FWD_H2] = { "fwd-h2", R_ | C_,
	    "an H2 message needs the provider's permission" },
	[LSN_RULE_FWD_BODY] = { "fwd-body", R_ | C_,
	    "the inner body opens with the forwarded content key" },
};

static const char *const role_names[LSN_TRUST_ROLES] = {
	"broker-ingress", "broker-delivery", "recipient-agent", "offline-cli",
};

const char *
lsn_trust_rule_name(int rule)
{
	return (rule >= 0 && rule < LSN_RULE__COUNT ? rules[rule].name : "?");
}

const char *
lsn_trust_rule_text(int rule)
{
	return (rule >= 0 && rule < LSN_RULE__COUNT ? rules[rule].text : "?");
}

int
lsn_trust_rule_applies(int rule, int role)
{
	return (rule >= 0 && rule < LSN_RULE__COUNT && role >= 0 &&
	    role < LSN_TRUST_ROLES && (rules[rule].roles & (1u << role)));
}

const char *
lsn_trust_role_name(int role)
{
	return (role >= 0 && role < LSN_TRUST_ROLES ? role_names[role] : "?");
}

/* Runs rule in this role? */
static int
on(const struct lsn_trust_ctx *c, enum lsn_trust_rule rule)
{
	return (lsn_trust_rule_applies((int) rule, (int) c->role));
}

static int
refuse(struct lsn_trust_result *r, int code, enum lsn_trust_rule rule,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records a refusal (rule != NONE) or a local error (rule NONE). */
static int
refuse(struct lsn_trust_result *r, int code, enum lsn_trust_rule rule,
    const char *fmt, ...)
{
	va_list	ap;

	r->code = code;
	r->rule = rule;
	va_start(ap, fmt);
	(void) vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	return (code);
}

static int
accept(struct lsn_trust_result *r)
{
	r->code = LSN_OK;
	r->rule = LSN_RULE_NONE;
	r->detail[0] = '\0';
	return (LSN_OK);
}

/* A local error: the answer is not about the envelope. */
static int
local_err(int rv)
{
	return (rv == LSN_EDB || rv == LSN_ENOMEM || rv == LSN_EINTERNAL ||
	    rv == LSN_EIO);
}

static const char *
fname(const char *field)
{
	return (field != NULL ? field : "envelope");
}

void
lsn_trust_msg_clear(struct lsn_trust_msg *m)
{
	if (m == NULL)
		return;
	lsn_envelope_free(&m->env);
	lsn_envelope_outer_destroy(&m->o);
	sodium_memzero(m, sizeof(*m));
}

/* ---- a view over an lsn_dir ---- */

static int
v_keyrec(void *arg, const char *p, const char *k, struct lsn_dir_keyrec *r)
{
	return (lsn_dir_sign_keyrec(arg, p, k, r));
}

static int
v_status(void *arg, const char *p, int *st)
{
	return (lsn_dir_partner_status(arg, p, st));
}

static int
v_members(void *arg, const char *g, int active, lsn_dir_id_fn *fn,
    void *fnarg)
{
	return (lsn_dir_group_members(arg, g, active, fn, fnarg));
}

static int
v_since(void *arg, const char *g, const char *p, uint64_t rev, int *was)
{
	return (lsn_dir_member_since(arg, g, p, rev, was));
}

void
lsn_trust_dir_of(struct lsn_trust_dir *v, struct lsn_dir *d)
{
	memset(v, 0, sizeof(*v));
	v->arg = d;
	v->sign_keyrec = v_keyrec;
	v->partner_status = v_status;
	v->group_members = v_members;
	v->member_since = v_since;
}

/* ---- phase 1 ---- */

/* The rule a key lookup error belongs to. */
static enum lsn_trust_rule
key_rule(int rv)
{
	switch (rv) {
	case LSN_EUNKNOWNSENDER:
		return (LSN_RULE_SENDER_KNOWN);
	case LSN_EPREVOKED:
	case LSN_ESUSPENDED:
		return (LSN_RULE_SENDER_ACTIVE);
	default:
		return (LSN_RULE_KEY_KNOWN);
	}
}

/* Ingress only: the connection's partner must exist and be active. */
static int
sender_status(const struct lsn_trust_ctx *c, const char *partner,
    struct lsn_trust_result *r)
{
	int	rv, st = 0;

	rv = c->dir->partner_status(c->dir->arg, partner, &st);
	if (rv == LSN_ENOENT)
		return (refuse(r, LSN_EUNKNOWNSENDER, LSN_RULE_SENDER_KNOWN,
		    "partner %s not in the directory", partner));
	if (rv != LSN_OK)
		return (refuse(r, rv, LSN_RULE_NONE, "directory: %s",
		    lsn_strerror(rv)));
	if (st == LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED)
		return (refuse(r, LSN_ESUSPENDED, LSN_RULE_SENDER_ACTIVE,
		    "partner %s is suspended", partner));
	if (st != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)
		return (refuse(r, LSN_EPREVOKED, LSN_RULE_SENDER_ACTIVE,
		    "partner %s is revoked", partner));
	return (LSN_OK);
}

int
lsn_trust_outer(const struct lsn_trust_ctx *c, const uint8_t *buf,
    size_t len, struct lsn_trust_msg *m, struct lsn_trust_result *r)
{
	const char	*field = NULL;
	size_t		 max;
	int		 rv;

	max = c->max == 0 || c->max > LSN_MSG_MAX ? LSN_MSG_MAX : c->max;
	if (len > max)
		return (refuse(r, LSN_ETOOBIG, LSN_RULE_SIZE, "envelope of "
		    "%zu bytes over the limit of %zu", len, max));
	if ((rv = lsn_envelope_peek(buf, len, max, &m->o, &field)) != LSN_OK)
		return (refuse(r, rv, local_err(rv) ? LSN_RULE_NONE :
		    LSN_RULE_OUTER, "outer envelope: %s", fname(field)));
	if (on(c, LSN_RULE_SIGNER_PEER) && (c->peer == NULL ||
	    strcmp(m->o->signer, c->peer) != 0))
		return (refuse(r, LSN_ESENDER, LSN_RULE_SIGNER_PEER, "signer "
		    "%s is not the connection's partner %s", m->o->signer,
		    c->peer != NULL ? c->peer : "-"));
	if (on(c, LSN_RULE_SIGNER_PEER) &&
	    (rv = sender_status(c, m->o->signer, r)) != LSN_OK)
		return (rv);
	rv = c->dir->sign_keyrec(c->dir->arg, m->o->signer, m->o->key_id,
	    &m->key);
	if (rv != LSN_OK)
		return (refuse(r, rv, local_err(rv) ? LSN_RULE_NONE :
		    key_rule(rv), "signing key %s of %s: %s", m->o->key_id,
		    m->o->signer, lsn_strerror(rv)));
	memcpy(m->pk, m->key.pk, LSN_PK_BYTES);
	if (on(c, LSN_RULE_KEY_NOW) &&
	    (rv = lsn_dir_sign_keyrec_at(&m->key, c->now_ms, m->pk)) !=
	    LSN_OK)
		return (refuse(r, rv, LSN_RULE_KEY_NOW, "signing key %s: %s",
		    m->o->key_id, lsn_strerror(rv)));
	return (accept(r));
}

/* ---- phase 2 ---- */

int
lsn_trust_verify(struct lsn_trust_msg *m)
{
	m->sig_field = NULL;
	m->sig_rv = lsn_envelope_verify_parse(m->o, m->pk, &m->env,
	    &m->sig_field);
	return (m->sig_rv);
}

/* ---- phase 3 ---- */

int
lsn_trust_identity(const struct lsn_trust_ctx *c, struct lsn_trust_msg *m,
    struct lsn_trust_result *r)
{
	const Liaison__V1__Envelope	*e = m->env;
	uint8_t				 pk[LSN_PK_BYTES];
	int				 rv;

	if (m->sig_rv != LSN_OK)
		return (refuse(r, m->sig_rv, local_err(m->sig_rv) ?
		    LSN_RULE_NONE : LSN_RULE_SIGNATURE, "%s: %s",
		    fname(m->sig_field), lsn_strerror(m->sig_rv)));
	if (e == NULL)
		return (refuse(r, LSN_EINTERNAL, LSN_RULE_NONE, "envelope"));
	if ((rv = lsn_dir_sign_keyrec_at(&m->key, e->created_ms, pk)) !=
	    LSN_OK)
		return (refuse(r, rv, LSN_RULE_KEY_AT_CREATED, "signing key "
		    "%s of %s at created_ms: %s", e->sender_key_id, e->sender,
		    lsn_strerror(rv)));
	if (on(c, LSN_RULE_SENDER_PEER) && (c->peer == NULL ||
	    strcmp(e->sender, c->peer) != 0))
		return (refuse(r, LSN_ESENDER, LSN_RULE_SENDER_PEER, "sender "
		    "%s is not the connection's partner %s", e->sender,
		    c->peer != NULL ? c->peer : "-"));
	return (accept(r));
}

/* ---- phase 4 ---- */

struct member_walk {
	const struct lsn_trust_ctx	*c;
	const char			*skip;	/* the sender */
	const char			*want;	/* ADDRESSED: our id */
	int				 hit;
	int				 stopped;
};

static int
member_cb(void *arg, const char *id)
{
	struct member_walk	*w = arg;
	int			 rv;

	if (w->want != NULL) {
		if (strcmp(id, w->want) == 0) {
			w->hit = 1;
			return (1);
		}
		return (0);
	}
	if (w->skip != NULL && strcmp(id, w->skip) == 0)
		return (0);
	if (w->c->rcpt_fn != NULL &&
	    (rv = w->c->rcpt_fn(w->c->rcpt_arg, id)) != 0) {
		w->stopped = rv;
		return (rv);
	}
	return (0);
}

/* Ingress: named recipients active, groups exist (expanded to rcpt_fn). */
static int
recipients(const struct lsn_trust_ctx *c, const Liaison__V1__Envelope *e,
    struct lsn_trust_result *r)
{
	struct member_walk	w = { c, e->sender, NULL, 0, 0 };
	int			rv, st;

	for (size_t i = 0; i < e->n_to; i++) {
		rv = c->dir->partner_status(c->dir->arg, e->to[i], &st);
		if (rv == LSN_ENOENT || (rv == LSN_OK &&
		    st != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE))
			return (refuse(r, LSN_EUNKNOWNRCPT,
			    LSN_RULE_RCPT_ACTIVE, "recipient %s is unknown "
			    "or not active", e->to[i]));
		if (rv != LSN_OK)
			return (refuse(r, rv, LSN_RULE_NONE, "directory: %s",
			    lsn_strerror(rv)));
		if (c->rcpt_fn != NULL &&
		    (rv = c->rcpt_fn(c->rcpt_arg, e->to[i])) != 0)
			return (refuse(r, rv < 0 ? rv : LSN_ENOMEM,
			    LSN_RULE_NONE, "recipients"));
	}
	for (size_t i = 0; i < e->n_to_groups; i++) {
		if (c->dir->group_members == NULL)
			return (refuse(r, LSN_EUNKNOWNGROUP,
			    LSN_RULE_GROUP_EXISTS, "group %s: no groups "
			    "here", e->to_groups[i]));
		rv = c->dir->group_members(c->dir->arg, e->to_groups[i], 1,
		    member_cb, &w);
		if (rv == LSN_EUNKNOWNGROUP)
			return (refuse(r, LSN_EUNKNOWNGROUP,
			    LSN_RULE_GROUP_EXISTS, "group %s does not exist",
			    e->to_groups[i]));
		if (w.stopped != 0)
			return (refuse(r, w.stopped < 0 ? w.stopped :
			    LSN_ENOMEM, LSN_RULE_NONE, "group %s",
			    e->to_groups[i]));
		if (rv != LSN_OK)
			return (refuse(r, rv, LSN_RULE_NONE, "group %s: %s",
			    e->to_groups[i], lsn_strerror(rv)));
	}
	return (LSN_OK);
}

/* 1 if partner is (or, since the sender's directory head, was) a member
 * of one of groups; < 0 on a local error. */
static int
in_groups(const struct lsn_trust_ctx *c, char **groups, size_t n,
    const char *partner, const Liaison__V1__DirHead *head)
{
	struct member_walk	w = { c, NULL, partner, 0, 0 };
	int			rv, was;

	if (c->dir == NULL || c->dir->group_members == NULL)
		return (0);
	for (size_t g = 0; g < n; g++) {
		if (groups[g] == NULL)
			continue;
		w.hit = 0;
		rv = c->dir->group_members(c->dir->arg, groups[g], 0,
		    member_cb, &w);
		if (w.hit)
			return (1);
		if (local_err(rv))
			return (rv);
	}
	/* a group left after the sender signed still counts */
	for (size_t g = 0; c->dir->member_since != NULL && g < n; g++) {
		was = 0;
		if (groups[g] == NULL)
			continue;
		if ((rv = c->dir->member_since(c->dir->arg, groups[g],
		    partner, head != NULL && head->has_rev ? head->rev : 0,
		    &was)) != LSN_OK)
			return (rv);
		if (was)
			return (1);
	}
	return (0);
}

/* Recipient: the envelope names us, or a group we are or were in. */
static int
addressed(const struct lsn_trust_ctx *c, const Liaison__V1__Envelope *e,
    struct lsn_trust_result *r)
{
	int	rv;

	if (c->peer == NULL)
		return (refuse(r, LSN_EINVAL, LSN_RULE_NONE, "no own id"));
	for (size_t i = 0; i < e->n_to; i++)
		if (e->to[i] != NULL && strcmp(e->to[i], c->peer) == 0)
			return (LSN_OK);
	rv = in_groups(c, e->to_groups, e->n_to_groups, c->peer, e->dir_head);
	if (rv == 1)
		return (LSN_OK);
	if (rv < 0)
		return (refuse(r, rv, LSN_RULE_NONE, "directory: %s",
		    lsn_strerror(rv)));
	return (refuse(r, LSN_EUNKNOWNRCPT, LSN_RULE_ADDRESSED, "envelope "
	    "from %s is not addressed to %s (%zu partners, %zu groups "
	    "named)", e->sender, c->peer, e->n_to, e->n_to_groups));
}

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
		return (refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE, "a "
		    "forward must be a note, not a %s",
		    lsn_envelope_type_name(e->has_type ? (int) e->type : 0)));
	if ((rv = lsn_envelope_peek(e->forwarded.data, e->forwarded.len, 0,
	    &o, &field)) != LSN_OK) {
		if (local_err(rv))
			return (refuse(r, rv, LSN_RULE_NONE, "forwarded"));
		return (refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE,
		    "forwarded envelope: %s (%s)", lsn_strerror(rv),
		    fname(field)));
	}
	in = liaison__v1__envelope__unpack(NULL, o->envlen, o->env);
	lsn_envelope_outer_destroy(&o);
	if (in == NULL || in->handling == NULL || !in->handling->has_tlp) {
		lsn_envelope_free(&in);
		return (refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE,
		    "forwarded envelope does not unpack or has no TLP"));
	}
	*innerp = in;
	return (LSN_OK);
}

/* The rules the broker can apply without keys to a forward. */
static int
fwd_visible(const struct lsn_trust_ctx *c, const Liaison__V1__Envelope *e,
    struct lsn_trust_result *r)
{
	Liaison__V1__Envelope	*in = NULL;
	Liaison__V1__Note	*n = NULL;
	int			 rv;

	if ((rv = fwd_shape(e, &in, r)) != LSN_OK)
		return (rv);
	if (in->handling->tlp == LIAISON__V1__TLP__TLP_RED) {
		rv = refuse(r, LSN_EFORWARD, LSN_RULE_FWD_RED, "forward of a "
		    "TLP RED message");
		goto out;
	}
	if (!lsn_markings_not_weaker(e->handling, in->handling)) {
		rv = refuse(r, LSN_EFORWARD, LSN_RULE_FWD_MARKINGS, "outer "
		    "markings (TLP %s) weaker than the forwarded message's "
		    "(TLP %s)", lsn_tlp_name(e->handling->tlp),
		    lsn_tlp_name(in->handling->tlp));
		goto out;
	}
	/* a note in clear holding a content key hands the key to anyone
	 * who reads the bus; a body that does not unpack is the
	 * recipient's to refuse */
	if (on(c, LSN_RULE_FWD_KEY_VISIBLE) && e->sealed == NULL &&
	    e->has_body && (n = liaison__v1__note__unpack(NULL, e->body.len,
	    e->body.len > 0 ? e->body.data : (const uint8_t *) "")) != NULL &&
	    n->has_forward_key) {
		rv = refuse(r, LSN_EFORWARD, LSN_RULE_FWD_KEY_VISIBLE,
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

int
lsn_trust_handling(const struct lsn_trust_ctx *c,
    const Liaison__V1__Envelope *e, struct lsn_trust_result *r)
{
	int	rv;

	if (on(c, LSN_RULE_EXPIRED) || on(c, LSN_RULE_SKEW)) {
		rv = lsn_envelope_check_time(e, c->now_ms,
		    on(c, LSN_RULE_SKEW) ? c->skew_ms : UINT64_MAX);
		if (rv == LSN_EEXPIRED)
			return (refuse(r, rv, LSN_RULE_EXPIRED, "expired %llu "
			    "ms ago", (unsigned long long) (c->now_ms -
			    e->expires_ms)));
		if (rv == LSN_ESKEW)
			return (refuse(r, rv, LSN_RULE_SKEW, "created_ms is "
			    "%lld ms from the clock (allowed %llu)",
			    (long long) (e->created_ms - c->now_ms),
			    (unsigned long long) c->skew_ms));
		if (rv != LSN_OK)
			return (refuse(r, rv, LSN_RULE_NONE, "time"));
	}
	if (c->role == LSN_TRUST_BROKER_DELIVERY) {
		/* the recipient of this delivery, still active */
		struct lsn_trust_ctx	d = *c;
		Liaison__V1__Envelope	one = *e;
		char			*to[1];

		to[0] = (char *) (uintptr_t) (c->peer != NULL ? c->peer : "");
		one.n_to = 1;
		one.to = to;
		one.n_to_groups = 0;
		d.rcpt_fn = NULL;
		if ((rv = recipients(&d, &one, r)) != LSN_OK)
			return (rv);
	} else if (on(c, LSN_RULE_RCPT_ACTIVE) &&
	    (rv = recipients(c, e, r)) != LSN_OK)
		return (rv);
	if (on(c, LSN_RULE_ADDRESSED) && (rv = addressed(c, e, r)) != LSN_OK)
		return (rv);
	if (c->role == LSN_TRUST_BROKER_INGRESS && e->has_forwarded &&
	    (rv = fwd_visible(c, e, r)) != LSN_OK)
		return (rv);
	return (accept(r));
}

int
lsn_trust_check(const struct lsn_trust_ctx *c, const uint8_t *buf,
    size_t len, struct lsn_trust_msg *m, struct lsn_trust_result *r)
{
	int	rv;

	if ((rv = lsn_trust_outer(c, buf, len, m, r)) != LSN_OK)
		return (rv);
	(void) lsn_trust_verify(m);
	if ((rv = lsn_trust_identity(c, m, r)) != LSN_OK)
		return (rv);
	return (lsn_trust_handling(c, m->env, r));
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
		return (refuse(r, LSN_EINVAL, LSN_RULE_NONE, "arguments"));
	for (size_t i = 0; i < n_to; i++)
		if (!lsn_slug_valid(to[i]))
			return (refuse(r, LSN_EINVAL, LSN_RULE_NONE,
			    "recipient"));
	if (h->tlp == LIAISON__V1__TLP__TLP_RED ||
	    h->tlp < LIAISON__V1__TLP__TLP_CLEAR ||
	    h->tlp > LIAISON__V1__TLP__TLP_RED)
		return (refuse(r, LSN_EFORWARD, LSN_RULE_FWD_RED, "tlp red"));
	is_sender = str_eq(in->sender, forwarder);
	for (size_t i = 0; i < in->n_to; i++)
		if (str_eq(in->to[i], forwarder))
			named = 1;
	if (!is_sender && !named) {
		rv = in->n_to_groups == 0 ? 0 : c == NULL || c->dir == NULL ?
		    1 : in_groups(c, in->to_groups, in->n_to_groups,
		    forwarder, in->dir_head);
		if (rv < 0)
			return (refuse(r, rv, LSN_RULE_NONE, "directory: %s",
			    lsn_strerror(rv)));
		if (rv == 0)
			return (refuse(r, LSN_EFORWARD, LSN_RULE_FWD_NOT_RCPT,
			    "not a recipient"));
	}
	if (h->tlp == LIAISON__V1__TLP__TLP_AMBER_STRICT) {
		if (n_groups > 0)
			return (refuse(r, LSN_EFORWARD, LSN_RULE_FWD_STRICT,
			    "tlp amber+strict"));
		for (size_t i = 0; i < n_to; i++)
			if (strcmp(to[i], forwarder) != 0)
				return (refuse(r, LSN_EFORWARD,
				    LSN_RULE_FWD_STRICT, "tlp amber+strict"));
	}
	if (has_code(h, LIAISON__V1__HANDLING_CODE__HANDLING_H2) &&
	    !is_sender && !provider_permits &&
	    !(in->has_provider_permits_forward &&
	    in->provider_permits_forward))
		return (refuse(r, LSN_EFORWARD, LSN_RULE_FWD_H2,
		    "h2 without permission"));
	return (accept(r));
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
		return (refuse(r, local_err(rv) ? rv : LSN_EFORWARD,
		    local_err(rv) ? LSN_RULE_NONE : LSN_RULE_FWD_BODY,
		    "forwarding note: %s (%s)", lsn_strerror(rv),
		    fname(field)));
	if ((f = liaison__v1__note__unpack(NULL, note_len,
	    note_len > 0 ? note : (const uint8_t *) "")) == NULL)
		return (refuse(r, LSN_ENOMEM, LSN_RULE_NONE, "note"));
	if (in->sealed != NULL) {
		rv = LSN_EUNSEAL;
		if (f->has_forward_key && (rv = lsn_seal_ad_env(in, ad,
		    &adlen)) == LSN_OK)
			rv = lsn_unseal_with_key(in->sealed, ad, adlen,
			    f->forward_key.data, bodyp, lenp);
		if (rv != LSN_OK)
			rv = refuse(r, rv == LSN_ENOMEM ? rv : LSN_EFORWARD,
			    rv == LSN_ENOMEM ? LSN_RULE_NONE :
			    LSN_RULE_FWD_BODY, "the forwarded content key does "
			    "not open the inner body");
		goto out;
	}
	if (f->has_forward_key || !in->has_body) {
		rv = refuse(r, LSN_EFORWARD, LSN_RULE_FWD_BODY, "forward_key "
		    "with an inner body that is not sealed");
		goto out;
	}
	if ((copy = malloc(in->body.len > 0 ? in->body.len : 1)) == NULL) {
		rv = refuse(r, LSN_ENOMEM, LSN_RULE_NONE, "body");
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
		rv = refuse(r, local_err(rv) ? rv : LSN_EFORWARD,
		    local_err(rv) ? LSN_RULE_NONE : LSN_RULE_FWD_SHAPE,
		    "forwarded envelope: %s (%s)", lsn_strerror(rv),
		    fname(m.sig_field));
		goto out;
	}
	rv = c->dir->sign_keyrec(c->dir->arg, m.o->signer, m.o->key_id,
	    &m.key);
	if (rv != LSN_OK) {
		rv = refuse(r, local_err(rv) ? rv : LSN_EFORWARD,
		    local_err(rv) ? LSN_RULE_NONE : LSN_RULE_FWD_INNER_SIG,
		    "inner key %s of %s: %s", m.o->key_id, m.o->signer,
		    lsn_strerror(rv));
		goto out;
	}
	memcpy(m.pk, m.key.pk, LSN_PK_BYTES);
	if ((rv = lsn_trust_verify(&m)) != LSN_OK) {
		rv = refuse(r, local_err(rv) ? rv : LSN_EFORWARD,
		    local_err(rv) ? LSN_RULE_NONE : LSN_RULE_FWD_INNER_SIG,
		    "inner envelope from %s: %s (%s)", m.o->signer,
		    lsn_strerror(rv), fname(m.sig_field));
		goto out;
	}
	if ((rv = lsn_dir_sign_keyrec_at(&m.key, m.env->created_ms, pk)) !=
	    LSN_OK) {
		rv = refuse(r, LSN_EFORWARD, LSN_RULE_FWD_INNER_SIG, "inner "
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
		return (refuse(r, LSN_EINVAL, LSN_RULE_NONE, "arguments"));
	if (!e->has_forwarded || e->forwarded.len == 0) {
		rv = refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE,
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
			rv = refuse(r, LSN_EFORWARD, LSN_RULE_FWD_SHAPE,
			    "forward: %s", r->detail);
		goto out;
	}
	if (!lsn_markings_not_weaker(e->handling, in->handling)) {
		rv = refuse(r, LSN_EFORWARD, LSN_RULE_FWD_MARKINGS, "outer "
		    "markings weaker than the forwarded message's");
		goto out;
	}
	if (bodyp != NULL && (rv = fwd_body(in, note, note_len, bodyp, lenp,
	    r)) != LSN_OK)
		goto out;
	*innerp = in;
	in = NULL;
	rv = accept(r);
 out:
	lsn_envelope_free(&in);
	return (rv);
}
