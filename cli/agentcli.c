/*
 * agentcli.c -- helpers shared by the agent-facing commands.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "liaison/client.h"
#include "liaison/err.h"

#include "agentcli.h"
#include "cli.h"

int
cli_subcmd_expect(int argc, char *argv[], const char *name,
    void (*usage)(FILE *))
{
	if (argc >= 2 && (name != NULL ? strcmp(argv[1], name) == 0 :
	    argv[1][0] != '-'))
		return (-1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return (CLI_EXIT_OK);
	}
	usage(stderr);
	return (CLI_EXIT_USAGE);
}

int
cli_agent_opt(int ch, int agent_ch, const char **agent, const char **conf)
{
	if (ch == 'c') {
		*conf = optarg;
		return (1);
	}
	if (ch == agent_ch) {
		*agent = optarg;
		return (1);
	}
	return (0);
}

int
cli_api_check(const char *cmd, Liaison__V1__ApiResponse **rp)
{
	Liaison__V1__ApiResponse	*r = *rp;
	int				 code;

	code = r->has_code ? lsn_err_from_wire((int) r->code) : LSN_EPROTO;
	if (code != LSN_OK) {
		cli_err(cmd, "%s: %s", lsn_errname(code),
		    r->detail != NULL ? r->detail : lsn_strerror(code));
		lsn_client_response_free(rp);
		return (CLI_EXIT_FAIL);
	}
	return (CLI_EXIT_OK);
}
