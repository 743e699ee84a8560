/*
 * trust.h -- the trust gate: the one place that decides whether a signed
 * envelope agrees with the directory and with the handling rules.
 *
 * Every path that receives a SignedEnvelope calls it, each in its role:
 *   LSN_TRUST_BROKER_INGRESS  the broker on Publish (broker/ingress.c);
 *   LSN_TRUST_BROKER_DELIVERY the broker before it hands a stored message
 *                             to a recipient's session (lsn_trust_handling
 *                             only, broker/expire.c deliver_gate);
 *   LSN_TRUST_RECIPIENT_AGENT an agent on Deliver (agent/inbox.c);
 *   LSN_TRUST_OFFLINE_CLI     `liaison envelope verify` with a key file.
 * A role runs the rules of the table in trust.c that name it, in the
 * table's order; the first failing rule decides. The answer is an lsn_err
 * code (the wire code the peer sees) plus the rule that failed
 * (enum lsn_trust_rule: a stable number, a stable short name for logs,
 * quarantine rows and tests, and a one-line human text).
 *
 * The checks are split in phases so the broker can keep its signature
 * thread pool and its duplicate check between them:
 *   1. lsn_trust_outer      size, outer unpack, the signer hint against
 *                           the connection, the sender's status, its key
 *                           (before anything signed is parsed);
 *   2. lsn_trust_verify     the signature, parse and field validation
 *                           (touches only its arguments: thread-safe,
 *                           the broker runs it in its pool);
 *   3. lsn_trust_identity   the key valid at created_ms, the signed sender
 *                           against the connection;
 *   4. lsn_trust_handling   time, recipients, what the outer envelope
 *                           shows of a forward;
 *   5. lsn_trust_forward    (recipient, CLI) the forwarded inner envelope
 *                           with the outer's opened Note body.
 * lsn_trust_check runs 1..4 in a row. Each phase does exactly one
 * signature verification at most (phase 2; phase 5 one for the inner).
 *
 * The directory is reached only through a view (struct lsn_trust_dir), so
 * the broker answers from its per-turn memo, an agent from its replica
 * and the CLI from a key file.
 *
 * Ownership: every argument is borrowed; struct lsn_trust_msg owns its
 * outer and parsed envelopes (lsn_trust_msg_clear). Thread-safe on
 * distinct objects. Call lsn_init() first.
 */
#ifndef LIAISON_TRUST_H
#define LIAISON_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/keys.h"

enum lsn_trust_role {
	LSN_TRUST_BROKER_INGRESS = 0,
	LSN_TRUST_BROKER_DELIVERY = 1,
	LSN_TRUST_RECIPIENT_AGENT = 2,
	LSN_TRUST_OFFLINE_CLI = 3,
};
#define LSN_TRUST_ROLES	4

/* The rules, in the order they run. Numbers are stable (tests, logs). */
enum lsn_trust_rule {
	LSN_RULE_NONE = 0,		/* accepted */
	LSN_RULE_SIZE = 1,		/* SignedEnvelope within the limit */
	LSN_RULE_OUTER = 2,		/* outer SignedEnvelope well formed */
	LSN_RULE_SIGNER_PEER = 3,	/* signer hint = authenticated peer */
	LSN_RULE_SENDER_KNOWN = 4,	/* sender partner in the directory */
	LSN_RULE_SENDER_ACTIVE = 5,	/* sender not suspended / revoked */
	LSN_RULE_KEY_KNOWN = 6,		/* signing key is the sender's */
	LSN_RULE_KEY_NOW = 7,		/* signing key valid now */
	LSN_RULE_SIGNATURE = 8,		/* signature, parse, fields, hints */
	LSN_RULE_KEY_AT_CREATED = 9,	/* signing key valid at created_ms */
	LSN_RULE_SENDER_PEER = 10,	/* signed sender = authenticated peer */
	LSN_RULE_EXPIRED = 11,		/* not expired */
	LSN_RULE_SKEW = 12,		/* created_ms within the skew window */
	LSN_RULE_RCPT_ACTIVE = 13,	/* named recipients known, active */
	LSN_RULE_GROUP_EXISTS = 14,	/* recipient groups exist */
	LSN_RULE_ADDRESSED = 15,	/* the envelope names us */
	LSN_RULE_FWD_SHAPE = 16,	/* forward: a note, inner readable */
	LSN_RULE_FWD_RED = 17,		/* forward: inner not TLP RED */
	LSN_RULE_FWD_MARKINGS = 18,	/* forward: outer not weaker */
	LSN_RULE_FWD_KEY_VISIBLE = 19,	/* forward: no content key in clear */
	LSN_RULE_FWD_INNER_SIG = 20,	/* forward: inner signed by its
					 * sender's key valid at its time */
	LSN_RULE_FWD_NOT_RCPT = 21,	/* forward: forwarder got the inner */
	LSN_RULE_FWD_STRICT = 22,	/* forward: AMBER+STRICT stays home */
	LSN_RULE_FWD_H2 = 23,		/* forward: H2 needs permission */
	LSN_RULE_FWD_BODY = 24,		/* forward: inner body opens */
	LSN_RULE__COUNT
};

