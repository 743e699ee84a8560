/*
 * cmd_read.c -- reading what the task force sent: inbox (with filters),
 * show (every body type in full, its workflow state, history, meeting
 * roll-up, forwarded original and custody chain), thread (a case, meeting
 * or alert thread in order), and the meeting / alert lists.
 *
 * Bodies come from the agent's API already opened for us (sealed bodies
 * are unsealed by the agent in memory); nothing is written to disk here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "envelope.pb-c.h"

#include "liaison/body.h"
#include "liaison/client.h"
#include "liaison/conf.h"
#include "liaison/envelope.h"
#include "liaison/err.h"
#include "liaison/keys.h"
#include "liaison/seal.h"
#include "liaison/util.h"
#include "agentcli.h"
#include "cli.h"
#include "read.h"
#include "render.h"
#include "term.h"
#include "wfcli.h"

/* ---- show ---- */

const char *
cli_item_state(const Liaison__V1__InboxItem *it)
{
	return (it->actioned ? "actioned" : it->read ? "read" : "unread");
}

/* Workflow state, history and roll-up of the item a body is about. */
void
cli_show_workflow(const char *agent, const char *conf, int type,
    const ProtobufCMessage *m, const char *zone, json_t *o)
{
	Liaison__V1__ApiResponse		*r = NULL;
	const Liaison__V1__TrackedItem		*t;
	const Liaison__V1__MeetingShowResponse	*ms;
	uint8_t					 id[16];
	char					 hx[33], d1[64];

	if (cli_body_item_id(m, id) != 0)
		return;
	lsn_hex_encode(id, 16, hx);
	if (type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE ||
	    type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE) {
		if ((ms = cli_meeting_state(agent, conf, id, &r)) == NULL)
			goto out;
		if (o != NULL) {
			json_t *w = cli_render_json(&ms->base);

			json_object_set_new(o, "meeting", w);
			goto out;
		}
		printf("\nmeeting %s: %s, version %u, you are %s\n", hx,
		    cli_enum_name(&liaison__v1__meeting_status__descriptor,
		    (int) ms->status), ms->version, ms->role);
		if (ms->has_my_answer)
			printf("  your RSVP: %s (version %u)\n",
			    cli_enum_name(&liaison__v1__rsvp_answer__descriptor,
			    (int) ms->my_answer), ms->my_version);
		else if (strcmp(ms->role, "invitee") == 0)
			printf("  your RSVP: none yet (liaison rsvp %s "
			    "attending|not-attending|tentative)\n", hx);
		for (size_t i = 0; i < ms->n_entries; i++)
			printf("  %-20s %-14s v%u%s\n", ms->entries[i]->partner,
			    !ms->entries[i]->has_answer ? "no answer" :
			    cli_enum_name(&liaison__v1__rsvp_answer__descriptor,
			    (int) ms->entries[i]->answer),
			    ms->entries[i]->version, ms->entries[i]->stale ?
			    " (stale)" : "");
		if (strcmp(ms->role, "organiser") == 0)
			printf("  attending %u, not attending %u, tentative %u,"
			    " stale %u, no answer %u\n", ms->attending,
			    ms->not_attending, ms->tentative, ms->stale,
			    ms->no_answer);
		goto out;
	}
	if ((t = cli_tracked(agent, conf, id, &r)) == NULL)
		goto out;
	if (o != NULL) {
		json_object_set_new(o, "workflow", json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s, s:I, s:I, s:b, s:b}", "kind", t->kind, "id",
		    hx, "state", t->state, "role", t->role, "peer", t->peer,
		    "deadline_ms", (json_int_t) t->deadline_ms, "acked_ms",
		    (json_int_t) t->acked_ms, "overdue", (int) t->overdue,
		    "escalated", (int) t->escalated));
		goto out;
	}
	cli_fmt_time_tz(t->deadline_ms, zone, d1, sizeof(d1));
	printf("\n%s %s: %s (you are the %s; other side %s)\n"
	    "  acknowledgement deadline: %s%s%s%s\n", t->kind, hx, t->state,
	    t->role, t->peer, t->acked_ms != 0 ? "met" : d1, cli_c_red(),
	    t->overdue ? "  OVERDUE" : "", cli_c_off());
	if (strcmp(t->kind, "referral") == 0)
		printf("  next: %s\n", cli_referral_hint(t->state,
		    strcmp(t->role, "sender") == 0));
 out:
	lsn_client_response_free(&r);
}

