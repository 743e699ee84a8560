/* ingress.c -- the Publish ingress rules and acceptance (ARCHITECTURE.md,
 * daemons.md). First failure wins; each rule has its own code. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/audit.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "broker.h"

struct rcptset {
	char	**ids;
	size_t	  n, cap;
	const char *skip;	/* the sender, when reached through a group */
	int	  err;
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

static int
member_cb(void *arg, const char *id)
{
	struct rcptset	*s = arg;

	if (s->skip != NULL && strcmp(id, s->skip) == 0)
		return (0);
	if ((s->err = set_add(s, id)) != LSN_OK)
		return (1);
	return (0);
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

/* message_id seen before? 1 same hash (rcpts filled), 0 new, LSN_EDUPID,
 * LSN_EDB. */
static int
dup_check(struct broker *b, const uint8_t *msgid, const uint8_t *hash,
    struct ingress_result *res)
{
	static const char sql[] =
	    "SELECT env_hash, recipients FROM messages WHERE message_id = ?";
	sqlite3_stmt	*s;
	int		 rc, rv = 0;

	if (lsn_store_stmt(b->st, sql, &s) != LSN_OK)
		return (LSN_EDB);
	sqlite3_bind_blob(s, 1, msgid, LSN_MSGID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void	*h = sqlite3_column_blob(s, 0);
		const char	*r = (const char *) sqlite3_column_text(s, 1);

		if (h != NULL && sqlite3_column_bytes(s, 0) == LSN_HASH_BYTES &&
		    sodium_memcmp(h, hash, LSN_HASH_BYTES) == 0) {
			rv = 1;
			if (r != NULL && split_ids(r, res) != LSN_OK)
				rv = LSN_ENOMEM;
		} else
			rv = LSN_EDUPID;
	} else if (rc != SQLITE_DONE)
		rv = LSN_EDB;
	sqlite3_reset(s);
	return (rv);
}

static int
store_message(struct broker *b, const char *sender,
    const Liaison__V1__Envelope *e, const uint8_t *signed_env, size_t len,
    const uint8_t hash[LSN_HASH_BYTES], struct rcptset *set, uint64_t now)
{
	static const char sql[] =
	    "INSERT INTO messages(message_id, env_hash, signed, sender,"
	    " recipients, created_ms, expires_ms, accepted_ms)"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt	*s;
	char		*rcpts = NULL, idhex[2 * LSN_MSGID_BYTES + 1];
	int		 rc, rv;

	if ((rv = broker_tx(b)) != LSN_OK)
		return (rv);
	if ((rcpts = join_ids(set->ids, set->n)) == NULL)
		return (LSN_ENOMEM);
	rv = LSN_EDB;
	if (lsn_store_stmt(b->st, sql, &s) != LSN_OK)
		goto out;
	sqlite3_bind_blob(s, 1, e->message_id.data, LSN_MSGID_BYTES,
	    SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, hash, LSN_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, signed_env, (int) len, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, rcpts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64) e->created_ms);
	sqlite3_bind_int64(s, 7, (sqlite3_int64) (e->has_expires_ms ?
	    e->expires_ms : 0));
	sqlite3_bind_int64(s, 8, (sqlite3_int64) now);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warnx("ingress: insert message: %s",
		    lsn_store_errmsg(b->st));
		goto out;
	}
	for (size_t i = 0; i < set->n; i++) {
		uint64_t	seq;

		if ((rv = queue_add(b, set->ids[i], e->message_id.data,
		    &seq)) != LSN_OK)
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

static const char *
fname(const char *field)
{
	return (field != NULL ? field : "envelope");
}

void
ingress_job_free(struct ingress_job *j)
{
	if (j == NULL)
		return;
	lsn_envelope_free(&j->vj.env);
	lsn_envelope_outer_destroy(&j->o);
}

int
ingress_begin(struct broker *b, const char *partner, const uint8_t *env,
    size_t envlen, struct ingress_job *j, struct ingress_result *res)
{
	const char	*field = NULL;
	uint64_t	 max;
	int		 rv, st;

	memset(res, 0, sizeof(*res));
	memset(j, 0, sizeof(*j));
	j->env = env;
	j->envlen = envlen;
	j->now = broker_now(b);
	lsn_strlcpy(j->partner, partner, sizeof(j->partner));
	max = (uint64_t) b->conf.max_msg_bytes;

	/* size, outer unpack */
	if (envlen > max)
		return (refuse(res, LSN_ETOOBIG, "envelope of %zu bytes over "
		    "the limit of %llu", envlen, (unsigned long long) max));
	if ((rv = lsn_envelope_peek(env, envlen, (size_t) max, &j->o,
	    &field)) != LSN_OK)
		return (refuse(res, rv, "outer envelope: %s", fname(field)));
	/* signer hint = the connection's partner */
	if (strcmp(j->o->signer, partner) != 0)
		return (refuse(res, LSN_ESENDER, "signer %s is not the "
		    "connection's partner %s", j->o->signer, partner));
	/* sender partner */
	rv = bdir_partner_status(b, partner, &st);
	if (rv == LSN_ENOENT)
		return (refuse(res, LSN_EUNKNOWNSENDER, "partner %s not in "
		    "the directory", partner));
	else if (rv != LSN_OK)
		return (refuse(res, LSN_EDB, "directory error"));
	if (st == LIAISON__V1__PARTNER_STATUS__STATUS_SUSPENDED)
		return (refuse(res, LSN_ESUSPENDED, "partner %s is suspended",
		    partner));
	if (st != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)
		return (refuse(res, LSN_EPREVOKED, "partner %s is revoked",
		    partner));
	/* key valid now; the signature is checked by ingress_finish's
	 * caller (vpool) with it */
	if ((rv = bdir_sign_key(b, partner, j->o->key_id, j->now,
	    j->vj.pk)) != LSN_OK)
		return (refuse(res, rv, "signing key %s: %s", j->o->key_id,
		    lsn_strerror(rv)));
	j->vj.o = j->o;
	j->verify = 1;
	return (LSN_OK);
}

int
ingress_finish(struct broker *b, struct ingress_job *j,
    struct ingress_result *res)
{
	struct lsn_envelope_outer	*o = j->o;
	Liaison__V1__Envelope		*e;
	struct rcptset			 set = { 0 };
	const char			*partner = j->partner;
	uint8_t				 pk[LSN_PK_BYTES], hash[LSN_HASH_BYTES];
	uint64_t			 now = j->now, skew;
	int				 rv, st;

	skew = (uint64_t) b->conf.skew_ms;
	/* signature, parse (done by vpool) */
	if ((rv = j->vj.rv) != LSN_OK) {
		refuse(res, rv, "%s: %s", fname(j->vj.field),
		    lsn_strerror(rv));
		goto out;
	}
	if ((e = j->vj.env) == NULL) {
		refuse(res, LSN_EINTERNAL, "envelope");
		goto out;
	}
	memcpy(res->msgid, e->message_id.data, LSN_MSGID_BYTES);
	res->has_msgid = 1;
	res->type = (int) e->type;
	res->priority = e->has_priority ? (int) e->priority : 0;
	/* key valid when the envelope was made */
	if ((rv = bdir_sign_key(b, partner, o->key_id, e->created_ms,
	    pk)) != LSN_OK) {
		refuse(res, rv, "signing key %s at created_ms: %s", o->key_id,
		    lsn_strerror(rv));
		goto out;
	}
	if (strcmp(e->sender, partner) != 0) {
		refuse(res, LSN_ESENDER, "sender %s is not the connection's "
		    "partner %s", e->sender, partner);
		goto out;
	}
	/*
	 * Idempotency before the time and recipient rules: a retry of an
	 * accepted message is acknowledged again even when the clock moved,
	 * a queue filled or a recipient left since.
	 */
	if ((rv = lsn_envelope_hash(o, hash)) != LSN_OK) {
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
		refuse(res, rv, "database error");
		goto out;
	}
	/* time */
	if (e->created_ms > now + skew || e->created_ms + skew < now) {
		refuse(res, LSN_ESKEW, "created_ms is %lld ms from the "
		    "broker's clock (allowed %llu)",
		    (long long) (e->created_ms - now),
		    (unsigned long long) skew);
		goto out;
	}
	if (e->has_expires_ms && e->expires_ms != 0 && e->expires_ms <= now) {
		refuse(res, LSN_EEXPIRED, "expired %llu ms ago",
		    (unsigned long long) (now - e->expires_ms));
		goto out;
	}
	/* recipients */
	for (size_t i = 0; i < e->n_to; i++) {
		rv = bdir_partner_status(b, e->to[i], &st);
		if (rv == LSN_ENOENT || (rv == LSN_OK &&
		    st != LIAISON__V1__PARTNER_STATUS__STATUS_ACTIVE)) {
			refuse(res, LSN_EUNKNOWNRCPT, "recipient %s is unknown "
			    "or not active", e->to[i]);
			goto out;
		} else if (rv != LSN_OK) {
			refuse(res, LSN_EDB, "directory error");
			goto out;
		}
		if ((rv = set_add(&set, e->to[i])) != LSN_OK) {
			refuse(res, rv, "recipients");
			goto out;
		}
	}
	set.skip = partner;
	for (size_t i = 0; i < e->n_to_groups; i++) {
		rv = lsn_dir_group_members(b->dir, e->to_groups[i], 1,
		    member_cb, &set);
		if (rv == LSN_EUNKNOWNGROUP) {
			refuse(res, LSN_EUNKNOWNGROUP,
			    "group %s does not exist", e->to_groups[i]);
			goto out;
		} else if (rv != LSN_OK || set.err != LSN_OK) {
			rv = set.err != LSN_OK ? set.err : rv;
			refuse(res, rv, "group %s: %s", e->to_groups[i],
			    lsn_strerror(rv));
			goto out;
		}
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
		if ((res->code = limits_quota(b, partner, set.ids[i],
		    (int) e->priority, res->detail, sizeof(res->detail))) !=
		    LSN_OK)
			goto out;
	if ((rv = store_message(b, partner, e, j->env, j->envlen, hash, &set,
	    now)) != LSN_OK) {
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
