/*
 * sig.c -- Ed25519 signatures with domain separation.
 *
 * The signed message is prefix || 0x00 || payload. libsodium's Ed25519 has
 * no streaming interface for the pure (non-prehashed) scheme, so the
 * message is assembled in one buffer: on the stack for small payloads,
 * malloc'd otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "liaison/sig.h"

#define SIG_STACK_MAX	1024	/* assemble messages up to this on the stack */

const char *
lsn_sig_prefix(enum lsn_sig_role role)
{
	switch (role) {
	case LSN_SIG_ENVELOPE:
		return ("liaison/envelope/v1");
	case LSN_SIG_DIROP:
		return ("liaison/dirop/v1");
	case LSN_SIG_RECEIPT:
		return ("liaison/receipt/v1");
	case LSN_SIG_CHECKPOINT:
		return ("liaison/checkpoint/v1");
	case LSN_SIG_AUDIT_HEAD:
		return ("liaison/audit-head/v1");
	case LSN_SIG_ENVELOPE_BATCH:
		return ("liaison/envelope-batch/v1");
	}
	return (NULL);
}

/*
 * Points *mp at prefix || 0x00 || payload, in stack (SIG_STACK_MAX bytes)
 * when it fits, else in a malloc'd buffer stored in *heapp (caller frees).
 */
static int
sig_message(const char *prefix, const uint8_t *payload, size_t len,
    uint8_t *stack, uint8_t **heapp, const uint8_t **mp, size_t *mlenp)
{
	size_t	 plen = strlen(prefix) + 1;	/* with the 0x00 */
	uint8_t	*m;

	if (len > SIZE_MAX - plen)
		return (LSN_ETOOBIG);
	if (plen + len <= SIG_STACK_MAX)
		m = stack;
	else if ((m = *heapp = malloc(plen + len)) == NULL)
		return (LSN_ENOMEM);
	memcpy(m, prefix, plen);	/* copies the NUL as the 0x00 */
	memcpy(m + plen, payload, len);
	*mp = m;
	*mlenp = plen + len;
	return (LSN_OK);
}

int
lsn_sig_sign(enum lsn_sig_role role, const struct lsn_keypair *kp,
    const uint8_t *payload, size_t len, uint8_t sig[LSN_SIG_BYTES])
{
	uint8_t		 stack[SIG_STACK_MAX];
	uint8_t		*heap = NULL;
	const uint8_t	*m = NULL;
	const char	*prefix = lsn_sig_prefix(role);
	size_t		 mlen = 0;
	int		 rv;

	if (prefix == NULL || kp == NULL || kp->kind != LSN_KEY_SIGN ||
	    kp->sk == NULL || payload == NULL || len == 0 || sig == NULL)
		return (LSN_EINVAL);
	rv = sig_message(prefix, payload, len, stack, &heap, &m, &mlen);
	if (rv != LSN_OK)
		goto out;
	if (crypto_sign_detached(sig, NULL, m, mlen, kp->sk) != 0) {
		rv = LSN_EINTERNAL;
		goto out;
	}
	rv = LSN_OK;
 out:
	free(heap);
	return (rv);
}

int
lsn_sig_verify(enum lsn_sig_role role, const uint8_t pk[LSN_PK_BYTES],
    const uint8_t *payload, size_t len, const uint8_t *sig, size_t siglen)
{
	uint8_t		 stack[SIG_STACK_MAX];
	uint8_t		*heap = NULL;
	const uint8_t	*m = NULL;
	const char	*prefix = lsn_sig_prefix(role);
	size_t		 mlen = 0;
	int		 rv;

	if (prefix == NULL || pk == NULL || payload == NULL || len == 0 ||
	    sig == NULL || siglen != LSN_SIG_BYTES)
		return (LSN_EBADSIG);
	rv = sig_message(prefix, payload, len, stack, &heap, &m, &mlen);
	if (rv != LSN_OK) {
		/* Not a verdict on the signature, but still a refusal. */
		if (rv != LSN_ENOMEM)
			rv = LSN_EBADSIG;
		goto out;
	}
	rv = LSN_EBADSIG;
	if (crypto_sign_verify_detached(sig, m, mlen, pk) != 0)
		goto out;
	rv = LSN_OK;
 out:
	free(heap);
	return (rv);
}
