/*
 * cmd_agent.c -- commands that talk to the local liaison-agent over its
 * API: send, inbox, show, ack, status, submit (agent-dir:
 * cmd_agentdir.c).
 *
 * Every command takes --agent ENDPOINT or -c agent.conf (default: the
 * environment variable LIAISON_AGENT_CONF, else /etc/liaison/agent.conf)
 * and exits 3 when the agent cannot be reached.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "envelope.pb-c.h"

#include "liaison/client.h"
#include "liaison/dir.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "agentcli.h"
#include "cli.h"
#include "render.h"

#define CLI_TIMEOUT_MS		10000
#define CLI_DIRSUB_TIMEOUT_MS	15000
#define CLI_RCPT_MAX		64

static int
parse_msgid(const char *cmd, const char *hex, uint8_t id[16])
{
	return (cli_parse_id(cmd, hex, id,
	    "message id must be 32 hex characters"));
}

static void
hex(const uint8_t *p, size_t len, char *out)
{
	lsn_hex_encode(p, len, out);
}

enum {
	OPT_AGENT = 1000, OPT_TO, OPT_GROUP, OPT_TYPE, OPT_TEXT, OPT_WAIT,
	OPT_JSON, OPT_ALL, OPT_TLP, OPT_PRIO, OPT_CASE, OPT_LIMIT, OPT_AFTER,
	OPT_TIMEOUT, OPT_CUSTODY, OPT_STATE,
};

/* Splits a comma list into v (n entries); strings point into s. */
static int
split_list(char *s, char **v, size_t *n, size_t max)
{
	char	*save = NULL, *t;

	for (t = strtok_r(s, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (*n >= max || !lsn_slug_valid(t))
			return (-1);
		v[(*n)++] = t;
	}
	return (0);
}

static int
parse_tlp(const char *s, int *out)
{
	for (int i = 1; i <= 5; i++)
		if (strcmp(lsn_tlp_name(i), s) == 0 ||
		    (strncmp(s, "TLP:", 4) == 0 &&
		    strcasecmp(lsn_tlp_name(i), s + 4) == 0)) {
			*out = i;
			return (0);
		}
	return (-1);
}

/* ---- send ---- */

static void
send_usage(FILE *f)
{
	fprintf(f, "usage: liaison send [note] --to ID[,ID] | --group G[,G] "
	    "--text TEXT\n"
	    "           [--tlp clear|green|amber|amber-strict|red] "
	    "[--priority 1-4]\n           [--case REF]\n"
	    "           [--wait [DURATION]] [--json] [--agent EP | -c FILE]\n"
	    "Signs and queues a message; prints its id. With --wait, waits\n"
	    "(default 10 s; --wait 3, --wait=3 or --wait 1m) for the broker's "
	    "verdict\nand prints it (accepted, refused or pending). --json: "
	    "{\"message_id\", \"state\"}.\n"
	    "example: liaison send --to uk-nca-ceop --text 'Call me' --wait 5\n"
	    "TLP amber and stronger is sealed by the agent to every "
	    "recipient.\n"
	    "Typed messages: liaison send referral|alert|meeting --help.\n"
	    "%s",
	    cli_agent_opt_help);
}

/* Over 80 lines: a note's options, request, submit and --wait. */
int
cmd_send(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "to", required_argument, NULL, OPT_TO },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "text", required_argument, NULL, OPT_TEXT },
		{ "tlp", required_argument, NULL, OPT_TLP },
		{ "priority", required_argument, NULL, OPT_PRIO },
		{ "case", required_argument, NULL, OPT_CASE },
		{ "wait", optional_argument, NULL, OPT_WAIT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Note		 note = LIAISON__V1__NOTE__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	struct cli_conn			 k = { NULL, NULL, "" };
	char				*to[CLI_RCPT_MAX], *gr[CLI_RCPT_MAX];
	char				 idhex[33] = "";
	const char			*agent = NULL, *conf = NULL;
	const char			*type = NULL, *text = NULL;
	uint8_t				 id[16], *body = NULL;
	size_t				 nto = 0, ngr = 0;
	long long			 wait_s = 0, prio = 0;
	int				 ch, rv, tlp = 2, json = 0;
	const char			*verdict = NULL;

	/* liaison send referral|note ... */
	if (argc >= 2 && strcmp(argv[1], "referral") == 0)
		return (cmd_send_referral(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "alert") == 0)
		return (cmd_send_alert(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "meeting") == 0)
		return (cmd_send_meeting(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "note") == 0) {
		argc--;
		argv++;
	}
	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, OPT_AGENT, &agent,
	    &conf)) != -1) {
		switch (ch) {
		case OPT_TO:
			if (split_list(optarg, to, &nto, CLI_RCPT_MAX) != 0) {
				cli_err("send", "bad --to list");
				return (CLI_EXIT_USAGE);
			}
			break;
		case OPT_GROUP:
			if (split_list(optarg, gr, &ngr, CLI_RCPT_MAX) != 0) {
				cli_err("send", "bad --group list");
				return (CLI_EXIT_USAGE);
			}
			break;
		case OPT_TYPE:
			type = optarg;
			break;
		case OPT_TEXT:
			text = optarg;
			break;
		case OPT_TLP:
			if (parse_tlp(optarg, &tlp) != 0) {
				cli_err("send", "unknown TLP '%s'", optarg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case OPT_PRIO:
			if (lsn_strtonum(optarg[0] == 'P' ? optarg + 1 :
			    optarg, 1, 4, &prio, NULL) != LSN_OK) {
				cli_err("send", "priority must be 1..4");
				return (CLI_EXIT_USAGE);
			}
			break;
		case OPT_CASE:
			sr.case_ref = optarg;
			break;
		case OPT_WAIT: {
			const char *arg = optarg;

			/* --wait, --wait=3, --wait 3, --wait 1m */
			(void) cli_optional_arg(argc, argv, &arg);
			wait_s = 10;
			if (arg != NULL && (rv = cli_opt_seconds("send",
			    "--wait", arg, 3600, &wait_s)) != CLI_EXIT_OK)
				return (rv);
			break;
		}
		case OPT_JSON:
			json = 1;
			break;
		default:	/* 'h' too */
			return (cli_usage_exit(ch, send_usage));
		}
	}
	if (optind != argc || nto + ngr == 0 || text == NULL ||
	    (type != NULL && strcmp(type, "note") != 0)) {
		if (type != NULL && strcmp(type, "note") != 0)
			cli_err("send", "only --type note is supported");
		send_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	note.text = cli_mut(text);
	sr.n_to = nto;
	sr.to = to;
	sr.n_to_groups = ngr;
	sr.to_groups = gr;
	if (cli_submit_body(&sr, LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE,
	    &note.base, &body) != 0) {
		cli_err("send", "out of memory");
		return (CLI_EXIT_FAIL);
	}
	h.has_tlp = 1;
	h.tlp = tlp;
	sr.handling = &h;
	if (prio != 0) {
		sr.has_priority = 1;
		sr.priority = (int) prio;
	}
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	if ((rv = cli_conn_open(&k, "send", agent, conf)) != CLI_EXIT_OK)
		goto out;
	if ((rv = cli_conn_call(&k, &req, CLI_TIMEOUT_MS, &r)) != CLI_EXIT_OK)
		goto out;
	if (r->submit == NULL || r->submit->message_id.len != 16) {
		rv = cli_malformed("send", &r);
		goto out;
	}
	memcpy(id, r->submit->message_id.data, 16);
	lsn_client_response_free(&r);
	hex(id, 16, idhex);
	if (!json) {
		printf("%s\n", idhex);
		fflush(stdout);
	}
	if (wait_s > 0) {
		Liaison__V1__ApiRequest q = LIAISON__V1__API_REQUEST__INIT;
		Liaison__V1__OutboxStatusRequest os =
		    LIAISON__V1__OUTBOX_STATUS_REQUEST__INIT;
		uint64_t deadline = lsn_mono_ms() + (uint64_t) wait_s * 1000;

		cli_id_field(&os.has_message_id, &os.message_id, id);
		q.kind_case = LIAISON__V1__API_REQUEST__KIND_OUTBOX_STATUS;
		q.outbox_status = &os;
		for (;;) {
			if ((rv = cli_conn_call(&k, &q, CLI_TIMEOUT_MS, &r)) !=
			    CLI_EXIT_OK)
				goto out;
			if (r->outbox_status != NULL &&
			    r->outbox_status->state ==
			    LIAISON__V1__OUTBOX_STATE__OUTBOX_ACCEPTED) {
				verdict = "accepted";
				break;
			}
			if (r->outbox_status != NULL &&
			    r->outbox_status->state ==
			    LIAISON__V1__OUTBOX_STATE__OUTBOX_REJECTED) {
				int c = lsn_err_from_wire((int)
				    r->outbox_status->publish_code);

				verdict = "refused";
				cli_err("send", "refused by the broker: %s: %s",
				    lsn_errname(c),
				    r->outbox_status->publish_detail != NULL ?
				    r->outbox_status->publish_detail : "");
				rv = CLI_EXIT_FAIL;
				goto out;
			}
			lsn_client_response_free(&r);
			if (lsn_mono_ms() >= deadline) {
				verdict = "pending";
				cli_err("send", "not yet acknowledged by the "
				    "broker; it stays queued (liaison status)");
				rv = CLI_EXIT_FAIL;
				goto out;
			}
			{
				struct timespec ts = { 0, 50 * 1000 * 1000 };

				nanosleep(&ts, NULL);
			}
		}
	}
	rv = CLI_EXIT_OK;
 out:
	if (idhex[0] != '\0' && json)
		printf("{\"message_id\": \"%s\", \"state\": \"%s\"}\n",
		    idhex, verdict != NULL ? verdict : "queued");
	else if (verdict != NULL)
		printf("%s\n", verdict);
	lsn_client_response_free(&r);
	cli_conn_close(&k);
	free(body);
	return (rv);
}

/* ---- ack (inbox and show: cmd_read.c) ---- */

int
cmd_ack(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__InboxMarkRequest	 mr =
	    LIAISON__V1__INBOX_MARK_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	struct cli_conn			 k = { NULL, NULL, "" };
	const char			*agent = NULL, *conf = NULL;
	uint8_t				 id[16];
	int				 ch, rv;

	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, OPT_AGENT, &agent,
	    &conf)) != -1) {
		if (ch == 'h') {
			printf("usage: liaison ack ID [--agent EP | -c FILE]\n"
			    "Marks an inbox message as taken over.\n"
			    "example: liaison ack 3f2a...c9\n%s",
			    cli_agent_opt_help);
			return (CLI_EXIT_OK);
		}
		return (CLI_EXIT_USAGE);
	}
	if (optind + 1 != argc) {
		cli_err("ack", "usage: liaison ack ID");
		return (CLI_EXIT_USAGE);
	}
	if ((rv = parse_msgid("ack", argv[optind], id)) != CLI_EXIT_OK)
		return (rv);
	cli_id_field(&mr.has_message_id, &mr.message_id, id);
	mr.has_stage = 1;
	mr.stage = LIAISON__V1__MARK_STAGE__MARK_ACKED;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_MARK;
	req.inbox_mark = &mr;
	if ((rv = cli_conn_open(&k, "ack", agent, conf)) == CLI_EXIT_OK)
		rv = cli_conn_call(&k, &req, CLI_TIMEOUT_MS, &r);
	if (rv == CLI_EXIT_OK && cli_json_out)
		cli_out("acked", "%s", argv[optind]);
	lsn_client_response_free(&r);
	cli_conn_close(&k);
	return (rv);
}

