/*
 * envelope.c -- signed envelopes: validate, sign, peek, verify then parse.
 *
 * Order of checks on the way in (STYLE.md 6): size, outer unpack, key
 * lookup (caller), signature over the exact bytes, inner unpack, canonical
 * re-encoding, field validation, hint binding.
 */
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "liaison/envelope.h"
#include "liaison/sig.h"

#include "pbcheck_int.h"

/* Checks an optional bytes field: when present, data is non-NULL (or the
 * length is 0) and min <= len <= max. */
static int
bytes_ok(const ProtobufCBinaryData *b, size_t min, size_t max)
{
	if (b->len > 0 && b->data == NULL)
		return (0);
	return (b->len >= min && b->len <= max);
}

/* Slugs in list[0..n): each valid, no duplicates. n is bounded by the
 * caller (<= 1024), so the quadratic scan stays small; it runs only on
 * signature-verified input or on the sender's own envelope. */
static int
slug_list(char *const *list, size_t n, int *dup)
{
	*dup = 0;
	for (size_t i = 0; i < n; i++) {
		if (!lsn_slug_valid(list[i]))
			return (0);
		for (size_t j = 0; j < i; j++)
			if (strcmp(list[i], list[j]) == 0) {
				*dup = 1;
				return (0);
			}
	}
	return (1);
}

int
lsn_handling_validate(const Liaison__V1__Handling *h, const char **fieldp)
{
	const char	*field = NULL;
	int		 rv = LSN_EINVAL, h3 = 0;

	if (h == NULL ||
	    h->base.descriptor != &liaison__v1__handling__descriptor)
		FAIL(LSN_EINVAL, "handling");
	if (!h->has_tlp || !enum_known(&liaison__v1__tlp__descriptor,
	    (int) h->tlp))
		FAIL(LSN_EINVAL, "handling.tlp");
	if (h->n_codes > LSN_ENV_CODES_MAX)
		FAIL(LSN_ETOOBIG, "handling.codes");
	if (h->n_codes > 0 && h->codes == NULL)
		FAIL(LSN_EINVAL, "handling.codes");
	for (size_t i = 0; i < h->n_codes; i++) {
		if (!enum_known(&liaison__v1__handling_code__descriptor,
		    (int) h->codes[i]))
			FAIL(LSN_EINVAL, "handling.codes");
		for (size_t j = 0; j < i; j++)
			if (h->codes[i] == h->codes[j])
				FAIL(LSN_EINVAL, "handling.codes");
		if (h->codes[i] == LIAISON__V1__HANDLING_CODE__HANDLING_H3)
			h3 = 1;
	}
	/* H3 means "see h3_text": the text comes with the code, never
	 * without it. */
	if (h3 != (h->h3_text != NULL))
		FAIL(LSN_EINVAL, "handling.h3_text");
	if (h->h3_text != NULL && (h->h3_text[0] == '\0' ||
	    !lsn_text_valid(h->h3_text, LSN_ENV_H3_TEXT_MAX)))
		FAIL(LSN_EINVAL, "handling.h3_text");
	if (h->permitted_purpose != NULL && (h->permitted_purpose[0] == '\0' ||
	    !lsn_text_valid(h->permitted_purpose, LSN_ENV_PURPOSE_MAX)))
		FAIL(LSN_EINVAL, "handling.permitted_purpose");
	if (h->has_reliability &&
	    !enum_known(&liaison__v1__source_reliability__descriptor,
	    (int) h->reliability))
		FAIL(LSN_EINVAL, "handling.reliability");
	if (h->has_accuracy && !enum_known(
	    &liaison__v1__info_accuracy__descriptor, (int) h->accuracy))
		FAIL(LSN_EINVAL, "handling.accuracy");
	rv = LSN_OK;
 out:
	set_field(fieldp, field);
	return (rv);
}

