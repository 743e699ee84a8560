/*
 * compose.c -- the first stage of the send path: a submitted message is
 * checked (the request, its recipients expanded from the replica, the
 * outbox quota, its workflow step (wf_on_submit, check only) and its
 * marking (wfmark.c)), built, sealed and packed. Nothing is written: the
 * store is only read by the checks. The next stage, outbox.c, stores the
 * result inside the caller's transaction; outbox_sign.c signs it with
 * the turn's other messages before the COMMIT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/seal.h"
#include "liaison/err.h"
#include "liaison/log.h"
#include "liaison/util.h"

#include "agent.h"

/* Over 80 lines: one check per SubmitRequest field, in api.proto order. */
static int
check_request(struct agent *a, const Liaison__V1__SubmitRequest *r,
    int flags, char *detail, size_t detailsz)
{
	const char	*field = NULL;
	int		 rv;

	(void) a;
	if (r->n_to + r->n_to_groups == 0) {
		snprintf(detail, detailsz, "no recipient (to or to_groups)");
		return (LSN_EINVAL);
	}
	if (r->n_to > LSN_ENV_TO_MAX || r->n_to_groups > LSN_ENV_GROUPS_MAX) {
		snprintf(detail, detailsz, "too many recipients");
		return (LSN_ETOOBIG);
	}
	for (size_t i = 0; i < r->n_to; i++)
		if (r->to[i] == NULL || !lsn_slug_valid(r->to[i])) {
			snprintf(detail, detailsz, "recipient %zu is not a "
			    "valid partner id", i + 1);
			return (LSN_EINVAL);
		}
	for (size_t i = 0; i < r->n_to_groups; i++)
		if (r->to_groups[i] == NULL ||
		    !lsn_slug_valid(r->to_groups[i])) {
			snprintf(detail, detailsz, "group %zu is not a valid "
			    "group name", i + 1);
			return (LSN_EINVAL);
		}
	/* receipts are made by agents only (rcpt.c) */
	if (!r->has_type || (r->type ==
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_RECEIPT &&
	    !(flags & OUTBOX_F_AGENT)) ||
	    lsn_body_descriptor((int) r->type) == NULL) {
		snprintf(detail, detailsz, "message type %s cannot be "
		    "submitted", r->has_type ?
		    lsn_envelope_type_name((int) r->type) : "(none)");
		return (LSN_EINVAL);
	}
	if (!r->has_body || r->body.len == 0 ||
	    r->body.len > LSN_BODY_MAX) {
		snprintf(detail, detailsz, "body missing or over %d bytes",
		    LSN_BODY_MAX);
		return (r->has_body && r->body.len > LSN_BODY_MAX ?
		    LSN_ETOOBIG : LSN_EINVAL);
	}
	if ((rv = lsn_body_validate((int) r->type, r->body.data,
	    r->body.len, lsn_now_ms(), &field)) != LSN_OK) {
		snprintf(detail, detailsz, "invalid %s body: %s (%s)",
		    lsn_envelope_type_name((int) r->type), lsn_strerror(rv),
		    field != NULL ? field : "-");
		return (rv);
	}
	if ((r->has_in_reply_to && r->in_reply_to.len != LSN_MSGID_BYTES) ||
	    (r->has_thread_id && r->thread_id.len != LSN_MSGID_BYTES)) {
		snprintf(detail, detailsz, "in_reply_to / thread_id must be "
		    "%d bytes", LSN_MSGID_BYTES);
		return (LSN_EINVAL);
	}
	if (r->case_ref != NULL &&
	    !lsn_text_valid(r->case_ref, LSN_ENV_CASE_REF_MAX)) {
		snprintf(detail, detailsz, "case_ref invalid");
		return (LSN_EINVAL);
	}
	if (r->handling != NULL) {
		/* checked before sealing; an absent TLP defaults to GREEN */
		Liaison__V1__Handling	h = *r->handling;

		if (!h.has_tlp) {
			h.has_tlp = 1;
			h.tlp = LIAISON__V1__TLP__TLP_GREEN;
		}
		if ((rv = lsn_handling_validate(&h, &field)) != LSN_OK) {
			snprintf(detail, detailsz, "invalid %s",
			    field != NULL ? field : "handling");
			return (rv);
		}
	}
	if (r->has_expires_ms && r->expires_ms != 0 &&
	    r->expires_ms <= lsn_now_ms()) {
		snprintf(detail, detailsz, "expires_ms is in the past");
		return (LSN_EEXPIRED);
	}
	return (LSN_OK);
}