/* ---- status ---- */

/* Over 80 lines: options, request, then the status as text or JSON. */
int
cmd_status(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__StatusRequest	 sreq = LIAISON__V1__STATUS_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const Liaison__V1__StatusResponse *s;
	struct cli_conn			 k = { NULL, NULL, "" };
	const char			*agent = NULL, *conf = NULL;
	char				 head[65] = "", digest[65] = "";
	uint64_t			 rev = 0;
	int				 ch, rv, json = 0;

	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, OPT_AGENT, &agent,
	    &conf)) != -1) {
		if (ch == OPT_JSON)
			json = 1;
		else if (ch == 'h') {
			printf("usage: liaison status [--json] "
			    "[--agent EP | -c FILE]\n"
			    "example: liaison status -c /etc/liaison/agent.conf"
			    "\n%s", cli_agent_opt_help);
			return (CLI_EXIT_OK);
		} else
			return (CLI_EXIT_USAGE);
	}
	if (optind != argc)
		return (CLI_EXIT_USAGE);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_STATUS;
	req.status = &sreq;
	if ((rv = cli_conn_open(&k, "status", agent, conf)) != CLI_EXIT_OK)
		goto out;
	if ((rv = cli_conn_call(&k, &req, CLI_TIMEOUT_MS, &r)) != CLI_EXIT_OK)
		goto out;
	if ((s = r->status) == NULL) {
		rv = cli_malformed("status", &r);
		goto out;
	}
	if (s->dir_head != NULL) {
		rev = s->dir_head->rev;
		if (s->dir_head->hash.len == 32)
			hex(s->dir_head->hash.data, 32, head);
	}
	if (s->state_digest.len == 32)
		hex(s->state_digest.data, 32, digest);
	if (json) {
		json_t *o, *al = json_array();

		for (size_t i = 0; i < s->n_alerts; i++)
			json_array_append_new(al, json_string(s->alerts[i]));
		o = json_pack("{s:s, s:b, s:s, s:I, s:{s:I, s:s}, s:s, s:I, "
		    "s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:s}",
		    "partner", s->partner != NULL ? s->partner : "",
		    "connected", (int) s->connected,
		    "broker_endpoint", s->broker_endpoint != NULL ?
		    s->broker_endpoint : "",
		    "broker_switches", (json_int_t) s->broker_switches,
		    "dir_head", "rev", (json_int_t) rev, "hash", head,
		    "digest", digest,
		    "outbox_pending", (json_int_t) s->outbox_pending,
		    "outbox_rejected", (json_int_t) s->outbox_rejected,
		    "inbox_total", (json_int_t) s->inbox_total,
		    "inbox_unacked", (json_int_t) s->inbox_unacked,
		    "quarantined", (json_int_t) s->quarantined,
		    "delivery_cursor", (json_int_t) s->delivery_cursor,
		    "last_connected_ms", (json_int_t) s->last_connected_ms,
		    "alerts", al,
		    "version", s->version != NULL ? s->version : "");
		cli_json_print(o);
		json_decref(o);
	} else {
		printf("partner:         %s\n", s->partner != NULL ?
		    s->partner : "?");
		printf("connected:       %s\n", s->connected ? "yes" : "no");
		if (s->broker_endpoint != NULL)
			printf("broker:          %s (%llu endpoint "
			    "changes)\n", s->broker_endpoint,
			    (unsigned long long) s->broker_switches);
		printf("directory:       rev %llu head %s\n",
		    (unsigned long long) rev, head);
		printf("digest:          %s\n", digest);
		printf("outbox:          %llu pending, %llu refused\n",
		    (unsigned long long) s->outbox_pending,
		    (unsigned long long) s->outbox_rejected);
		printf("inbox:           %llu messages, %llu unacked\n",
		    (unsigned long long) s->inbox_total,
		    (unsigned long long) s->inbox_unacked);
		printf("quarantined:     %llu\n",
		    (unsigned long long) s->quarantined);
		printf("delivery cursor: %llu\n",
		    (unsigned long long) s->delivery_cursor);
		for (size_t i = 0; i < s->n_alerts; i++)
			printf("ALERT: %s\n", s->alerts[i]);
	}
	rv = CLI_EXIT_OK;
 out:
	lsn_client_response_free(&r);
	cli_conn_close(&k);
	return (rv);
}

