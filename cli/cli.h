/*
 * cli.h -- the liaison command-line tool: command table and shared helpers.
 *
 * Each command group lives in its own file (cmd_<group>.c) and exports one
 * handler `int cmd_<name>(int argc, char *argv[])` where argv[0] is the
 * command name. Handlers return an exit code (see EXIT CODES below and
 * liaison(1)); they print errors to stderr as "liaison <cmd>: <what>: <why>"
 * and say what to do next where possible.
 */
#ifndef LIAISON_CLI_H
#define LIAISON_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes (documented in liaison(1)). */
#define CLI_EXIT_OK		0	/* success */
#define CLI_EXIT_FAIL		1	/* the operation failed / verification failed */
#define CLI_EXIT_USAGE		2	/* bad command line */
#define CLI_EXIT_UNAVAILABLE	3	/* agent not reachable */

/*
 * One row of the command table (main.c): the name, the handler, the
 * one-line summary `liaison --help` prints, and whether main takes a
 * --json flag for it (json: NULL no; "" always; "a b" only when argv[1]
 * of the command is a or b; "!a" unless it is a).
 */
struct cli_cmd {
	const char	*name;
	int		(*fn)(int argc, char *argv[]);
	const char	*summary;
	const char	*json;
};

/* main.c: prints "liaison <cmd>: " + message to stderr (one line). */
void	cli_err(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* main.c: set when --json was given to an acting command (see main.c);
 * the command then records its results with cli_out instead of printing
 * them. */
extern int	cli_json_out;
void	cli_out(const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* main.c: 1 if argv has -h or --help (anywhere after argv[0]). */
int	cli_wants_help(int argc, char *argv[]);

/* cmd_audit.c */
int	cmd_audit(int argc, char *argv[]);

/* cmd_keys.c */
int	cmd_keygen(int argc, char *argv[]);
/*
 * The value of line "<word> HEX" of a liaison-key file (e.g. "public",
 * 64 hex digits; "key-id", 16) into out (len + 1 bytes): 0, or -1 when
 * the file cannot be read or has no such line.
 */
int	cli_keyfile_hex(const char *path, const char *word, size_t len,
	    char *out);
/* cmd_envelope.c */
int	cmd_envelope(int argc, char *argv[]);

/* cmd_agent.c (agent-dir: cmd_agentdir.c) */
int	cmd_send(int argc, char *argv[]);
int	cmd_ack(int argc, char *argv[]);
int	cmd_status(int argc, char *argv[]);
int	cmd_submit(int argc, char *argv[]);
int	cmd_agent_dir(int argc, char *argv[]);

/* cmd_read.c */
int	cmd_inbox(int argc, char *argv[]);
int	cmd_show(int argc, char *argv[]);
int	cmd_outbox(int argc, char *argv[]);
int	cmd_thread(int argc, char *argv[]);
int	cmd_alert(int argc, char *argv[]);

/* cmd_workflow.c */
int	cmd_send_referral(int argc, char *argv[]);
int	cmd_send_alert(int argc, char *argv[]);
int	cmd_send_meeting(int argc, char *argv[]);
int	cmd_referral(int argc, char *argv[]);
int	cmd_reply(int argc, char *argv[]);
int	cmd_meeting(int argc, char *argv[]);
int	cmd_rsvp(int argc, char *argv[]);
int	cmd_contact(int argc, char *argv[]);
int	cli_show_custody(const char *agent, const char *conf,
	    const unsigned char id[16], int json);

/* cmd_broker.c */
int	cmd_broker_status(int argc, char *argv[]);

/* cmd_admin.c, cmd_dir.c */
int	cmd_admin(int argc, char *argv[]);
int	cmd_dir(int argc, char *argv[]);
/* cmd_change.c: admin change (argv[0] = "change") */
int	cli_admin_change(int argc, char *argv[]);
/* cmd_onboard.c: admin onboard (argv[0] = "onboard"), agent init */
int	cli_admin_onboard(int argc, char *argv[]);
/* cmd_rotate.c: admin rotate (argv[0] = "rotate") */
int	cli_admin_rotate(int argc, char *argv[]);
int	cmd_agent_init(int argc, char *argv[]);

#endif