/*
 * The directory as the gate sees it. arg is passed to every call.
 *   sign_keyrec    the time-independent part of a SIGN key lookup, with
 *                  the errors of lsn_dir_sign_keyrec (LSN_EUNKNOWNSENDER,
 *                  LSN_EPREVOKED, LSN_ESUSPENDED, LSN_EUNKNOWNKEY; others
 *                  are local errors);
 *   partner_status as lsn_dir_partner_status (LSN_ENOENT);
 *   group_members  as lsn_dir_group_members (LSN_EUNKNOWNGROUP); may be
 *                  NULL for a view without groups (the CLI);
 *   member_since   as lsn_dir_member_since; may be NULL (then only the
 *                  current membership counts).
 */
struct lsn_trust_dir {
	void	*arg;
	int	(*sign_keyrec)(void *arg, const char *partner,
		    const char *key_id, struct lsn_dir_keyrec *r);
	int	(*partner_status)(void *arg, const char *partner,
		    int *status);
	int	(*group_members)(void *arg, const char *group,
		    int active_only, lsn_dir_id_fn *fn, void *fnarg);
	int	(*member_since)(void *arg, const char *group,
		    const char *partner, uint64_t since_rev, int *member);
};

/* A view over an open lsn_dir (an agent's replica, a broker without a
 * memo): fills v with d as arg. */
void	lsn_trust_dir_of(struct lsn_trust_dir *v, struct lsn_dir *d);

struct lsn_trust_ctx {
	enum lsn_trust_role		 role;
	const struct lsn_trust_dir	*dir;
	uint64_t			 now_ms;
	uint64_t			 skew_ms;	/* ingress */
	size_t				 max;	/* 0 = LSN_MSG_MAX */
	/* broker roles: the authenticated partner (ZAP User-Id) at
	 * ingress, the recipient at delivery; recipient agent: our own
	 * partner id; CLI: NULL */
	const char			*peer;
	/* ingress: called with every named recipient and every active
	 * member of a named group (the sender skipped when reached through
	 * a group); non-zero stops with LSN_ENOMEM-like local error
	 * rcpt_err. May be NULL. */
	lsn_dir_id_fn			*rcpt_fn;
	void				*rcpt_arg;
};

struct lsn_trust_result {
	int			code;	/* LSN_OK or the refusal / local error */
	enum lsn_trust_rule	rule;	/* LSN_RULE_NONE when accepted or on
					 * a local error (LSN_EDB, ...) */
	char			detail[256];
};

/* An envelope going through the gate. Zero it before the first phase. */
struct lsn_trust_msg {
	struct lsn_envelope_outer *o;		/* owned */
	struct lsn_dir_keyrec	   key;		/* the signer's key record */
	uint8_t			   pk[LSN_PK_BYTES];
	Liaison__V1__Envelope	  *env;		/* owned, after phase 2 */
	int			   sig_rv;	/* phase 2's result */
	const char		  *sig_field;
};

