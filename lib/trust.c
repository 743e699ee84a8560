/*
 * trust.c -- the trust gate (trust.h): the table of rules and roles, and
 * phases 1 to 4. The forwarding rules are in trust_fwd.c.
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

#include "trust_int.h"

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
int
trust_on(const struct lsn_trust_ctx *c, enum lsn_trust_rule rule)
{
	return (lsn_trust_rule_applies((int) rule, (int) c->role));
}

int
trust_refuse(struct lsn_trust_result *r, int code, enum lsn_trust_rule rule,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records a refusal (rule != NONE) or a local error (rule NONE). */
int
trust_refuse(struct lsn_trust_result *r, int code, enum lsn_trust_rule rule,
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

int
trust_accept(struct lsn_trust_result *r)
{
	r->code = LSN_OK;
	r->rule = LSN_RULE_NONE;
	r->detail[0] = '\0';
	return (LSN_OK);
}

/* A local error: the answer is not about the envelope. */
int
trust_local_err(int rv)
{
	return (rv == LSN_EDB || rv == LSN_ENOMEM || rv == LSN_EINTERNAL ||
	    rv == LSN_EIO);
}

const char *
trust_fname(const char *field)
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
		return (trust_refuse(r, LSN_EUNKNOWNSENDER, LSN_RULE_SENDER_KNOWN,
		    "partner %s not in the directory", partner));
	if (rv != LSN_OK)
		return (trust_refuse(r, rv, LSN_RULE_NONE, "directory: %s",
		    lsn_strerror(rv)));
	if (st == LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED)
		return (trust_refuse(r, LSN_ESUSPENDED, LSN_RULE_SENDER_ACTIVE,
		    "partner %s is suspended", partner));
	if (st != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)
		return (trust_refuse(r, LSN_EPREVOKED, LSN_RULE_SENDER_ACTIVE,
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
		return (trust_refuse(r, LSN_ETOOBIG, LSN_RULE_SIZE, "envelope of "
		    "%zu bytes over the limit of %zu", len, max));
	if ((rv = lsn_envelope_peek(buf, len, max, &m->o, &field)) != LSN_OK)
		return (trust_refuse(r, rv, trust_local_err(rv) ? LSN_RULE_NONE :
		    LSN_RULE_OUTER, "outer envelope: %s", trust_fname(field)));
	if (trust_on(c, LSN_RULE_SIGNER_PEER) && (c->peer == NULL ||
	    strcmp(m->o->signer, c->peer) != 0))
		return (trust_refuse(r, LSN_ESENDER, LSN_RULE_SIGNER_PEER, "signer "
		    "%s is not the connection's partner %s", m->o->signer,
		    c->peer != NULL ? c->peer : "-"));
	if (trust_on(c, LSN_RULE_SIGNER_PEER) &&
	    (rv = sender_status(c, m->o->signer, r)) != LSN_OK)
		return (rv);
	rv = c->dir->sign_keyrec(c->dir->arg, m->o->signer, m->o->key_id,
	    &m->key);
	if (rv != LSN_OK)
		return (trust_refuse(r, rv, trust_local_err(rv) ? LSN_RULE_NONE :
		    key_rule(rv), "signing key %s of %s: %s", m->o->key_id,
		    m->o->signer, lsn_strerror(rv)));
	memcpy(m->pk, m->key.pk, LSN_PK_BYTES);
	if (trust_on(c, LSN_RULE_KEY_NOW) &&
	    (rv = lsn_dir_sign_keyrec_at(&m->key, c->now_ms, m->pk)) !=
	    LSN_OK)
		return (trust_refuse(r, rv, LSN_RULE_KEY_NOW, "signing key %s: %s",
		    m->o->key_id, lsn_strerror(rv)));
	return (trust_accept(r));
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
		return (trust_refuse(r, m->sig_rv, trust_local_err(m->sig_rv) ?
		    LSN_RULE_NONE : LSN_RULE_SIGNATURE, "%s: %s",
		    trust_fname(m->sig_field), lsn_strerror(m->sig_rv)));
	if (e == NULL)
		return (trust_refuse(r, LSN_EINTERNAL, LSN_RULE_NONE, "envelope"));
	if ((rv = lsn_dir_sign_keyrec_at(&m->key, e->created_ms, pk)) !=
	    LSN_OK)
		return (trust_refuse(r, rv, LSN_RULE_KEY_AT_CREATED, "signing key "
		    "%s of %s at created_ms: %s", e->sender_key_id, e->sender,
		    lsn_strerror(rv)));
	if (trust_on(c, LSN_RULE_SENDER_PEER) && (c->peer == NULL ||
	    strcmp(e->sender, c->peer) != 0))
		return (trust_refuse(r, LSN_ESENDER, LSN_RULE_SENDER_PEER, "sender "
		    "%s is not the connection's partner %s", e->sender,
		    c->peer != NULL ? c->peer : "-"));
	return (trust_accept(r));
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
			return (trust_refuse(r, LSN_EUNKNOWNRCPT,
			    LSN_RULE_RCPT_ACTIVE, "recipient %s is unknown "
			    "or not active", e->to[i]));
		if (rv != LSN_OK)
			return (trust_refuse(r, rv, LSN_RULE_NONE, "directory: %s",
			    lsn_strerror(rv)));
		if (c->rcpt_fn != NULL &&
		    (rv = c->rcpt_fn(c->rcpt_arg, e->to[i])) != 0)
			return (trust_refuse(r, rv < 0 ? rv : LSN_ENOMEM,
			    LSN_RULE_NONE, "recipients"));
	}
	for (size_t i = 0; i < e->n_to_groups; i++) {
		if (c->dir->group_members == NULL)
			return (trust_refuse(r, LSN_EUNKNOWNGROUP,
			    LSN_RULE_GROUP_EXISTS, "group %s: no groups "
			    "here", e->to_groups[i]));
		rv = c->dir->group_members(c->dir->arg, e->to_groups[i], 1,
		    member_cb, &w);
		if (rv == LSN_EUNKNOWNGROUP)
			return (trust_refuse(r, LSN_EUNKNOWNGROUP,
			    LSN_RULE_GROUP_EXISTS, "group %s does not exist",
			    e->to_groups[i]));
		if (w.stopped != 0)
			return (trust_refuse(r, w.stopped < 0 ? w.stopped :
			    LSN_ENOMEM, LSN_RULE_NONE, "group %s",
			    e->to_groups[i]));
		if (rv != LSN_OK)
			return (trust_refuse(r, rv, LSN_RULE_NONE, "group %s: %s",
			    e->to_groups[i], lsn_strerror(rv)));
	}
	return (LSN_OK);
}

/* 1 if partner is (or, since the sender's directory head, was) a member
 * of one of groups; < 0 on a local error. */
int
trust_in_groups(const struct lsn_trust_ctx *c, char **groups, size_t n,
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
		if (trust_local_err(rv))
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
		return (trust_refuse(r, LSN_EINVAL, LSN_RULE_NONE, "no own id"));
	for (size_t i = 0; i < e->n_to; i++)
		if (e->to[i] != NULL && strcmp(e->to[i], c->peer) == 0)
			return (LSN_OK);
	rv = trust_in_groups(c, e->to_groups, e->n_to_groups, c->peer, e->dir_head);
	if (rv == 1)
		return (LSN_OK);
	if (rv < 0)
		return (trust_refuse(r, rv, LSN_RULE_NONE, "directory: %s",
		    lsn_strerror(rv)));
	return (trust_refuse(r, LSN_EUNKNOWNRCPT, LSN_RULE_ADDRESSED, "envelope "
	    "from %s is not addressed to %s (%zu partners, %zu groups "
	    "named)", e->sender, c->peer, e->n_to, e->n_to_groups));
}

int
lsn_trust_handling(const struct lsn_trust_ctx *c,
    const Liaison__V1__Envelope *e, struct lsn_trust_result *r)
{
	int	rv;

	if (trust_on(c, LSN_RULE_EXPIRED) || trust_on(c, LSN_RULE_SKEW)) {
		rv = lsn_envelope_check_time(e, c->now_ms,
		    trust_on(c, LSN_RULE_SKEW) ? c->skew_ms : UINT64_MAX);
		if (rv == LSN_EEXPIRED)
			return (trust_refuse(r, rv, LSN_RULE_EXPIRED, "expired %llu "
			    "ms ago", (unsigned long long) (c->now_ms -
			    e->expires_ms)));
		if (rv == LSN_ESKEW)
			return (trust_refuse(r, rv, LSN_RULE_SKEW, "created_ms is "
			    "%lld ms from the clock (allowed %llu)",
			    (long long) (e->created_ms - c->now_ms),
			    (unsigned long long) c->skew_ms));
		if (rv != LSN_OK)
			return (trust_refuse(r, rv, LSN_RULE_NONE, "time"));
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
	} else if (trust_on(c, LSN_RULE_RCPT_ACTIVE) &&
	    (rv = recipients(c, e, r)) != LSN_OK)
		return (rv);
	if (trust_on(c, LSN_RULE_ADDRESSED) && (rv = addressed(c, e, r)) != LSN_OK)
		return (rv);
	if (c->role == LSN_TRUST_BROKER_INGRESS && e->has_forwarded &&
	    (rv = trust_fwd_visible(c, e, r)) != LSN_OK)
		return (rv);
	return (trust_accept(r));
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

