/* kit_env.c -- broker + two agents for the integrator kit tests. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/err.h"

#include "agent_it.h"
#include "kit_env.h"
#include "lsn_proc.h"

int
kit_env_up(struct lsn_fixture **fxp)
{
	struct lsn_fixture_opts	 o = { 0 };
	struct lsn_fixture	*fx = NULL;
	pid_t			 broker;
	char			 ep[256], api[256], tmp[LSN_FX_PATH_MAX + 8];
	static const char *const names[2][2] = {
		{ "LIAISON_TEST_A_API", "LIAISON_TEST_A_ID" },
		{ "LIAISON_TEST_B_API", "LIAISON_TEST_B_ID" },
	};
	int			 rv;

	o.npartners = 2;
	if ((rv = lsn_fixture_create(&o, &fx)) != LSN_OK)
		goto out;
	if ((rv = lsn_fixture_write_broker_conf(fx, NULL, NULL)) != LSN_OK ||
	    (rv = lsn_fixture_start_broker(fx, 0, &broker, ep,
	    sizeof(ep))) != LSN_OK)
		goto out;
	for (size_t i = 0; i < 2; i++) {
		if (agent_it_start(fx, i, ep, NULL) <= 0) {
			rv = LSN_EIO;
			goto out;
		}
	}
	for (size_t i = 0; i < 2; i++) {
		if ((rv = agent_it_wait_connected(fx, i, 1, 30000)) != LSN_OK)
			goto out;
		agent_it_endpoint(fx, i, api, sizeof(api));
		if (setenv(names[i][0], api, 1) != 0 ||
		    setenv(names[i][1], fx->partners[i].id, 1) != 0) {
			rv = LSN_ENOMEM;
			goto out;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s/kit", fx->dir);
	if (mkdir(tmp, 0700) != 0 || setenv("LIAISON_TEST_TMP", tmp, 1) != 0) {
		rv = LSN_EIO;
		goto out;
	}
	*fxp = fx;
	fx = NULL;
	rv = LSN_OK;
 out:
	lsn_fixture_destroy(&fx);
	return (rv);
}

int
kit_env_run(const struct lsn_fixture *fx, const char *script, int timeout_ms)
{
	const char	*src = getenv("LSN_SRC_DIR");
	char		 path[1024];
	char		*argv[3], *out = NULL;
	int		 rv;

	if (src == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/tests/kit/%s", src, script);
	argv[0] = (char *) (uintptr_t) "bash";
	argv[1] = path;
	argv[2] = NULL;
	rv = lsn_proc_run("/bin/bash", argv, &out, NULL, timeout_ms);
	if (out != NULL)
		fputs(out, stdout);
	free(out);
	fflush(stdout);
	if (rv != 0) {
		fprintf(stderr, "kit_env: %s exited %d\n", script, rv);
		for (size_t i = 0; i < 2; i++)
			lsn_proc_dump_log(fx->partners[i].agent_log, 4096);
	}
	return (rv);
}
