/*
 * read.h -- shared by the reading commands (cmd_read.c) and the commands
 * that act on what was read (cmd_workflow.c: reply, rsvp).
 */
#ifndef LIAISON_CLI_READ_H
#define LIAISON_CLI_READ_H

#include <stdint.h>

#include "api.pb-c.h"

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

/* Validates --tz: CLI_EXIT_OK and *out = arg, or prints and
 * CLI_EXIT_USAGE. */
int	cli_tz_opt(const char *cmd, const char *arg, const char **out);

/*
 * The allowed next steps of a referral in state (its name) for our side
 * (is_sender), as "liaison reply" words: e.g. "ack (then accept, decline
 * or info)". Static string.
 */
const char *cli_referral_hint(const char *state, int is_sender);

/* cmd_read.c: meeting list (argv[0] = "list"). */
int	cli_meeting_list(int argc, char *argv[]);

#endif