/* The custody chain (envelope, receipts, responses) of message id. */
void
cli_custody_section(const char *agent, const char *conf, const uint8_t id[16],
    const char *zone, json_t *o)
{
	Liaison__V1__ApiResponse	*r = NULL;
	const Liaison__V1__CustodyResponse *c;
	json_t				*arr = NULL;
	char				 when[64];

	if ((c = cli_custody(agent, conf, id, &r)) == NULL)
		goto out;
	if (o != NULL)
		arr = json_array();
	else
		printf("\nhistory and custody (each signature checked again "
		    "by the agent):\n");
	for (size_t i = 0; i < c->n_events; i++) {
		const Liaison__V1__CustodyEvent *ev = c->events[i];

		if (arr != NULL) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
			    "s:I, s:s, s:b}", "kind", ev->kind, "signer",
			    ev->signer, "key_id", ev->key_id, "time_ms",
			    (json_int_t) ev->time_ms, "stage", ev->stage !=
			    NULL ? ev->stage : "", "verified",
			    (int) ev->verified));
			continue;
		}
		cli_fmt_time_tz(ev->time_ms, zone, when, sizeof(when));
		printf("  %s  %-8s %-12s by %-16s %s%s%s\n", when, ev->kind,
		    ev->stage != NULL && ev->stage[0] != '\0' ? ev->stage :
		    "sent", ev->signer, ev->verified ? "" : cli_c_red(),
		    ev->verified ? "signature OK" : "SIGNATURE NOT VERIFIED",
		    ev->verified ? "" : cli_c_off());
	}
	if (arr != NULL)
		json_object_set_new(o, "custody", arr);
 out:
	lsn_client_response_free(&r);
}

/* Header fields of a received message, text or into o. */
static void
show_header(const Liaison__V1__InboxItem *it, const char *idhex,
    const Liaison__V1__Envelope *env, const char *zone, json_t *o)
{
	char	when[64];

	if (o != NULL) {
		json_t *to = json_array(), *gr = json_array();

		for (size_t i = 0; env != NULL && i < env->n_to; i++)
			json_array_append_new(to, json_string(env->to[i]));
		for (size_t i = 0; env != NULL && i < env->n_to_groups; i++)
			json_array_append_new(gr,
			    json_string(env->to_groups[i]));
		json_object_set_new(o, "message_id", json_string(idhex));
		json_object_set_new(o, "direction", json_string("received"));
		json_object_set_new(o, "sender", json_string(it->sender));
		json_object_set_new(o, "to", to);
		json_object_set_new(o, "to_groups", gr);
		json_object_set_new(o, "type", json_string(
		    lsn_envelope_type_name((int) it->type)));
		json_object_set_new(o, "tlp", json_string(
		    lsn_tlp_name((int) it->tlp)));
		json_object_set_new(o, "priority", json_integer(
		    (json_int_t) it->priority));
		json_object_set_new(o, "created_ms", json_integer(
		    (json_int_t) it->created_ms));
		json_object_set_new(o, "received_ms", json_integer(
		    (json_int_t) it->received_ms));
		json_object_set_new(o, "state", json_string(cli_item_state(it)));
		json_object_set_new(o, "acked", json_boolean(it->acked));
		json_object_set_new(o, "local_seq", json_integer(
		    (json_int_t) it->local_seq));
		if (env != NULL && env->case_ref != NULL)
			json_object_set_new(o, "case_ref",
			    json_string(env->case_ref));
		if (env != NULL && env->handling != NULL)
			json_object_set_new(o, "handling",
			    cli_render_json(&env->handling->base));
		return;
	}
	printf("message:   %s\nfrom:      %s\n", idhex, it->sender);
	if (env != NULL && env->n_to + env->n_to_groups > 0) {
		printf("to:       ");
		for (size_t i = 0; i < env->n_to; i++)
			printf(" %s", env->to[i]);
		for (size_t i = 0; i < env->n_to_groups; i++)
			printf(" group:%s", env->to_groups[i]);
		printf("\n");
	}
	printf("type:      %s\n", lsn_envelope_type_name((int) it->type));
	printf("tlp:       %s\n", lsn_tlp_name((int) it->tlp));
	if (it->has_priority && it->priority != 0)
		printf("priority:  P%d\n", (int) it->priority);
	if (env != NULL && env->case_ref != NULL)
		printf("case:      %s\n", env->case_ref);
	if (env != NULL && env->handling != NULL && (env->handling->n_codes ||
	    env->handling->permitted_purpose != NULL)) {
		printf("handling:\n");
		cli_render_text(stdout, &env->handling->base, 2, zone);
	}
	cli_fmt_time_tz(it->created_ms, zone, when, sizeof(when));
	printf("created:   %s\n", when);
	cli_fmt_time_tz(it->received_ms, zone, when, sizeof(when));
	printf("received:  %s\n", when);
	printf("state:     %s%s\n", cli_item_state(it), it->acked ?
	    ", acknowledged" : "");
}

