/*
 * fuzz_envelope_signed.c -- libFuzzer harness: the input is the Envelope
 * bytes. The harness signs them with the fixture key of p01 (the sender
 * the seeds carry), wraps them with p01's hints and opens the result with
 * lsn_envelope_peek + lsn_envelope_verify_parse, so every mutation reaches
 * the parser and the field validation behind the signature check.
 * Accepted envelopes go through fz_envelope_deep.
 */
#include <stdint.h>
#include <stdlib.h>

#include "liaison/envelope.h"
#include "liaison/sig.h"

#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	(void) fz_fixture();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lsn_fixture		*fx = fz_fixture();
	const struct lsn_keypair	*kp = fx->partners[0].sign;
	struct lsn_envelope_outer	*o = NULL;
	Liaison__V1__Envelope		*env = NULL;
	const char			*field = NULL;
	uint8_t				 sig[LSN_SIG_BYTES], *buf = NULL;
	size_t				 len = 0;
	int				 rv;

	if (size == 0 || size > LSN_MSG_MAX)
		return (0);
	if (lsn_sig_sign(LSN_SIG_ENVELOPE, kp, data, size, sig) != LSN_OK)
		fz_die("sign");
	if (lsn_envelope_wrap(data, size, sig, kp->label, kp->key_id, &buf,
	    &len) != LSN_OK)
		return (0);
	if (lsn_envelope_peek(buf, len, 0, &o, &field) != LSN_OK)
		goto out;
	rv = lsn_envelope_verify_parse(o, kp->pk, &env, &field);
	fz_note("verify_parse: %s (%s)", lsn_errname(rv), field ? field : "-");
	if (rv == LSN_OK)
		fz_envelope_deep(o, env);
 out:
	lsn_envelope_free(&env);
	lsn_envelope_outer_destroy(&o);
	free(buf);
	return (0);
}
