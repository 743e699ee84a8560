/*
 * seal.c -- sealed bodies and the forwarding policy (seal.h).
 *
 * A SealedBody is built on the stack / heap, packed, and unpacked again so
 * that the caller frees it with protobuf-c's free_unpacked like any parsed
 * message (lsn_sealed_free). Secrets (content keys, opened keys) live on
 * the stack and are wiped on every path.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <protobuf-c/protobuf-c.h>

#include "liaison/body.h"
#include "liaison/envelope.h"
#include "liaison/seal.h"
#include "liaison/util.h"

#define SEAL_AD_PREFIX		"liaison/seal/v1"	/* + NUL = 16 bytes */
#define SEAL_COMMIT_PREFIX	"liaison/seal-commit/v1"	/* + NUL */

static void
set_reason(const char **reasonp, const char *reason)
{
	if (reasonp != NULL && reason != NULL)
		*reasonp = reason;
}

int
lsn_tlp_requires_seal(int tlp)
{
	return (tlp != LIAISON__V1__TLP__TLP_CLEAR &&
	    tlp != LIAISON__V1__TLP__TLP_GREEN);
}

int
lsn_seal_ad(const uint8_t message_id[16], const char *sender, int type,
    uint8_t ad[LSN_SEAL_AD_MAX], size_t *adlenp)
{
	size_t	off = 0, slen;

	if (message_id == NULL || ad == NULL || adlenp == NULL || type <= 0 ||
	    !lsn_slug_valid(sender))
		return (LSN_EINVAL);
	slen = strlen(sender);		/* 2..63: a slug */
	memcpy(ad, SEAL_AD_PREFIX, sizeof(SEAL_AD_PREFIX));
	off = sizeof(SEAL_AD_PREFIX);
	memcpy(ad + off, message_id, LSN_MSGID_BYTES);
	off += LSN_MSGID_BYTES;
	ad[off++] = (uint8_t) slen;
	memcpy(ad + off, sender, slen);
	off += slen;
	lsn_be32(ad + off, (uint32_t) type);
	off += 4;
	*adlenp = off;
	return (LSN_OK);
}

int
lsn_seal_ad_env(const Liaison__V1__Envelope *env,
    uint8_t ad[LSN_SEAL_AD_MAX], size_t *adlenp)
{
	if (env == NULL || !env->has_message_id ||
	    env->message_id.len != LSN_MSGID_BYTES ||
	    env->message_id.data == NULL || !env->has_type)
		return (LSN_EINVAL);
	return (lsn_seal_ad(env->message_id.data, env->sender,
	    (int) env->type, ad, adlenp));
}

/* BLAKE2b-256 keyed with the content key over prefix || 0x00 || nonce. */
static int
commitment(const uint8_t key[LSN_SEAL_CONTENT_KEY_BYTES],
    const uint8_t nonce[LSN_SEAL_NONCE_BYTES],
    uint8_t out[LSN_SEAL_COMMIT_BYTES])
{
	uint8_t	m[sizeof(SEAL_COMMIT_PREFIX) + LSN_SEAL_NONCE_BYTES];

	memcpy(m, SEAL_COMMIT_PREFIX, sizeof(SEAL_COMMIT_PREFIX));
	memcpy(m + sizeof(SEAL_COMMIT_PREFIX), nonce, LSN_SEAL_NONCE_BYTES);
	if (crypto_generichash(out, LSN_SEAL_COMMIT_BYTES, m, sizeof(m), key,
	    LSN_SEAL_CONTENT_KEY_BYTES) != 0)
		return (LSN_EINTERNAL);
	return (LSN_OK);
}

/* One recipient's entry while building. */
struct skey {
	Liaison__V1__SealedKey	k;
	char			partner[LSN_LABEL_MAX + 1];
	char			kid[LSN_KEYID_HEXLEN + 1];
	uint8_t			sealed[LSN_SEAL_KEY_BYTES];
};