static void
show_usage(FILE *f)
{
	fprintf(f, "usage: liaison show ID [--json] [--tz ZONE] [--custody] "
	    "[--no-mark] [--sent]\n                    [--agent EP | -c FILE]\n"
	    "Shows a received or sent message in full: its markings, the "
	    "whole body\n(referral, meeting, alert, answers, contact update, "
	    "the verified original of\na forward), the state of the referral, "
	    "alert or meeting it belongs to, and its\nhistory and custody "
	    "chain. Times are in --tz ZONE, else $TZ, else UTC (a\nmeeting's "
	    "times also in the organiser's zone). Showing marks the message "
	    "read\n(a signed READ receipt goes to the sender) unless --no-mark "
	    "or --json.\nA message this agency sent (an id from liaison "
	    "outbox) shows whom it was sent\nto, the broker's verdict and the "
	    "furthest receipt of each recipient; a sealed\nbody is opened by "
	    "the agent with its own key. --sent: the outbox only.\n"
	    "--custody: only the chain of custody (sent or received message)."
	    "\nexample: liaison show 3f2a...c9 --tz Europe/Paris\n%s",
	    cli_agent_opt_help);
}

int
cli_tz_opt(const char *cmd, const char *arg, const char **out)
{
	if (!cli_tz_valid(arg)) {
		cli_err(cmd, "unknown time zone '%s': use a name of the tz "
		    "database, e.g. Europe/Paris or UTC (see %s)", arg,
		    getenv("TZDIR") != NULL ? getenv("TZDIR") :
		    "/usr/share/zoneinfo");
		return (CLI_EXIT_USAGE);
	}
	*out = arg;
	return (CLI_EXIT_OK);
}

static void
mark_read(const char *agent, const char *conf, const uint8_t id[16])
{
	Liaison__V1__ApiRequest		 req = LIAISON__V1__API_REQUEST__INIT;
	Liaison__V1__InboxMarkRequest	 mr =
	    LIAISON__V1__INBOX_MARK_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;

	cli_id_field(&mr.has_message_id, &mr.message_id, id);
	mr.has_stage = 1;
	mr.stage = LIAISON__V1__MARK_STAGE__MARK_READ;
	req.kind_case = LIAISON__V1__API_REQUEST__KIND_INBOX_MARK;
	req.inbox_mark = &mr;
	if (cli_call_quiet(agent, conf, &req, &r) == LSN_OK)
		lsn_client_response_free(&r);
}

