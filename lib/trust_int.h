/*
 * trust_int.h -- what trust.c and trust_fwd.c share (not installed).
 */
#ifndef LIAISON_TRUST_INT_H
#define LIAISON_TRUST_INT_H

#include "liaison/trust.h"

/* 1 if c's role runs rule. */
int	trust_on(const struct lsn_trust_ctx *c, enum lsn_trust_rule rule);
/* Records a refusal (rule != NONE) or a local error (rule NONE) in r;
 * returns code. */
int	trust_refuse(struct lsn_trust_result *r, int code,
	    enum lsn_trust_rule rule, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* Records an acceptance; LSN_OK. */
int	trust_accept(struct lsn_trust_result *r);
/* 1 for a local error (LSN_EDB, LSN_ENOMEM, ...), not a refusal. */
int	trust_local_err(int rv);
/* field, or "envelope" when NULL. */
const char *trust_fname(const char *field);
/* 1 if partner is (or, since head, was) a member of one of groups[0..n);
 * 0 if not or without groups in the view; < 0 on a local error. */
int	trust_in_groups(const struct lsn_trust_ctx *c, char **groups,
	    size_t n, const char *partner, const Liaison__V1__DirHead *head);
/* Phase 4 at broker ingress: what a forward shows without keys. */
int	trust_fwd_visible(const struct lsn_trust_ctx *c,
	    const Liaison__V1__Envelope *e, struct lsn_trust_result *r);

#endif
