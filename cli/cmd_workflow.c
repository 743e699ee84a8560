/*
 * cmd_workflow.c -- coordination workflows through the local agent: the
 * helpers every workflow command shares (wfcli.h), referral list and
 * reply (the refusal names the state and the allowed next steps). Typed
 * sends: cmd_send_typed.c; meetings, rsvp, custody, contacts:
 * cmd_meeting.c. The agent checks every step against its workflow tables
 * and answers E_TRANSITION for an illegal one (exit 1).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "api.pb-c.h"

#include "liaison/body.h"
#include "liaison/dir.h"
#include "liaison/client.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/util.h"
#include "liaison/workflow.h"

#include "agentcli.h"
#include "read.h"
#include "render.h"
#include "cli.h"
#include "wfcli.h"


/* One call to the agent: CLI_EXIT_OK with *respp, or an exit code. */
int
wf_call(const char *cmd, const char *agent, const char *conf,
    Liaison__V1__ApiRequest *req, Liaison__V1__ApiResponse **respp)
{
	return (cli_call_hint(cmd, agent, conf, req, WF_TIMEOUT_MS, 0, respp));
}

/* Submits a typed body (packed from m) to one partner; prints the id. */
int
wf_submit_one(const char *cmd, const char *agent, const char *conf,
    const char *to, int type, const ProtobufCMessage *m, int tlp, int prio)
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__SubmitRequest	 sr = LIAISON__V1__SUBMIT_REQUEST__INIT;
	Liaison__V1__Handling		 h = LIAISON__V1__HANDLING__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const char			*field = NULL;
	char				*tov[1], idhex[33];
	uint8_t				*body;
	int				 rv;

	if ((rv = lsn_body_validate_msg(m, lsn_now_ms(), &field)) !=
	    LSN_OK) {
		cli_err(cmd, "invalid %s: %s (%s)",
		    lsn_envelope_type_name(type), lsn_strerror(rv),
		    field != NULL ? field : "-");
		return (CLI_EXIT_USAGE);
	}
	if (cli_submit_body(&sr, type, m, &body) != 0) {
		cli_err(cmd, "out of memory");
		return (CLI_EXIT_FAIL);
	}
	tov[0] = cli_mut(to);
	sr.n_to = 1;
	sr.to = tov;
	/* tlp 0: a reply; the agent gives it its thread's marking */
	if (tlp != 0) {
		h.has_tlp = 1;
		h.tlp = tlp;
		sr.handling = &h;
	}
	if (prio != 0) {
		sr.has_priority = 1;
		sr.priority = prio;
	}
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_SUBMIT;
	req.submit = &sr;
	rv = wf_call(cmd, agent, conf, &req, &r);
	free(body);
	if (rv != CLI_EXIT_OK)
		return (rv);
	if (r->submit == NULL || r->submit->message_id.len != 16)
		return (cli_malformed(cmd, &r));
	lsn_hex_encode(r->submit->message_id.data, 16, idhex);
	if (cli_json_out)
		cli_out("message_id", "%s", idhex);
	else
		printf("%s\n", idhex);
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}

/* Parses NAME against the lower-case enum value names after a prefix. */
int
wf_enum_parse(const ProtobufCEnumDescriptor *d, const char *prefix,
    const char *s, int *out)
{
	size_t	pl = strlen(prefix);

	for (unsigned i = 0; i < d->n_values; i++) {
		const char *n = d->values[i].name;

		if (strncmp(n, prefix, pl) != 0 || d->values[i].value == 0)
			continue;
		n += pl;
		if (strlen(n) != strlen(s))
			continue;
		for (size_t k = 0; ; k++) {
			char a = n[k], b = s[k];

			if (b == '-')
				b = '_';
			if (a == '\0' && b == '\0') {
				*out = d->values[i].value;
				return (0);
			}
			if (a == '\0' || b == '\0' ||
			    (char) (a | 0x20) != (char) (b | 0x20))
				break;
		}
	}
	return (-1);
}

int
wf_opt_enum(const char *cmd, const char *what,
    const ProtobufCEnumDescriptor *d, const char *prefix, const char *s,
    int *out)
{
	if (wf_enum_parse(d, prefix, s, out) != 0) {
		cli_err(cmd, "unknown %s '%s'", what, s);
		return (CLI_EXIT_USAGE);
	}
	return (CLI_EXIT_OK);
}

int
wf_parse_tlp(const char *s, int *out)
{
	for (int i = 1; i <= 5; i++)
		if (strcasecmp(lsn_tlp_name(i), s) == 0) {
			*out = i;
			return (0);
		}
	return (-1);
}

int
wf_parse_id(const char *cmd, const char *s, uint8_t id[16])
{
	return (cli_parse_id(cmd, s, id, "id must be 32 hex characters"));
}


