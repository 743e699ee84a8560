/*
 * seal.h -- sealed bodies (TLP AMBER and stronger) and the forwarding
 * policy.
 *
 * Sealing. The serialized typed body is encrypted with
 * XChaCha20-Poly1305-IETF under a fresh random 32-byte content key and a
 * random 24-byte nonce; the content key is sealed (crypto_box_seal) to
 * each recipient's X25519 encryption key. A 32-byte key commitment
 * (SealedBody.key_commitment = BLAKE2b-256 keyed with the content key over
 * "liaison/seal-commit/v1" || 0x00 || nonce) makes every recipient who
 * opens the body open the same plaintext: Poly1305 alone would let a
 * malicious sender craft one ciphertext valid under two keys.
 *
 * Associated data (lsn_seal_ad) binds the ciphertext to its envelope, so a
 * sealed body cannot be lifted into another message, another sender's
 * envelope or relabelled as another type:
 *     "liaison/seal/v1" || 0x00              16 bytes
 *     message_id                             16 bytes
 *     len(sender) as one byte || sender      1 + 2..63 bytes
 *     u32 big-endian MessageType             4 bytes
 * (at most LSN_SEAL_AD_MAX bytes). Recipients recompute it from the
 * verified envelope (lsn_seal_ad_env).
 *
 * Content keys, opened keys and plaintext temporaries are wiped with
 * sodium_memzero. Plaintext returned to the caller is the caller's to wipe
 * and free.
 *
 * Forwarding (DOMAIN.md "Handling and evaluation markings"). The forwarder
 * sends a new envelope of type MESSAGE_TYPE_NOTE, signed by itself,
 * whose `forwarded` field is the original SignedEnvelope bytes unchanged
 * and whose body is a Note {text, forward_key = the inner content key when
 * the inner body is sealed}: a note from the forwarder with the original
 * attached, which an agent that does not know forwarding still shows as
 * a note. Rules
 * (lsn_forward_check):
 *   - TLP RED is never forwarded, by anyone;
 *   - TLP AMBER+STRICT stays within the recipient organisation: every new
 *     recipient must be the forwarder's own partner id, no groups;
 *   - an H2-marked message needs the provider's permission: the original
 *     envelope's provider_permits_forward, or provider_permits (permission
 *     the forwarder obtained otherwise; in the forwarding envelope it is
 *     carried as provider_permits_forward = true, a signed assertion by the
 *     forwarder). The provider itself (original sender) may always forward;
 *   - the forwarder must be the original sender or one of its named
 *     recipients (when the original was also sent to groups, membership
 *     cannot be checked here and is the caller's);
 *   - the outer markings are never weaker than the inner ones: TLP at
 *     least as strict, every inner handling code present, the same H3 text
 *     and permitted purpose when the inner has them.
 * TLP AMBER, GREEN and CLEAR messages may be forwarded (TLP 2.0: AMBER is
 * need-to-know within the organisation and its clients; deciding need to
 * know is the forwarder's). Group recipients are expanded to partner ids
 * by the caller before the check (the agent does so to seal anyway).
 * A receiver verifies a forward with the trust gate (lsn_trust_forward:
 * the inner signature with the inner sender's key valid at the inner
 * created_ms, then these rules); verification covers one level.
 *
 * Errors: LSN_EINVAL (argument or field), LSN_EUNSEAL (no key for us, key
 * or commitment or AEAD authentication fails), LSN_EFORWARD (policy),
 * LSN_ETOOBIG, LSN_EPROTO, LSN_EBADSIG, LSN_ENOMEM. Functions taking
 * `const char **reasonp` set it, on failure only and when not NULL, to a
 * static string (the policy reason or the offending field).
 *
 * Thread-safe on distinct objects. Call lsn_init() first.
 */
#ifndef LIAISON_SEAL_H
#define LIAISON_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/receipt.h"
#include "liaison/trust.h"

#define LSN_SEAL_AD_MAX		100	/* 16 + 16 + 1 + 63 + 4 */
#define LSN_SEAL_CONTENT_KEY_BYTES 32
#define LSN_SEAL_COMMIT_BYTES	32

/* One recipient: partner id (slug) and its X25519 encryption public key
 * (e.g. from lsn_dir_encrypt_key). Both borrowed. The key id written into
 * SealedKey.key_id is lsn_key_id(pk). */
struct lsn_seal_rcpt {
	const char	*partner;
	const uint8_t	*pk;		/* LSN_PK_BYTES */
};

/* 1 if bodies under this Tlp value must be sealed (AMBER, AMBER+STRICT,
 * RED, and any value that is not CLEAR or GREEN: fail closed). */
int	lsn_tlp_requires_seal(int tlp);

/*
 * Writes the associated data for (message_id, sender, type) into ad
 * (LSN_SEAL_AD_MAX bytes) and its length into *adlenp. message_id is 16
 * bytes; sender a slug; type a MessageType > 0. LSN_EINVAL.
 */
int	lsn_seal_ad(const uint8_t message_id[16], const char *sender, int type,
	    uint8_t ad[LSN_SEAL_AD_MAX], size_t *adlenp) LSN_MUST_CHECK;

