/*
 * envelope.h -- the signed envelope: build and sign, then open in two steps.
 *
 * What travels is a SignedEnvelope (proto/envelope.proto):
 *     { envelope = serialized Envelope, signature, signer hint, key_id hint }
 * with signature = Ed25519("liaison/envelope/v1" || 0x00 || envelope) over
 * the exact envelope bytes carried (sig.h, LSN_SIG_ENVELOPE). Nothing is
 * re-encoded before verification.
 *
 * Opening is split because the verifier must find the sender's key before
 * it parses anything signed:
 *   1. lsn_envelope_peek(): size check, unpack only the outer
 *      SignedEnvelope, check its shape (64-byte signature, envelope bytes
 *      present, signer hint a slug, key_id hint 16 lower-case hex);
 *   2. the caller looks up the public key by (signer, key_id) -- the
 *      directory, a key file -- and checks its status and validity window;
 *   3. lsn_envelope_verify_parse(): verify the signature over the exact
 *      envelope bytes, only then unpack the Envelope, check it re-encodes
 *      to the same bytes, validate every field, and check the hints equal
 *      the signed sender / sender_key_id and that the key's id is the
 *      signed sender_key_id.
 * Time rules (clock skew, expiry) need the caller's clock and are checked
 * by the trust gate (trust.h) with lsn_envelope_check_time().
 *
 * Error codes: LSN_ETOOBIG (over a size or count limit), LSN_EPROTO
 * (malformed or non-canonical protobuf, missing envelope bytes), LSN_EBADSIG
 * (missing/short signature, signature does not verify, hints or key do not
 * match the signed sender and key id), LSN_EVERSION (version != 1),
 * LSN_ENOTSEALED (AMBER, AMBER+STRICT or RED body not sealed), LSN_EINVAL
 * (any other missing or out-of-range field), LSN_ENOMEM.
 *
 * Functions taking `const char **fieldp` set *fieldp, on failure only and
 * when fieldp is not NULL, to a static string naming the offending field
 * ("to", "handling.tlp", "sealed.keys.sealed_key", "signature", ...), for
 * error messages. The exact signed bytes and every limit below are
 * documented in docs/protocol.md ("Signed bytes").
 *
 * Thread-safe on distinct objects. Call lsn_init() first.
 */
#ifndef LIAISON_ENVELOPE_H
#define LIAISON_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

#include "liaison/batchsig.h"
#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/util.h"

/* Hard cap on a serialized SignedEnvelope. Callers (the broker's
 * max_msg_bytes) may only lower it. */
#define LSN_MSG_MAX		(256 * 1024)

#define LSN_ENVELOPE_VERSION	1
#define LSN_MSGID_BYTES		16	/* message, reply-to, thread ids */
#define LSN_ENV_TO_MAX		1024	/* recipient partners */
#define LSN_ENV_GROUPS_MAX	64	/* recipient groups */
#define LSN_ENV_CASE_REF_MAX	128	/* bytes of UTF-8 */
#define LSN_ENV_H3_TEXT_MAX	512
#define LSN_ENV_PURPOSE_MAX	256
#define LSN_ENV_CODES_MAX	4	/* H0..H3, each at most once */
#define LSN_BODY_MAX		(224 * 1024)	/* body or sealed ciphertext */
#define LSN_SEAL_NONCE_BYTES	24	/* XChaCha20-Poly1305-IETF nonce */
#define LSN_SEAL_TAG_BYTES	16	/* AEAD tag: ciphertext >= this */
#define LSN_SEAL_KEY_BYTES	80	/* crypto_box_seal of a 32-byte key */
#define LSN_SEAL_KEYS_MAX	1024	/* sealed content keys */
/* created_ms and expires_ms: at most 2^53 - 1 ms (about AD 287000), as body
 * times (body.h LSN_BODY_TIME_MAX); keeps every stored time a positive
 * sqlite integer and exact in JSON. */
#define LSN_ENV_TIME_MAX	((1ULL << 53) - 1)

/*
 * Fills id with a new message id in RFC 9562's UUIDv7 layout: the Unix
 * time in milliseconds (48 bits, big-endian), then 74 random bits (with
 * the version and variant bits). Ids made close in time sort close
 * together, so each store indexing them appends instead of touching a
 * random page per message; the 74 random bits keep them unguessable.
 * Receivers check only the length (16 bytes), never the layout.
 */
void	lsn_message_id_new(uint8_t id[LSN_MSGID_BYTES]) LSN_API;

/*
 * The outer SignedEnvelope after lsn_envelope_peek(). All pointers borrow
 * from `se`, which the object owns; they are valid until
 * lsn_envelope_outer_destroy(). Nothing in it is authenticated yet.
 */