/*
 * show of a message not in the inbox: the sent message of that id, else
 * the error (the inbox's, unless only the outbox was asked for).
 */
static int
show_sent_or_fail(const char *agent, const char *conf, const uint8_t id[16],
    const char *idhex, const char *tz, int json, int only_sent)
{
	Liaison__V1__ApiResponse	*r = NULL;
	int				 rv;

	if ((rv = cli_outbox_fetch(agent, conf, id, &r)) == LSN_OK) {
		rv = cli_show_sent(agent, conf, r, idhex, tz, json);
		lsn_client_response_free(&r);
		return (rv);
	}
	if (rv == LSN_ENOENT) {
		cli_err("show", "no message %s in this agency's %s", idhex,
		    only_sent ? "outbox (liaison outbox lists what it sent)" :
		    "inbox or outbox (liaison inbox, liaison outbox)");
		return (CLI_EXIT_FAIL);
	}
	/* say why as the inbox does (agent down, refused, ...) */
	if ((rv = cli_inbox_fetch("show", agent, conf, id, &r, 0)) ==
	    CLI_EXIT_OK) {
		lsn_client_response_free(&r);
		rv = CLI_EXIT_FAIL;
	}
	return (rv);
}

/* Over 80 lines: options, the message fetched, then each part printed. */
int
cmd_show(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, R_AGENT },
		{ "json", no_argument, NULL, R_JSON },
		{ "tz", required_argument, NULL, R_TZ },
		{ "custody", no_argument, NULL, R_CUSTODY },
		{ "no-mark", no_argument, NULL, R_ALL },
		{ "sent", no_argument, NULL, R_FROM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Liaison__V1__ApiResponse	*r = NULL;
	Liaison__V1__Envelope		*env = NULL;
	const Liaison__V1__InboxItem	*it;
	ProtobufCMessage		*m = NULL;
	const char			*agent = NULL, *conf = NULL, *tz = NULL;
	json_t				*o = NULL;
	uint8_t				 id[16];
	int				 ch, rv, json = 0, cust = 0, nomark = 0;
	int				 sent = 0;

	optind = 1;
	while ((ch = cli_read_getopt(argc, argv, lo, "show", &agent, &conf,
	    &tz, &json)) != -1) {
		switch (ch) {
		case R_CUSTODY:
			cust = 1;
			break;
		case R_ALL:
			nomark = 1;
			break;
		case R_FROM:
			sent = 1;
			break;
		case R_BAD:
			return (CLI_EXIT_USAGE);
		default:	/* 'h' too */
			return (cli_usage_exit(ch, show_usage));
		}
	}
	if (optind + 1 != argc)
		return (cli_usage_exit(0, show_usage));
	if ((rv = cli_parse_id("show", argv[optind], id, "message id must "
	    "be 32 hex characters (the first column of liaison inbox)")) !=
	    CLI_EXIT_OK)
		return (rv);
	if (cust)
		return (cli_show_custody(agent, conf, id, json));
	tz = cli_reader_tz(tz);
	/* a received message, else one we sent (--sent: only the latter) */
	if (sent || cli_inbox_fetch(NULL, agent, conf, id, &r, 1) !=
	    CLI_EXIT_OK)
		return (show_sent_or_fail(agent, conf, id, argv[optind], tz,
		    json, sent));
	it = r->inbox_fetch->item;
	if (it->envelope != NULL)
		env = liaison__v1__envelope__unpack(NULL,
		    it->envelope->envelope.len, it->envelope->envelope.data);
	m = cli_body_unpack((int) it->type, &it->body);
	if (json && (o = json_object()) == NULL) {
		rv = CLI_EXIT_FAIL;
		goto out;
	}
	if (o == NULL)
		cli_pager_start();
	show_header(it, argv[optind], env, tz, o);
	if (o != NULL && m != NULL)
		json_object_set_new(o, "body", cli_render_json(m));
	else if (m != NULL) {
		printf("\n");
		cli_render_text(stdout, m, 0, tz);
	} else if (it->body.len > 0 && o == NULL)
		printf("\n(body of %zu bytes does not decode as %s)\n",
		    it->body.len, lsn_envelope_type_name((int) it->type));
	if (env != NULL && env->has_forwarded)
		cli_show_forwarded(agent, conf, it, tz, o);
	cli_show_workflow(agent, conf, (int) it->type, m, tz, o);
	cli_custody_section(agent, conf, id, tz, o);
	if (o != NULL)
		cli_json_print(o);
	else if (!nomark && !it->read)
		mark_read(agent, conf, id);
	cli_pager_end();
	rv = CLI_EXIT_OK;
 out:
	json_decref(o);
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	if (env != NULL)
		liaison__v1__envelope__free_unpacked(env, NULL);
	lsn_client_response_free(&r);
	return (rv);
}

