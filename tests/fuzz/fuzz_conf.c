/*
 * fuzz_conf.c -- libFuzzer harness: configuration and key files. The
 * input is written to a file on /dev/shm and loaded as the agent's
 * configuration (aconf_load: lib/conf.c's parser with the agent's table
 * and checks, then aconf_api_endpoint), parsed again from memory
 * (lsn_conf_load_string), and read as a secret and a public key file
 * (lsn_keypair_load, lsn_pubkey_load). Seeds: the example configuration,
 * a fixture agent configuration, the test configurations under
 * tests/data/conf and the fixture's key files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/conf.h"
#include "liaison/keys.h"

#include "agent.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

static char	fz_path[512];

static void
fz_conf(void)
{
	char	*dir;

	if (fz_path[0] != '\0')
		return;
	fz_init();
	dir = fz_tmpdir("conf");
	snprintf(fz_path, sizeof(fz_path), "%s/input.conf", dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fz_conf();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_conf	*c, *c2;
	struct lsn_keypair	*kp = NULL;
	enum lsn_key_kind	 kind;
	uint8_t			 pk[LSN_PK_BYTES];
	char			 err[256], ep[AGENT_EP_MAX];
	char			 label[LSN_LABEL_MAX + 1];
	char			*text;

	fz_conf();
	if (size > LSN_CONF_FILE_MAX + 1)
		return (0);
	if (fz_write(fz_path, data, size) != 0)
		fz_die("write input");
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c2 = calloc(1, sizeof(*c2))) == NULL)
		fz_die("calloc");
	if (aconf_load(fz_path, c, err, sizeof(err)) == LSN_OK)
		(void) aconf_api_endpoint(c, ep, sizeof(ep));
	if ((text = malloc(size + 1)) == NULL)
		fz_die("malloc");
	memcpy(text, data, size);
	text[size] = '\0';
	if (lsn_conf_load_string(text, agent_conf_table, c2, err,
	    sizeof(err)) != LSN_OK)
		err[0] = '\0';	/* refused: fine, it must not crash */
	free(text);
	if (lsn_keypair_load(fz_path, &kp) == LSN_OK)
		lsn_keypair_destroy(&kp);
	if (lsn_pubkey_load(fz_path, &kind, pk, label) != LSN_OK)
		kind = 0;	/* refused: fine */
	free(c);
	free(c2);
	return (0);
}
