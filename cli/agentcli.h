/*
 * agentcli.h -- small helpers shared by the commands that talk to the
 * local agent (cmd_agent.c, cmd_workflow.c).
 */
#ifndef LIAISON_AGENTCLI_H
#define LIAISON_AGENTCLI_H

#include <stdio.h>

#include "api.pb-c.h"

/*
 * Checks the subcommand word in argv[1]: with name != NULL it must equal
 * name, with name == NULL any word not starting with '-' is accepted.
 * Returns -1 when it is accepted (the caller goes on); otherwise prints
 * usage (to stdout for -h/--help, to stderr else) and returns the exit
 * code CLI_EXIT_OK or CLI_EXIT_USAGE.
 */
int	cli_subcmd_expect(int argc, char *argv[], const char *name,
	    void (*usage)(FILE *));

/*
 * Handles the common agent options inside a getopt_long loop: 'c' stores
 * optarg in *conf, agent_ch (the --agent value) stores it in *agent.
 * Returns 1 if ch was consumed, 0 else. The strings stay owned by argv.
 */
int	cli_agent_opt(int ch, int agent_ch, const char **agent,
	    const char **conf);

/*
 * Checks the result code of an agent answer *rp. Returns CLI_EXIT_OK and
 * leaves *rp alone when it is OK; otherwise prints "<ERRNAME>: <detail>"
 * for cmd, frees *rp (setting it NULL) and returns CLI_EXIT_FAIL.
 */
int	cli_api_check(const char *cmd, Liaison__V1__ApiResponse **rp);

#endif
