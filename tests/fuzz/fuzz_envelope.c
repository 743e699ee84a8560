/*
 * fuzz_envelope.c -- libFuzzer harness: a serialized SignedEnvelope as it
 * arrives from the network (broker ingress, agent inbox). Runs
 * lsn_envelope_peek, looks the signer's key up among the fixture partners
 * (by the hints, like the directory would) and runs
 * lsn_envelope_verify_parse; what verifies goes through fz_envelope_deep.
 * Seeds (fuzz_seeds) are envelopes signed by the fixture keys, so the
 * parse path is reached from the start.
 */
#include <stdint.h>
#include <string.h>

#include "liaison/envelope.h"

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
	struct lsn_envelope_outer	*o = NULL;
	Liaison__V1__Envelope		*env = NULL;
	const char			*field = NULL;
	const uint8_t			*pk;
	int				 i, rv;

	if ((rv = lsn_envelope_peek(data, size, 0, &o, &field)) != LSN_OK) {
		fz_note("peek: %s (%s)", lsn_errname(rv), field ? field : "-");
		return (0);
	}
	i = fz_partner_index(o->signer);
	if (i >= 0 && strcmp(o->key_id, fx->partners[i].sign->key_id) == 0)
		pk = fx->partners[i].sign->pk;
	else
		pk = fx->admin[0]->pk;	/* signs no envelope: must not verify */
	rv = lsn_envelope_verify_parse(o, pk, &env, &field);
	fz_note("verify_parse: %s (%s)", lsn_errname(rv), field ? field : "-");
	if (rv == LSN_OK) {
		if (pk == fx->admin[0]->pk)
			fz_die("verified under a key that signed nothing");
		fz_envelope_deep(o, env);
	}
	lsn_envelope_free(&env);
	lsn_envelope_outer_destroy(&o);
	return (0);
}