/* Frees what m owns and zeroes it. Accepts NULL. */
void	lsn_trust_msg_clear(struct lsn_trust_msg *m);

/* Phase 1 on buf (len bytes, borrowed until m is cleared). */
int	lsn_trust_outer(const struct lsn_trust_ctx *c, const uint8_t *buf,
	    size_t len, struct lsn_trust_msg *m, struct lsn_trust_result *r)
	    LSN_MUST_CHECK;
/* Phase 2: verify m->o with m->pk; sets m->env, m->sig_rv, m->sig_field.
 * Returns m->sig_rv. No directory, no logging: safe on a worker thread. */
int	lsn_trust_verify(struct lsn_trust_msg *m);
/* Phase 3 (reports phase 2's failure first). */
int	lsn_trust_identity(const struct lsn_trust_ctx *c,
	    struct lsn_trust_msg *m, struct lsn_trust_result *r)
	    LSN_MUST_CHECK;
/* Phase 4. */
int	lsn_trust_handling(const struct lsn_trust_ctx *c,
	    const Liaison__V1__Envelope *env, struct lsn_trust_result *r)
	    LSN_MUST_CHECK;
/* Phases 1..4. On LSN_OK m->env is the verified envelope. */
int	lsn_trust_check(const struct lsn_trust_ctx *c, const uint8_t *buf,
	    size_t len, struct lsn_trust_msg *m, struct lsn_trust_result *r)
	    LSN_MUST_CHECK;

/*
 * Phase 5 for a verified outer envelope with `forwarded` set: note is its
 * opened body (a Note, note_len bytes). Verifies the inner envelope with
 * the inner sender's SIGN key valid at the inner created_ms (one
 * signature check), then the forwarding policy (docs/protocol.md 9) and
 * opens the inner body. On LSN_OK *innerp is the verified inner envelope
 * (lsn_envelope_free) and, when bodyp is not NULL, *bodyp its plaintext
 * body (malloc'd; caller wipes and frees) of *lenp bytes. Every refusal
 * is LSN_EFORWARD with its rule; local errors as they are.
 */
int	lsn_trust_forward(const struct lsn_trust_ctx *c,
	    const Liaison__V1__Envelope *outer, const uint8_t *note,
	    size_t note_len, Liaison__V1__Envelope **innerp, uint8_t **bodyp,
	    size_t *lenp, struct lsn_trust_result *r) LSN_MUST_CHECK;

/*
 * The forwarding policy alone, for a sender that builds a forward (and
 * the redirect of a referral): inner forwarded by `forwarder` to
 * to[0..n_to) and, when n_groups > 0, groups (refused for AMBER+STRICT).
 * provider_permits: the forwarder asserts the provider's permission
 * for H2. c->dir may be NULL (then an inner sent to groups lets any
 * forwarder pass the recipient rule). LSN_OK, LSN_EFORWARD, LSN_EINVAL.
 */
int	lsn_trust_forward_policy(const struct lsn_trust_ctx *c,
	    const Liaison__V1__Envelope *inner, const char *forwarder,
	    const char *const *to, size_t n_to, size_t n_groups,
	    int provider_permits, struct lsn_trust_result *r) LSN_MUST_CHECK;

/*
 * 1 if handling `outer` is at least as strict as `inner`: TLP at least as
 * strict, every inner handling code present, the same H3 text and
 * permitted purpose when the inner has them; 0 otherwise (also when
 * either is NULL).
 */
int	lsn_markings_not_weaker(const Liaison__V1__Handling *outer,
	    const Liaison__V1__Handling *inner);

/* Stable short name of a rule ("key-at-created", "fwd-red", ...) and its
 * one-line text; "?" for an unknown value. Static strings. */
const char *lsn_trust_rule_name(int rule);
const char *lsn_trust_rule_text(int rule);
/* 1 if role runs rule. */
int	lsn_trust_rule_applies(int rule, int role);
/* "broker-ingress", "broker-delivery", "recipient-agent", "offline-cli". */
const char *lsn_trust_role_name(int role);

#endif /* LIAISON_TRUST_H */
