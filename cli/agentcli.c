/*
 * agentcli.c -- helpers shared by the agent-facing commands.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison/client.h"
#include "liaison/conf.h"
#include "liaison/err.h"
#include "liaison/util.h"

#include "agentcli.h"
#include "cli.h"

const char *const cli_agent_opt_help =
    "  --agent ENDPOINT   agent API endpoint (ipc://... or tcp://127.0.0.1:P)\n"
    "  -c FILE            agent.conf to find the endpoint\n";

char *
cli_mut(const char *s)
{
	union {
		const char	*c;
		char		*m;
	} u;

	u.c = s;
	return (u.m);
}

void
cli_id_field(protobuf_c_boolean *has, ProtobufCBinaryData *f,
    const uint8_t id[16])
{
	*has = 1;
	f->data = (uint8_t *) (uintptr_t) id;
	f->len = 16;
}

int
cli_submit_body(Liaison__V1__SubmitRequest *sr, int type,
    const ProtobufCMessage *m, uint8_t **bodyp)
{
	size_t	len = protobuf_c_message_get_packed_size(m);

	if ((*bodyp = malloc(len ? len : 1)) == NULL)
		return (-1);
	protobuf_c_message_pack(m, *bodyp);
	sr->has_type = 1;
	sr->type = type;
	sr->has_body = 1;
	sr->body.data = *bodyp;
	sr->body.len = len;
	return (0);
}

int
cli_parse_id(const char *cmd, const char *s, uint8_t id[16],
    const char *msg)
{
	if (strlen(s) != 32 || lsn_hex_decode(s, id, 16) != LSN_OK) {
		cli_err(cmd, "%s", msg);
		return (CLI_EXIT_USAGE);
	}
	return (CLI_EXIT_OK);
}

int
cli_subcmd_expect(int argc, char *argv[], const char *name,
    void (*usage)(FILE *))
{
	if (argc >= 2 && (name != NULL ? strcmp(argv[1], name) == 0 :
	    argv[1][0] != '-'))
		return (-1);
	return (cli_usage_exit(argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) ? 'h' : 0, usage));
}

int
cli_usage_exit(int ch, void (*usage)(FILE *))
{
	if (ch == 'h') {
		usage(stdout);
		return (CLI_EXIT_OK);
	}
	usage(stderr);
	return (CLI_EXIT_USAGE);
}

int
cli_getopt(int argc, char *argv[], const struct option *lo, int agent_ch,
    const char **agent, const char **conf)
{
	int	ch;

	while ((ch = getopt_long(argc, argv, "c:h", lo, NULL)) != -1)
		if (!cli_agent_opt(ch, agent_ch, agent, conf))
			break;
	return (ch);
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
cli_malformed(const char *cmd, Liaison__V1__ApiResponse **rp)
{
	cli_err(cmd, "malformed answer from the agent");
	lsn_client_response_free(rp);
	return (CLI_EXIT_FAIL);
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

int
cli_endpoint(const char *cmd, const char *agent, const char *conf, int hint,
    char *ep, size_t sz)
{
	int	rv;

	if (agent != NULL) {
		if (lsn_strlcpy(ep, agent, sz) >= sz) {
			cli_err(cmd, "endpoint too long");
			return (CLI_EXIT_USAGE);
		}
		return (CLI_EXIT_OK);
	}
	if (conf == NULL)
		conf = getenv("LIAISON_AGENT_CONF");
	if (conf == NULL)
		conf = "/etc/liaison/agent.conf";
	if ((rv = lsn_client_endpoint_from_conf(conf, ep, sz)) != LSN_OK) {
		cli_err(cmd, "%s: %s", conf, hint && rv == LSN_ECONFIG ?
		    "no [agent] api or db option" : lsn_strerror(rv));
		return (CLI_EXIT_UNAVAILABLE);
	}
	return (CLI_EXIT_OK);
}

int
cli_call(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__ApiRequest *req, int timeout_ms,
    Liaison__V1__ApiResponse **respp)
{
	return (cli_call_hint(cmd, agent, conf, req, timeout_ms, 1, respp));
}

int
cli_call_hint(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__ApiRequest *req, int timeout_ms, int hint,
    Liaison__V1__ApiResponse **respp)
{
	struct lsn_client		*c = NULL;
	Liaison__V1__ApiResponse	*r = NULL;
	char				 ep[LSN_CLIENT_EP_MAX];
	int				 rv;

	if ((rv = cli_endpoint(cmd, agent, conf, hint, ep, sizeof(ep))) !=
	    CLI_EXIT_OK)
		return (rv);
	if ((rv = lsn_client_open(ep, &c)) != LSN_OK) {
		cli_err(cmd, "cannot reach the agent at %s: %s%s", ep,
		    lsn_strerror(rv), hint ? "; is liaison-agent running? "
		    "(--agent ENDPOINT or -c FILE)" : "");
		return (rv == LSN_EINVAL ? CLI_EXIT_USAGE :
		    CLI_EXIT_UNAVAILABLE);
	}
	rv = lsn_client_call(c, req, timeout_ms, &r);
	lsn_client_close(&c);
	if (rv != LSN_OK) {
		cli_err(cmd, "no answer from the agent at %s: %s", ep,
		    lsn_strerror(rv));
		return (CLI_EXIT_UNAVAILABLE);
	}
	if ((rv = cli_api_check(cmd, &r)) != CLI_EXIT_OK)
		return (rv);
	*respp = r;
	return (CLI_EXIT_OK);
}

int
cli_call_quiet(const char *agent, const char *conf,
    Liaison__V1__ApiRequest *req, Liaison__V1__ApiResponse **respp)
{
	Liaison__V1__ApiResponse	*r = NULL;
	struct lsn_client		*c = NULL;
	char				 ep[LSN_CLIENT_EP_MAX];
	int				 rv;

	if (agent != NULL)
		lsn_strlcpy(ep, agent, sizeof(ep));
	else if (lsn_client_endpoint_from_conf(conf != NULL ? conf :
	    getenv("LIAISON_AGENT_CONF") != NULL ?
	    getenv("LIAISON_AGENT_CONF") : "/etc/liaison/agent.conf", ep,
	    sizeof(ep)) != LSN_OK)
		return (LSN_ECONFIG);
	if ((rv = lsn_client_open(ep, &c)) != LSN_OK)
		return (rv);
	rv = lsn_client_call(c, req, 10000, &r);
	lsn_client_close(&c);
	if (rv != LSN_OK)
		return (rv);
	rv = r->has_code ? lsn_err_from_wire((int) r->code) : LSN_EPROTO;
	if (rv != LSN_OK) {
		lsn_client_response_free(&r);
		return (rv);
	}
	*respp = r;
	return (LSN_OK);
}

int
cli_opt_seconds(const char *cmd, const char *opt, const char *arg,
    long long max, long long *out)
{
	long long	ms;

	if (lsn_strtonum(arg, 0, max, out, NULL) == LSN_OK)
		return (CLI_EXIT_OK);
	if (lsn_conf_parse_duration(arg, &ms) == LSN_OK && ms % 1000 == 0 &&
	    ms / 1000 <= max) {
		*out = (long long) (ms / 1000);
		return (CLI_EXIT_OK);
	}
	cli_err(cmd, "%s takes a duration of 0..%lld seconds (e.g. 3, 3s, "
	    "1m), not '%s'", opt, max, arg);
	return (CLI_EXIT_USAGE);
}

int
cli_optional_arg(int argc, char *argv[], const char **argp)
{
	if (*argp != NULL)
		return (0);
	if (optind < argc && argv[optind][0] != '-' &&
	    (argv[optind][0] >= '0' && argv[optind][0] <= '9')) {
		*argp = argv[optind++];
		return (1);
	}
	return (0);
}

/* ---- a connection kept for several calls (cmd_agent.c) ---- */

