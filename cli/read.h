/*
 * read.h -- shared by the reading commands (cmd_read.c, cmd_sent.c,
 * cmd_thread.c, their helpers in readlib.c) and the commands that act on
 * what was read (cmd_workflow.c: reply, rsvp).
 */
#ifndef LIAISON_CLI_READ_H
#define LIAISON_CLI_READ_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "api.pb-c.h"

#define RD_TIMEOUT_MS	10000	/* one call of a reading command */
#define RD_LIST_MAX	1000	/* the agent's largest list page */

/* The long-option codes of the reading commands (cmd_read.c, cmd_sent.c,
 * cmd_thread.c); R_BAD: cli_read_getopt reported a bad value. */
enum {
	R_AGENT = 1000, R_JSON, R_TZ, R_TYPE, R_FROM, R_UNREAD, R_SINCE,
	R_TLP, R_STATE, R_GREP, R_ALL, R_LIMIT, R_AFTER, R_WAIT, R_CUSTODY,
	R_TO, R_BAD,
};

/* A typed body unpacked (caller frees with
 * protobuf_c_message_free_unpacked), or NULL. b is borrowed. */
ProtobufCMessage *cli_body_unpack(int type, const ProtobufCBinaryData *b);

/* The referral / meeting / alert id a body is about: 0 and id, or -1. */
int	cli_body_item_id(const ProtobufCMessage *m, uint8_t id[16]);

/*
 * Fetches inbox message id. CLI_EXIT_OK with *rp (caller frees); quiet:
 * prints nothing (cmd may be NULL then).
 */
int	cli_inbox_fetch(const char *cmd, const char *agent, const char *conf,
	    const uint8_t id[16], Liaison__V1__ApiResponse **rp, int quiet);

/*
 * If in is the id of a received message about a referral, meeting or
 * alert, writes that item's id to out, its message type to *typep and
 * returns 1; else copies in to out, sets *typep = 0 and returns 0.
 */
int	cli_resolve_item(const char *agent, const char *conf,
	    const uint8_t in[16], uint8_t out[16], int *typep);

/*
 * readlib.c: s (32 hex characters, else prints for cmd and returns
 * CLI_EXIT_USAGE) into id; a received message's id becomes the id of the
 * referral, meeting or alert it is about (cli_resolve_item; *typep, when
 * typep is not NULL, its message type or 0). CLI_EXIT_OK.
 */
int	cli_parse_item_id(const char *cmd, const char *agent,
	    const char *conf, const char *s, uint8_t id[16], int *typep);

/* Validates --tz: CLI_EXIT_OK and *out = arg, or prints and
 * CLI_EXIT_USAGE. */
int	cli_tz_opt(const char *cmd, const char *arg, const char **out);

/*
 * The allowed next steps of a referral in state (its name) for our side
 * (is_sender), as "liaison reply" words: e.g. "ack (then accept, decline
 * or info)". Static string.
 */
const char *cli_referral_hint(const char *state, int is_sender);

/* cmd_thread.c: meeting list (argv[0] = "list"). */
int	cli_meeting_list(int argc, char *argv[]);

/* readlib.c: 1 if needle occurs in hay, ignoring ASCII case. */
int	cli_ci_find(const char *hay, const char *needle);
/* readlib.c: a one-line gist of a body (for lists) into buf. */
void	cli_body_gist(int type, const ProtobufCMessage *m, char *buf,
	    size_t sz);
/* readlib.c: 1 if needle occurs (ASCII case ignored) in any string. */
int	cli_body_matches(const ProtobufCMessage *m, const char *needle);

/*
 * readlib.c: agent look-ups answering NULL when there is nothing (or the
 * agent refused); *rp is the response to free (lsn_client_response_free)
 * in every case; the result points into it.
 */
const Liaison__V1__TrackedItem *cli_tracked(const char *agent,
	    const char *conf, const uint8_t id[16],
	    Liaison__V1__ApiResponse **rp);
const Liaison__V1__MeetingShowResponse *cli_meeting_state(const char *agent,
	    const char *conf, const uint8_t id[16],
	    Liaison__V1__ApiResponse **rp);
const Liaison__V1__CustodyResponse *cli_custody(const char *agent,
	    const char *conf, const uint8_t id[16],
	    Liaison__V1__ApiResponse **rp);

/* readlib.c: inbox list with lr (limit cli_list_page() unless set); CLI
 * exit code, *rp on success (caller frees). */
int	cli_inbox_all(const char *cmd, const char *agent, const char *conf,
	    Liaison__V1__InboxListRequest *lr, Liaison__V1__ApiResponse **rp);

/*
 * readlib.c: a whole list, page by page: the agent answers at most 1000
 * items (and about 4 MiB) at a time, so a command that must see every
 * item asks again after the last local_seq until a page is empty. The
 * pages are owned by the struct (cli_pages_free). cli_list_page: the
 * items asked per page, 1000 or $LIAISON_LIST_PAGE (1..1000).
 * cli_inbox_every / cli_outbox_every: every item matching lr / q (their
 * after_seq and limit are set here); CLI exit code.
 */
struct cli_pages {
	Liaison__V1__ApiResponse	**r;
	size_t				  n;
};
void	cli_pages_free(struct cli_pages *pg);
uint32_t cli_list_page(void);
int	cli_inbox_every(const char *cmd, const char *agent, const char *conf,
	    Liaison__V1__InboxListRequest *lr, struct cli_pages *pg);
int	cli_outbox_every(const char *cmd, const char *agent,
	    const char *conf, Liaison__V1__OutboxListRequest *q,
	    struct cli_pages *pg);

