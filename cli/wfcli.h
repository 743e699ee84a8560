/*
 * wfcli.h -- helpers shared by the workflow commands (cmd_workflow.c:
 * referral list, reply; cmd_send_typed.c: send referral|alert|meeting;
 * cmd_meeting.c: meeting, rsvp, show --custody, contact).
 */
#ifndef LIAISON_CLI_WFCLI_H
#define LIAISON_CLI_WFCLI_H

#include <stdint.h>
#include <stdio.h>

#include "api.pb-c.h"

#define WF_TIMEOUT_MS		10000
#define LSN_CLI_LANGS_MAX	16

enum {
	W_AGENT = 2000, W_TO, W_SUMMARY, W_CATEGORY, W_COUNTRY, W_BASIS,
	W_PRIO, W_TLP, W_ACTION, W_STATE, W_OVERDUE, W_JSON, W_TEXT,
	W_REASON, W_OUTCOME, W_NOTE, W_CASE, W_LANG, W_AGENDA,
};

/* One call to the agent: CLI_EXIT_OK with *respp, or an exit code. */
int	wf_call(const char *cmd, const char *agent, const char *conf,
	    Liaison__V1__ApiRequest *req, Liaison__V1__ApiResponse **respp);
/* Submits a typed body (packed from m) to one partner; prints its id. */
int	wf_submit_one(const char *cmd, const char *agent, const char *conf,
	    const char *to, int type, const ProtobufCMessage *m, int tlp,
	    int prio);
/* NAME against the lower-case enum value names after prefix: 0 / -1. */
int	wf_enum_parse(const ProtobufCEnumDescriptor *d, const char *prefix,
	    const char *s, int *out);
/* The same for option value s of cmd: CLI_EXIT_OK with *out, else prints
 * "unknown <what> '<s>'" and returns CLI_EXIT_USAGE. */
int	wf_opt_enum(const char *cmd, const char *what,
	    const ProtobufCEnumDescriptor *d, const char *prefix,
	    const char *s, int *out);
/* A TLP name, any case ("amber-strict"), as 1..5 into *out: 0 / -1. */
int	wf_parse_tlp(const char *s, int *out);
/* 32 hex characters into id; prints and CLI_EXIT_USAGE if not. */
int	wf_parse_id(const char *cmd, const char *s, uint8_t id[16]);
/* Adds a comma list of language tags to v (n so far); prints why not. */
int	wf_lang_add(char *s, char **v, size_t *n);
/* 1 if s is an https:// link we accept. */
int	wf_link_ok(const char *s);
/* UTC time of ms as YYYY-MM-DDTHH:MM:SSZ ("-" for 0). */
void	wf_fmt_ms(uint64_t ms, char *buf, size_t sz);

#endif