struct lsn_envelope_outer {
	const uint8_t	*env;		/* the signed Envelope bytes */
	size_t		 envlen;	/* > 0 */
	const uint8_t	*sig;		/* LSN_SIG_BYTES */
	const char	*signer;	/* hint: a valid slug */
	const char	*key_id;	/* hint: 16 lower-case hex */
	Liaison__V1__SignedEnvelope *se;	/* owned */
	int		 has_batch;	/* the batch form: sig is over a root */
	struct lsn_batch_proof batch;	/* when has_batch */
};

/*
 * Validates every field of an Envelope (the rules of the module comment,
 * without the hint and time checks). env is borrowed. Used by the signing
 * functions and by lsn_envelope_verify_parse(). Returns LSN_OK or the error
 * of the first offending field (see above).
 */
int	lsn_envelope_validate(const Liaison__V1__Envelope *env,
	    const char **fieldp) LSN_MUST_CHECK;

/*
 * Signs an envelope with an LSN_KEY_SIGN key pair. env is borrowed and not
 * modified: when env->sender is NULL the key's label is used, when
 * env->sender_key_id is NULL the key's id is used (in the bytes signed
 * only). A sender_key_id that is not the key's id is LSN_EINVAL. The
 * envelope is validated (lsn_envelope_validate), packed, signed with
 * LSN_SIG_ENVELOPE and wrapped in a SignedEnvelope whose hints are the
 * sender and key id. On success *outp is a malloc'd buffer of *lenp bytes
 * (the serialized SignedEnvelope; caller frees). LSN_ETOOBIG if it would
 * exceed LSN_MSG_MAX; validation errors; LSN_EINVAL; LSN_ENOMEM.
 */
int	lsn_envelope_sign(const Liaison__V1__Envelope *env,
	    const struct lsn_keypair *kp, uint8_t **outp, size_t *lenp,
	    const char **fieldp) LSN_MUST_CHECK;

/*
 * As lsn_envelope_sign(), but returns the packed Envelope bytes (malloc'd,
 * caller frees; *envlenp bytes) and the 64-byte signature separately,
 * without wrapping them (for a separate signer process or a store that
 * keeps the parts). lsn_envelope_wrap() makes the SignedEnvelope.
 */
int	lsn_envelope_sign_detached(const Liaison__V1__Envelope *env,
	    const struct lsn_keypair *kp, uint8_t **envp, size_t *envlenp,
	    uint8_t sig[LSN_SIG_BYTES], const char **fieldp) LSN_MUST_CHECK;

/*
 * Wraps envelope bytes, a signature and the hints into a serialized
 * SignedEnvelope. Nothing is verified; the hint formats are checked
 * (LSN_EINVAL) and the size (LSN_ETOOBIG over LSN_MSG_MAX). All inputs are
 * borrowed; *outp is malloc'd (caller frees), *lenp its length.
 */
int	lsn_envelope_wrap(const uint8_t *env, size_t envlen,
	    const uint8_t sig[LSN_SIG_BYTES], const char *signer,
	    const char *key_id, uint8_t **outp, size_t *lenp) LSN_MUST_CHECK;

/*
 * lsn_envelope_wrap() for the batch form: p (borrowed) is this envelope's
 * proof in the batch sig covers (lsn_batch_sign); p NULL is the single
 * form, as lsn_envelope_wrap().
 */
int	lsn_envelope_wrap_batch(const uint8_t *env, size_t envlen,
	    const uint8_t sig[LSN_SIG_BYTES], const char *signer,
	    const char *key_id, const struct lsn_batch_proof *p, uint8_t **outp,
	    size_t *lenp) LSN_MUST_CHECK;

/*
 * The first half of lsn_envelope_sign_detached(): the effective envelope
 * validated and packed (*envp malloc'd, caller frees), not signed; for a
 * signer that signs many envelopes at once (lsn_batch_sign, then
 * lsn_envelope_wrap_batch). Errors as lsn_envelope_sign().
 */
int	lsn_envelope_pack(const Liaison__V1__Envelope *env,
	    const struct lsn_keypair *kp, uint8_t **envp, size_t *envlenp,
	    const char **fieldp) LSN_MUST_CHECK;

/*
 * Step 1 of opening: checks len against max (0 means LSN_MSG_MAX; values
 * above LSN_MSG_MAX are lowered to it) before anything else, then unpacks
 * the outer SignedEnvelope and checks its shape. buf is borrowed (the
 * result copies what it needs). On success *outp is a new object the
 * caller frees with lsn_envelope_outer_destroy(). Empty input is
 * LSN_EPROTO; over max LSN_ETOOBIG; malformed or non-canonical LSN_EPROTO;
 * missing/short signature LSN_EBADSIG; bad hints LSN_EINVAL; LSN_ENOMEM.
 */