/* Adds the comma list s of BCP 47 tags to v (n so far); prints why not. */
int
wf_lang_add(char *s, char **v, size_t *n)
{
	char	*save = NULL, *t;

	for (t = strtok_r(s, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(t);

		if (*n >= LSN_CLI_LANGS_MAX) {
			cli_err("send", "at most %d languages",
			    LSN_CLI_LANGS_MAX);
			return (-1);
		}
		if (len < 2 || len > 35 || strspn(t, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != len) {
			cli_err("send", "'%s' is not a language tag (BCP 47, "
			    "e.g. en, fr, pt-BR)", t);
			return (-1);
		}
		v[(*n)++] = t;
	}
	return (0);
}

/*
 * A meeting link: https:// only (an online meeting is joined from a
 * browser or a client that takes an https link; http, javascript:, file:
 * and bare words are refused). Documented in liaison(1).
 */
int
wf_link_ok(const char *s)
{
	const char	*h = s + 8;

	if (strncasecmp(s, "https://", 8) != 0 || *h == '\0' || *h == '/' ||
	    strlen(s) > 512)
		return (0);
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f)
			return (0);
	return (1);
}

static const char *const reply_word[] = {
	NULL, "ack", "accept", "decline", "info", "supply", "withdraw",
	"redirect", "close",
};

const char *
cli_referral_hint(const char *state, int is_sender)
{
	static char		 buf[256];
	enum lsn_referral_state	 st;
	int			 acts[8];
	size_t			 n, len = 0;

	if (lsn_referral_state_parse(state, &st) != LSN_OK)
		return ("none (unknown state)");
	n = lsn_referral_allowed(st, is_sender, acts, 8);
	if (n == 0)
		return (lsn_referral_final(st) ? "none: the referral is "
		    "finished" : is_sender ? "none for the sender: waiting for "
		    "the recipient" : "none for the recipient: waiting for "
		    "the sender");
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < 8; i++)
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    i ? ", " : "", acts[i] > 0 && acts[i] <= 8 ?
		    reply_word[acts[i]] : "?");
	if (st == LSN_REF_OFFERED && !is_sender)
		snprintf(buf + len, sizeof(buf) - len, " (acknowledge first; "
		    "then accept, decline or info)");
	return (buf);
}

void
wf_fmt_ms(uint64_t ms, char *buf, size_t sz)
{
	time_t		t = (time_t) (ms / 1000);
	struct tm	tm;

	if (ms == 0)
		snprintf(buf, sz, "-");
	else if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, sz, "%llu", (unsigned long long) ms);
}

/* ---- referral list ---- */

static void
referral_usage(FILE *f)
{
	fprintf(f, "usage: liaison referral list [--state S] [--overdue] "
	    "[--json]\n"
	    "Lists tracked referrals (ours and received), newest first.\n"
	    "States: offered, acknowledged, accepted, declined, "
	    "info-requested,\nwithdrawn, redirected, closed. --overdue: "
	    "not acknowledged by their deadline.\nexample: liaison referral list --state offered --overdue\n%s", cli_agent_opt_help);
}


/* Over 80 lines: options, the list request, each referral printed. */
int
cmd_referral(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "state", required_argument, NULL, W_STATE },
		{ "overdue", no_argument, NULL, W_OVERDUE },
		{ "json", no_argument, NULL, W_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const char			*agent = NULL, *conf = NULL;
	json_t				*arr = NULL;
	char				 idhex[33], t1[32], t2[32];
	int				 ch, rv, json = 0;

	if ((rv = cli_subcmd_expect(argc, argv, "list", referral_usage)) != -1)
		return (rv);
	argc--;
	argv++;
	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, W_AGENT, &agent,
	    &conf)) != -1) {
		switch (ch) {
		case W_STATE:
			wl.state = optarg;
			break;
		case W_OVERDUE:
			wl.has_overdue_only = 1;
			wl.overdue_only = 1;
			break;
		case W_JSON:
			json = 1;
			break;
		default:	/* 'h' too */
			return (cli_usage_exit(ch, referral_usage));
		}
	}
	if (optind != argc)
		return (cli_usage_exit(0, referral_usage));
	wl.kind = cli_mut("referral");
	wl.has_limit = 1;
	wl.limit = 1000;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	if ((rv = wf_call("referral", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	if (r->workflow_list == NULL)
		return (cli_malformed("referral", &r));
	if (json && (arr = json_array()) == NULL) {
		lsn_client_response_free(&r);
		return (CLI_EXIT_FAIL);
	}
	for (size_t i = 0; i < r->workflow_list->n_items; i++) {
		Liaison__V1__TrackedItem *it = r->workflow_list->items[i];

		if (it->item_id.len != 16)
			continue;
		lsn_hex_encode(it->item_id.data, 16, idhex);
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, "
			    "s:I, s:I, s:I, s:b, s:b}", "referral_id", idhex,
			    "peer", it->peer, "role", it->role, "state",
			    it->state, "priority", (int) it->priority,
			    "sent_ms", (json_int_t) it->sent_ms, "acked_ms",
			    (json_int_t) it->acked_ms, "deadline_ms",
			    (json_int_t) it->deadline_ms, "overdue",
			    (int) it->overdue, "escalated",
			    (int) it->escalated);

			if (o == NULL || json_array_append_new(arr, o) != 0) {
				json_decref(arr);
				lsn_client_response_free(&r);
				return (CLI_EXIT_FAIL);
			}
			continue;
		}
		wf_fmt_ms(it->sent_ms, t1, sizeof(t1));
		wf_fmt_ms(it->deadline_ms, t2, sizeof(t2));
		printf("%s  %-9s %-16s P%d %-14s sent %s  deadline %s%s%s\n",
		    idhex, it->role, it->peer, (int) it->priority, it->state,
		    t1, t2, it->overdue ? "  OVERDUE" : "",
		    it->escalated ? " (escalated)" : "");
	}
	if (json) {
		cli_json_print(arr);
		json_decref(arr);
	}
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}