static void
join_recipients(const Liaison__V1__SubmitRequest *r, char *out, size_t sz)
{
	size_t	n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n_to && n < sz; i++)
		n += (size_t) snprintf(out + n, sz - n, "%s%s",
		    n ? "," : "", r->to[i]);
	for (size_t i = 0; i < r->n_to_groups && n < sz; i++)
		n += (size_t) snprintf(out + n, sz - n, "%s@%s",
		    n ? "," : "", r->to_groups[i]);
}

/*
 * The key outbox_sign.c batches by: a hash of the recipients exactly as
 * named (to, then to_groups), whatever their length.
 */
static void
group_key(const Liaison__V1__SubmitRequest *r, uint8_t out[16])
{
	crypto_generichash_state	h;

	crypto_generichash_init(&h, NULL, 0, 16);
	for (size_t i = 0; i < r->n_to; i++)
		crypto_generichash_update(&h, (const uint8_t *) r->to[i],
		    strlen(r->to[i]) + 1);
	crypto_generichash_update(&h, (const uint8_t *) "@", 1);
	for (size_t i = 0; i < r->n_to_groups; i++)
		crypto_generichash_update(&h, (const uint8_t *)
		    r->to_groups[i], strlen(r->to_groups[i]) + 1);
	crypto_generichash_final(&h, out, 16);
}

int
idset_add(void *arg, const char *id)
{
	struct agent_idset	*ss = arg;
	void			*p;

	for (size_t i = 0; i < ss->n; i++)
		if (strcmp(ss->ids[i], id) == 0)
			return (0);
	if (ss->n >= LSN_SEAL_KEYS_MAX)
		return (LSN_ETOOBIG);
	if (ss->n == ss->cap) {
		ss->cap = ss->cap ? ss->cap * 2 : 16;
		if ((p = reallocarray(ss->ids, ss->cap,
		    sizeof(*ss->ids))) == NULL)
			return (LSN_ENOMEM);
		ss->ids = p;
	}
	if (lsn_strlcpy(ss->ids[ss->n], id, sizeof(ss->ids[0])) >=
	    sizeof(ss->ids[0]))
		return (LSN_EINVAL);
	ss->n++;
	return (0);
}

void
idset_free(struct agent_idset *set)
{
	free(set->ids);
	set->ids = NULL;
	set->n = set->cap = 0;
}

/*
 * The partner ids a request reaches, from the local replica: every named
 * recipient and every current ACTIVE member of every group, without the
 * sender when it is reached through a group only (the broker's rule).
 * set must start empty; the caller frees it (idset_free) in all cases.
 */
int
compose_expand(struct agent *a, const Liaison__V1__SubmitRequest *r,
    struct agent_idset *set, char *detail, size_t detailsz)
{
	int	rv, named_self = 0;

	(void) detail;
	(void) detailsz;
	for (size_t i = 0; i < r->n_to; i++) {
		if (strcmp(r->to[i], a->conf.partner) == 0)
			named_self = 1;
		if ((rv = idset_add(set, r->to[i])) != 0)
			return (rv);
	}
	for (size_t i = 0; i < r->n_to_groups; i++) {
		rv = lsn_dir_group_members(a->dir, r->to_groups[i], 1,
		    idset_add, set);
		/* an unknown group is the broker's to refuse
		 * (E_UNKNOWN_GROUP in the PublishAck) */
		if (rv != LSN_OK && rv != LSN_EUNKNOWNGROUP)
			return (rv);
	}
	if (!named_self)
		for (size_t i = 0; i < set->n; i++)
			if (strcmp(set->ids[i], a->conf.partner) == 0) {
				memmove(&set->ids[i], &set->ids[i + 1],
				    (set->n - i - 1) * sizeof(set->ids[0]));
				set->n--;
				break;
			}
	return (LSN_OK);
}

/*
 * Seals body for every recipient in rcpts (compose_expand: groups are
 * expanded from the local replica now; the broker expands them again
 * against its directory, and a member it adds that we did not know cannot
 * open the body and quarantines it), and the sender itself (so its own
 * outbox copy stays readable by its operator). On success *sbp is the
 * SealedBody (lsn_sealed_free).
 */