/* readlib.c: the verified original of a forwarding note it (text, or
 * into o when o is not NULL). */
void	cli_show_forwarded(const char *agent, const char *conf,
	    const Liaison__V1__InboxItem *it, const char *zone, json_t *o);

/* cmd_read.c: "unread", "read" or "actioned". Static string. */
const char *cli_item_state(const Liaison__V1__InboxItem *it);
/* cmd_read.c: state, next steps, roll-up of the item body m is about. */
void	cli_show_workflow(const char *agent, const char *conf, int type,
	    const ProtobufCMessage *m, const char *zone, json_t *o);
/* cmd_read.c: one inbox item as JSON (new object) / as one text line. */
json_t	*cli_item_json(const Liaison__V1__InboxItem *it,
	    const ProtobufCMessage *m);
void	cli_item_line(const Liaison__V1__InboxItem *it,
	    const ProtobufCMessage *m, const char *zone);

/* cmd_read.c: inbox option words: --type (0 and *out, or -1), --tlp,
 * --since (a duration back or an ISO date, into ms). */
int	cli_parse_type(const char *s, int *out);
int	cli_parse_tlp_name(const char *s, int *out);
int	cli_parse_since(const char *s, uint64_t *out);
/* readlib.c: the same words as command-line options of cmd: CLI_EXIT_OK
 * with the value, or CLI_EXIT_USAGE after a message naming cmd. */
int	cli_opt_type(const char *cmd, const char *arg, int *type);
int	cli_opt_partner(const char *cmd, const char *opt, const char *arg);
int	cli_opt_since(const char *cmd, const char *arg, uint64_t *ms);
int	cli_opt_tlp(const char *cmd, const char *arg, int *tlp);
/* readlib.c: --limit (1..RD_LIST_MAX) and --after (a local seq) of cmd's
 * lists, as the cli_opt_* above. */
int	cli_opt_limit(const char *cmd, const char *arg, uint32_t *limit);
int	cli_opt_after(const char *cmd, const char *arg, uint64_t *seq);

/*
 * The list options inbox and outbox share. Where cli_list_opt puts the
 * filters the agent applies (fields of the caller's InboxListRequest or
 * OutboxListRequest: CLI_LISTOPT) and those the CLI applies itself (tlp:
 * 0 any; grep: NULL any, borrowed from argv).
 */
struct cli_listopt {
	protobuf_c_boolean		*has_type, *has_since, *has_limit;
	protobuf_c_boolean		*has_after;
	Liaison__V1__MessageType	*type;
	uint64_t			*since_ms, *after_seq;
	uint32_t			*limit;
	int				 tlp;
	const char			*grep;
};
/* A struct cli_listopt filling req, an InboxListRequest or an
 * OutboxListRequest (their list fields have the same names). */
#define CLI_LISTOPT(req)	{ .has_type = &(req)->has_type,		\
	.has_since = &(req)->has_since_ms, .has_limit = &(req)->has_limit,	\
	.has_after = &(req)->has_after_seq, .type = &(req)->type,		\
	.since_ms = &(req)->since_ms, .after_seq = &(req)->after_seq,	\
	.limit = &(req)->limit, .tlp = 0, .grep = NULL }
/*
 * readlib.c: option ch of cmd's list (--type, --since, --limit, --after,
 * --tlp, --grep) with value arg into o: CLI_EXIT_OK, CLI_EXIT_USAGE after
 * a message, or -1 when ch is none of them.
 */
int	cli_list_opt(const char *cmd, int ch, const char *arg,
	    struct cli_listopt *o);

/*
 * readlib.c: cli_getopt (R_AGENT, -c) that also takes the output options
 * of the reading commands: R_JSON sets *json, R_TZ is checked for cmd
 * (cli_tz_opt) into *tz. Returns the next other option, -1 at the end,
 * or R_BAD once a bad zone was reported (the command exits
 * CLI_EXIT_USAGE). The caller sets optind = 1 first; strings stay
 * owned by argv.
 */
int	cli_read_getopt(int argc, char *argv[], const struct option *lo,
	    const char *cmd, const char **agent, const char **conf,
	    const char **tz, int *json);
/* cmd_read.c: the custody chain of message id (text, or into o). */
void	cli_custody_section(const char *agent, const char *conf,
	    const uint8_t id[16], const char *zone, json_t *o);

/*
 * cmd_sent.c: what this agency sent. cli_outbox_fetch: an lsn_err code
 * (LSN_ENOENT: not in our outbox), quiet, *rp on LSN_OK (caller frees).
 * cli_outbox_all: OutboxList (limit cli_list_page() unless set), CLI
 * exit code.
 * cli_show_sent: `show` of the fetched r; CLI exit code.
 */
int	cli_outbox_fetch(const char *agent, const char *conf,
	    const uint8_t id[16], Liaison__V1__ApiResponse **rp);
int	cli_outbox_all(const char *cmd, const char *agent, const char *conf,
	    Liaison__V1__OutboxListRequest *q, Liaison__V1__ApiResponse **rp);
int	cli_show_sent(const char *agent, const char *conf,
	    const Liaison__V1__ApiResponse *r, const char *idhex,
	    const char *tz, int json);
/* "pending", "accepted", "refused" or "undeliverable". Static. */
const char *cli_sent_state(const Liaison__V1__OutboxItem *it);
/* A sent item as JSON (new object) / one text line (as inbox lines). */
json_t	*cli_sent_json(const Liaison__V1__OutboxItem *it,
	    const ProtobufCMessage *m);
void	cli_sent_line(const Liaison__V1__OutboxItem *it,
	    const ProtobufCMessage *m, const char *zone);

#endif