/* ---- reply ---- */

static void
reply_usage(FILE *f)
{
	fprintf(f, "usage: liaison reply REFERRAL_ID|ALERT_ID ACTION "
	    "[--text T] [--reason R]\n           [--outcome O]\n"
	    "           [--to PARTNER] [--redirect-to PARTNER]\n"
	    "Actions: ack, accept, decline (--reason not-competent|"
	    "insufficient-info|\nduplicate|out-of-scope|other), info "
	    "(request info, --text), supply (--text),\nwithdraw, redirect "
	    "(--redirect-to), close (--outcome victim-safeguarded|\n"
	    "offender-identified|arrest|content-removed|no-further-action|"
	    "transferred).\nAn alert is acknowledged with ack. "
	    "The other side is found from the agent's "
	    "referral table (--to if several).\nexample: liaison reply 3f2a...c9 info --text 'Which hosting provider?'\n%s", cli_agent_opt_help);
}

static const struct {
	const char	*name;
	int		 action;
} reply_actions[] = {
	{ "ack", LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK },
	{ "accept", LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACCEPT },
	{ "decline", LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE },
	{ "info", LIAISON__V1__REFERRAL_ACTION__REFERRAL_REQUEST_INFO },
	{ "supply", LIAISON__V1__REFERRAL_ACTION__REFERRAL_SUPPLY_INFO },
	{ "withdraw", LIAISON__V1__REFERRAL_ACTION__REFERRAL_WITHDRAW },
	{ "redirect", LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT },
	{ "close", LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE },
};

