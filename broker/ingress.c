/* ingress.c -- the Publish ingress rules and acceptance (ARCHITECTURE.md,
 * daemons.md). First failure wins; each rule has its own code. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/trust.h"
#include "liaison/util.h"

#include "broker.h"
#include "bstore.h"

struct rcptset {
	char	**ids;
	size_t	  n, cap;
};

static int
refuse(struct ingress_result *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(struct ingress_result *r, int code, const char *fmt, ...)
{
	va_list	ap;

	r->code = code;
	va_start(ap, fmt);
	(void) vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	return (code);
}

void
ingress_result_free(struct ingress_result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->nrcpts; i++)
		free(res->rcpts[i]);
	free(res->rcpts);
	res->rcpts = NULL;
	res->nrcpts = 0;
}

static int
set_add(struct rcptset *s, const char *id)
{
	if (s->n >= BROKER_RCPT_MAX)
		return (LSN_ETOOBIG);
	if (s->n == s->cap) {
		size_t	  ncap = s->cap == 0 ? 16 : s->cap * 2;
		char	**n = realloc(s->ids, ncap * sizeof(*n));

		if (n == NULL)
			return (LSN_ENOMEM);
		s->ids = n;
		s->cap = ncap;
	}
	if ((s->ids[s->n] = strdup(id)) == NULL)
		return (LSN_ENOMEM);
	s->n++;
	return (LSN_OK);
}

/* The gate's rcpt_fn: every named recipient and group member. */
static int
rcpt_cb(void *arg, const char *id)
{
	return (set_add(arg, id));
}

static int
cmpstr(const void *a, const void *b)
{
	return (strcmp(*(char *const *) a, *(char *const *) b));
}

static void
set_unique(struct rcptset *s)
{
	size_t	j = 0;

	if (s->n == 0)
		return;
	qsort(s->ids, s->n, sizeof(*s->ids), cmpstr);
	for (size_t i = 1; i < s->n; i++) {
		if (strcmp(s->ids[i], s->ids[j]) == 0)
			free(s->ids[i]);
		else
			s->ids[++j] = s->ids[i];
	}
	s->n = j + 1;
}

static int
cmpkey(const void *k, const void *e)
{
	return (strcmp(k, *(char *const *) e));
}

/*
 * A sealed envelope reaches only the partners with a SealedKey in it: a
 * group member the sender's replica did not list yet (added since)
 * could not open the body, so it is not delivered to (logged). A named
 * recipient without a key is refused (E_NOT_SEALED). s is sorted.
 */
static int
set_keep_sealed(struct rcptset *s, const Liaison__V1__Envelope *e,
    struct ingress_result *res)
{
	const Liaison__V1__SealedBody	*sb = e->sealed;
	char				**hit;
	uint8_t				 *keep;
	size_t				  j = 0;

	if ((keep = calloc(s->n ? s->n : 1, 1)) == NULL)
		return (refuse(res, LSN_ENOMEM, "out of memory"));
	for (size_t k = 0; k < sb->n_keys; k++)
		if (sb->keys[k] != NULL && sb->keys[k]->partner != NULL &&
		    (hit = bsearch(sb->keys[k]->partner, s->ids, s->n,
		    sizeof(*s->ids), cmpkey)) != NULL)
			keep[hit - s->ids] = 1;
	for (size_t i = 0; i < s->n; i++)
		for (size_t t = 0; !keep[i] && t < e->n_to; t++)
			if (strcmp(e->to[t], s->ids[i]) == 0) {
				free(keep);
				return (refuse(res, LSN_ENOTSEALED, "recipient "
				    "%s has no sealed key", e->to[t]));
			}
	for (size_t i = 0; i < s->n; i++) {
		if (keep[i]) {
			s->ids[j++] = s->ids[i];
			continue;
		}
		log_info("sealed message from %s not delivered to %s: not "
		    "sealed for it (the sender's directory predates its "
		    "membership)", e->sender, s->ids[i]);
		free(s->ids[i]);
	}
	s->n = j;
	free(keep);
	return (LSN_OK);
}

static void
set_free(struct rcptset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->ids[i]);
	free(s->ids);
	s->ids = NULL;
	s->n = 0;
}