int	lsn_envelope_peek(const uint8_t *buf, size_t len, size_t max,
	    struct lsn_envelope_outer **outp, const char **fieldp)
	    LSN_MUST_CHECK;

/* Frees an outer envelope; accepts NULL; sets *op = NULL. */
void	lsn_envelope_outer_destroy(struct lsn_envelope_outer **op);

/*
 * Step 3 of opening: verifies o's signature with pk (the Ed25519 public
 * key the caller found for (o->signer, o->key_id)) over the exact envelope
 * bytes (the batch form: over the root they lead to, lsn_batch_verify),
 * and only then unpacks and validates the Envelope. Also refuses
 * (LSN_EBADSIG) an envelope whose sender / sender_key_id differ from the
 * hints, or whose sender_key_id is not lsn_key_id(pk). o and pk are
 * borrowed. On success *envp is a new Envelope the caller frees with
 * lsn_envelope_free(). Errors as in the module comment.
 */
int	lsn_envelope_verify_parse(const struct lsn_envelope_outer *o,
	    const uint8_t pk[LSN_PK_BYTES], Liaison__V1__Envelope **envp,
	    const char **fieldp) LSN_MUST_CHECK;

/* Frees an Envelope returned by lsn_envelope_verify_parse() (protobuf-c
 * free_unpacked); accepts NULL; sets *envp = NULL. */
void	lsn_envelope_free(Liaison__V1__Envelope **envp);

/*
 * Time rules with the caller's clock (the trust gate's, trust.h):
 * LSN_ESKEW if created_ms is more than skew_ms before or after now_ms;
 * LSN_EEXPIRED if expires_ms is set (non-zero) and <= now_ms; LSN_EINVAL
 * if env is NULL or has no created_ms. Skew is checked first (as the
 * broker always did; UINT64_MAX as skew_ms checks expiry only).
 */
int	lsn_envelope_check_time(const Liaison__V1__Envelope *env,
	    uint64_t now_ms, uint64_t skew_ms) LSN_MUST_CHECK;

/*
 * The envelope hash used by receipts and the audit log: BLAKE2b-256
 * (lsn_hash) of the exact signed Envelope bytes (o->env), not of the whole
 * SignedEnvelope. LSN_EINVAL if o or out is NULL.
 */
int	lsn_envelope_hash(const struct lsn_envelope_outer *o,
	    uint8_t out[LSN_HASH_BYTES]) LSN_MUST_CHECK;

/*
 * Checks handling markings as the envelope decoder does: TLP required and
 * known, codes known and unique (at most LSN_ENV_CODES_MAX), h3_text with
 * H3 and only then, text lengths and UTF-8, evaluation enums. Returns
 * LSN_OK, LSN_EINVAL or LSN_ETOOBIG; *fieldp (if not NULL) names the bad
 * field on failure (static string). Borrows h.
 */
int	lsn_handling_validate(const Liaison__V1__Handling *h,
	    const char **fieldp) LSN_MUST_CHECK;

/*
 * The Envelope bytes (SignedEnvelope.envelope) of stored SignedEnvelope
 * bytes se, without unpacking them: *env points into se. LSN_EPROTO when
 * there is none or se is not well-formed wire format; LSN_EINVAL on NULL.
 * No signature is checked (as lsn_envelope_body_view).
 */
int	lsn_envelope_view(const uint8_t *se, size_t selen, const uint8_t **env,
	    size_t *envlen) LSN_MUST_CHECK;

/*
 * The plain body of stored SignedEnvelope bytes se (selen bytes), without
 * unpacking them: *body / *bodylen point into se (borrowed; an envelope
 * without a body gives an empty one). LSN_ENOENT when the envelope is
 * sealed (its body is not there), LSN_EPROTO when se is not well-formed
 * wire format, LSN_EINVAL on NULL. No signature is checked: for bytes
 * that passed the trust gate when they arrived (an agent's inbox).
 */
int	lsn_envelope_body_view(const uint8_t *se, size_t selen,
	    const uint8_t **body, size_t *bodylen) LSN_MUST_CHECK;

/* Returns the lower-case name of a MessageType ("note", "referral-handoff",
 * ...) or "?" for an unknown value. Static string. */
const char *lsn_envelope_type_name(int type);

/* Returns the name of a Tlp value ("clear", "green", "amber",
 * "amber-strict", "red") or "?". Static string. */
const char *lsn_tlp_name(int tlp);

#endif /* LIAISON_ENVELOPE_H */