/* Over 80 lines: a key per recipient, commitment, ciphertext; one exit. */
int
lsn_seal(const uint8_t *body, size_t len, const uint8_t *ad, size_t adlen,
    const struct lsn_seal_rcpt *rcpts, size_t n,
    Liaison__V1__SealedBody **outp)
{
	Liaison__V1__SealedBody	  sb = LIAISON__V1__SEALED_BODY__INIT;
	Liaison__V1__SealedBody	 *res = NULL;
	Liaison__V1__SealedKey	**ptrs = NULL;
	struct skey		 *keys = NULL;
	uint8_t			  ck[LSN_SEAL_CONTENT_KEY_BYTES];
	uint8_t			  nonce[LSN_SEAL_NONCE_BYTES];
	uint8_t			  commit[LSN_SEAL_COMMIT_BYTES];
	uint8_t			 *ct = NULL, *packed = NULL;
	unsigned long long	  ctlen = 0;
	size_t			  plen;
	int			  rv = LSN_EINVAL;

	if (body == NULL || len == 0 || (ad == NULL && adlen > 0) ||
	    rcpts == NULL || n == 0 || outp == NULL)
		return (LSN_EINVAL);
	if (len > LSN_BODY_MAX - LSN_SEAL_TAG_BYTES || n > LSN_SEAL_KEYS_MAX)
		return (LSN_ETOOBIG);
	if ((keys = calloc(n, sizeof(*keys))) == NULL ||
	    (ptrs = calloc(n, sizeof(*ptrs))) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!lsn_slug_valid(rcpts[i].partner) || rcpts[i].pk == NULL)
			goto out;
		liaison__v1__sealed_key__init(&keys[i].k);
		(void) lsn_strlcpy(keys[i].partner, rcpts[i].partner,
		    sizeof(keys[i].partner));
		lsn_key_id(rcpts[i].pk, keys[i].kid);
		/* One content key per (partner, key); n is bounded. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(keys[i].partner, keys[j].partner) == 0 &&
			    strcmp(keys[i].kid, keys[j].kid) == 0)
				goto out;
	}

	crypto_aead_xchacha20poly1305_ietf_keygen(ck);
	randombytes_buf(nonce, sizeof(nonce));
	if ((rv = commitment(ck, nonce, commit)) != LSN_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		/* Fails for a public key of low order. */
		if (crypto_box_seal(keys[i].sealed, ck, sizeof(ck),
		    rcpts[i].pk) != 0) {
			rv = LSN_EINVAL;
			goto out;
		}
		keys[i].k.partner = keys[i].partner;
		keys[i].k.key_id = keys[i].kid;
		keys[i].k.has_sealed_key = 1;
		keys[i].k.sealed_key.len = LSN_SEAL_KEY_BYTES;
		keys[i].k.sealed_key.data = keys[i].sealed;
		ptrs[i] = &keys[i].k;
	}
	if ((ct = malloc(len + LSN_SEAL_TAG_BYTES)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, body, len,
	    ad, adlen, NULL, nonce, ck) != 0 ||
	    ctlen != len + LSN_SEAL_TAG_BYTES) {
		rv = LSN_EINTERNAL;
		goto out;
	}
	sb.has_nonce = 1;
	sb.nonce.len = sizeof(nonce);
	sb.nonce.data = nonce;
	sb.has_ciphertext = 1;
	sb.ciphertext.len = (size_t) ctlen;
	sb.ciphertext.data = ct;
	sb.n_keys = n;
	sb.keys = ptrs;
	sb.has_key_commitment = 1;
	sb.key_commitment.len = sizeof(commit);
	sb.key_commitment.data = commit;
	plen = liaison__v1__sealed_body__get_packed_size(&sb);
	if ((packed = malloc(plen)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if (liaison__v1__sealed_body__pack(&sb, packed) != plen ||
	    (res = liaison__v1__sealed_body__unpack(NULL, plen,
	    packed)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	*outp = res;
	rv = LSN_OK;
 out:
	sodium_memzero(ck, sizeof(ck));
	free(packed);
	free(ct);
	free(ptrs);
	free(keys);
	return (rv);
}

void
lsn_sealed_free(Liaison__V1__SealedBody **sbp)
{
	if (sbp == NULL || *sbp == NULL)
		return;
	liaison__v1__sealed_body__free_unpacked(*sbp, NULL);
	*sbp = NULL;
}

/* Shape of a SealedBody we can open. */
static int
sealed_shape(const Liaison__V1__SealedBody *sb)
{
	return (sb != NULL &&
	    sb->base.descriptor == &liaison__v1__sealed_body__descriptor &&
	    sb->has_nonce && sb->nonce.len == LSN_SEAL_NONCE_BYTES &&
	    sb->nonce.data != NULL && sb->has_ciphertext &&
	    sb->ciphertext.len >= LSN_SEAL_TAG_BYTES &&
	    sb->ciphertext.len <= LSN_BODY_MAX &&
	    sb->ciphertext.data != NULL && sb->n_keys <= LSN_SEAL_KEYS_MAX &&
	    (sb->n_keys == 0 || sb->keys != NULL));
}

/* LSN_OK if key matches the body's commitment, else LSN_EUNSEAL. */
static int
check_commitment(const Liaison__V1__SealedBody *sb,
    const uint8_t key[LSN_SEAL_CONTENT_KEY_BYTES])
{
	uint8_t	c[LSN_SEAL_COMMIT_BYTES];
	int	rv;

	if (!sb->has_key_commitment ||
	    sb->key_commitment.len != LSN_SEAL_COMMIT_BYTES ||
	    sb->key_commitment.data == NULL)
		return (LSN_EUNSEAL);
	if ((rv = commitment(key, sb->nonce.data, c)) != LSN_OK)
		return (rv);
	if (sodium_memcmp(c, sb->key_commitment.data, sizeof(c)) != 0)
		return (LSN_EUNSEAL);
	return (LSN_OK);
}

int
lsn_unseal_key(const Liaison__V1__SealedBody *sb, const char *my_partner,
    const struct lsn_keypair *kp, uint8_t key[LSN_SEAL_CONTENT_KEY_BYTES])
{
	const Liaison__V1__SealedKey	*mine = NULL;
	uint8_t				 ck[LSN_SEAL_CONTENT_KEY_BYTES];
	int				 rv;

	if (!sealed_shape(sb) || my_partner == NULL || kp == NULL ||
	    kp->kind != LSN_KEY_ENCRYPT || kp->sk == NULL || key == NULL)
		return (LSN_EINVAL);
	for (size_t i = 0; i < sb->n_keys; i++) {
		const Liaison__V1__SealedKey *k = sb->keys[i];

		if (k != NULL && k->partner != NULL && k->key_id != NULL &&
		    strcmp(k->partner, my_partner) == 0 &&
		    strcmp(k->key_id, kp->key_id) == 0) {
			mine = k;
			break;
		}
	}
	if (mine == NULL || !mine->has_sealed_key ||
	    mine->sealed_key.len != LSN_SEAL_KEY_BYTES ||
	    mine->sealed_key.data == NULL)
		return (LSN_EUNSEAL);
	if (crypto_box_seal_open(ck, mine->sealed_key.data,
	    mine->sealed_key.len, kp->pk, kp->sk) != 0) {
		rv = LSN_EUNSEAL;
		goto out;
	}
	if ((rv = check_commitment(sb, ck)) != LSN_OK)
		goto out;
	memcpy(key, ck, sizeof(ck));
 out:
	sodium_memzero(ck, sizeof(ck));
	return (rv);
}

int
lsn_unseal_with_key(const Liaison__V1__SealedBody *sb, const uint8_t *ad,
    size_t adlen, const uint8_t key[LSN_SEAL_CONTENT_KEY_BYTES],
    uint8_t **bodyp, size_t *lenp)
{
	unsigned long long	 plen = 0;
	uint8_t			*pt;
	size_t			 max;
	int			 rv;

	if (!sealed_shape(sb) || (ad == NULL && adlen > 0) || key == NULL ||
	    bodyp == NULL || lenp == NULL)
		return (LSN_EINVAL);
	if ((rv = check_commitment(sb, key)) != LSN_OK)
		return (rv);
	max = sb->ciphertext.len - LSN_SEAL_TAG_BYTES;
	if ((pt = malloc(max > 0 ? max : 1)) == NULL)
		return (LSN_ENOMEM);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &plen, NULL,
	    sb->ciphertext.data, sb->ciphertext.len, ad, adlen,
	    sb->nonce.data, key) != 0 || plen != max) {
		sodium_memzero(pt, max > 0 ? max : 1);
		free(pt);
		return (LSN_EUNSEAL);
	}
	*bodyp = pt;
	*lenp = (size_t) plen;
	return (LSN_OK);
}

int
lsn_unseal(const Liaison__V1__SealedBody *sb, const uint8_t *ad,
    size_t adlen, const char *my_partner, const struct lsn_keypair *kp,
    uint8_t **bodyp, size_t *lenp)
{
	uint8_t	ck[LSN_SEAL_CONTENT_KEY_BYTES];
	int	rv;

	if ((rv = lsn_unseal_key(sb, my_partner, kp, ck)) == LSN_OK)
		rv = lsn_unseal_with_key(sb, ad, adlen, ck, bodyp, lenp);
	sodium_memzero(ck, sizeof(ck));
	return (rv);
}

/* ---- forwarding ------------------------------------------------------ */

/* The gate's rule names, as the reasons this module always gave. */
static const char *
fwd_reason(const struct lsn_trust_result *r)
{
	switch (r->rule) {
	case LSN_RULE_FWD_RED:
		return ("tlp red");
	case LSN_RULE_FWD_NOT_RCPT:
		return ("not a recipient");
	case LSN_RULE_FWD_STRICT:
		return ("tlp amber+strict");
	case LSN_RULE_FWD_H2:
		return ("h2 without permission");
	case LSN_RULE_FWD_MARKINGS:
		return ("markings weaker");
	default:
		return (r->code == LSN_EINVAL ? "arguments" : "forward");
	}
}

/* The sender's side of the gate's forwarding policy (no directory: an
 * inner sent to groups lets any forwarder pass the recipient rule). */
int
lsn_forward_check(const Liaison__V1__Envelope *orig, const char *forwarder,
    const char *const *new_rcpts, size_t n, int provider_permits,
    const char **reasonp)
{
	struct lsn_trust_result	r;
	int			rv;

	memset(&r, 0, sizeof(r));
	rv = lsn_trust_forward_policy(NULL, orig, forwarder, new_rcpts, n, 0,
	    provider_permits, &r);
	if (rv != LSN_OK)
		set_reason(reasonp, r.detail[0] != '\0' && rv == LSN_EINVAL ?
		    (strcmp(r.detail, "recipient") == 0 ? "recipient" :
		    "arguments") : fwd_reason(&r));
	return (rv);
}

/* The policy and markings rules for outer forwarding inner (the gate's). */
static int
forward_rules(const Liaison__V1__Envelope *outer,
    const Liaison__V1__Envelope *inner, int provider_permits,
    const char **reasonp)
{
	struct lsn_trust_result	r;
	int			rv;

	memset(&r, 0, sizeof(r));
	if (outer->n_to > 0 && outer->to == NULL) {
		set_reason(reasonp, "to");
		return (LSN_EINVAL);
	}
	rv = lsn_trust_forward_policy(NULL, inner, outer->sender,
	    (const char *const *) outer->to, outer->n_to, outer->n_to_groups,
	    provider_permits, &r);
	if (rv == LSN_OK && !lsn_markings_not_weaker(outer->handling,
	    inner->handling)) {
		r.rule = LSN_RULE_FWD_MARKINGS;
		rv = LSN_EFORWARD;
	}
	if (rv != LSN_OK)
		set_reason(reasonp, fwd_reason(&r));
	return (rv);
}

/* LSN_OK if inner_se carries exactly the bytes of inner, under hints
 * naming its sender and key (the signature itself needs the sender's key
 * and is checked by the receiver, lsn_trust_forward). */
static int
same_envelope(const uint8_t *inner_se, size_t inner_len,
    const Liaison__V1__Envelope *inner)
{
	struct lsn_envelope_outer	*o = NULL;
	uint8_t				*buf = NULL;
	size_t				 n;
	int				 rv;

	if ((rv = lsn_envelope_peek(inner_se, inner_len, 0, &o, NULL)) !=
	    LSN_OK)
		return (rv);
	rv = LSN_EINVAL;
	/* The hints too: a receiver looks the inner key up with them. */
	if (inner->sender == NULL || inner->sender_key_id == NULL ||
	    strcmp(o->signer, inner->sender) != 0 ||
	    strcmp(o->key_id, inner->sender_key_id) != 0)
		goto out;
	n = liaison__v1__envelope__get_packed_size(inner);
	if (n != o->envlen)
		goto out;
	if ((buf = malloc(n)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if (liaison__v1__envelope__pack(inner, buf) == n &&
	    memcmp(buf, o->env, n) == 0)
		rv = LSN_OK;
 out:
	free(buf);
	lsn_envelope_outer_destroy(&o);
	return (rv);
}

/* Over 80 lines: the forwarding checks, then the Note; one wiping exit. */
int
lsn_forward_build(Liaison__V1__Envelope *outer, const uint8_t *inner_se,
    size_t inner_len, const Liaison__V1__Envelope *inner,
    const uint8_t *content_key, const char *note, int provider_permits,
    uint8_t **bodyp, size_t *bodylenp, const char **reasonp)
{
	Liaison__V1__Note	 f = LIAISON__V1__NOTE__INIT;
	static char		 dflt[] = "Forwarded message.";
	uint8_t			 ck[LSN_SEAL_CONTENT_KEY_BYTES];
	uint8_t			 ad[LSN_SEAL_AD_MAX];
	uint8_t			*pt = NULL, *buf = NULL;
	size_t			 adlen, ptlen = 0, n = 0;
	const char		*field = NULL;
	int			 rv;

	if (outer == NULL || inner_se == NULL || inner_len == 0 ||
	    inner == NULL || inner->handling == NULL ||
	    outer->handling == NULL || !lsn_slug_valid(outer->sender) ||
	    bodyp == NULL || bodylenp == NULL) {
		set_reason(reasonp, "arguments");
		return (LSN_EINVAL);
	}
	if (inner_len > LSN_MSG_MAX) {
		set_reason(reasonp, "forwarded");
		return (LSN_ETOOBIG);
	}
	if ((rv = forward_rules(outer, inner, provider_permits, reasonp)) !=
	    LSN_OK)
		return (rv);
	if (same_envelope(inner_se, inner_len, inner) != LSN_OK) {
		set_reason(reasonp, "forwarded");
		return (LSN_EINVAL);
	}
	if ((inner->sealed != NULL) != (content_key != NULL)) {
		set_reason(reasonp, "content_key");
		return (LSN_EINVAL);
	}
	if (content_key != NULL) {
		/* The key must open the inner body for the new recipients. */
		if ((rv = lsn_seal_ad_env(inner, ad, &adlen)) != LSN_OK ||
		    (rv = lsn_unseal_with_key(inner->sealed, ad, adlen,
		    content_key, &pt, &ptlen)) != LSN_OK) {
			set_reason(reasonp, "content_key");
			return (rv);
		}
		sodium_memzero(pt, ptlen);
		free(pt);
		memcpy(ck, content_key, sizeof(ck));
		f.has_forward_key = 1;
		f.forward_key.len = sizeof(ck);
		f.forward_key.data = ck;
	}
	f.text = note != NULL ? (char *) (uintptr_t) note : dflt;
	if ((rv = lsn_body_validate_msg(&f.base, 0, &field)) != LSN_OK) {
		set_reason(reasonp, field);
		goto out;
	}
	n = liaison__v1__note__get_packed_size(&f);
	if ((buf = malloc(n > 0 ? n : 1)) == NULL) {
		rv = LSN_ENOMEM;
		goto out;
	}
	if (liaison__v1__note__pack(&f, buf) != n) {
		rv = LSN_EINTERNAL;
		goto out;
	}
	outer->has_type = 1;
	outer->type = LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE;
	outer->has_forwarded = 1;
	outer->forwarded.len = inner_len;
	outer->forwarded.data = (uint8_t *) (uintptr_t) inner_se;
	if (provider_permits) {
		outer->has_provider_permits_forward = 1;
		outer->provider_permits_forward = 1;
	}
	*bodyp = buf;
	*bodylenp = n;
	buf = NULL;
	rv = LSN_OK;
 out:
	sodium_memzero(ck, sizeof(ck));
	if (buf != NULL) {
		sodium_memzero(buf, n);
		free(buf);
	}
	return (rv);
}