static int
validate_sealed(const Liaison__V1__SealedBody *s, const char **fieldp)
{
	const char	*field = NULL;
	int		 rv = LSN_EINVAL;

	if (s->base.descriptor != &liaison__v1__sealed_body__descriptor)
		FAIL(LSN_EINVAL, "sealed");
	if (!s->has_nonce || !bytes_ok(&s->nonce, LSN_SEAL_NONCE_BYTES,
	    LSN_SEAL_NONCE_BYTES))
		FAIL(LSN_EINVAL, "sealed.nonce");
	if (!s->has_ciphertext || s->ciphertext.len < LSN_SEAL_TAG_BYTES ||
	    s->ciphertext.data == NULL)
		FAIL(LSN_EINVAL, "sealed.ciphertext");
	if (s->ciphertext.len > LSN_BODY_MAX)
		FAIL(LSN_ETOOBIG, "sealed.ciphertext");
	if (s->n_keys == 0 || s->keys == NULL)
		FAIL(LSN_EINVAL, "sealed.keys");
	if (s->n_keys > LSN_SEAL_KEYS_MAX)
		FAIL(LSN_ETOOBIG, "sealed.keys");
	for (size_t i = 0; i < s->n_keys; i++) {
		const Liaison__V1__SealedKey *k = s->keys[i];

		if (k == NULL ||
		    k->base.descriptor != &liaison__v1__sealed_key__descriptor)
			FAIL(LSN_EINVAL, "sealed.keys");
		if (!lsn_slug_valid(k->partner))
			FAIL(LSN_EINVAL, "sealed.keys.partner");
		if (!lsn_key_id_valid(k->key_id))
			FAIL(LSN_EINVAL, "sealed.keys.key_id");
		if (!k->has_sealed_key || !bytes_ok(&k->sealed_key,
		    LSN_SEAL_KEY_BYTES, LSN_SEAL_KEY_BYTES))
			FAIL(LSN_EINVAL, "sealed.keys.sealed_key");
		/* One content key per (partner, key): bounded as above. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(k->partner, s->keys[j]->partner) == 0 &&
			    strcmp(k->key_id, s->keys[j]->key_id) == 0)
				FAIL(LSN_EINVAL, "sealed.keys");
	}
	rv = LSN_OK;
 out:
	set_field(fieldp, field);
	return (rv);
}

/* Over 80 lines: one check per Envelope field, in proto order. */
int
lsn_envelope_validate(const Liaison__V1__Envelope *env, const char **fieldp)
{
	const char	*field = NULL;
	int		 rv = LSN_EINVAL, dup;

	if (env == NULL ||
	    env->base.descriptor != &liaison__v1__envelope__descriptor)
		FAIL(LSN_EINVAL, "envelope");
	if (!env->has_version || env->version != LSN_ENVELOPE_VERSION)
		FAIL(LSN_EVERSION, "version");
	if (!env->has_message_id || !bytes_ok(&env->message_id,
	    LSN_MSGID_BYTES, LSN_MSGID_BYTES))
		FAIL(LSN_EINVAL, "message_id");
	if (!lsn_slug_valid(env->sender))
		FAIL(LSN_EINVAL, "sender");
	if (!lsn_key_id_valid(env->sender_key_id))
		FAIL(LSN_EINVAL, "sender_key_id");

	/* Recipients: bounded counts first, then each entry. */
	if (env->n_to > LSN_ENV_TO_MAX)
		FAIL(LSN_ETOOBIG, "to");
	if (env->n_to_groups > LSN_ENV_GROUPS_MAX)
		FAIL(LSN_ETOOBIG, "to_groups");
	if (env->n_to == 0 && env->n_to_groups == 0)
		FAIL(LSN_EINVAL, "to");
	if ((env->n_to > 0 && env->to == NULL) ||
	    !slug_list(env->to, env->n_to, &dup))
		FAIL(LSN_EINVAL, "to");
	if ((env->n_to_groups > 0 && env->to_groups == NULL) ||
	    !slug_list(env->to_groups, env->n_to_groups, &dup))
		FAIL(LSN_EINVAL, "to_groups");

	if (!env->has_created_ms || env->created_ms == 0 ||
	    env->created_ms > LSN_ENV_TIME_MAX)
		FAIL(LSN_EINVAL, "created_ms");
	/* expires_ms 0 means "no expiry" (envelope.proto). */
	if (env->has_expires_ms && env->expires_ms != 0 &&
	    (env->expires_ms <= env->created_ms ||
	    env->expires_ms > LSN_ENV_TIME_MAX))
		FAIL(LSN_EINVAL, "expires_ms");
	if (!env->has_type ||
	    !enum_known(&liaison__v1__message_type__descriptor,
	    (int) env->type))
		FAIL(LSN_EINVAL, "type");
	if ((rv = lsn_handling_validate(env->handling, &field)) != LSN_OK)
		goto out;
	rv = LSN_EINVAL;
	if (env->has_priority &&
	    !enum_known(&liaison__v1__priority__descriptor,
	    (int) env->priority))
		FAIL(LSN_EINVAL, "priority");
	if (env->has_in_reply_to && !bytes_ok(&env->in_reply_to,
	    LSN_MSGID_BYTES, LSN_MSGID_BYTES))
		FAIL(LSN_EINVAL, "in_reply_to");
	if (env->case_ref != NULL && (env->case_ref[0] == '\0' ||
	    !lsn_text_valid(env->case_ref, LSN_ENV_CASE_REF_MAX)))
		FAIL(LSN_EINVAL, "case_ref");
	if (env->has_thread_id && !bytes_ok(&env->thread_id,
	    LSN_MSGID_BYTES, LSN_MSGID_BYTES))
		FAIL(LSN_EINVAL, "thread_id");
	if (env->dir_head != NULL && (env->dir_head->base.descriptor !=
	    &liaison__v1__dir_head__descriptor || !env->dir_head->has_hash ||
	    !bytes_ok(&env->dir_head->hash, LSN_HASH_BYTES, LSN_HASH_BYTES)))
		FAIL(LSN_EINVAL, "dir_head");

	/* Exactly one of body / sealed. */
	if (env->has_body == (env->sealed != NULL))
		FAIL(LSN_EINVAL, "body");
	if (env->has_body) {
		if (env->body.len > LSN_BODY_MAX)
			FAIL(LSN_ETOOBIG, "body");
		if (!bytes_ok(&env->body, 0, LSN_BODY_MAX))
			FAIL(LSN_EINVAL, "body");
		/* AMBER and stronger: the broker must not be able to read
		 * the body (DOMAIN.md). */
		if (env->handling->tlp >= LIAISON__V1__TLP__TLP_AMBER)
			FAIL(LSN_ENOTSEALED, "body");
	} else if ((rv = validate_sealed(env->sealed, &field)) != LSN_OK)
		goto out;
	rv = LSN_EINVAL;
	/* RED: named recipients only. */
	if (env->handling->tlp == LIAISON__V1__TLP__TLP_RED &&
	    env->n_to_groups > 0)
		FAIL(LSN_EINVAL, "to_groups");
	if (env->has_forwarded && (env->forwarded.len == 0 ||
	    !bytes_ok(&env->forwarded, 1, LSN_MSG_MAX)))
		FAIL(LSN_EINVAL, "forwarded");
	rv = LSN_OK;
 out:
	if (rv != LSN_OK)
		set_field(fieldp, field);
	return (rv);
}

/*
 * Checks that buf (len bytes) is exactly what protobuf-c packs for m:
 * refuses overlong varints, repeated or merged singular fields, strings
 * cut short by a NUL, non-0/1 booleans -- encodings that parse to the same
 * message from different bytes. Unknown fields are kept by protobuf-c and
 * packed after the known ones, so a newer sender's added fields pass.
 */
static int
canonical(const ProtobufCMessage *m, const uint8_t *buf, size_t len)
{
	uint8_t	*tmp;
	size_t	 n;
	int	 rv = LSN_EPROTO;

	if ((n = protobuf_c_message_get_packed_size(m)) != len)
		return (LSN_EPROTO);
	if ((tmp = malloc(n > 0 ? n : 1)) == NULL)
		return (LSN_ENOMEM);
	if (protobuf_c_message_pack(m, tmp) == n && memcmp(tmp, buf, n) == 0)
		rv = LSN_OK;
	free(tmp);
	return (rv);
}

/*
 * Packs the effective envelope for signing and signs it (sig NULL: packs
 * only, lsn_envelope_pack); see lsn_envelope_sign().
 */
static int
envelope_pack(const Liaison__V1__Envelope *env, const struct lsn_keypair *kp,
    uint8_t **envp, size_t *envlenp, uint8_t sig[LSN_SIG_BYTES],
    char sender[LSN_LABEL_MAX + 1], char kid[LSN_KEYID_HEXLEN + 1],
    const char **fieldp)
{
	Liaison__V1__Envelope	 tmp;
	uint8_t			*buf = NULL;
	size_t			 len;
	const char		*field = NULL;
	int			 rv = LSN_EINVAL;

	if (env == NULL || kp == NULL || kp->kind != LSN_KEY_SIGN ||
	    kp->sk == NULL)
		return (LSN_EINVAL);
	/* A shallow copy lets the key fill sender / sender_key_id without
	 * touching the caller's struct; the strings point at our buffers. */
	tmp = *env;
	/* Never truncate a sender into a different valid slug. */
	if (env->sender != NULL && strlen(env->sender) > LSN_LABEL_MAX)
		FAIL(LSN_EINVAL, "sender");
	(void) lsn_strlcpy(sender, env->sender != NULL ? env->sender :
	    kp->label, LSN_LABEL_MAX + 1);
	(void) lsn_strlcpy(kid, kp->key_id, LSN_KEYID_HEXLEN + 1);
	if (env->sender_key_id != NULL &&
	    strcmp(env->sender_key_id, kp->key_id) != 0)
		FAIL(LSN_EINVAL, "sender_key_id");
	tmp.sender = sender;
	tmp.sender_key_id = kid;
	if ((rv = lsn_envelope_validate(&tmp, &field)) != LSN_OK)
		goto out;
	len = liaison__v1__envelope__get_packed_size(&tmp);
	if (len > LSN_MSG_MAX)
		FAIL(LSN_ETOOBIG, "envelope");
	if ((buf = malloc(len)) == NULL)
		FAIL(LSN_ENOMEM, NULL);
	if (liaison__v1__envelope__pack(&tmp, buf) != len)
		FAIL(LSN_EINTERNAL, "envelope");
	if (sig != NULL &&
	    (rv = lsn_sig_sign(LSN_SIG_ENVELOPE, kp, buf, len, sig)) != LSN_OK)
		goto out;
	*envp = buf;
	*envlenp = len;
	buf = NULL;
 out:
	free(buf);
	if (rv != LSN_OK)
		set_field(fieldp, field);
	return (rv);
}

int
lsn_envelope_sign_detached(const Liaison__V1__Envelope *env,
    const struct lsn_keypair *kp, uint8_t **envp, size_t *envlenp,
    uint8_t sig[LSN_SIG_BYTES], const char **fieldp)
{
	char	sender[LSN_LABEL_MAX + 1], kid[LSN_KEYID_HEXLEN + 1];

	if (envp == NULL || envlenp == NULL || sig == NULL)
		return (LSN_EINVAL);
	return (envelope_pack(env, kp, envp, envlenp, sig, sender, kid,
	    fieldp));
}

int
lsn_envelope_pack(const Liaison__V1__Envelope *env,
    const struct lsn_keypair *kp, uint8_t **envp, size_t *envlenp,
    const char **fieldp)
{
	char	sender[LSN_LABEL_MAX + 1], kid[LSN_KEYID_HEXLEN + 1];

	if (envp == NULL || envlenp == NULL)
		return (LSN_EINVAL);
	return (envelope_pack(env, kp, envp, envlenp, NULL, sender, kid,
	    fieldp));
}

int
lsn_envelope_sign(const Liaison__V1__Envelope *env,
    const struct lsn_keypair *kp, uint8_t **outp, size_t *lenp,
    const char **fieldp)
{
	char	 sender[LSN_LABEL_MAX + 1], kid[LSN_KEYID_HEXLEN + 1];
	uint8_t	 sig[LSN_SIG_BYTES];
	uint8_t	*eb = NULL;
	size_t	 elen = 0;
	int	 rv;

	if (outp == NULL || lenp == NULL)
		return (LSN_EINVAL);
	rv = envelope_pack(env, kp, &eb, &elen, sig, sender, kid, fieldp);
	if (rv != LSN_OK)
		return (rv);
	rv = lsn_envelope_wrap(eb, elen, sig, sender, kid, outp, lenp);
	if (rv == LSN_ETOOBIG)
		set_field(fieldp, "envelope");
	free(eb);
	return (rv);
}

int
lsn_envelope_wrap(const uint8_t *env, size_t envlen,
    const uint8_t sig[LSN_SIG_BYTES], const char *signer, const char *key_id,
    uint8_t **outp, size_t *lenp)
{
	return (lsn_envelope_wrap_batch(env, envlen, sig, signer, key_id, NULL,
	    outp, lenp));
}

int
lsn_envelope_wrap_batch(const uint8_t *env, size_t envlen,
    const uint8_t sig[LSN_SIG_BYTES], const char *signer, const char *key_id,
    const struct lsn_batch_proof *p, uint8_t **outp, size_t *lenp)
{
	Liaison__V1__SignedEnvelope	 se =
	    LIAISON__V1__SIGNED_ENVELOPE__INIT;
	Liaison__V1__BatchProof		 bp = LIAISON__V1__BATCH_PROOF__INIT;
	ProtobufCBinaryData		 path[LSN_BATCH_DEPTH_MAX];
	char				 sbuf[LSN_LABEL_MAX + 1];
	char				 kbuf[LSN_KEYID_HEXLEN + 1];
	uint8_t				*buf;
	size_t				 len;

	if (env == NULL || envlen == 0 || sig == NULL || outp == NULL ||
	    lenp == NULL || !lsn_slug_valid(signer) ||
	    !lsn_key_id_valid(key_id) ||
	    (p != NULL && p->depth > LSN_BATCH_DEPTH_MAX))
		return (LSN_EINVAL);
	if (p != NULL) {
		for (size_t i = 0; i < p->depth; i++) {
			path[i].len = LSN_HASH_BYTES;
			path[i].data = (uint8_t *) (uintptr_t) p->path[i];
		}
		bp.has_leaf_index = bp.has_leaf_count = 1;
		bp.leaf_index = p->index;
		bp.leaf_count = p->count;
		bp.n_path = p->depth;
		bp.path = path;
		se.batch = &bp;
	}
	if (envlen > LSN_MSG_MAX)
		return (LSN_ETOOBIG);
	/* protobuf-c wants non-const pointers; pack only reads them. */
	(void) lsn_strlcpy(sbuf, signer, sizeof(sbuf));
	(void) lsn_strlcpy(kbuf, key_id, sizeof(kbuf));
	se.has_envelope = 1;
	se.envelope.len = envlen;
	se.envelope.data = (uint8_t *) (uintptr_t) env;
	se.has_signature = 1;
	se.signature.len = LSN_SIG_BYTES;
	se.signature.data = (uint8_t *) (uintptr_t) sig;
	se.signer = sbuf;
	se.key_id = kbuf;
	len = liaison__v1__signed_envelope__get_packed_size(&se);
	if (len > LSN_MSG_MAX)
		return (LSN_ETOOBIG);
	if ((buf = malloc(len)) == NULL)
		return (LSN_ENOMEM);
	if (liaison__v1__signed_envelope__pack(&se, buf) != len) {
		free(buf);
		return (LSN_EINTERNAL);
	}
	*outp = buf;
	*lenp = len;
	return (LSN_OK);
}

/*
 * The shape of a SignedEnvelope.batch, copied into o: index below count,
 * count 2..LSN_BATCH_MAX, at most LSN_BATCH_DEPTH_MAX hashes of 32 bytes
 * (whether the path's length fits is lsn_batch_verify's). LSN_EBADSIG.
 */
static int
peek_batch(const Liaison__V1__BatchProof *b, struct lsn_envelope_outer *o)
{
	if (!b->has_leaf_index || !b->has_leaf_count || b->leaf_count < 2 ||
	    b->leaf_count > LSN_BATCH_MAX || b->leaf_index >= b->leaf_count ||
	    b->n_path > LSN_BATCH_DEPTH_MAX)
		return (LSN_EBADSIG);
	for (size_t i = 0; i < b->n_path; i++) {
		if (b->path[i].len != LSN_HASH_BYTES)
			return (LSN_EBADSIG);
		memcpy(o->batch.path[i], b->path[i].data, LSN_HASH_BYTES);
	}
	o->batch.index = b->leaf_index;
	o->batch.count = b->leaf_count;
	o->batch.depth = b->n_path;
	o->has_batch = 1;
	return (LSN_OK);
}

int
lsn_envelope_peek(const uint8_t *buf, size_t len, size_t max,
    struct lsn_envelope_outer **outp, const char **fieldp)
{
	Liaison__V1__SignedEnvelope	*se = NULL;
	struct lsn_envelope_outer	*o = NULL;
	const char			*field = NULL;
	int				 rv = LSN_EPROTO;

	if (max == 0 || max > LSN_MSG_MAX)
		max = LSN_MSG_MAX;
	if (outp == NULL)
		FAIL(LSN_EINVAL, NULL);
	if (buf == NULL || len == 0)
		FAIL(LSN_EPROTO, "signed_envelope");
	if (len > max)
		FAIL(LSN_ETOOBIG, "signed_envelope");
	se = liaison__v1__signed_envelope__unpack(NULL, len, buf);
	if (se == NULL)
		FAIL(LSN_EPROTO, "signed_envelope");
	if ((rv = canonical(&se->base, buf, len)) != LSN_OK)
		FAIL(rv, "signed_envelope");
	if (!se->has_envelope || se->envelope.len == 0)
		FAIL(LSN_EPROTO, "envelope");
	if (!se->has_signature || se->signature.len != LSN_SIG_BYTES)
		FAIL(LSN_EBADSIG, "signature");
	if (!lsn_slug_valid(se->signer))
		FAIL(LSN_EINVAL, "signer");
	if (!lsn_key_id_valid(se->key_id))
		FAIL(LSN_EINVAL, "key_id");
	if ((o = calloc(1, sizeof(*o))) == NULL)
		FAIL(LSN_ENOMEM, NULL);
	if (se->batch != NULL && (rv = peek_batch(se->batch, o)) != LSN_OK)
		FAIL(rv, "batch");
	o->env = se->envelope.data;
	o->envlen = se->envelope.len;
	o->sig = se->signature.data;
	o->signer = se->signer;
	o->key_id = se->key_id;
	o->se = se;
	se = NULL;
	*outp = o;
	rv = LSN_OK;
 out:
	if (se != NULL)
		liaison__v1__signed_envelope__free_unpacked(se, NULL);
	if (rv != LSN_OK) {
		free(o);	/* a refused batch shape: o owns nothing yet */
		set_field(fieldp, field);
	}
	return (rv);
}

void
lsn_envelope_outer_destroy(struct lsn_envelope_outer **op)
{
	struct lsn_envelope_outer	*o;

	if (op == NULL || (o = *op) == NULL)
		return;
	if (o->se != NULL)
		liaison__v1__signed_envelope__free_unpacked(o->se, NULL);
	free(o);
	*op = NULL;
}

int
lsn_envelope_verify_parse(const struct lsn_envelope_outer *o,
    const uint8_t pk[LSN_PK_BYTES], Liaison__V1__Envelope **envp,
    const char **fieldp)
{
	Liaison__V1__Envelope	*env = NULL;
	char			 kid[LSN_KEYID_HEXLEN + 1];
	const char		*field = NULL;
	int			 rv = LSN_EINVAL;

	if (o == NULL || pk == NULL || envp == NULL || o->env == NULL ||
	    o->sig == NULL || o->signer == NULL || o->key_id == NULL)
		FAIL(LSN_EINVAL, NULL);
	/* Nothing signed is parsed before this succeeds. */
	if (o->has_batch)
		rv = lsn_batch_verify(pk, o->env, o->envlen, &o->batch, o->sig,
		    LSN_SIG_BYTES);
	else
		rv = lsn_sig_verify(LSN_SIG_ENVELOPE, pk, o->env, o->envlen,
		    o->sig, LSN_SIG_BYTES);
	if (rv != LSN_OK)
		FAIL(rv, "signature");
	if ((env = liaison__v1__envelope__unpack(NULL, o->envlen,
	    o->env)) == NULL)
		FAIL(LSN_EPROTO, "envelope");
	if ((rv = canonical(&env->base, o->env, o->envlen)) != LSN_OK)
		FAIL(rv, "envelope");
	if ((rv = lsn_envelope_validate(env, &field)) != LSN_OK)
		goto out;
	/* Bind the unsigned hints and the key to the signed identity. */
	if (strcmp(env->sender, o->signer) != 0)
		FAIL(LSN_EBADSIG, "sender");
	if (strcmp(env->sender_key_id, o->key_id) != 0)
		FAIL(LSN_EBADSIG, "sender_key_id");
	lsn_key_id(pk, kid);
	if (strcmp(env->sender_key_id, kid) != 0)
		FAIL(LSN_EBADSIG, "sender_key_id");
	*envp = env;
	env = NULL;
	rv = LSN_OK;
 out:
	lsn_envelope_free(&env);
	if (rv != LSN_OK)
		set_field(fieldp, field);
	return (rv);
}

void
lsn_envelope_free(Liaison__V1__Envelope **envp)
{
	if (envp == NULL || *envp == NULL)
		return;
	liaison__v1__envelope__free_unpacked(*envp, NULL);
	*envp = NULL;
}

int
lsn_envelope_check_time(const Liaison__V1__Envelope *env, uint64_t now_ms,
    uint64_t skew_ms)
{
	if (env == NULL || !env->has_created_ms)
		return (LSN_EINVAL);
	/* Compare without subtraction that could wrap. */
	if (env->created_ms > now_ms && env->created_ms - now_ms > skew_ms)
		return (LSN_ESKEW);
	if (env->created_ms < now_ms && now_ms - env->created_ms > skew_ms)
		return (LSN_ESKEW);
	if (env->has_expires_ms && env->expires_ms != 0 &&
	    env->expires_ms <= now_ms)
		return (LSN_EEXPIRED);
	return (LSN_OK);
}

int
lsn_envelope_hash(const struct lsn_envelope_outer *o,
    uint8_t out[LSN_HASH_BYTES])
{
	if (o == NULL || o->env == NULL || out == NULL)
		return (LSN_EINVAL);
	lsn_hash(o->env, o->envlen, out);
	return (LSN_OK);
}

const char *
lsn_envelope_type_name(int type)
{
	static const char *const names[] = {
		NULL, "note", "meeting-notice", "meeting-response",
		"referral-handoff", "referral-response", "contact-update",
		"alert", "receipt", "contact-check", "contact-confirmed",
		"alert-ack",
	};

	if (type <= 0 || (size_t) type >= sizeof(names) / sizeof(names[0]))
		return ("?");
	return (names[type]);
}

const char *
lsn_tlp_name(int tlp)
{
	static const char *const names[] = {
		NULL, "clear", "green", "amber", "amber-strict", "red",
	};

	if (tlp <= 0 || (size_t) tlp >= sizeof(names) / sizeof(names[0]))
		return ("?");
	return (names[tlp]);
}

void
lsn_message_id_new(uint8_t id[LSN_MSGID_BYTES])
{
	uint64_t	ms = lsn_now_ms();

	lsn_random(id, LSN_MSGID_BYTES);
	for (int i = 0; i < 6; i++)
		id[i] = (uint8_t) (ms >> (40 - 8 * i));
	id[6] = (uint8_t) (0x70 | (id[6] & 0x0f));	/* version 7 */
	id[8] = (uint8_t) (0x80 | (id[8] & 0x3f));	/* variant 10 */
}
