/*
 * receipt.h -- signed receipts: proof that a recipient reached a stage
 * (delivered, read, actioned) for one message.
 *
 * What travels is a SignedReceipt (proto/envelope.proto):
 *     { receipt = serialized Receipt, signature, signer hint, key_id hint }
 * with signature = Ed25519("liaison/receipt/v1" || 0x00 || receipt) over
 * the exact receipt bytes (sig.h, LSN_SIG_RECEIPT). As for envelopes,
 * opening is two steps: peek the unsigned hints, find the key, verify the
 * exact bytes, and only then parse; the hints must equal the signed
 * recipient / key_id and the key's id must be the signed key_id.
 *
 * A Receipt is valid when: message_id is 16 bytes, envelope_hash 32 bytes
 * (BLAKE2b-256 of the SignedEnvelope.envelope bytes, lsn_envelope_hash)
 * and the batch lists empty (the single form), or message_id and
 * envelope_hash absent and batch_message_ids / batch_envelope_hashes
 * holding 2..LSN_RECEIPT_BATCH_MAX pairs of those sizes, no message id
 * twice (the batch form: one signature for several messages, all at the
 * same stage and time); stage a named ReceiptStage other than UNSPECIFIED, time_ms in
 * (0, 2^53), recipient a slug, key_id 16 lower-case hex; no unknown fields
 * and canonical encoding (LSN_EPROTO otherwise).
 *
 * Errors: LSN_EINVAL (argument or field), LSN_EPROTO (malformed,
 * non-canonical, unknown fields), LSN_ETOOBIG (over LSN_RECEIPT_MAX),
 * LSN_EBADSIG (missing or bad signature, hint or key mismatch), LSN_ENOMEM,
 * or what the key lookup returns.
 *
 * Thread-safe on distinct objects. Call lsn_init() first.
 */
#ifndef LIAISON_RECEIPT_H
#define LIAISON_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/util.h"

#define LSN_RECEIPT_MAX		4096	/* serialized SignedReceipt */
/*
 * Messages one batch receipt may name: 64 pairs (52 bytes each) with the
 * longest slug (63) as recipient and signer hint keep the SignedReceipt
 * under LSN_RECEIPT_MAX and its Receipt under LSN_BODY_RECEIPT_MAX.
 */
#define LSN_RECEIPT_BATCH_MAX	64
/*
 * The limit of the release before (SignedReceipt and Receipt <= 1024
 * bytes): an agent whose broker or partners may be that old
 * (envelope_batch = no) names at most this many, so they still read it.
 */
#define LSN_RECEIPT_BATCH_COMPAT	14

/*
 * Finds the Ed25519 public key of a signer. signer and key_id are borrowed
 * (valid during the call; key_id is 16 lower-case hex, signer a slug).
 * Writes pk and returns LSN_OK, or an error (LSN_EUNKNOWNKEY,
 * LSN_EKEYREVOKED, LSN_EUNKNOWNSENDER, ...) that the caller of the
 * verifying function gets back unchanged. Used by receipts and forwarding.
 */
typedef int lsn_key_lookup_fn(void *arg, const char *signer,
    const char *key_id, uint8_t pk[LSN_PK_BYTES]);

/*
 * Builds and signs a Receipt. message_id (16 bytes) and env_hash
 * (LSN_HASH_BYTES) are borrowed; stage is a ReceiptStage value; recipient
 * is the signer's partner id (a slug); sign_kp an LSN_KEY_SIGN key pair
 * whose id becomes Receipt.key_id. On success *outp is a malloc'd
 * serialized SignedReceipt of *lenp bytes (caller frees). LSN_EINVAL on a
 * bad argument, LSN_ENOMEM.
 */
int	lsn_receipt_sign(const uint8_t message_id[16],
	    const uint8_t env_hash[LSN_HASH_BYTES], int stage,
	    uint64_t time_ms, const char *recipient,
	    const struct lsn_keypair *sign_kp, uint8_t **outp, size_t *lenp)
	    LSN_MUST_CHECK;

/*
 * The same for n (1..LSN_RECEIPT_BATCH_MAX) messages: ids[i] and
 * hashes[i] (borrowed) name message i, all at `stage` and `time_ms`. One
 * message gives the single form (what lsn_receipt_sign makes), more the
 * batch form. Errors as lsn_receipt_sign; LSN_EINVAL also for an id
 * given twice.
 */
int	lsn_receipt_sign_batch(const uint8_t (*ids)[16],
	    const uint8_t (*hashes)[LSN_HASH_BYTES], size_t n, int stage,
	    uint64_t time_ms, const char *recipient,
	    const struct lsn_keypair *sign_kp, uint8_t **outp, size_t *lenp)
	    LSN_MUST_CHECK;

/* How many messages a valid Receipt names (1 for the single form). */
size_t	lsn_receipt_count(const Liaison__V1__Receipt *r);

/*
 * Message i (< lsn_receipt_count) of a valid Receipt: *idp (16 bytes)
 * and *hashp (LSN_HASH_BYTES) point into r. LSN_EINVAL out of range.
 */
int	lsn_receipt_item(const Liaison__V1__Receipt *r, size_t i,
	    const uint8_t **idp, const uint8_t **hashp) LSN_MUST_CHECK;

/*
 * 1 if the valid Receipt r names message id (16 bytes) and, when hash is
 * not NULL, with that envelope hash; 0 otherwise. All borrowed.
 */
int	lsn_receipt_names(const Liaison__V1__Receipt *r,
	    const uint8_t id[16], const uint8_t hash[LSN_HASH_BYTES]);

/*
 * Step 1: size check (len <= LSN_RECEIPT_MAX), unpack the SignedReceipt,
 * check its shape (receipt bytes present, 64-byte signature, hints well
 * formed, canonical, no unknown fields). buf is borrowed. On success
 * *sp is a new object the caller frees with lsn_receipt_signed_free();
 * its signer / key_id hints are not authenticated.
 */
int	lsn_receipt_peek(const uint8_t *buf, size_t len,
	    Liaison__V1__SignedReceipt **sp) LSN_MUST_CHECK;

/*
 * Step 2: verifies s's signature with pk (found for (s->signer,
 * s->key_id)), then parses and validates the Receipt and binds the hints
 * and the key id. s and pk are borrowed. On success *rp is a new Receipt
 * the caller frees with lsn_receipt_free().
 */
int	lsn_receipt_verify_parse(const Liaison__V1__SignedReceipt *s,
	    const uint8_t pk[LSN_PK_BYTES], Liaison__V1__Receipt **rp)
	    LSN_MUST_CHECK;

/*
 * Both steps, with a key lookup callback (called once, with the hints).
 * buf and arg are borrowed. On success *rp is a new Receipt the caller
 * frees with lsn_receipt_free(). Errors as above, plus the lookup's.
 */
int	lsn_receipt_verify(const uint8_t *buf, size_t len,
	    lsn_key_lookup_fn *lookup, void *arg, Liaison__V1__Receipt **rp)
	    LSN_MUST_CHECK;

/* Frees (protobuf-c free_unpacked); accept NULL; set *p = NULL. */
void	lsn_receipt_free(Liaison__V1__Receipt **rp);
void	lsn_receipt_signed_free(Liaison__V1__SignedReceipt **sp);

/* "delivered", "read", "actioned" or "?". Static string. */
const char *lsn_receipt_stage_name(int stage);

#endif /* LIAISON_RECEIPT_H */