/* ---- inbox ---- */

int
cli_parse_type(const char *s, int *out)
{
	static const struct {
		const char	*alias;
		int		 type;
	} aliases[] = {
		{ "referral", LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_HANDOFF },
		{ "meeting", LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_NOTICE },
		{ "rsvp", LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_MEETING_RESPONSE },
		{ "reply", LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_REFERRAL_RESPONSE },
	};

	for (int t = 1; t <= 11; t++)
		if (strcmp(lsn_envelope_type_name(t), s) == 0) {
			*out = t;
			return (0);
		}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].alias, s) == 0) {
			*out = aliases[i].type;
			return (0);
		}
	return (-1);
}

int
cli_parse_tlp_name(const char *s, int *out)
{
	if (strncasecmp(s, "TLP:", 4) == 0)
		s += 4;
	return (wf_parse_tlp(s, out));
}

/* --since: a duration back from now ("2h", "3d") or a UTC date-time. */
int
cli_parse_since(const char *s, uint64_t *out)
{
	long long	ms;
	struct tm	tm;
	const char	*e;
	time_t		t;

	if (lsn_conf_parse_duration(s, &ms) == LSN_OK) {
		uint64_t now = lsn_now_ms();

		*out = (uint64_t) ms > now ? 0 : now - (uint64_t) ms;
		return (0);
	}
	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return (-1);
	if (*e == 'T' && (e = strptime(e, "T%H:%M", &tm)) == NULL)
		return (-1);
	if (*e == ':' && (e = strptime(e, ":%S", &tm)) == NULL)
		return (-1);
	if (*e == 'Z')
		e++;
	if (*e != '\0' || (t = timegm(&tm)) < 0)
		return (-1);
	*out = (uint64_t) t * 1000;
	return (0);
}

json_t *
cli_item_json(const Liaison__V1__InboxItem *it, const ProtobufCMessage *m)
{
	char	 idhex[33] = "", gist[256];
	json_t	*o;

	if (it->message_id.len == 16)
		lsn_hex_encode(it->message_id.data, 16, idhex);
	cli_body_gist((int) it->type, m, gist, sizeof(gist));
	o = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:b, s:b, s:b, s:s, "
	    "s:s}", "message_id", idhex,
	    "local_seq", (json_int_t) it->local_seq,
	    "sender", it->sender != NULL ? it->sender : "",
	    "type", lsn_envelope_type_name((int) it->type),
	    "created_ms", (json_int_t) it->created_ms,
	    "received_ms", (json_int_t) it->received_ms,
	    "acked", (int) it->acked, "read", (int) it->read,
	    "actioned", (int) it->actioned, "state", cli_item_state(it),
	    "subject", gist);
	if (o == NULL)
		return (NULL);
	if (it->has_tlp)
		json_object_set_new(o, "tlp",
		    json_string(lsn_tlp_name((int) it->tlp)));
	if (it->has_priority)
		json_object_set_new(o, "priority",
		    json_integer((json_int_t) it->priority));
	if (it->type == LIAISON__V1__MESSAGE_TYPE__MESSAGE_TYPE_NOTE &&
	    m != NULL && ((const Liaison__V1__Note *) (const void *) m)->text)
		json_object_set_new(o, "text", json_string(
		    ((const Liaison__V1__Note *) (const void *) m)->text));
	return (o);
}

