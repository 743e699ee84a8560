/*
 * sig.h -- Ed25519 signatures with domain separation.
 *
 * One mechanism serves every signed role. The signed message is
 *     prefix || 0x00 || payload
 * where prefix is the role's ASCII string:
 *     LSN_SIG_ENVELOPE    "liaison/envelope/v1"
 *     LSN_SIG_DIROP       "liaison/dirop/v1"
 *     LSN_SIG_RECEIPT     "liaison/receipt/v1"
 *     LSN_SIG_CHECKPOINT  "liaison/checkpoint/v1"
 *     LSN_SIG_AUDIT_HEAD  "liaison/audit-head/v1"
 *     LSN_SIG_ENVELOPE_BATCH "liaison/envelope-batch/v1" (batchsig.h)
 * so a signature valid in one role is never valid in another. The payload
 * is the exact bytes carried (no canonical re-encoding): verify, then parse.
 *
 * Thread-safe. Call lsn_init() first.
 */
#ifndef LIAISON_SIG_H
#define LIAISON_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "liaison/err.h"
#include "liaison/keys.h"

enum lsn_sig_role {
	LSN_SIG_ENVELOPE = 1,
	LSN_SIG_DIROP = 2,
	LSN_SIG_RECEIPT = 3,
	LSN_SIG_CHECKPOINT = 4,
	LSN_SIG_AUDIT_HEAD = 5,	/* the broker's signed audit head file */
	LSN_SIG_ENVELOPE_BATCH = 6,	/* a batch of envelopes (batchsig.h) */
};

/* The role's prefix string (without the 0x00), or NULL for a bad role. */
const char *lsn_sig_prefix(enum lsn_sig_role role);

/*
 * Signs payload in the given role with an LSN_KEY_SIGN key pair; writes the
 * 64-byte signature to sig. LSN_EINVAL on a wrong key kind or role, or an
 * empty or NULL payload (nothing is ever signed empty); LSN_ENOMEM.
 * kp and payload stay owned by the caller.
 */
int	lsn_sig_sign(enum lsn_sig_role role, const struct lsn_keypair *kp,
	    const uint8_t *payload, size_t len, uint8_t sig[LSN_SIG_BYTES])
	    LSN_MUST_CHECK;

/*
 * Verifies sig over payload in the role with public key pk.
 * LSN_OK or LSN_EBADSIG (also for a NULL/empty argument, an empty payload
 * or siglen != LSN_SIG_BYTES). LSN_ENOMEM if the message could not be
 * assembled (payloads over 1 KiB are copied to the heap); any value other
 * than LSN_OK means "not verified".
 */
int	lsn_sig_verify(enum lsn_sig_role role, const uint8_t pk[LSN_PK_BYTES],
	    const uint8_t *payload, size_t len, const uint8_t *sig,
	    size_t siglen) LSN_MUST_CHECK;

#endif /* LIAISON_SIG_H */