static int
seal_body(struct agent *a, const Liaison__V1__SubmitRequest *r,
    const struct agent_idset *rcpts, const uint8_t id[LSN_MSGID_BYTES],
    Liaison__V1__SealedBody **sbp, char *detail, size_t detailsz)
{
	struct agent_idset	 ss = { NULL, 0, 0 };
	struct lsn_seal_rcpt	*rc = NULL;
	uint8_t			(*pks)[LSN_PK_BYTES] = NULL;
	uint8_t			 ad[LSN_SEAL_AD_MAX];
	char			 kid[LSN_KEYID_HEXLEN + 1];
	size_t			 adlen;
	uint64_t		 now = lsn_now_ms();
	int			 rv;

	for (size_t i = 0; i < rcpts->n; i++)
		if ((rv = idset_add(&ss, rcpts->ids[i])) != 0)
			goto out;
	if ((rv = idset_add(&ss, a->conf.partner)) != 0)
		goto out;
	if ((rc = calloc(ss.n, sizeof(*rc))) == NULL ||
	    (pks = calloc(ss.n, sizeof(*pks))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ss.n; i++) {
		if ((rv = lsn_dir_encrypt_key(a->dir, ss.ids[i], now, kid,
		    pks[i])) != LSN_OK) {
			snprintf(detail, detailsz, "cannot seal to %s: %s",
			    ss.ids[i], lsn_strerror(rv));
			goto out;
		}
		rc[i].partner = ss.ids[i];
		rc[i].pk = pks[i];
	}
	if ((rv = lsn_seal_ad(id, a->conf.partner, (int) r->type, ad,
	    &adlen)) != LSN_OK ||
	    (rv = lsn_seal(r->body.data, r->body.len, ad, adlen, rc, ss.n,
	    sbp)) != LSN_OK) {
		snprintf(detail, detailsz, "cannot seal: %s",
		    lsn_strerror(rv));
		goto out;
	}
	rv = LSN_OK;
 out:
	if (rv != LSN_OK && detail[0] == '\0')
		snprintf(detail, detailsz, "cannot seal: %s",
		    lsn_strerror(rv));
	free(rc);
	free(pks);
	idset_free(&ss);
	return (rv);
}


/* A store read failed: logged, one line for the caller. */
static int
db_error(struct agent *a, int rv, char *detail, size_t detailsz)
{
	log_warnx("compose: %s", lsn_store_errmsg(a->st));
	snprintf(detail, detailsz, "agent database error");
	return (rv != LSN_OK ? rv : LSN_EDB);
}

/* LSN_EQUOTA when the outbox holds AGENT_OUTBOX_MAX unsent messages. */
static int
check_quota(struct agent *a, char *detail, size_t detailsz)
{
	uint64_t	n, rej;
	int		rv;

	if ((rv = outbox_counts(a, &n, &rej)) != LSN_OK)
		return (db_error(a, rv, detail, detailsz));
	if (n >= AGENT_OUTBOX_MAX) {
		snprintf(detail, detailsz, "outbox full (%llu messages "
		    "waiting for the broker)", (unsigned long long) n);
		return (LSN_EQUOTA);
	}
	return (LSN_OK);
}

/* The envelope's fields from the request (no body yet); borrows r. */
static void
fill_envelope(struct agent *a, const Liaison__V1__SubmitRequest *r,
    const struct composed *c, Liaison__V1__Envelope *e)
{
	e->has_version = 1;
	e->version = LSN_ENVELOPE_VERSION;
	e->has_message_id = 1;
	e->message_id.data = (uint8_t *) (uintptr_t) c->id;
	e->message_id.len = sizeof(c->id);
	e->sender = a->conf.partner;
	e->sender_key_id = a->sign_kp->key_id;
	e->n_to = r->n_to;
	e->to = r->to;
	e->n_to_groups = r->n_to_groups;
	e->to_groups = r->to_groups;
	e->has_created_ms = 1;
	e->created_ms = c->created_ms;
	if (r->has_expires_ms && r->expires_ms != 0) {
		e->has_expires_ms = 1;
		e->expires_ms = r->expires_ms;
	}
	e->has_type = 1;
	e->type = r->type;
	e->has_priority = 1;
	e->priority = (Liaison__V1__Priority) c->priority;
	e->has_in_reply_to = r->has_in_reply_to;
	e->in_reply_to = r->in_reply_to;
	e->case_ref = r->case_ref;
	e->has_thread_id = r->has_thread_id;
	e->thread_id = r->thread_id;
}

/*
 * Builds the envelope with marking h and the replica's head, seals the
 * body when the marking requires it, packs it: c->env, and c->signed_env
 * with a placeholder signature (signed at the turn's end).
 */
static const uint8_t	zero_sig[LSN_SIG_BYTES];

static int
build_and_pack(struct agent *a, const Liaison__V1__SubmitRequest *r,
    Liaison__V1__Handling *h, struct composed *c, char *detail,
    size_t detailsz)
{
	Liaison__V1__Envelope	e = LIAISON__V1__ENVELOPE__INIT;
	Liaison__V1__DirHead	dh = LIAISON__V1__DIR_HEAD__INIT;
	Liaison__V1__SealedBody	*sb = NULL;
	uint8_t			 hash[LSN_DIR_HASH_BYTES];
	uint64_t		 rev;
	const char		*field = NULL;
	int			 rv;

	if ((rv = lsn_dir_head(a->dir, &rev, hash)) != LSN_OK)
		return (db_error(a, rv, detail, detailsz));
	fill_envelope(a, r, c, &e);
	e.handling = h;
	dh.has_rev = 1;
	dh.rev = rev;
	dh.has_hash = 1;
	dh.hash.data = hash;
	dh.hash.len = sizeof(hash);
	e.dir_head = &dh;
	if (lsn_tlp_requires_seal((int) h->tlp)) {
		detail[0] = '\0';
		if ((rv = seal_body(a, r, &c->rcpts, c->id, &sb, detail,
		    detailsz)) != LSN_OK)
			return (rv);
		e.sealed = sb;
	} else {
		e.has_body = 1;
		e.body = r->body;
	}
	/* packed now, signed with the turn's other messages before its
	 * COMMIT (outbox_sign.c); the row's bytes until then carry a
	 * placeholder signature that nothing accepts */
	rv = lsn_envelope_pack(&e, a->sign_kp, &c->env, &c->envlen, &field);
	lsn_sealed_free(&sb);
	if (rv == LSN_OK)
		rv = lsn_envelope_wrap(c->env, c->envlen, zero_sig,
		    a->conf.partner, a->sign_kp->key_id, &c->signed_env,
		    &c->len);
	if (rv != LSN_OK)
		snprintf(detail, detailsz, "cannot sign: %s (%s)",
		    lsn_strerror(rv), field != NULL ? field : "-");
	return (rv);
}

/*
 * Composes one message: checks r (flags: OUTBOX_F_AGENT allows the types
 * only the agent makes), expands its recipients, checks the quota, its
 * workflow step for every recipient (linked: the REDIRECT whose linked
 * offer r is, else NULL) and its marking, then builds, seals and packs
 * it into *c (composed_free, also on failure). Writes nothing. On
 * failure detail holds a one-line reason.
 */
int
compose(struct agent *a, const Liaison__V1__SubmitRequest *r, int flags,
    const struct wf_link *linked, struct composed *c, char *detail,
    size_t detailsz)
{
	Liaison__V1__Handling	h = LIAISON__V1__HANDLING__INIT;
	int			rv;

	memset(c, 0, sizeof(*c));
	if ((rv = check_request(a, r, flags, detail, detailsz)) != LSN_OK)
		return (rv);
	if ((rv = compose_expand(a, r, &c->rcpts, detail, detailsz)) !=
	    LSN_OK) {
		if (detail[0] == '\0')
			snprintf(detail, detailsz, "recipients: %s",
			    lsn_strerror(rv));
		goto out;
	}
	if ((rv = check_quota(a, detail, detailsz)) != LSN_OK)
		goto out;
	lsn_message_id_new(c->id);
	/* the workflow step must be legal for every recipient */
	if ((rv = wf_on_submit(a, r, &c->rcpts, c->id, linked, 0, NULL,
	    detail, detailsz)) != LSN_OK)
		goto out;
	if (r->handling != NULL)
		h = *r->handling;
	h.base = (ProtobufCMessage) PROTOBUF_C_MESSAGE_INIT(
	    &liaison__v1__handling__descriptor);
	/* a reply keeps its thread's marking (wfmark.c); GREEN else */
	if ((rv = wfmark_submit(a, r, &h, detail, detailsz)) != LSN_OK) {
		if (rv == LSN_EDB)
			rv = db_error(a, rv, detail, detailsz);
		goto out;
	}
	c->type = (int) r->type;
	c->priority = r->has_priority && r->priority != 0 ?
	    (int) r->priority : LIAISON__V1__PRIORITY__PRIORITY_P4;
	c->tlp = (int) h.tlp;
	c->created_ms = lsn_now_ms();
	join_recipients(r, c->recipients, sizeof(c->recipients));
	group_key(r, c->group);
	rv = build_and_pack(a, r, &h, c, detail, detailsz);
 out:
	if (rv != LSN_OK)
		composed_free(c);
	return (rv);
}

void
composed_free(struct composed *c)
{
	idset_free(&c->rcpts);
	free(c->env);
	c->env = NULL;
	c->envlen = 0;
	free(c->signed_env);
	c->signed_env = NULL;
	c->len = 0;
}