void
cli_item_line(const Liaison__V1__InboxItem *it, const ProtobufCMessage *m,
    const char *zone)
{
	char	idhex[33] = "", when[64], gist[256];

	if (it->message_id.len == 16)
		lsn_hex_encode(it->message_id.data, 16, idhex);
	cli_fmt_time_tz(it->created_ms, zone, when, sizeof(when));
	cli_body_gist((int) it->type, m, gist, sizeof(gist));
	printf("%s %s%s%s  %s  %-16s %-17s %-6s %s\n", idhex, cli_c_bold(),
	    it->read ? " " : "*", cli_c_off(), when, it->sender != NULL ? it->sender : "?",
	    lsn_envelope_type_name((int) it->type),
	    lsn_tlp_name((int) it->tlp), gist);
}

static void
inbox_usage(FILE *f)
{
	fprintf(f, "usage: liaison inbox [--type T] [--from PARTNER] "
	    "[--unread] [--state S]\n"
	    "           [--since WHEN] [--tlp T] [--grep TEXT] [--all] "
	    "[--limit N]\n"
	    "           [--after SEQ] [--wait [SECONDS]] [--json] [--tz "
	    "ZONE] [--agent EP | -c FILE]\n"
	    "Lists received messages not yet acknowledged (--all: all), "
	    "oldest first:\nid, * if unread, time, sender, type, TLP and "
	    "what it is about. Filters:\n"
	    "  --type     note, referral-handoff (referral), "
	    "referral-response (reply),\n"
	    "             meeting-notice (meeting), meeting-response (rsvp),"
	    " alert, alert-ack,\n             contact-update\n"
	    "  --from     sender partner id     --unread  not yet read "
	    "(= --state unread)\n"
	    "  --state    unread, read or actioned\n"
	    "  --since    a duration back (2h, 3d) or YYYY-MM-DD[THH:MM]Z\n"
	    "  --tlp      clear, green, amber, amber-strict, red\n"
	    "  --grep     case-insensitive text over every field the agent "
	    "could read\n             (sealed bodies are opened by the "
	    "agent)\n"
	    "example: liaison inbox --unread --type referral --grep "
	    "sextortion\n%s", cli_agent_opt_help);
}

/* The inbox filters applied here, tlp and grep (the agent filters type,
 * sender, since, state). */
static int
inbox_keep(const struct cli_listopt *f, const Liaison__V1__InboxItem *it,
    const ProtobufCMessage *m)
{
	if (f->tlp != 0 && (int) it->tlp != f->tlp)
		return (0);
	if (f->grep != NULL && !cli_body_matches(m, f->grep) &&
	    (it->sender == NULL || !cli_ci_find(it->sender, f->grep)))
		return (0);
	return (1);
}

/* Option parsing of inbox: fills lr and f (whose list options point into
 * lr); CLI exit code or -1 to go on. */
