/* main.c -- the liaison command-line tool: dispatch over the command table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "liaison/err.h"
#include "liaison/util.h"
#include "cli.h"
#include "render.h"

/*
 * The command table: every command of liaison(1), dispatched by main()
 * alone; `liaison --help` lists it in this order. Command handlers live
 * one group a file (cmd_<group>.c, declared in cli.h). A command added
 * here needs its .SS in docs/man/liaison.1 and its word in
 * cli/completion/liaison.bash (sh_cli_table checks both).
 */
static const struct cli_cmd cmds[] = {
	{ "audit", cmd_audit, "verify the broker's audit chain (audit verify --db FILE)",
	    NULL },
	{ "keygen", cmd_keygen, "generate key pairs (keygen --partner ID --out DIR)",
	    NULL },
	{ "envelope", cmd_envelope, "sign or verify an envelope file offline (envelope sign|verify)",
	    NULL },
	{ "send", cmd_send, "send a message through the local agent",
	    "referral alert meeting" },
	{ "inbox", cmd_inbox, "list received messages (--unread, --type, --from, --grep ...)",
	    NULL },
	{ "outbox", cmd_outbox, "list sent messages with their delivery state (--type, --to, --grep ...)",
	    NULL },
	{ "show", cmd_show, "show one received or sent message in full (show ID [--json] [--tz Z])",
	    NULL },
	{ "thread", cmd_thread, "a whole case, meeting or alert thread in order (thread ID)",
	    NULL },
	{ "ack", cmd_ack, "acknowledge a received message",
	    "" },
	{ "status", cmd_status, "local agent status (--json)",
	    NULL },
	{ "submit", cmd_submit, "send signed directory ops through the agent",
	    "" },
	{ "agent-dir", cmd_agent_dir, "query the agent's directory replica",
	    NULL },
	{ "referral", cmd_referral, "list tracked referrals (referral list [--state S] [--overdue] [--json])",
	    NULL },
	{ "reply", cmd_reply, "answer a referral (reply ID ack|accept|decline|info|supply|withdraw|redirect|close)",
	    "" },
	{ "meeting", cmd_meeting, "meetings: list (upcoming, my RSVP), show ID (roll-up), cancel ID",
	    NULL },
	{ "alert", cmd_alert, "alerts sent and received (alert list [--open] [--overdue])",
	    NULL },
	{ "contact", cmd_contact, "this agency's contacts (contact set|remove|confirm) and stale contacts (contact stale)",
	    "!stale" },
	{ "rsvp", cmd_rsvp, "answer a meeting notice (rsvp ID attending|not-attending|tentative)",
	    "" },
	{ "agent", cmd_agent_init, "set up this agency's agent from an onboarding bundle (agent init --bundle FILE)",
	    NULL },
	{ "admin", cmd_admin, "directory administration on files (init, propose, sign, inspect, apply)",
	    NULL },
	{ "dir", cmd_dir, "read, export, import and verify a directory database (--db FILE)",
	    NULL },
	{ "broker-status", cmd_broker_status, "a running broker's status over its control socket (--control ipc://PATH)",
	    NULL },
	{ NULL, NULL, NULL, NULL },
};

/*
 * --json for the commands that act (send referral|alert|meeting, reply,
 * rsvp, ack, submit, contact set|remove|confirm; the table's json
 * column): main takes the flag out of argv, the command records its
 * results with cli_out(), and main prints them as one JSON object when
 * the command succeeded.
 */
int		 cli_json_out;
static json_t	*json_result;

/* 1 if word is one of the space-separated words of list. */
static int
in_words(const char *list, const char *word)
{
	size_t	n = strlen(word);

	for (const char *p = list; *p != '\0'; p += strcspn(p, " "),
	    p += strspn(p, " "))
		if (strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return (1);
	return (0);
}

/* Whether main takes --json for c (see struct cli_cmd's json). */
static int
json_by_main(const struct cli_cmd *c, int argc, char *argv[])
{
	if (c->json == NULL)
		return (0);
	if (c->json[0] == '!')
		return (argc <= 2 || !in_words(c->json + 1, argv[2]));
	if (c->json[0] != '\0')
		return (argc > 2 && in_words(c->json, argv[2]));
	return (1);
}

void
cli_out(const char *key, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (json_result == NULL && (json_result = json_object()) == NULL)
		return;
	json_object_set_new(json_result, key, json_string(buf));
}

void
cli_err(const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "liaison %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_wants_help(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return (1);
	return (0);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: liaison COMMAND [ARGS...]   (liaison COMMAND --help)\n"
	    "\ncommands:\n");
	for (const struct cli_cmd *c = cmds; c->name != NULL; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nexit codes: 0 ok, 1 failed, 2 usage, 3 agent unreachable\n");
}

int
main(int argc, char *argv[])
{
	const struct cli_cmd	*c;
	int			 rv;

	if (argc < 2) {
		usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("liaison %s\n", LSN_VERSION);
		return (CLI_EXIT_OK);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return (CLI_EXIT_OK);
	}
	if (lsn_init() != LSN_OK) {
		fprintf(stderr, "liaison: cannot initialise libsodium\n");
		return (CLI_EXIT_FAIL);
	}
	for (c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, argv[1]) == 0)
			break;
	if (c->name == NULL) {
		fprintf(stderr, "liaison: unknown command '%s' (try liaison "
		    "--help)\n", argv[1]);
		return (CLI_EXIT_USAGE);
	}
	if (json_by_main(c, argc, argv)) {
		int n = 1;

		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], "--json") == 0)
				cli_json_out = 1;
			else
				argv[n++] = argv[i];
		argv[n] = NULL;
		argc = n;
	}
	rv = c->fn(argc - 1, argv + 1);
	if (cli_json_out && rv == CLI_EXIT_OK) {
		if (json_result == NULL)
			json_result = json_object();
		cli_json_print(json_result);
	}
	json_decref(json_result);
	return (rv);
}