/* ---- submit ---- */

/* Over 80 lines: options, request, then the answer, top down. */
int
cmd_submit(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lsn_dirop_batch		*b = NULL;
	Liaison__V1__ApiResponse	*r = NULL;
	struct cli_conn			 k = { NULL, NULL, "" };
	const char			*agent = NULL, *conf = NULL;
	uint8_t				*buf = NULL;
	size_t				 len;
	int				 ch, rv;

	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, OPT_AGENT, &agent,
	    &conf)) != -1) {
		if (ch == 'h') {
			printf("usage: liaison submit OPFILE "
			    "[--agent EP | -c FILE]\n"
			    "Sends signed directory ops (one op or a batch) "
			    "through the agent to the broker.\n"
			    "example: liaison submit add-key.op -c "
			    "/etc/liaison/agent.conf\n%s",
			    cli_agent_opt_help);
			return (CLI_EXIT_OK);
		}
		return (CLI_EXIT_USAGE);
	}
	if (optind + 1 != argc) {
		cli_err("submit", "usage: liaison submit OPFILE");
		return (CLI_EXIT_USAGE);
	}
	if ((rv = lsn_file_read(argv[optind], LSN_DIROP_BATCH_MAX, &buf,
	    &len)) != LSN_OK) {
		cli_err("submit", "%s: %s", argv[optind], lsn_strerror(rv));
		return (CLI_EXIT_FAIL);
	}
	if ((rv = lsn_dirop_batch_load(buf, len, &b)) != LSN_OK) {
		cli_err("submit", "%s: not a signed op or batch: %s",
		    argv[optind], lsn_strerror(rv));
		rv = CLI_EXIT_FAIL;
		goto out;
	}
	if ((rv = cli_conn_open(&k, "submit", agent, conf)) != CLI_EXIT_OK)
		goto out;
	for (size_t i = 0; i < b->n; i++) {
		Liaison__V1__ApiRequest req = LIAISON__V1__API_REQUEST__INIT;
		Liaison__V1__DirSubmitRequest ds =
		    LIAISON__V1__DIR_SUBMIT_REQUEST__INIT;

		ds.op = liaison__v1__signed_dir_op__unpack(NULL, b->lens[i],
		    b->ops[i]);
		if (ds.op == NULL) {
			cli_err("submit", "op %zu is malformed", i + 1);
			rv = CLI_EXIT_FAIL;
			goto out;
		}
		req.kind_case = LIAISON__V1__API_REQUEST__KIND_DIR_SUBMIT;
		req.dir_submit = &ds;
		rv = cli_conn_call(&k, &req, CLI_DIRSUB_TIMEOUT_MS, &r);
		liaison__v1__signed_dir_op__free_unpacked(ds.op, NULL);
		if (rv != CLI_EXIT_OK) {
			if (b->n > 1)
				cli_err("submit", "stopped at op %zu of %zu",
				    i + 1, b->n);
			goto out;
		}
		if (cli_json_out)
			cli_out("rev", "%llu", r->dir_submit != NULL ?
			    (unsigned long long) r->dir_submit->rev : 0ULL);
		else
			printf("op %zu accepted: rev %llu\n", i + 1,
		    r->dir_submit != NULL ?
		    (unsigned long long) r->dir_submit->rev : 0ULL);
		lsn_client_response_free(&r);
	}
	rv = CLI_EXIT_OK;
 out:
	lsn_client_response_free(&r);
	cli_conn_close(&k);
	lsn_dirop_batch_free(&b);
	free(buf);
	return (rv);
}