static const char *
agent_hint(void)
{
	return ("is liaison-agent running? (--agent ENDPOINT or -c FILE)");
}

int
cli_conn_open(struct cli_conn *k, const char *cmd, const char *agent,
    const char *conf)
{
	int	rv;

	k->cmd = cmd;
	k->c = NULL;
	if ((rv = cli_endpoint(cmd, agent, conf, 1, k->ep, sizeof(k->ep))) !=
	    CLI_EXIT_OK)
		return (rv);
	rv = lsn_client_open(k->ep, &k->c);
	if (rv == LSN_EINVAL) {
		cli_err(cmd, "invalid endpoint %s", k->ep);
		return (CLI_EXIT_USAGE);
	}
	if (rv != LSN_OK) {
		cli_err(cmd, "cannot reach the agent at %s: %s; %s", k->ep,
		    lsn_strerror(rv), agent_hint());
		return (CLI_EXIT_UNAVAILABLE);
	}
	return (CLI_EXIT_OK);
}

void
cli_conn_close(struct cli_conn *k)
{
	lsn_client_close(&k->c);
}

int
cli_conn_call(struct cli_conn *k, Liaison__V1__ApiRequest *req, int timeout_ms,
    Liaison__V1__ApiResponse **respp)
{
	Liaison__V1__ApiResponse	*r = NULL;
	int				 rv;

	if ((rv = lsn_client_call(k->c, req, timeout_ms, &r)) != LSN_OK) {
		cli_err(k->cmd, "no answer from the agent at %s: %s; %s",
		    k->ep, lsn_strerror(rv), agent_hint());
		return (CLI_EXIT_UNAVAILABLE);
	}
	if ((rv = cli_api_check(k->cmd, &r)) != CLI_EXIT_OK)
		return (rv);
	*respp = r;
	return (CLI_EXIT_OK);
}
