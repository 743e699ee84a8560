/*
 * batchsig.h -- one Ed25519 signature over a batch of envelopes.
 *
 * A sender that sends many envelopes to the same recipients in one turn
 * signs them once: the signature covers u32be(count) || root, where root is
 * the Merkle tree hash (RFC 9162 shape) of the envelopes' leaf hashes
 *     leaf = BLAKE2b-256("liaison/batch-leaf/v1\0" || envelope bytes)
 *     node = BLAKE2b-256("liaison/batch-node/v1\0" || left || right)
 * in the role LSN_SIG_ENVELOPE_BATCH ("liaison/envelope-batch/v1"). Each
 * envelope travels with its inclusion proof (SignedEnvelope.batch). The
 * distinct prefixes keep a leaf from being read as a node and a batch
 * signature from being read as a single one (docs/protocol.md section 4).
 *
 * A verifier recomputes the root from the exact envelope bytes and the
 * proof, then verifies the signature. The Ed25519 verification of a
 * (key, count, root, signature) that already verified is skipped: the
 * process keeps the digests of its last LSN_BATCH_CACHE successful
 * verifications (in memory, shared by its threads under a mutex, never
 * stored). A digest hit means the same key, signed bytes and signature
 * verified before, which is the same verdict; a failure is never cached.
 *
 * Everything is borrowed; nothing allocates. Thread-safe after lsn_init().
 */
#ifndef LIAISON_BATCHSIG_H
#define LIAISON_BATCHSIG_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/util.h"

#define LSN_BATCH_MAX		64	/* envelopes under one signature */
#define LSN_BATCH_DEPTH_MAX	6	/* path entries for LSN_BATCH_MAX */
#define LSN_BATCH_CACHE		64	/* verified batches kept */

/* Where one envelope sits in a batch: SignedEnvelope.batch. */
struct lsn_batch_proof {
	uint32_t	index;		/* 0 .. count - 1 */
	uint32_t	count;		/* 2 .. LSN_BATCH_MAX */
	size_t		depth;		/* entries in path */
	uint8_t		path[LSN_BATCH_DEPTH_MAX][LSN_HASH_BYTES];
};

/* The leaf hash of envelope bytes env (len > 0). */
void	lsn_batch_leaf(const uint8_t *env, size_t len,
	    uint8_t out[LSN_HASH_BYTES]);

/*
 * Signs n envelopes (2 <= n <= LSN_BATCH_MAX; env[i] of len[i] bytes, the
 * exact Envelope bytes that travel) as one batch with an LSN_KEY_SIGN key
 * pair: sig receives the batch signature, proofs[i] (n entries, caller's)
 * the proof of envelope i. LSN_EINVAL on a bad argument.
 */
int	lsn_batch_sign(const struct lsn_keypair *kp,
	    const uint8_t *const *env, const size_t *len, size_t n,
	    uint8_t sig[LSN_SIG_BYTES], struct lsn_batch_proof *proofs)
	    LSN_MUST_CHECK;

/*
 * Verifies that envelope bytes env (envlen > 0) are leaf p->index of a
 * batch of p->count signed with sig (siglen bytes) by pk. LSN_OK, or
 * LSN_EBADSIG for anything else: a proof whose shape does not fit
 * (index, count) (too short, too long, count out of range), a root the
 * signature does not cover, a NULL argument.
 */
int	lsn_batch_verify(const uint8_t pk[LSN_PK_BYTES], const uint8_t *env,
	    size_t envlen, const struct lsn_batch_proof *p, const uint8_t *sig,
	    size_t siglen) LSN_MUST_CHECK;

/*
 * 1 if lsn_batch_verify() would answer LSN_OK from the cache alone (the
 * proof fits and its root's signature by pk verified before), else 0: a
 * caller that hands expensive checks to other threads keeps these.
 */
int	lsn_batch_known(const uint8_t pk[LSN_PK_BYTES], const uint8_t *env,
	    size_t envlen, const struct lsn_batch_proof *p, const uint8_t *sig,
	    size_t siglen);

#endif /* LIAISON_BATCHSIG_H */