/* Same, from an envelope's message_id, sender and type (borrowed). */
int	lsn_seal_ad_env(const Liaison__V1__Envelope *env,
	    uint8_t ad[LSN_SEAL_AD_MAX], size_t *adlenp) LSN_MUST_CHECK;

/*
 * Seals body (len bytes, 1..LSN_BODY_MAX - LSN_SEAL_TAG_BYTES) with
 * associated data ad (adlen bytes, may be 0) to n recipients (1..
 * LSN_SEAL_KEYS_MAX, no duplicate (partner, key)). All inputs borrowed.
 * On success *outp is a new SealedBody the caller frees with
 * lsn_sealed_free() (set it as Envelope.sealed before signing; the
 * envelope borrows it). LSN_EINVAL, LSN_ETOOBIG, LSN_ENOMEM.
 */
int	lsn_seal(const uint8_t *body, size_t len, const uint8_t *ad,
	    size_t adlen, const struct lsn_seal_rcpt *rcpts, size_t n,
	    Liaison__V1__SealedBody **outp) LSN_MUST_CHECK;

/*
 * Opens a sealed body addressed to my_partner with its encryption key
 * pair (LSN_KEY_ENCRYPT; the entry with partner == my_partner and
 * key_id == kp->key_id is used). sb, ad, my_partner and kp are borrowed.
 * On success *bodyp is a malloc'd plaintext of *lenp bytes (caller wipes
 * and frees; a 0-byte body gives a 1-byte allocation). LSN_EUNSEAL if
 * there is no key for us or anything fails to authenticate; LSN_EINVAL
 * for malformed arguments or SealedBody fields; LSN_ENOMEM.
 */
int	lsn_unseal(const Liaison__V1__SealedBody *sb, const uint8_t *ad,
	    size_t adlen, const char *my_partner, const struct lsn_keypair *kp,
	    uint8_t **bodyp, size_t *lenp) LSN_MUST_CHECK;

/*
 * Opens only the content key for us (as lsn_unseal) and checks it against
 * the key commitment; writes it to key (caller wipes). For forwarding.
 */
int	lsn_unseal_key(const Liaison__V1__SealedBody *sb,
	    const char *my_partner, const struct lsn_keypair *kp,
	    uint8_t key[LSN_SEAL_CONTENT_KEY_BYTES]) LSN_MUST_CHECK;

/*
 * Opens a sealed body with a known content key (Note.forward_key),
 * checking the commitment first. Output and errors as lsn_unseal().
 */
int	lsn_unseal_with_key(const Liaison__V1__SealedBody *sb,
	    const uint8_t *ad, size_t adlen,
	    const uint8_t key[LSN_SEAL_CONTENT_KEY_BYTES], uint8_t **bodyp,
	    size_t *lenp) LSN_MUST_CHECK;

/* Frees a SealedBody from lsn_seal(); accepts NULL; sets *sbp = NULL. */
void	lsn_sealed_free(Liaison__V1__SealedBody **sbp);

/*
 * The forwarding policy for orig (a verified original envelope, borrowed)
 * forwarded by `forwarder` (partner id) to new_rcpts[0..n) (partner ids,
 * groups expanded; n >= 1). provider_permits: the forwarder holds the
 * provider's permission for H2. LSN_OK or LSN_EFORWARD with *reasonp set
 * ("tlp red", "tlp amber+strict", "h2 without permission", "not a
 * recipient"); LSN_EINVAL for bad arguments.
 */
int	lsn_forward_check(const Liaison__V1__Envelope *orig,
	    const char *forwarder, const char *const *new_rcpts, size_t n,
	    int provider_permits, const char **reasonp) LSN_MUST_CHECK;

/*
 * Prepares a forwarding envelope. outer is the caller's envelope with
 * sender, to (partner ids only when the inner is AMBER+STRICT), handling
 * and the other envelope fields filled; inner_se (inner_len bytes) is the
 * original SignedEnvelope exactly as received and inner its verified
 * parse (checked: same envelope bytes, hints naming inner's sender and
 * key; LSN_EINVAL otherwise). content_key is the inner body's content key
 * (lsn_unseal_key) when inner is sealed, else NULL; it is checked to open
 * the inner body. note is the forwarder's text (<= 4096 bytes; NULL =
 * "Forwarded message.").
 * Checks lsn_forward_check (recipients outer->to) and the markings, then
 * sets outer->type = MESSAGE_TYPE_NOTE, outer->forwarded (borrowing
 * inner_se: keep it alive until outer is signed) and
 * outer->provider_permits_forward when provider_permits. *bodyp receives
 * a malloc'd serialized Note body of *bodylenp bytes, to be sealed
 * (lsn_tlp_requires_seal(outer tlp)) or set as outer->body; it holds the
 * content key: the caller wipes and frees it. outer is modified only on
 * success. LSN_EFORWARD, LSN_EINVAL, LSN_EUNSEAL, LSN_ENOMEM.
 */
int	lsn_forward_build(Liaison__V1__Envelope *outer,
	    const uint8_t *inner_se, size_t inner_len,
	    const Liaison__V1__Envelope *inner, const uint8_t *content_key,
	    const char *note, int provider_permits, uint8_t **bodyp,
	    size_t *bodylenp, const char **reasonp) LSN_MUST_CHECK;

#endif /* LIAISON_SEAL_H */