/* "a,b,c" (malloc'd). */
static char *
join_ids(char *const *ids, size_t n)
{
	size_t	 len = 1, off = 0;
	char	*s;

	for (size_t i = 0; i < n; i++)
		len += strlen(ids[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return (NULL);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t	l = strlen(ids[i]);

		if (i > 0)
			s[off++] = ',';
		memcpy(s + off, ids[i], l);
		off += l;
	}
	s[off] = '\0';
	return (s);
}

/* Splits a stored "a,b,c" into res->rcpts. */
static int
split_ids(const char *s, struct ingress_result *res)
{
	struct rcptset	set = { 0 };
	char		*copy, *p, *tok, *save = NULL;
	int		 rv = LSN_OK;

	if ((copy = strdup(s)) == NULL)
		return (LSN_ENOMEM);
	for (p = copy; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL)
		if ((rv = set_add(&set, tok)) != LSN_OK)
			break;
	free(copy);
	if (rv != LSN_OK) {
		set_free(&set);
		return (rv);
	}
	res->rcpts = set.ids;
	res->nrcpts = set.n;
	return (LSN_OK);
}

struct dup {
	const uint8_t		*hash;
	struct ingress_result	*res;
	int			 rv;
};

static void
dup_row(void *arg, const void *h, size_t hlen, const char *r)
{
	struct dup	*d = arg;

	if (h != NULL && hlen == LSN_HASH_BYTES &&
	    sodium_memcmp(h, d->hash, LSN_HASH_BYTES) == 0) {
		d->rv = 1;
		if (r != NULL && split_ids(r, d->res) != LSN_OK)
			d->rv = LSN_ENOMEM;
	} else
		d->rv = LSN_EDUPID;
}

/* message_id seen before? 1 same hash (rcpts filled), 0 new, LSN_EDUPID,
 * LSN_ENOMEM, LSN_EDB or LSN_ECLOSED (bstore_err). */
static int
dup_check(struct broker *b, const uint8_t *msgid, const uint8_t *hash,
    struct ingress_result *res)
{
	struct dup	d = { hash, res, 0 };
	int		rc;

	if ((rc = bstore_msg_get(b, msgid, dup_row, &d)) == LSN_OK)
		return (d.rv);
	return (rc == LSN_ENOENT ? 0 : bstore_err(rc));
}

static int
store_message(struct broker *b, const char *sender,
    const Liaison__V1__Envelope *e, const uint8_t *signed_env, size_t len,
    const uint8_t hash[LSN_HASH_BYTES], struct rcptset *set, uint64_t now)
{
	struct bstore_msg	 m;
	char			*rcpts = NULL, idhex[2 * LSN_MSGID_BYTES + 1];
	int			 rv;

	if ((rv = broker_tx(b)) != LSN_OK)
		return (rv);
	if ((rcpts = join_ids(set->ids, set->n)) == NULL)
		return (LSN_ENOMEM);
	m.msgid = e->message_id.data;
	m.hash = hash;
	m.signed_env = signed_env;
	m.len = len;
	m.sender = sender;
	m.rcpts = rcpts;
	m.created_ms = e->created_ms;
	m.expires_ms = e->has_expires_ms ? e->expires_ms : 0;
	m.accepted_ms = now;
	if ((rv = bstore_msg_add(b, &m)) != LSN_OK) {
		log_warnx("ingress: insert message: %s",
		    lsn_store_errmsg(b->st));
		rv = bstore_err(rv);
		goto out;
	}
	for (size_t i = 0; i < set->n; i++) {
		uint64_t	seq;

		if ((rv = queue_add(b, set->ids[i], e->message_id.data,
		    m.expires_ms, &seq)) != LSN_OK)
			goto out;
	}
	lsn_hex_encode(e->message_id.data, LSN_MSGID_BYTES, idhex);
	if ((rv = baudit(b, LSN_AUDIT_ENVELOPE, idhex, hash,
	    "from=%s to=%s type=%s", sender, rcpts,
	    lsn_envelope_type_name((int) e->type))) != LSN_OK)
		goto out;
	deliver_mark_set(b, set->ids, set->n);	/* sorted: set_unique */
	rv = LSN_OK;
 out:
	if (rv != LSN_OK)
		b->tx_failed = 1;
	free(rcpts);
	return (rv);
}

/* ---- the broker's view of the directory for the trust gate ---- */

static int
v_keyrec(void *arg, const char *partner, const char *key_id,
    struct lsn_dir_keyrec *r)
{
	return (bdir_sign_keyrec(arg, partner, key_id, r));
}

static int
v_status(void *arg, const char *partner, int *status)
{
	return (bdir_partner_status(arg, partner, status));
}

static int
v_members(void *arg, const char *group, int active_only, lsn_dir_id_fn *fn,
    void *fnarg)
{
	struct broker	*b = arg;

	return (lsn_dir_group_members(b->dir, group, active_only, fn, fnarg));
}

static void
gate_ctx(struct broker *b, struct ingress_job *j, struct lsn_trust_dir *v,
    struct lsn_trust_ctx *c, struct rcptset *set)
{
	memset(v, 0, sizeof(*v));
	v->arg = b;
	v->sign_keyrec = v_keyrec;
	v->partner_status = v_status;
	v->group_members = v_members;
	memset(c, 0, sizeof(*c));
	c->role = LSN_TRUST_BROKER_INGRESS;
	c->dir = v;
	c->now_ms = j->now;
	c->skew_ms = (uint64_t) b->conf.skew_ms;
	c->max = (size_t) b->conf.max_msg_bytes;
	c->peer = j->partner;
	c->rcpt_fn = set != NULL ? rcpt_cb : NULL;
	c->rcpt_arg = set;
}

/* Copies the gate's answer into the ingress result. */
static int
gate_refuse(struct ingress_result *res, const struct lsn_trust_result *t)
{
	if (t->rule != LSN_RULE_NONE)
		return (refuse(res, t->code, "%s: %s", lsn_trust_rule_name(
		    (int) t->rule), t->detail));
	return (refuse(res, t->code, "%s", t->detail));
}

void
ingress_job_free(struct ingress_job *j)
{
	if (j == NULL)
		return;
	lsn_envelope_free(&j->vj.env);
	lsn_trust_msg_clear(&j->m);
}

int
ingress_begin(struct broker *b, const char *partner, const uint8_t *env,
    size_t envlen, struct ingress_job *j, struct ingress_result *res)
{
	struct lsn_trust_dir	v;
	struct lsn_trust_ctx	c;
	struct lsn_trust_result	t;

	memset(res, 0, sizeof(*res));
	memset(j, 0, sizeof(*j));
	j->env = env;
	j->envlen = envlen;
	j->now = broker_now(b);
	lsn_strlcpy(j->partner, partner, sizeof(j->partner));
	gate_ctx(b, j, &v, &c, NULL);
	/* size, outer unpack, signer hint, sender status, key valid now;
	 * the signature is checked by the caller's vpool with that key */
	if (lsn_trust_outer(&c, env, envlen, &j->m, &t) != LSN_OK)
		return (gate_refuse(res, &t));
	j->vj.o = j->m.o;
	memcpy(j->vj.pk, j->m.pk, LSN_PK_BYTES);
	j->verify = 1;
	return (LSN_OK);
}

/* Over 80 lines: the gate's rules in order, from identity to store. */
int
ingress_finish(struct broker *b, struct ingress_job *j,
    struct ingress_result *res)
{
	struct lsn_trust_dir		 v;
	struct lsn_trust_ctx		 c;
	struct lsn_trust_result		 t;
	Liaison__V1__Envelope		*e;
	struct rcptset			 set = { 0 };
	uint8_t				 hash[LSN_HASH_BYTES];
	int				 rv;

	gate_ctx(b, j, &v, &c, &set);
	/* the signature (run by vpool), then the key at created_ms and the
	 * signed sender */
	j->m.sig_rv = j->vj.rv;
	j->m.sig_field = j->vj.field;
	j->m.env = j->vj.env;
	j->vj.env = NULL;
	if (lsn_trust_identity(&c, &j->m, &t) != LSN_OK) {
		gate_refuse(res, &t);
		if (j->m.env != NULL) {
			memcpy(res->msgid, j->m.env->message_id.data,
			    LSN_MSGID_BYTES);
			res->has_msgid = 1;
		}
		goto out;
	}
	e = j->m.env;
	memcpy(res->msgid, e->message_id.data, LSN_MSGID_BYTES);
	res->has_msgid = 1;
	res->type = (int) e->type;
	res->priority = e->has_priority ? (int) e->priority : 0;
	/*
	 * Idempotency before the time and recipient rules: a retry of an
	 * accepted message is acknowledged again even when the clock moved,
	 * a queue filled or a recipient left since.
	 */
	if ((rv = lsn_envelope_hash(j->m.o, hash)) != LSN_OK) {
		refuse(res, rv, "envelope hash");
		goto out;
	}
	rv = dup_check(b, e->message_id.data, hash, res);
	if (rv == 1) {
		res->duplicate = 1;
		res->code = LSN_OK;
		lsn_strlcpy(res->detail, "already stored", sizeof(res->detail));
		goto out;
	} else if (rv == LSN_EDUPID) {
		refuse(res, LSN_EDUPID, "message_id already used with "
		    "different content");
		goto out;
	} else if (rv != 0) {
		refuse(res, bstore_wire(rv), "database error");
		goto out;
	}
	/* time, recipients (groups expanded into set), forwards */
	if (lsn_trust_handling(&c, e, &t) != LSN_OK) {
		gate_refuse(res, &t);
		goto out;
	}
	set_unique(&set);
	/* a sealed body goes only where it is sealed for (protocol.md 8) */
	if (e->sealed != NULL && (rv = set_keep_sealed(&set, e, res)) !=
	    LSN_OK)
		goto out;
	if (set.n == 0) {
		refuse(res, LSN_EUNKNOWNRCPT, "no active recipient");
		goto out;
	}
	/* quota */
	for (size_t i = 0; i < set.n; i++)
		if ((res->code = limits_quota(b, j->partner, set.ids[i],
		    (int) e->priority, res->detail, sizeof(res->detail))) !=
		    LSN_OK)
			goto out;
	if ((rv = store_message(b, j->partner, e, j->env, j->envlen, hash,
	    &set, j->now)) != LSN_OK) {
		refuse(res, LSN_EDB, "database error");
		goto out;
	}
	res->code = LSN_OK;
	res->rcpts = set.ids;
	res->nrcpts = set.n;
	set.ids = NULL;
	set.n = 0;
 out:
	set_free(&set);
	return (res->code);
}

int
ingress_publish(struct broker *b, const char *partner, const uint8_t *env,
    size_t envlen, struct ingress_result *res)
{
	struct ingress_job	j;

	if (ingress_begin(b, partner, env, envlen, &j, res) == LSN_OK) {
		vpool_submit(NULL, &j.vj);
		vpool_wait(NULL, &j.vj);
		(void) ingress_finish(b, &j, res);
	}
	ingress_job_free(&j);
	return (res->code);
}