/* Over 80 lines: options, the action's checks, the peer, the reply. */
int
cmd_reply(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, W_AGENT },
		{ "text", required_argument, NULL, W_TEXT },
		{ "reason", required_argument, NULL, W_REASON },
		{ "outcome", required_argument, NULL, W_OUTCOME },
		{ "to", required_argument, NULL, W_TO },
		{ "redirect-to", required_argument, NULL, W_NOTE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ReferralResponse	 rr =
	    LIAISON__V1__REFERRAL_RESPONSE__INIT;
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__WorkflowListRequest wl =
	    LIAISON__V1__WORKFLOW_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	const char			*agent = NULL, *conf = NULL, *to = NULL;
	char				 peer[LSN_DIR_ID_MAX + 1];
	char				 state[32] = "";
	uint8_t				 rid[16];
	int				 ch, v, rv, action = 0, is_alert = 0;
	int				 is_sender = 0;

	optind = 1;
	while ((ch = cli_getopt(argc, argv, lo, W_AGENT, &agent,
	    &conf)) != -1) {
		switch (ch) {
		case W_TEXT:
			rr.text = optarg;
			break;
		case W_REASON:
			if ((rv = wf_opt_enum("reply", "reason",
			    &liaison__v1__decline_reason__descriptor,
			    "DECLINE_", optarg, &v)) != CLI_EXIT_OK)
				return (rv);
			rr.has_decline_reason = 1;
			rr.decline_reason = v;
			break;
		case W_OUTCOME:
			if ((rv = wf_opt_enum("reply", "outcome",
			    &liaison__v1__close_outcome__descriptor,
			    "OUTCOME_", optarg, &v)) != CLI_EXIT_OK)
				return (rv);
			rr.has_outcome = 1;
			rr.outcome = v;
			break;
		case W_TO:
			to = optarg;
			break;
		case W_NOTE:
			rr.redirect_to = optarg;
			break;
		default:	/* 'h' too */
			return (cli_usage_exit(ch, reply_usage));
		}
	}
	if (argc - optind != 2)
		return (cli_usage_exit(0, reply_usage));
	/* the message id shown by liaison inbox stands for its referral /
	 * alert */
	if ((rv = cli_parse_item_id("reply", agent, conf, argv[optind], rid,
	    NULL)) != CLI_EXIT_OK)
		return (rv);
	for (size_t i = 0; i < sizeof(reply_actions) /
	    sizeof(reply_actions[0]); i++)
		if (strcmp(argv[optind + 1], reply_actions[i].name) == 0)
			action = reply_actions[i].action;
	if (action == 0) {
		cli_err("reply", "unknown action '%s'", argv[optind + 1]);
		return (CLI_EXIT_USAGE);
	}
	if (action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_DECLINE &&
	    !rr.has_decline_reason) {
		rr.has_decline_reason = 1;
		rr.decline_reason = rr.text != NULL ?
		    LIAISON__V1__DECLINE_REASON__DECLINE_OTHER :
		    LIAISON__V1__DECLINE_REASON__DECLINE_OUT_OF_SCOPE;
	}
	if (action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_CLOSE &&
	    !rr.has_outcome) {
		cli_err("reply", "close needs --outcome");
		return (CLI_EXIT_USAGE);
	}
	/* the other side of the referral (or alert, for ack) */
	cli_id_field(&wl.has_item_id, &wl.item_id, rid);
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_WORKFLOW_LIST;
	req.workflow_list = &wl;
	if ((rv = wf_call("reply", agent, conf, &req, &r)) != CLI_EXIT_OK)
		return (rv);
	peer[0] = '\0';
	for (size_t i = 0; r->workflow_list != NULL &&
	    i < r->workflow_list->n_items; i++) {
		const char *p = r->workflow_list->items[i]->peer;

		is_alert = strcmp(r->workflow_list->items[i]->kind,
		    "alert") == 0;

		if (to != NULL && strcmp(p, to) != 0)
			continue;
		if (peer[0] != '\0') {
			cli_err("reply", "referral shared with several "
			    "partners: name one with --to");
			lsn_client_response_free(&r);
			return (CLI_EXIT_USAGE);
		}
		lsn_strlcpy(peer, p, sizeof(peer));
		lsn_strlcpy(state, r->workflow_list->items[i]->state,
		    sizeof(state));
		is_sender = strcmp(r->workflow_list->items[i]->role,
		    "sender") == 0;
	}
	lsn_client_response_free(&r);
	if (peer[0] == '\0') {
		cli_err("reply", "no referral or alert %s at this agent (liaison "
		    "referral list, liaison alert list, liaison inbox)",
		    argv[optind]);
		return (CLI_EXIT_FAIL);
	}
	if (!is_alert) {
		enum lsn_referral_state st, nx;

		if (lsn_referral_state_parse(state, &st) == LSN_OK &&
		    lsn_referral_next(st, action, is_sender, &nx) != LSN_OK) {
			cli_err("reply", "cannot %s: the referral is %s; "
			    "allowed next for %s: %s", argv[optind + 1],
			    state, is_sender ? "the sender" : "the recipient",
			    cli_referral_hint(state, is_sender));
			return (CLI_EXIT_FAIL);
		}
	}
	if (is_alert) {
		Liaison__V1__AlertAck ak = LIAISON__V1__ALERT_ACK__INIT;

		if (action != LIAISON__V1__REFERRAL_ACTION__REFERRAL_ACK) {
			cli_err("reply", "an alert is only acknowledged (ack)");
			return (CLI_EXIT_USAGE);
		}
		cli_id_field(&ak.has_alert_id, &ak.alert_id, rid);
		ak.text = rr.text;
		return (wf_submit_one("reply", agent, conf, peer,
		    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_ALERT_ACK,
		    &ak.base, 0, 0));
	}
	cli_id_field(&rr.has_referral_id, &rr.referral_id, rid);
	rr.has_action = 1;
	rr.action = action;
	rv = wf_submit_one("reply", agent, conf, peer,
	    LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE,
	    &rr.base, 0, 0);
	if (rv == CLI_EXIT_OK &&
	    action == LIAISON__V1__REFERRAL_ACTION__REFERRAL_REDIRECT &&
	    rr.redirect_to != NULL) {
		uint8_t	nid[LSN_REDIRECT_ID_BYTES];
		char	hx[2 * LSN_REDIRECT_ID_BYTES + 1];

		/* the agent offered the linked referral (docs/protocol.md) */
		if (lsn_referral_redirect_id(rid, rr.redirect_to, nid) ==
		    LSN_OK) {
			lsn_hex_encode(nid, sizeof(nid), hx);
			if (cli_json_out)
				cli_out("linked_referral_id", "%s", hx);
			else
				printf("linked referral %s offered to %s\n", hx,
			    rr.redirect_to);
		}
	}
	return (rv);
}
