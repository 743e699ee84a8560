/*
 * agentcli.h -- small helpers shared by the commands that talk to the
 * local agent (cmd_agent.c, cmd_agentdir.c, cmd_workflow.c,
 * cmd_send_typed.c, cmd_meeting.c, cmd_read.c, cmd_thread.c, readlib.c):
 * option loop and usage exit, endpoint and calls, id parsing.
 */
#ifndef LIAISON_AGENTCLI_H
#define LIAISON_AGENTCLI_H

#include <stddef.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "api.pb-c.h"

#include "liaison/client.h"

/* The help lines of --agent and -c (static string). */
extern const char *const cli_agent_opt_help;

/* A protobuf-c string field from a const string (never modified); the
 * result is s itself, still owned by the caller. */
char	*cli_mut(const char *s);

/* Sets an optional bytes field (*has, *f) to the 16-byte id, which stays
 * owned by the caller (borrowed, never modified). */
void	cli_id_field(protobuf_c_boolean *has, ProtobufCBinaryData *f,
	    const uint8_t id[16]);

/*
 * Packs body m (borrowed) of message type type into sr (type and body).
 * The packed bytes are *bodyp, which the caller frees once sr is sent.
 * 0, or -1 when out of memory.
 */
int	cli_submit_body(Liaison__V1__SubmitRequest *sr, int type,
	    const ProtobufCMessage *m, uint8_t **bodyp);

/*
 * s (32 hex characters) into id: CLI_EXIT_OK, else prints msg for cmd and
 * returns CLI_EXIT_USAGE. s and msg are borrowed.
 */
int	cli_parse_id(const char *cmd, const char *s, uint8_t id[16],
	    const char *msg);

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
 * The end of a getopt_long switch: for ch == 'h' prints usage to stdout
 * and returns CLI_EXIT_OK, else prints it to stderr and returns
 * CLI_EXIT_USAGE.
 */
int	cli_usage_exit(int ch, void (*usage)(FILE *));

/*
 * getopt_long(argc, argv, "c:h", lo, NULL) that handles the common agent
 * options itself (cli_agent_opt with agent_ch) and returns the next
 * other option character, or -1 at the end. The caller sets optind = 1
 * before the first call.
 */
int	cli_getopt(int argc, char *argv[], const struct option *lo,
	    int agent_ch, const char **agent, const char **conf);

/*
 * Handles the common agent options inside a getopt_long loop: 'c' stores
 * optarg in *conf, agent_ch (the --agent value) stores it in *agent.
 * Returns 1 if ch was consumed, 0 else. The strings stay owned by argv.
 */
int	cli_agent_opt(int ch, int agent_ch, const char **agent,
	    const char **conf);

/* For an agent answer *rp without the part asked for: prints "malformed
 * answer from the agent" for cmd, frees *rp (NULL after) and returns
 * CLI_EXIT_FAIL. */
int	cli_malformed(const char *cmd, Liaison__V1__ApiResponse **rp);

/*
 * Checks the result code of an agent answer *rp. Returns CLI_EXIT_OK and
 * leaves *rp alone when it is OK; otherwise prints "<ERRNAME>: <detail>"
 * for cmd, frees *rp (setting it NULL) and returns CLI_EXIT_FAIL.
 */
int	cli_api_check(const char *cmd, Liaison__V1__ApiResponse **rp);

/*
 * The agent's endpoint into ep (sz bytes): agent, else the [agent] api of
 * conf, else of $LIAISON_AGENT_CONF, else of /etc/liaison/agent.conf.
 * CLI_EXIT_OK, else prints why for cmd (with hint: "no [agent] api or db
 * option" for a config without one) and returns CLI_EXIT_USAGE or
 * CLI_EXIT_UNAVAILABLE. agent and conf are borrowed.
 */
int	cli_endpoint(const char *cmd, const char *agent, const char *conf,
	    int hint, char *ep, size_t sz);

/*
 * One call to the agent (endpoint from agent, else conf, else
 * $LIAISON_AGENT_CONF, else /etc/liaison/agent.conf). Returns CLI_EXIT_OK
 * with *respp (caller frees with lsn_client_response_free) when the agent
 * answered OK; else prints why for cmd and returns CLI_EXIT_FAIL (agent
 * refused), CLI_EXIT_UNAVAILABLE or CLI_EXIT_USAGE.
 */
int	cli_call(const char *cmd, const char *agent, const char *conf,
	    Liaison__V1__ApiRequest *req, int timeout_ms,
	    Liaison__V1__ApiResponse **respp);

/*
 * cli_call with hint 0 leaves out the "is liaison-agent running?" and
 * "no [agent] api or db option" hints (the workflow commands' wording);
 * cli_call is this with hint 1. Ownership as for cli_call.
 */
int	cli_call_hint(const char *cmd, const char *agent, const char *conf,
	    Liaison__V1__ApiRequest *req, int timeout_ms, int hint,
	    Liaison__V1__ApiResponse **respp);

/* The same without printing anything; returns an lsn_err code. */
int	cli_call_quiet(const char *agent, const char *conf,
	    Liaison__V1__ApiRequest *req, Liaison__V1__ApiResponse **respp);

/*
 * Parses a duration option value: seconds ("3") or a duration with a
 * unit as in the config files ("3s", "2m", lsn_conf_parse_duration), at
 * most max seconds. CLI_EXIT_OK with *out, else prints and CLI_EXIT_USAGE.
 */
int	cli_opt_seconds(const char *cmd, const char *opt, const char *arg,
	    long long max, long long *out);

/*
 * For an optional_argument option given as "--opt V" (getopt_long only
 * takes "--opt=V"): if *argp is NULL and the next word is a number, takes
 * it (advancing optind) and returns 1; else 0.
 */
int	cli_optional_arg(int argc, char *argv[], const char **argp);

/*
 * A connection to the agent for several calls (send --wait, status,
 * agent-dir). cmd is borrowed for the messages; c is owned by the
 * struct (cli_conn_close frees it; safe when the open failed).
 */
struct cli_conn {
	const char		*cmd;
	struct lsn_client	*c;
	char			 ep[LSN_CLIENT_EP_MAX];
};

/* Opens k for cmd (endpoint as cli_endpoint, hint on): CLI_EXIT_OK, else
 * prints why and returns CLI_EXIT_USAGE or CLI_EXIT_UNAVAILABLE. */
int	cli_conn_open(struct cli_conn *k, const char *cmd, const char *agent,
	    const char *conf);
/*
 * Calls the agent. Returns CLI_EXIT_OK with *respp set (caller frees with
 * lsn_client_response_free) when the agent answered OK; prints the
 * agent's error and returns CLI_EXIT_FAIL, or CLI_EXIT_UNAVAILABLE when
 * there was no answer.
 */
int	cli_conn_call(struct cli_conn *k, Liaison__V1__ApiRequest *req,
	    int timeout_ms, Liaison__V1__ApiResponse **respp);
void	cli_conn_close(struct cli_conn *k);

#endif