static int
inbox_opts(int argc, char *argv[], Liaison__V1__InboxListRequest *lr,
    struct cli_listopt *f, const char **agent, const char **conf,
    const char **tz, int *json)
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, R_AGENT },
		{ "json", no_argument, NULL, R_JSON },
		{ "wait", optional_argument, NULL, R_WAIT },
		{ "all", no_argument, NULL, R_ALL },
		{ "limit", required_argument, NULL, R_LIMIT },
		{ "after", required_argument, NULL, R_AFTER },
		{ "state", required_argument, NULL, R_STATE },
		{ "type", required_argument, NULL, R_TYPE },
		{ "from", required_argument, NULL, R_FROM },
		{ "unread", no_argument, NULL, R_UNREAD },
		{ "since", required_argument, NULL, R_SINCE },
		{ "tlp", required_argument, NULL, R_TLP },
		{ "grep", required_argument, NULL, R_GREP },
		{ "tz", required_argument, NULL, R_TZ },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const states[] = { NULL, "unread", "read",
	    "actioned" };
	const char	*arg;
	long long	 v;
	int		 ch, rv;

	optind = 1;
	while ((ch = cli_read_getopt(argc, argv, lo, "inbox", agent, conf, tz,
	    json)) != -1) {
		if ((rv = cli_list_opt("inbox", ch, optarg, f)) != -1) {
			if (rv != CLI_EXIT_OK)
				return (rv);
			continue;
		}
		switch (ch) {
		case R_ALL:
			lr->include_acked = 1;
			break;
		case R_WAIT:
			arg = optarg;
			(void) cli_optional_arg(argc, argv, &arg);
			v = 30;
			if (arg != NULL && (rv = cli_opt_seconds("inbox",
			    "--wait", arg, 30, &v)) != CLI_EXIT_OK)
				return (rv);
			lr->has_wait_ms = v > 0;
			lr->wait_ms = (uint32_t) v * 1000;
			break;
		case R_UNREAD:
		case R_STATE:
			arg = ch == R_UNREAD ? "unread" : optarg;
			lr->has_state = 0;
			for (int i = 1; i <= 3; i++)
				if (strcmp(arg, states[i]) == 0) {
					lr->has_state = 1;
					lr->state = i;
				}
			if (!lr->has_state) {
				cli_err("inbox", "--state is unread, read or "
				    "actioned, not '%s'", arg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case R_FROM:
			if ((rv = cli_opt_partner("inbox", "--from",
			    optarg)) != CLI_EXIT_OK)
				return (rv);
			lr->sender = optarg;
			break;
		case R_BAD:
			return (CLI_EXIT_USAGE);
		default:	/* 'h' too */
			return (cli_usage_exit(ch, inbox_usage));
		}
	}
	if (optind != argc) {
		cli_err("inbox", "unexpected argument '%s'", argv[optind]);
		return (CLI_EXIT_USAGE);
	}
	return (-1);
}

int
cmd_inbox(int argc, char *argv[])
{
	Liaison__V1__InboxListRequest	 lr =
	    LIAISON__V1__INBOX_LIST_REQUEST__INIT;
	Liaison__V1__ApiResponse	*r = NULL;
	struct cli_listopt		 f = CLI_LISTOPT(&lr);
	const char			*agent = NULL, *conf = NULL, *tz = NULL;
	json_t				*arr = NULL;
	int				 rv, json = 0;

	lr.has_include_acked = 1;
	if ((rv = inbox_opts(argc, argv, &lr, &f, &agent, &conf, &tz,
	    &json)) != -1)
		return (rv);
	tz = cli_reader_tz(tz);
	if ((rv = cli_inbox_all("inbox", agent, conf, &lr, &r)) != CLI_EXIT_OK)
		return (rv);
	if (json)
		arr = json_array();
	for (size_t i = 0; r->inbox_list != NULL &&
	    i < r->inbox_list->n_items; i++) {
		const Liaison__V1__InboxItem *it = r->inbox_list->items[i];
		ProtobufCMessage *m = cli_body_unpack((int) it->type,
		    &it->body);

		if (inbox_keep(&f, it, m)) {
			if (arr != NULL)
				json_array_append_new(arr, cli_item_json(it, m));
			else
				cli_item_line(it, m, tz);
		}
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
	}
	cli_json_print(arr);
	json_decref(arr);
	lsn_client_response_free(&r);
	return (CLI_EXIT_OK);
}
